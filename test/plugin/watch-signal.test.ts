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

it.each(['SIGINT', 'SIGTERM'] as const)('%s while a path is followed: the trigger folder is removed and the process ends by the signal', async (signal) => {
  // The class as a process running a watch has it (the source bundled for node).
  const lib = join(work, 'missing-paths.mjs');
  await esbuild.build({ entryPoints: [join(import.meta.dirname, '../../src/plugin/missing-paths.ts')], bundle: true, platform: 'node', format: 'esm', outfile: lib, logLevel: 'silent' });
  const script = join(work, 'watch.mjs');
  writeFileSync(script, `import { MissingPaths } from './missing-paths.mjs';\nconst m = new MissingPaths();\nm.follow([process.argv[2]]);\nconsole.log(m.trigger());\nsetInterval(() => {}, 1000);\n`);
  const child = spawn(process.execPath, [script, join(work, 'db', 'tuning.json')], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TMPDIR: work } });
  const trigger = await new Promise<string>((ok) => child.stdout.once('data', (d: Buffer) => ok(d.toString().trim())));
  expect(existsSync(trigger)).toBe(true);
  expect(dirname(dirname(trigger))).toBe(work);
  const ended = new Promise<[number | null, string | null]>((ok) => child.once('exit', (code, by) => ok([code, by])));
  child.kill(signal);
  expect(await ended).toEqual([null, signal]);
  expect(existsSync(dirname(trigger))).toBe(false);
}, 30_000);
