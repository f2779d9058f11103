/**
 * ks-dvec (δ-vectorised strided factor) against the float64 op reference on SwiftShader, and
 * the applicability rules of ks-sgmat (tensor cores: its kernels need shader-f16 and the
 * subgroup-matrix feature, which SwiftShader lacks, so they are checked on the GPU by
 * bench/monarch-goal.ts). Tolerance: SPEC §6 f32, relative Frobenius error 1e-5.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksDvec } from '../../src/codegen/wgsl/fast/ks-dvec.js';
import { ksSgmat, SUBGROUP_MATRIX_FEATURE } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import { candidates as allCandidates } from '../../src/codegen/wgsl/families.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import { defaultAndSample, LIMITS, opError, sample, TOL } from './support.js';

describe('ks-dvec', () => {
  const cases: [string, OpsCase, number][] = [
    ['monarch 64 op1 (d = 8)', monarchCase(64, 64, 8), 9],
    ['monarch 256 op1 (d = 16)', monarchCase(256, 256, 16), 5],
    ['rectangular monarch 48 -> 96 op1 (d = 4)', monarchCase(48, 96, 4), 3],
  ];
  for (const [name, c, batch] of cases) {
    it(`${name}: default and sampled candidates match the reference`, async () => {
      const op = c.ops[1];
      const schedules = defaultAndSample(ksDvec.defaultSchedule(op, LIMITS), ksDvec.candidates(op, LIMITS), 4);
      for (const s of schedules) expect(await opError(ksDvec, c, 1, s, batch), JSON.stringify(s)).toBeLessThan(TOL);
    });
  }

  it('accumulates and adds the bias at the logical output index (a > 1)', async () => {
    const op = ks(2, 8, 4, 8, 'x', 'y', 'w', { accumulate: true, bias: { tensor: 'b', offset: 0, length: 128 } });
    const c: OpsCase = {
      name: 'bias',
      ops: [op],
      params: [{ name: 'w', shape: [16, 8, 4], offset: 0 }, { name: 'b', shape: [128], offset: 512 }],
      paramSize: 640,
      buffers: [{ name: 'x', size: 64 }, { name: 'y', size: 128 }],
      in: 64,
      out: 128,
      flopsPerRow: 0,
    };
    const all = ksDvec.candidates(op, LIMITS);
    expect(all.length).toBeGreaterThan(0);
    for (const s of sample(all, 3)) expect(await opError(ksDvec, c, 0, s, 7), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('offers no form past half the register file in accumulators on Hopper (512 invocations of 32 vec4s spilled: 2.5-5.8 ms against 0.49-0.86)', () => {
    const HOPPER: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };
    for (const n of [4096, 16384]) {
      const op = monarchCase(n, n, Math.sqrt(n)).ops[1];
      const all = ksDvec.candidates(op, HOPPER);
      const accumulatorFloats = (s: (typeof all)[number]) => (s.dtile / 4) * (s.rows / s.rr) * (s.cols / s.rb) * s.rr * s.rb * 4;
      expect(all.length, `n = ${n}`).toBeGreaterThan(0);
      expect(Math.max(...all.map(accumulatorFloats)), `n = ${n}`).toBe(32768);
      // Session 30 call A's two slowest (H100): 64 x 64 x 16 δ and 128 x 64 x 8 δ, 512 invocations of rr 4 x rb 8.
      expect(all).not.toContainEqual({ family: 'ks-dvec', rows: 64, cols: 64, dtile: 16, tk: 4, rr: 4, rb: 8 });
      expect(all).not.toContainEqual({ family: 'ks-dvec', rows: 128, cols: 64, dtile: 8, tk: 8, rr: 4, rb: 8 });
      expect(all).toContainEqual(ksDvec.defaultSchedule(op, HOPPER));
    }
  });

  it('does not apply to block-diagonal factors (d = 1) nor to permuted maps', () => {
    const [op0, op1] = monarchCase(64, 64, 8).ops;
    expect(ksDvec.candidates(op0, LIMITS)).toEqual([]);
    expect(ksDvec.candidates({ ...op1, output: { size: 64, steps: [{ shape: [8, 8], perm: [1, 0] }] } }, LIMITS)).toEqual([]);
  });
});

describe('ks-sgmat applicability', () => {
  const GPU: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', SUBGROUP_MATRIX_FEATURE] };
  const [op0, op1] = monarchCase(4096, 4096, 64).ops;

  it('has no candidates without shader-f16 and subgroup matrices (the op falls back)', () => {
    expect(ksSgmat.candidates(op0, { ...GPU, features: ['shader-f16'] })).toEqual([]);
    expect(allCandidates(op0, { ...GPU, features: [] }).some((s) => s.family === 'ks-sgmat')).toBe(false);
  });

  it('offers schedules within the limits for both Monarch factors, and needs f16 storage', () => {
    for (const op of [op0, op1]) {
      const all = ksSgmat.candidates(op, GPU);
      expect(all.length).toBeGreaterThan(0);
      expect(all).toContainEqual(ksSgmat.defaultSchedule(op, GPU));
      const c = monarchCase(4096, 4096, 64);
      const k = ksSgmat.emit(op, ksSgmat.defaultSchedule(op, GPU), contextFor(c, 'k', 0, 'f16'));
      expect(k.enables).toEqual(['f16', 'chromium_experimental_subgroup_matrix']);
      expect(k.workgroupSize[0] % 32).toBe(0);
      expect(() => ksSgmat.emit(op, all[0], contextFor(c, 'k', 0, 'f32'))).toThrow(/f16/);
    }
  });

  it('rejects shapes that are not multiples of the 16x16 tile', () => {
    expect(ksSgmat.candidates(ks(4, 24, 16, 1, 'x', 'y', 'w'), GPU)).toEqual([]);
  });
});
