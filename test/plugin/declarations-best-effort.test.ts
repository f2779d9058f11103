/**
 * The `.mon.d.ts` declarations are for the editor, so failing to make them never stops a build or
 * the dev server: a spec over the size limit anywhere under Vite's root, or a declaration path
 * that cannot be written (here a directory stands where the file would go), is a warning naming
 * the file. The dev server starts and writes the other specs' declarations; a Rollup build that
 * imports such a spec succeeds with the warning. Both threw before (the server did not start; the
 * import failed).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rollup, type RollupLog } from 'rollup';
import { createLogger, createServer } from 'vite';
import { monc } from '../../src/plugin/index.js';
import { SPEC_FILE } from '../../src/node/files/bounds.js';
import { findMonFiles } from '../../src/node/find-mon-files.js';
import { FFN_MON, RUNTIME_SOURCE, tempProjects } from './fixtures.js';

const newProject = tempProjects();

describe('declarations that cannot be made', () => {
  it('a spec over the size limit and a declaration path that is a directory: the dev server starts, warns for each, and declares the rest', async () => {
    const project = newProject({ 'ffn.mon': FFN_MON, 'blocked/b.mon': FFN_MON, 'main.js': "export { up } from './ffn.mon';\n" });
    // One byte over the size limit: a spec that is refused before it is parsed.
    writeFileSync(join(project.root, 'big.mon'), ' '.repeat(SPEC_FILE.maxBytes + 1));
    mkdirSync(join(project.root, 'blocked/b.mon.d.ts'));
    const warnings: string[] = [];
    const logger = createLogger('silent');
    logger.warn = (message) => void warnings.push(message);
    const server = await createServer({ root: project.root, configFile: false, customLogger: logger, plugins: [monc.vite({ runtime: RUNTIME_SOURCE })], server: { ws: false } });
    try {
      expect(readFileSync(join(project.root, 'ffn.mon.d.ts'), 'utf8')).toContain('export declare class Up');
      expect(warnings.sort()).toEqual([
        expect.stringMatching(new RegExp(`^monc: no declarations for ${join(project.root, 'big.mon')}: cannot read spec .*over the limit`)),
        expect.stringMatching(new RegExp(`^monc: no declarations for ${join(project.root, 'blocked/b.mon')}: cannot write .*b\\.mon\\.d\\.ts.*directory`)),
      ]);
      // The spec whose declarations could not be written still compiles for the page.
      expect((await server.transformRequest('/blocked/b.mon'))?.code).toContain('class Up extends TypedMap');
    } finally {
      await server.close();
    }
  });

  it('a Rollup build of a spec whose declaration path is a directory succeeds, with a warning', async () => {
    const project = newProject({ 'ffn.mon': FFN_MON, 'main.js': "export { up } from './ffn.mon';\n" });
    mkdirSync(join(project.root, 'ffn.mon.d.ts'));
    const warnings: RollupLog[] = [];
    const bundle = await rollup({ input: join(project.root, 'main.js'), plugins: [monc.rollup({ runtime: RUNTIME_SOURCE })], external: [RUNTIME_SOURCE], onwarn: (w) => void warnings.push(w) });
    const { output } = await bundle.generate({ format: 'es' });
    await bundle.close();
    expect(output[0].code).toContain('class Up extends TypedMap');
    expect(warnings.map((w) => w.message)).toEqual([expect.stringMatching(/no declarations for .*ffn\.mon: cannot write .*ffn\.mon\.d\.ts.*directory/)]);
  });

  it('the startup search for specs skips, and reports, a directory it cannot list (it threw, and the server did not start)', () => {
    const project = newProject({ 'a.mon': FFN_MON, 'sub/b.mon': FFN_MON });
    const reported: string[] = [];
    const report = (dir: string, reason: string) => void reported.push(`${dir}: ${reason}`);
    expect(findMonFiles(project.root, report)).toEqual([join(project.root, 'a.mon'), join(project.root, 'sub/b.mon')]);
    expect(reported).toEqual([]);
    // A root that is gone, and one that is a file: nothing found, one line each, no throw.
    expect(findMonFiles(join(project.root, 'gone'), report)).toEqual([]);
    expect(findMonFiles(join(project.root, 'a.mon'), report)).toEqual([]);
    expect(reported).toEqual([`${join(project.root, 'gone')}: no such file or directory`, expect.stringMatching(/a\.mon: .*not a directory/)]);
  });
});
