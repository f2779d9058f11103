/**
 * The trigger file MissingPaths makes for `vite build --watch` (missing-paths.ts) lives in a folder of its own in the
 * temporary folder. QA2 s21 Q52: a watch ended by Ctrl-C or SIGTERM left that folder behind (Vite leaves those signals to
 * Node's default, which runs neither closeWatcher nor 'exit' handlers), one per watch; and every watch made one, a path
 * missing or not. Now the folder is made only while a path is followed, and an ending signal removes it and still ends
 * the process, by that signal.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as esbuild from 'esbuild';
import { afterAll, expect, it } from 'vitest';
import { MissingPaths } from '../../src/plugin/missing-paths.js';

const work = mkdtempSync(join(tmpdir(), 'monc-signal-test-'));
// This file's trigger folders in a temporary folder of its own (os.tmpdir() reads TMPDIR at each call), so that another
// test file counting the system's (watch-vite.test.ts) does not see them come and go.
const systemTmp = process.env.TMPDIR;
process.env.TMPDIR = work;
afterAll(() => {
  if (systemTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = systemTmp;
  rmSync(work, { recursive: true, force: true });
});
const triggers = () => readdirSync(work).filter((f) => f.startsWith('monc-watch-'));

it('makes no trigger when every watched path exists', () => {
  const present = join(work, 'present.json');
  writeFileSync(present, '{}');
  const before = triggers();
  const missing = new MissingPaths();
  expect(missing.follow([present])).toBe(false);
  expect(triggers()).toEqual(before);
  expect(missing.follow([present, join(work, 'absent.json')])).toBe(true);
  const trigger = missing.trigger();
  expect(existsSync(trigger)).toBe(true);
  missing.close();
  expect(existsSync(dirname(trigger))).toBe(false);
});

/** The class bundled for node, and a script that follows a missing path as a watch does, printing the trigger's path. */
async function watchScript(): Promise<string> {
  const lib = join(work, 'missing-paths.mjs');
  await esbuild.build({ entryPoints: [join(import.meta.dirname, '../../src/plugin/missing-paths.ts')], bundle: true, platform: 'node', format: 'esm', outfile: lib, logLevel: 'silent' });
  const script = join(work, 'watch.mjs');
  // With `bundler`, a handler of the bundler's is there first, acting as Rollup's signal-exit does: only while its handler
  // is the only one, then closing the watch (closeWatcher) and exiting.
  writeFileSync(
    script,
    `import { MissingPaths } from './missing-paths.mjs';
const m = new MissingPaths();
if (process.argv[3] === 'bundler') for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => { if (process.listenerCount(s) === 1) { m.close(); process.exit(130); } });
m.follow([process.argv[2]]);
console.log(m.trigger());
setInterval(() => {}, 1000);
`,
  );
  return script;
}

/** Runs the script (`bundler`: with the bundler's handler), sends `signal` once the trigger exists; how it ended, and the trigger. */
async function endBy(signal: NodeJS.Signals, bundler: boolean): Promise<{ ended: [number | null, string | null]; trigger: string }> {
  const script = await watchScript();
  const child = spawn(process.execPath, [script, join(work, 'db', 'tuning.json'), ...(bundler ? ['bundler'] : [])], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TMPDIR: work } });
  const trigger = await new Promise<string>((ok) => child.stdout.once('data', (d: Buffer) => ok(d.toString().trim())));
  expect(existsSync(trigger)).toBe(true);
  expect(dirname(dirname(trigger))).toBe(work);
  const ended = new Promise<[number | null, string | null]>((ok) => child.once('exit', (code, by) => ok([code, by])));
  child.kill(signal);
  const timeout = setTimeout(() => child.kill('SIGKILL'), 10_000);
  try {
    return { ended: await ended, trigger };
  } finally {
    clearTimeout(timeout);
  }
}

it.each(['SIGINT', 'SIGTERM'] as const)('%s while a path is followed and nothing else handles it (vite build --watch): the folder is removed, the process ends by the signal', async (signal) => {
  const { ended, trigger } = await endBy(signal, false);
  expect(ended).toEqual([null, signal]);
  expect(existsSync(dirname(trigger))).toBe(false);
}, 30_000);

// REV s21 1: a handler of ours beside Rollup's signal-exit kept `rollup -w` running through Ctrl-C and SIGTERM.
it.each(['SIGINT', 'SIGTERM'] as const)("%s where the bundler handles it (rollup -w): its handler ends the watch, which removes the folder", async (signal) => {
  const { ended, trigger } = await endBy(signal, true);
  expect(ended).toEqual([130, null]);
  expect(existsSync(dirname(trigger))).toBe(false);
}, 30_000);
