/**
 * A `.mon` import with another plugin's query is left to that plugin: `./ffn.mon?raw` is the spec's
 * text (a page that shows the spec beside the running map), while `./ffn.mon` in the same build is
 * the compiled module. The plugin compiled every id whose path was a `.mon`, whatever its query, so
 * `?raw` got the module (no default export: the build failed).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { build as viteBuild, type Rollup } from 'vite';
import { monc } from '../../src/plugin/index.js';
import { FFN_MON, RUNTIME_SOURCE, tempProject, type TempProject } from './fixtures.js';

let project: TempProject | undefined;

afterEach(() => {
  project?.remove();
  project = undefined;
});

describe('a .mon import with another plugin\'s query', () => {
  it('?raw is the spec\'s text, beside the compiled import of the same file', async () => {
    project = tempProject({ 'ffn.mon': FFN_MON, 'main.js': "import text from './ffn.mon?raw';\nexport { text };\nexport { up } from './ffn.mon';\n" });
    const built = (await viteBuild({
      root: project.root,
      configFile: false,
      logLevel: 'silent',
      plugins: [monc.vite({ runtime: RUNTIME_SOURCE, dts: false })],
      build: { lib: { entry: 'main.js', formats: ['es'] }, write: false, minify: false, rollupOptions: { external: [RUNTIME_SOURCE] } },
    })) as Rollup.RollupOutput[];
    const code = built[0]!.output.find((o) => o.type === 'chunk')!.code;
    expect(code).toContain(JSON.stringify(FFN_MON).slice(1, -1)); // the text, as a string literal
    expect(code).toContain('class Up extends TypedMap');
  });
});
