/**
 * A spec's warnings reach `--json` (QA E2): a successful command's object carries them as
 * `diagnostics`, in the shape a failing command's `error.diagnostics` has (code, severity,
 * message, file, line, column), beside its own fields; they still go to stderr as text. A spec
 * without warnings gets no `diagnostics` key.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliJson, scratchDir } from './helpers.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());

// lowrank(rank: 8) on 8 -> 8: W0501 at line 1, column 32 (the rank).
const WARNED = scratch.path('w.mon');
writeFileSync(WARNED, 'map f : 8 -> 8 = lowrank(rank: 8)\n');
const CLEAN = scratch.path('c.mon');
writeFileSync(CLEAN, 'map f : 8 -> 8 = lowrank(rank: 2)\n');

const W0501 = { code: 'W0501', severity: 'warning', file: WARNED, line: 1, column: 32, message: expect.stringContaining('not more efficient than dense()') };

describe('--json carries the spec warnings of a successful command', () => {
  for (const [name, args] of [
    ['check', ['check', WARNED]],
    ['build', ['build', WARNED, '--out', scratch.path('gen')]],
    ['init', ['init', WARNED, '--map', 'f', '--out', scratch.path('p.safetensors')]],
  ] as const)
    it(name, async () => {
      const object = await cliJson(args);
      expect(object.diagnostics).toEqual([W0501]);
      expect(object.error).toBeUndefined();
      // Still on stderr, as text.
      expect((await cli(args)).stderr).toMatch(/warning: .*\[W0501\]/);
    });

  it('no warnings: no diagnostics key', async () => {
    expect(await cliJson(['check', CLEAN])).not.toHaveProperty('diagnostics');
  });

  it('the same shape as a failure\'s error.diagnostics', async () => {
    const bad = scratch.path('bad.mon');
    writeFileSync(bad, 'map f : 8 -> 8 = lowrank(rank: 8) + nothing()\n');
    const failed = await cli(['check', bad, '--json']);
    expect(failed.code).toBe(1);
    const [first] = JSON.parse(failed.stdout).error.diagnostics;
    expect(Object.keys(first).sort()).toEqual(Object.keys(W0501).sort());
  });
});
