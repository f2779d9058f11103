/**
 * A `.mon` file in a directory whose name has a `#` (and a space) compiles under Rollup and Vite:
 * the plugin took everything from the first `?` or `#` of a module id for a query, so
 * `/proj/C#/x y/ffn.mon` became `/proj/C`, was not loaded, and the bundler parsed the spec as
 * JavaScript. A query after `.mon` (Vite's `?import`) is still stripped.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { rollup } from 'rollup';
import { monc } from '../../src/plugin/index.js';
import { FFN_MON, RUNTIME_SOURCE, tempProjects, viteMain } from './fixtures.js';

const DIR = 'C#/x y';
const ENTRY = `export { up, Up } from './${DIR}/ffn.mon';\n`;
const newProject = tempProjects();

/** The bundle's `up` map: the generated class with the spec's sizes. */
async function bundledUp(file: string): Promise<void> {
  const bundle = await import(pathToFileURL(file).href);
  expect(bundle.up).toBe(bundle.Up);
  expect([bundle.Up.in, bundle.Up.out]).toEqual([16, 32]);
}

describe('a .mon file under a directory with # in its name', () => {
  it('compiles under Rollup', async () => {
    const { root } = newProject({ [`${DIR}/ffn.mon`]: FFN_MON, 'main.js': ENTRY });
    const bundle = await rollup({ input: join(root, 'main.js'), plugins: [monc.rollup({ runtime: RUNTIME_SOURCE, dts: false })], external: [RUNTIME_SOURCE] });
    const out = join(root, 'out/main.js');
    await bundle.write({ file: out, format: 'es' });
    await bundle.close();
    await bundledUp(out);
  });

  it('compiles under Vite', async () => {
    // A query after `.mon` is the bundler's, not part of the file name (Vite itself resolves one
    // only on a path without `#`).
    const code = await viteMain(newProject({ [`${DIR}/ffn.mon`]: FFN_MON, 'plain/ffn.mon': FFN_MON, 'main.js': `${ENTRY}export { Up as Again } from './plain/ffn.mon?v=2';\n` }));
    expect(code).toContain('class Up extends TypedMap');
    expect(code).toContain('paramShapes');
    expect(code.match(/class Up\S* extends TypedMap/g)).toHaveLength(2); // the module with the query is compiled too
  });
});
