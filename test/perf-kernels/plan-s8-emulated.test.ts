/**
 * bench/plan-s8.json's tensor-core entries at their real shapes through the subgroup-matrix
 * emulation on SwiftShader, against the float64 reference, before GPU time is spent on them (the
 * device call checks every entry again before timing it), at a batch off the row tile.
 * Tolerance: 3e-3 (SPEC §6 f16; the emulated kernel keeps its f16 workgroup arrays in f16).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { monarchOfSize } from '../../bench/goal-families.js';
import { isAmong } from '../../src/codegen/wgsl/family.js';
import { ksSgmatStrided, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import type { KsOp } from '../../src/ir/ir.js';
import { EMULATED, emulatedError } from './sgmat-strided-support.js';
import { TOL_F16 } from './support.js';

const plan = JSON.parse(readFileSync(new URL('../../bench/plan-s8.json', import.meta.url), 'utf8')) as Record<string, KsSgmatStridedSchedule[]>;

/**
 * One entry per group where the emulation can hold it (SwiftShader compiles an emulated kernel of
 * these shapes in 10-30 s of CPU, so one each): H1's two δ per workgroup (scalar δ staging, four
 * workgroups per SM by the model), H2's n=16384 form (c = 128: 8 resident W fragments of 32 β) and
 * H6's epilogue in one round of 4 tiles per subgroup.
 */
const CASES: readonly [string, KsSgmatStridedSchedule][] = [
  ['4096/f16/op1', { family: 'ks-sgmat-strided', dtile: 2, cols: 64, sb: 16, mr: 1, chunks: 8, tk: 64, wres: true }],
  ['16384/f16/op1', { family: 'ks-sgmat-strided', dtile: 2, cols: 128, sb: 32, mr: 1, chunks: 8, tk: 128, wres: true }],
  ['4096/f16/op1', { family: 'ks-sgmat-strided', dtile: 2, cols: 64, sb: 32, mr: 2, chunks: 8, tk: 64, wres: true, et: 4 }],
];

describe('plan-s8 strided tensor-core entries, emulated at their shapes', () => {
  for (const [key, s] of CASES)
    it(`${key} ${JSON.stringify(s)} (batch 37)`, async () => {
      const c = monarchOfSize(key.split('/')[0]);
      expect(plan[key]).toContainEqual(s);
      expect(isAmong(s, ksSgmatStrided.candidates(c.ops[1] as KsOp, EMULATED))).toBe(true);
      expect(await emulatedError(c, s, 37)).toBeLessThan(TOL_F16);
    });
});
