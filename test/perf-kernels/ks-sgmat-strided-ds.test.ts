/**
 * ks-sgmat-strided's `ds` knob (with `acc16`): a workgroup covers `dtile` δ, its runs along δ in
 * the source and destination (32 bytes at 16 δ, which the H200 reads as fast as whole rows, where
 * 16-byte runs read at less than half that speed: bench/results/HISTORY.md's session-9 table), with
 * dtile / ds subgroups per β group, each multiplying ds δ planes of the staged source. So long
 * runs no longer need one subgroup (and its resident W and accumulators) per δ. Results through
 * the subgroup-matrix emulation against float64 (f32 storage as the emulation requires).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksSgmatStrided, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import type { KsOp } from '../../src/ir/ir.js';
import { acc16, EMULATED, emulatedError, GOAL_SHAPES, H200, N4096, schedule, workgroupBytes } from './sgmat-strided-support.js';
import { sample, TOL_F16 } from './support.js';

const n4096 = N4096;
const shapes = GOAL_SHAPES;

describe('ks-sgmat-strided ds: several δ per subgroup', () => {
  const wide = monarchCase(256, 256, 8); // K(1, 32, 32, 8)
  const square = monarchCase(256, 256, 16); // K(1, 16, 16, 16)

  it('offers 2 or 4 δ per subgroup, with f16 or f32 results, at 8 δ per workgroup or more: fewer subgroups for the same runs along δ', () => {
    for (const [name, c] of shapes) {
      const all = ksSgmatStrided.candidates(c.ops[1] as KsOp, H200);
      if ((c.ops[1] as KsOp).d < 8) {
        expect(all.some((s) => s.ds !== undefined), name).toBe(false); // 4 δ at most: nothing to split
        continue;
      }
      const withDs = all.filter((s) => s.ds !== undefined);
      expect(withDs.length, name).toBeGreaterThan(0);
      for (const s of sample(withDs, 30)) {
        expect([2, 4].includes(Number(s.ds)) && s.dtile >= 8 && s.dtile % Number(s.ds) === 0, JSON.stringify(s)).toBe(true);
        const k = ksSgmatStrided.emit(c.ops[1] as KsOp, s, contextFor(c, 'k', 1, 'f16'));
        expect(k.workgroupSize[0], JSON.stringify(s)).toBe((32 * s.dtile * (s.cols / s.sb)) / Number(s.ds));
        expect(workgroupBytes(k.wgsl), JSON.stringify(s)).toBeLessThanOrEqual(H200.maxWorkgroupStorageBytes);
      }
    }
    // n = 4096: 16 δ (32-byte runs) with 8 subgroups of 2 δ × 32 β, W resident; W read in place
    // (8 subgroups of 2 δ × 64 β) no longer (session 18: sgmat-strided.test.ts).
    const n4096All = ksSgmatStrided.candidates(n4096.ops[1] as KsOp, H200);
    expect(n4096All).toContainEqual({ ...acc16({ dtile: 16, cols: 64, sb: 32, mr: 2, chunks: 8, tk: 16, wres: true }), ds: 2 });
    expect(n4096All).not.toContainEqual({ ...acc16({ dtile: 16, cols: 64, sb: 64, mr: 1, chunks: 4, tk: 32, wres: false }), ds: 2 });
    const s = { ...acc16({ dtile: 16, cols: 64, sb: 64, mr: 1, chunks: 4, tk: 32, wres: false }, 2), ds: 2 };
    expect(ksSgmatStrided.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });

  it('stores each δ of a subgroup in the slot a one-δ subgroup of that δ would use', () => {
    const s = { ...acc16({ dtile: 16, cols: 64, sb: 64, mr: 1, chunks: 4, tk: 32, wres: false }), ds: 2 };
    const k = ksSgmatStrided.emit(n4096.ops[1] as KsOp, s, contextFor(n4096, 'k', 1, 'f16'));
    expect(k.workgroupSize).toEqual([256, 1, 1]);
    expect(k.wgsl).toContain('let sd = sg % 8u;');
    expect(k.wgsl).toContain('let vslot = (sg / 8u) * 16u + sd;');
    expect(k.wgsl).toContain('subgroupMatrixStore<row_major>(&k_os, (vslot + 8u) * 272u, acc_1_0_3, 16u);');
    // the second δ's left tiles come from plane sd + 8, its W rows 8·b·c halves on
    expect(k.wgsl).toMatch(/let l1_0_0 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>\(&k_xs, \(sd \+ 8u\) \* \d+u, 40u\);/);
    expect(k.wgsl).toContain(`subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, col_major>(&k_params, wbase + ${32768 + 3 * 16 * 64}u, 64u)`);
  });

  const cases: [string, OpsCase, KsSgmatStridedSchedule, number][] = [
    ['d = 8, all 8 δ as 4 subgroups of 2, W resident, 2 tiles per round', wide, { ...acc16({ dtile: 8, cols: 32, sb: 32, mr: 1, chunks: 2, tk: 16, wres: true }, 2), ds: 2 }, 38],
    ['d = 16, all 16 δ as 4 subgroups of 4, W resident, 2 row chunks', square, { ...acc16({ dtile: 16, cols: 16, sb: 16, mr: 1, chunks: 2, tk: 16, wres: true }), ds: 4 }, 21],
  ];
  for (const [name, c, s, batch] of cases)
    it(`${name} (batch ${batch}), emulated, against float64`, async () => {
      expect(ksSgmatStrided.candidates(c.ops[1] as KsOp, EMULATED), name).toContainEqual(s);
      expect(await emulatedError(c, s, batch), JSON.stringify(s)).toBeLessThan(TOL_F16);
    });
});

describe('ks-sgmat-strided ds with f32 results (session 11)', () => {
  const wide = monarchCase(256, 256, 8); // K(1, 32, 32, 8)
  const f32ds = (s: Parameters<typeof schedule>[0], ds: number): KsSgmatStridedSchedule => ({ ...schedule(s), ds });

  it('offers them after the f16-result schedules and before pd, never as the default', () => {
    for (const [name, c] of shapes) {
      const op = c.ops[1] as KsOp;
      const all = ksSgmatStrided.candidates(op, H200);
      const f32 = all.filter((s) => s.ds !== undefined && s.acc16 === undefined && s.sw === undefined);
      expect(f32.length > 0, name).toBe(op.d >= 8);
      if (f32.length === 0) continue;
      const at = all.indexOf(f32[0]);
      expect(all.slice(at, at + f32.length), name).toEqual(f32);
      expect(all.slice(0, at).some((s) => s.pd !== undefined), name).toBe(false);
      expect(all.slice(at + f32.length).every((s) => s.sw === true || s.pd === 2 || s.db === true), name).toBe(true); // then their sw twins, then pd, then db
      expect(ksSgmatStrided.defaultSchedule(op, H200).ds, name).toBeUndefined();
    }
    // n = 4096: 16 δ (32-byte runs) × 32 β as 8 subgroups of 2 δ (256 invocations, f32 slots
    // for all 16 δ: 16 KiB), each with the resident W and the accumulators of session 10's best
    // (8 W fragments and 2 result tiles per δ). With every β (64) the f32 slots would need 33 KiB.
    const s = f32ds({ dtile: 16, cols: 32, sb: 32, mr: 1, chunks: 8, tk: 32, wres: true }, 2);
    expect(ksSgmatStrided.candidates(n4096.ops[1] as KsOp, H200)).toContainEqual(s);
    expect(ksSgmatStrided.candidates(n4096.ops[1] as KsOp, H200)).not.toContainEqual({ ...s, cols: 64 });
    const k = ksSgmatStrided.emit(n4096.ops[1] as KsOp, s, contextFor(n4096, 'k', 1, 'f16'));
    expect(k.workgroupSize).toEqual([256, 1, 1]);
    expect(k.wgsl).toContain('var<workgroup> k_os: array<f32,');
    expect(k.wgsl).toContain('subgroupMatrixStore<row_major>(&k_os, (vslot + 8u) * 264u, acc_1_0_1, 16u);');
    expect(k.wgsl).toContain('k_dst[at] = vec4<f16>(v);');
    expect(ksSgmatStrided.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });

  // 4 δ per subgroup with f32 slots: ks-sgmat-strided-swizzle.test.ts (with swizzled lanes).
  it('adds the bias and accumulates (d = 8, 2 δ per subgroup, 2 β groups), emulated, against float64', async () => {
    const op = wide.ops[1] as KsOp;
    const s = f32ds({ dtile: 8, cols: 32, sb: 16, mr: 1, chunks: 2, tk: 32, wres: true }, 2);
    const biased: KsOp = { ...op, accumulate: true, bias: { tensor: 'blkdiag2', offset: 0, length: 256 } };
    expect(ksSgmatStrided.candidates(biased, EMULATED)).toContainEqual(s);
    expect(await emulatedError(wide, s, 19, 1, biased)).toBeLessThan(TOL_F16);
  });
});
