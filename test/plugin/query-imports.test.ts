/**
 * A `.mon` import with another plugin's query is left to that plugin: `./ffn.mon?raw` is the spec's
 * text (a page that shows the spec beside the running map), while `./ffn.mon` in the same build is
 * the compiled module. The plugin compiled every id whose path was a `.mon`, whatever its query, so
 * `?raw` got the module (no default export: the build failed).
 */
import { describe, expect, it } from 'vitest';
import { FFN_MON, tempProjects, viteMain } from './fixtures.js';

const newProject = tempProjects();

describe('a .mon import with another plugin\'s query', () => {
  it('?raw is the spec\'s text, beside the compiled import of the same file', async () => {
    const code = await viteMain(newProject({ 'ffn.mon': FFN_MON, 'main.js': "import text from './ffn.mon?raw';\nexport { text };\nexport { up } from './ffn.mon';\n" }));
    expect(code).toContain(JSON.stringify(FFN_MON).slice(1, -1)); // the text, as a string literal
    expect(code).toContain('class Up extends TypedMap');
  });
});
