/**
 * `monc build --watch`: rebuilds when a spec, a mask file it reads or the tuning database
 * changes; a spec error is reported and the watch goes on; outputs change only on success.
 */
import { afterEach, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { buildWatchCommand } from '../../src/cli/commands/build-watch.js';
import { writeNpy } from '../../src/runtime/formats/npy.js';
import { emptyDb, serializeDb } from '../../src/tuner/db.js';
import { scratchDir } from './helpers.js';

const spec = (rank: number) => `module sp
map s : 16 -> 16 = sparse(block: 8, pattern: "mask.npy") + lowrank(rank: ${rank})
`;

let scratch: ReturnType<typeof scratchDir> | undefined;
afterEach(() => scratch?.remove());

/** Polls `probe` until it holds (bounded: a missed rebuild fails the test, never hangs it). */
async function eventually(probe: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

it('rebuilds on changes to the spec, its mask file and the tuning database until stopped', async () => {
  scratch = scratchDir();
  const { path } = scratch;
  writeFileSync(path('sp.mon'), spec(2));
  writeFileSync(path('mask.npy'), writeNpy([1, 0, 0, 1], [2, 2]));
  writeFileSync(path('tuning.json'), serializeDb(emptyDb()));
  let stdout = '';
  let stderr = '';
  const ctx = { io: { stdout: (t: string) => (stdout += t), stderr: (t: string) => (stderr += t), env: {} }, json: false };
  const stop = new AbortController();
  const watching = buildWatchCommand(ctx, [path('sp.mon')], { out: path('out'), tuning: path('tuning.json') }, stop.signal);

  const manifest = path('out/sp.json');
  const paramCount = () => (existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')).maps[0].paramCount as number) : -1);
  const builds = () => stderr.match(/watching \d+ files? for changes/g)?.length ?? 0;

  await eventually(() => builds() === 1, 'the first build');
  expect(paramCount()).toBe(2 * 64 + 2 * 32);

  writeFileSync(path('sp.mon'), spec(3));
  await eventually(() => builds() === 2, 'a rebuild after the spec changed');
  expect(paramCount()).toBe(2 * 64 + 2 * 48);

  writeFileSync(path('mask.npy'), writeNpy([1, 1, 0, 1], [2, 2]));
  await eventually(() => builds() === 3, 'a rebuild after the mask changed');
  expect(paramCount()).toBe(3 * 64 + 2 * 48);

  writeFileSync(path('sp.mon'), spec(3).replace('rank: 3', 'rank: q'));
  await eventually(() => builds() === 4, 'a rebuild of the broken spec');
  expect(stderr).toMatch(/sp\.mon:2:\d+: error: /);
  expect(paramCount()).toBe(3 * 64 + 2 * 48);

  writeFileSync(path('tuning.json'), JSON.stringify(emptyDb()));
  await eventually(() => builds() === 5, 'a rebuild after the tuning database changed');

  writeFileSync(path('sp.mon'), spec(1));
  await eventually(() => builds() === 6, 'a rebuild of the fixed spec');
  expect(paramCount()).toBe(3 * 64 + 2 * 16);

  stop.abort();
  const result = await watching;
  expect(result.json).toEqual({ out: path('out'), builds: 6 });
  // Builds 4 and 5 ran on the broken spec and wrote nothing.
  expect(stdout.match(/sp\.mon: module sp/g)).toHaveLength(4);
});

// QA1 s27 Q601: the watch was armed after the first build, and on a mask file after the build that first read it: an
// edit made while that build ran (a large spec's build takes a while) was never built.
it('rebuilds for an edit of the spec, or of a mask file, made while the build that first read it runs', async () => {
  scratch = scratchDir();
  const { path } = scratch;
  writeFileSync(path('sp.mon'), 'module sp\nmap s : 16 -> 16 = lowrank(rank: 2)\n');
  // In a folder of its own: one watched for the spec would pass on its events.
  mkdirSync(path('masks'));
  writeFileSync(path('masks/m.npy'), writeNpy([1, 0, 0, 1], [2, 2]));
  // A build prints its result before it is done (its inputs watched for the next one): each edit is made then.
  const edits = [
    () => writeFileSync(path('sp.mon'), spec(2).replace('mask.npy', 'masks/m.npy')),
    () => writeFileSync(path('masks/m.npy'), writeNpy([1, 1, 0, 1], [2, 2])),
  ];
  let stderr = '';
  const ctx = { io: { stdout: () => edits.shift()?.(), stderr: (t: string) => (stderr += t), env: {} }, json: false };
  const stop = new AbortController();
  const watching = buildWatchCommand(ctx, [path('sp.mon')], { out: path('out') }, stop.signal);
  const manifest = path('out/sp.json');
  const paramCount = () => (existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')).maps[0].paramCount as number) : -1);
  const builds = () => stderr.match(/watching \d+ files? for changes/g)?.length ?? 0;
  await eventually(() => builds() === 2, 'a rebuild for the spec edited during the first build');
  expect(edits).toHaveLength(0);
  await eventually(() => builds() === 3, 'a rebuild for the mask file edited during the build that first read it');
  expect(paramCount()).toBe(3 * 64 + 2 * 32);
  stop.abort();
  expect((await watching).json).toEqual({ out: path('out'), builds: 3 });
});

it('with --json, every build (and failed build) is one JSON object on its own line, and so is the summary', async () => {
  scratch = scratchDir();
  const { path } = scratch;
  const small = (k: number) => `module w\nmap f : 16 -> 16 = monarch(nblocks: ${k})\n`;
  writeFileSync(path('w.mon'), small(4));
  let stdout = '';
  const ctx = { io: { stdout: (t: string) => (stdout += t), stderr: () => {}, env: {} }, json: true };
  const stop = new AbortController();
  const watching = buildWatchCommand(ctx, [path('w.mon')], { out: path('out') }, stop.signal);
  const lines = () => stdout.split('\n').filter((l) => l !== '');
  await eventually(() => lines().length === 1, 'the first build');
  writeFileSync(path('w.mon'), small(4).replace('nblocks: 4', 'nblocks: q'));
  await eventually(() => lines().length === 2, 'the broken spec');
  writeFileSync(path('w.mon'), small(2));
  await eventually(() => lines().length === 3, 'the fixed spec');
  stop.abort();
  const result = await watching;
  expect(stdout.endsWith('\n')).toBe(true);
  const objects = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(objects.map((o) => ('error' in o ? 'error' : 'built'))).toEqual(['built', 'error', 'built']);
  expect(objects[1]).toMatchObject({ error: { kind: 'user' } });
  // main prints the summary the same way.
  expect(result).toMatchObject({ json: { out: path('out'), builds: 3 }, jsonLine: true });
});

it('survives a spec naming a mask in a directory that does not exist, rebuilds when it appears, and again when it is deleted and made anew', async () => {
  scratch = scratchDir();
  const { path } = scratch;
  writeFileSync(path('sp.mon'), 'module sp\nmap s : 16 -> 16 = sparse(block: 8, pattern: "masks/m.npy")\n');
  let stderr = '';
  const ctx = { io: { stdout: () => {}, stderr: (t: string) => (stderr += t), env: {} }, json: false };
  const stop = new AbortController();
  const watching = buildWatchCommand(ctx, [path('sp.mon')], { out: path('out') }, stop.signal);
  const manifest = path('out/sp.json');
  const paramCount = () => (existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')).maps[0].paramCount as number) : -1);
  const builds = () => stderr.match(/watching \d+ files? for changes/g)?.length ?? 0;

  // Watching masks/m.npy meant watching masks/, which threw ENOENT out of the watch loop.
  await eventually(() => builds() === 1, 'the first build');
  expect(stderr).toMatch(/error: cannot read mask .*\[E0602\]/);

  // The directory first, then the file in it: one rebuild or two, the last one builds.
  mkdirSync(path('masks'));
  writeFileSync(path('masks/m.npy'), writeNpy([1, 0, 0, 1], [2, 2]));
  await eventually(() => paramCount() === 2 * 64, 'a build once masks/m.npy exists');

  // A new masks/ (another inode) where the watched one was: the old watch saw none of it.
  rmSync(path('masks'), { recursive: true });
  mkdirSync(path('masks'));
  writeFileSync(path('masks/m.npy'), writeNpy([1, 1, 1, 1], [2, 2]));
  await eventually(() => paramCount() === 4 * 64, 'a build of the mask in the new masks/');

  stop.abort();
  await watching;
});

// QA s19 Q81: on a fresh machine `monc tune` makes ~/.cache/monc/ and the default database in it; the watch missed both.
it('with --tuning, rebuilds when the default database appears in a cache folder that did not exist', async () => {
  scratch = scratchDir();
  const { path } = scratch;
  writeFileSync(path('sp.mon'), 'module sp\nmap s : 16 -> 16 = lowrank(rank: 2)\n');
  let stderr = '';
  const ctx = { io: { stdout: () => {}, stderr: (t: string) => (stderr += t), env: { XDG_CACHE_HOME: path('xdg') } }, json: false };
  const stop = new AbortController();
  const watching = buildWatchCommand(ctx, [path('sp.mon')], { out: path('out'), tuning: true }, stop.signal);
  const builds = () => stderr.match(/watching \d+ files? for changes/g)?.length ?? 0;
  await eventually(() => builds() === 1, 'the first build');
  expect(stderr).toContain(`no tuning database at ${path('xdg/monc/tuning.json')} yet`);
  mkdirSync(path('xdg/monc'), { recursive: true });
  writeFileSync(path('xdg/monc/tuning.json'), serializeDb(emptyDb()));
  await eventually(() => builds() >= 2, 'a rebuild once the database exists');
  stop.abort();
  await watching;
});

// QA1 s24 Q301: each build's line carries that build's spec warnings as `diagnostics`, as `monc build --json` does.
it('with --json, each build\'s line carries its own warnings as diagnostics, and none of an earlier build\'s', async () => {
  scratch = scratchDir();
  const { path } = scratch;
  const spec = (rank: number) => `module w\nmap f : 4 -> 4 = lowrank(rank: ${rank})\n`;
  // rank 4 on 4 -> 4: W0501 (not more efficient than dense()); rank 1: no warning.
  writeFileSync(path('w.mon'), spec(4));
  let stdout = '';
  const ctx = { io: { stdout: (t: string) => (stdout += t), stderr: () => {}, env: {} }, json: true, warnings: [] };
  const stop = new AbortController();
  const watching = buildWatchCommand(ctx, [path('w.mon')], { out: path('out') }, stop.signal);
  const lines = () => stdout.split('\n').filter((l) => l !== '');
  await eventually(() => lines().length === 1, 'the first build');
  writeFileSync(path('w.mon'), spec(1));
  await eventually(() => lines().length === 2, 'the build without warnings');
  stop.abort();
  const result = await watching;
  const [warned, clean] = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(warned.diagnostics).toEqual([expect.objectContaining({ code: 'W0501', severity: 'warning', line: 2 })]);
  expect(clean).not.toHaveProperty('diagnostics');
  expect(result.json).not.toHaveProperty('diagnostics');
});
