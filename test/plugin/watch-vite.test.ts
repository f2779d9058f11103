/**
 * `vite build --watch` (Vite 8, rolldown): a tuning database or a mask file that does not exist
 * when the watch starts triggers a rebuild when it appears, as under `rollup -w` (watch.test.ts)
 * and esbuild (QA s18 Q70: rolldown's watcher skips such paths; the plugin follows them itself,
 * missing-paths.ts). Following them rebuilds for nothing else: no rebuild for an unrelated file
 * beside them, none from the build's own output, and the watch leaves nothing behind.
 */
import { afterAll, afterEach, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build as viteBuild, type Rollup } from 'vite';
import { monc } from '../../src/plugin/index.js';
import { writeNpy } from '../../src/runtime/formats/npy.js';
import { firstSchedule, RUNTIME_SOURCE, tempProject, tunedDb, type TempProject } from './fixtures.js';

let project: TempProject | undefined;
let watcher: Rollup.RollupWatcher | undefined;

afterEach(async () => {
  await watcher?.close();
  project?.remove();
  watcher = project = undefined;
});

/** Counts the watcher's finished build cycles and keeps the last cycle's error. */
function cycles(w: Rollup.RollupWatcher) {
  const state = { ended: 0, error: undefined as Error | undefined };
  w.on('event', (e) => {
    if (e.code === 'BUNDLE_END') void e.result.close();
    if (e.code === 'START') state.error = undefined;
    if (e.code === 'ERROR') state.error = e.error;
    if (e.code === 'END') state.ended++;
  });
  /** Waits (bounded) until `n` cycles have ended. */
  const until = async (n: number) => {
    const start = Date.now();
    while (state.ended < n && Date.now() - start < 20_000) await new Promise((ok) => setTimeout(ok, 50));
    expect(state.ended, 'build cycles').toBe(n);
  };
  return { state, until };
}

// A temporary folder of this file's own (os.tmpdir() reads TMPDIR): trigger folders of other test files' watches and dev
// servers, running at the same time in the shared one, are not this watch's.
const sharedTmp = process.env.TMPDIR;
process.env.TMPDIR = mkdtempSync(join(tmpdir(), 'monc-watch-vite-'));
afterAll(() => {
  rmSync(process.env.TMPDIR!, { recursive: true, force: true });
  if (sharedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = sharedTmp;
});
const triggers = () => readdirSync(tmpdir()).filter((f) => f.startsWith('monc-watch-'));

it('rebuilds when a tuning database or a mask in a folder not made yet appears, and for nothing else', async () => {
  project = tempProject({
    'sp.mon': `module sp\nmap s : 16 -> 16 = lowrank(rank: 2)\n`,
    'masked.mon': `module masked\nmap m : 16 -> 16 = sparse(block: 8, pattern: "masks/m.npy")\n`,
    'main.js': `export { s } from './sp.mon';\n`,
  });
  const before = triggers();
  const outDir = join(project.root, 'dist');
  // Vite's library output holds the manifest's JSON in a string with escaped quotes.
  const output = () => readFileSync(join(outDir, 'main.mjs'), 'utf8').replaceAll('\\"', '"');
  const build = (entry: string) =>
    viteBuild({
      root: project!.root,
      configFile: false,
      logLevel: 'silent',
      plugins: [monc.vite({ dts: false, runtime: RUNTIME_SOURCE, tuning: join(project!.root, 'tuning.json') })],
      build: { outDir, minify: false, watch: { buildDelay: 50 }, lib: { entry: join(project!.root, entry), formats: ['es'], fileName: 'main' } },
    }) as Promise<Rollup.RollupWatcher>;

  watcher = await build('main.js');
  const { state, until } = cycles(watcher);
  await until(1);
  const tuned = tunedDb(join(project.root, 'sp.mon'));
  expect(firstSchedule(output())).not.toEqual(tuned.schedule);
  // As after `monc tune`: the database appears in the project root, where the build's output is too.
  writeFileSync(join(project.root, 'tuning.json'), tuned.text);
  await until(2);
  expect(state.error).toBeUndefined();
  expect(firstSchedule(output())).toEqual(tuned.schedule);
  // Nothing else rebuilds: an unrelated file beside the database, and the output the build wrote.
  writeFileSync(join(project.root, 'notes.txt'), 'x');
  await new Promise((ok) => setTimeout(ok, 1500));
  expect(state.ended).toBe(2);
  await watcher.close();

  // A mask whose folder does not exist yet: the build fails, then masks/ and the file appear.
  writeFileSync(join(project.root, 'main.js'), `export { m } from './masked.mon';\n`);
  watcher = await build('main.js');
  const masked = cycles(watcher);
  await masked.until(1);
  expect(masked.state.error?.message).toContain('masks/m.npy');
  mkdirSync(join(project.root, 'masks'));
  writeFileSync(join(project.root, 'masks/m.npy'), writeNpy([1, 0, 0, 1], [2, 2]));
  await masked.until(2);
  expect(masked.state.error).toBeUndefined();
  expect(output()).toContain('"paramCount": 128');
  await watcher.close();
  watcher = undefined;
  expect(triggers()).toEqual(before);
}, 90_000);
