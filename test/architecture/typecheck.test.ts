/**
 * The whole tree type-checks as `npm run typecheck` does (tsconfig.json: src, test, bench, scripts).
 * vitest strips types without checking them and the build checks src/ only, so type errors in test
 * files went unnoticed until someone ran the typecheck by hand (session 13: destroy-in-flight and
 * checked-exports). tsc runs in a process of its own: its heap stays out of the shared worker.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

it('tsc -p tsconfig.json --noEmit reports no error', () => {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--noEmit'], { cwd: root, encoding: 'utf8' });
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.status).toBe(0);
}, 300_000); // about 25 s of CPU; minutes on a loaded 2-core machine
