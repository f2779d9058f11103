/**
 * Ctrl-C or SIGTERM while monc writes a file (a process of its own, as `monc init` of a large map
 * is): the write finishes, whole, and then the process ends as the signal says (killed by it, so
 * the shell sees 130 / 143); no hidden `.monc-….tmp` is left behind, where the signal's default
 * action used to kill the process mid-write and leave one per interruption.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { transpileForNode } from '../support/transpile-for-node.js';

const dir = mkdtempSync(join(tmpdir(), 'monc-write-signal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lib = transpileForNode(join(dir, 'lib'), 'src/node/files/write-outputs.ts');
// 64 MiB: long enough (about a second here) that the signal lands while it is written.
const BYTES = 64 * 1024 * 1024;
writeFileSync(
  join(lib, 'write.mjs'),
  // The process stays up after the write (as a command with more to do would: a minute), so a signal
  // that lands only after the write still ends it by the signal instead of racing its exit (a quiet
  // machine wrote the 64 MiB before a signal sent 50 ms after 'writing' arrived, and exited 0).
  `import { writeOutput } from './src/node/files/write-outputs.js';\nconst data = new Uint8Array(${BYTES}).fill(7);\nprocess.stdout.write('writing\\n');\nwriteOutput(process.argv[2], data);\nsetTimeout(() => {}, 60_000);\n`,
);

/** Runs the writer, sends `signal` once it says it is writing; resolves with how it ended. */
function interrupted(out: string, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(lib, 'write.mjs'), out], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', () => setTimeout(() => child.kill(signal), 50));
    child.on('exit', (code, got) => resolve({ code, signal: got }));
  });
}

describe('a signal during a write', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    it(`${signal}: the file is written whole, nothing is left behind, and the process ends by the signal`, async () => {
      const out = join(dir, `${signal}.bin`);
      writeFileSync(out, 'OLD');
      const ended = await interrupted(out, signal);
      expect(ended).toEqual({ code: null, signal });
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      const written = readFileSync(out);
      expect(written.length).toBe(BYTES);
      expect(written.every((b) => b === 7)).toBe(true);
    });
});
