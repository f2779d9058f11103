/**
 * Watch mode: a bundler watching a build that imports a `.mon` file rebuilds when the spec,
 * a mask file the spec reads or the tuning database changes (and the new tuning reaches the
 * kernels), and reports a spec error without stopping the watch.
 */
import { afterEach, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { watch, type RollupError, type RollupWatcher, type RollupWatcherEvent } from 'rollup';
import { monc } from '../../src/plugin/index.js';
import { writeNpy } from '../../src/runtime/formats/npy.js';
import { emptyDb, serializeDb } from '../../src/tuner/db.js';
import { firstSchedule, tempProject, tunedDb, type TempProject } from './fixtures.js';

let project: TempProject | undefined;
let watcher: RollupWatcher | undefined;

afterEach(async () => {
  await watcher?.close();
  project?.remove();
  watcher = project = undefined;
});

const spec = (blocks: number) => `module sp
map s : 16 -> 16 = sparse(block: 8, pattern: "mask.npy") + lowrank(rank: ${blocks})
`;
const mask = (values: number[]) => writeNpy(values, [2, 2]);

/** Waits for the watcher's next build cycle to end (bounded in time); gives the error if it failed. */
function nextBuild(w: RollupWatcher): Promise<{ error?: RollupError }> {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('no rebuild within 20 s')), 20_000);
    let error: RollupError | undefined;
    const on = (e: RollupWatcherEvent) => {
      if (e.code === 'BUNDLE_END') void e.result.close();
      // A failed cycle reports ERROR, then END.
      if (e.code === 'ERROR') error = e.error;
      if (e.code !== 'END') return;
      clearTimeout(timer);
      w.off('event', on);
      ok(error ? { error } : {});
    };
    w.on('event', on);
  });
}

/** A project (sp.mon reading mask.npy, imported by main.js) watched by Rollup with monc's plugin, `tuning` relative to it. */
function watchProject(tuning: string): { readonly root: string; readonly out: string; readonly w: RollupWatcher } {
  project = tempProject({ 'sp.mon': spec(2), 'main.js': `export { s } from './sp.mon';\n` });
  writeFileSync(join(project.root, 'mask.npy'), mask([1, 0, 0, 1]));
  const out = join(project.root, 'out/main.js');
  watcher = watch({
    input: join(project.root, 'main.js'),
    plugins: [monc.rollup({ dts: false, tuning: join(project.root, tuning) })],
    external: ['monc/runtime'],
    output: { file: out, format: 'es' },
    watch: { buildDelay: 50 },
  });
  return { root: project.root, out, w: watcher };
}

it('rebuilds when the spec, its mask file or the tuning database changes', async () => {
  const { root, out, w } = watchProject('tuning.json');
  const paramCount = () => Number(/"paramCount": (\d+)/.exec(readFileSync(out, 'utf8'))![1]);

  expect(await nextBuild(w)).toEqual({});
  // Two 8x8 blocks + U (16x2) + V (2x16).
  expect(paramCount()).toBe(2 * 64 + 2 * 32);

  writeFileSync(join(root, 'sp.mon'), spec(3));
  expect(await nextBuild(w)).toEqual({});
  expect(paramCount()).toBe(2 * 64 + 2 * 48);

  writeFileSync(join(root, 'mask.npy'), mask([1, 1, 0, 1]));
  expect(await nextBuild(w)).toEqual({});
  expect(paramCount()).toBe(3 * 64 + 2 * 48);

  writeFileSync(join(root, 'sp.mon'), spec(3).replace('16 -> 16', '16 -> 17'));
  expect((await nextBuild(w)).error?.message).toContain('sp.mon:2:');

  writeFileSync(join(root, 'sp.mon'), spec(2));
  expect(await nextBuild(w)).toEqual({});
  expect(paramCount()).toBe(3 * 64 + 2 * 32);

  // A tuning database appears (as after `monc tune`): the same op now has the tuned schedule.
  const tuned = tunedDb(join(root, 'sp.mon'));
  expect(firstSchedule(readFileSync(out, 'utf8'))).not.toEqual(tuned.schedule);
  writeFileSync(join(root, 'tuning.json'), tuned.text);
  expect(await nextBuild(w)).toEqual({});
  expect(firstSchedule(readFileSync(out, 'utf8'))).toEqual(tuned.schedule);
});

// QA2 s21 Q51: Rollup's watcher follows a missing file only where its folder exists, so a database that first appeared in
// a new folder (the `tuning` option's db/tuning.json, a fresh cache's monc/tuning.json) rebuilt nothing, then or later.
it('rebuilds when the tuning database first appears in a folder made during the watch, and on its later edits', async () => {
  const { root, out, w } = watchProject('db/tuning.json');
  expect(await nextBuild(w)).toEqual({});
  const tuned = tunedDb(join(root, 'sp.mon'));
  expect(firstSchedule(readFileSync(out, 'utf8'))).not.toEqual(tuned.schedule);
  mkdirSync(join(root, 'db'));
  writeFileSync(join(root, 'db/tuning.json'), tuned.text);
  expect(await nextBuild(w)).toEqual({});
  expect(firstSchedule(readFileSync(out, 'utf8'))).toEqual(tuned.schedule);
  // Watched from then on: emptied, the database gives the default schedule back.
  writeFileSync(join(root, 'db/tuning.json'), serializeDb(emptyDb()));
  expect(await nextBuild(w)).toEqual({});
  expect(firstSchedule(readFileSync(out, 'utf8'))).not.toEqual(tuned.schedule);
});
