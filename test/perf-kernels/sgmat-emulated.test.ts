/**
 * Tensor-core kernels run on SwiftShader through the subgroup-matrix emulation
 * (test/support/sgmat-emulation.ts), against the float64 op reference: ks-sgmat with 1, 4 and 8
 * δ per workgroup (8 and 16 are not offered: wrong on the H100) on small Monarch factors (square,
 * rectangular, batches off the row tile and 1), the session-6-form ks-sgmat-strided candidates of
 * a small strided factor (one and two row chunks: more chunks change only a loop bound) and a
 * spread of its staged-W and f16-result ones, and a corrupted kernel that must fail (the
 * emulation's own semantics: sgmat-emulation.test.ts).
 * Tolerance: relative Frobenius error 1e-5 (SPEC §6 f32) where the emulated kernel computes in
 * f32 throughout; 3e-3 (SPEC §6 f16) where its f16 workgroup arrays stay f16 (packed), which
 * rounds every staged value to f16. SwiftShader compiles an emulated kernel in 0.3-20 s of CPU
 * (growing with the kernel's unrolled staging), so the cases are few.
 */
import { describe, expect, it } from 'vitest';
import { monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksSgmat, SUBGROUP_MATRIX_FEATURE, type KsSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import { ksSgmatStrided } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { kernelError, sample, TOL, TOL_F16 } from './support.js';

const GPU: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', SUBGROUP_MATRIX_FEATURE] };

const sgmat = (rows: number, cols: number, dtile: number, tk: number): KsSgmatSchedule => ({ family: 'ks-sgmat', rows, cols, dtile, tk });

/** Relative error of op `index` of `c` by ks-sgmat with schedule `s`, emulated, at `batch` rows. */
function sgmatError(c: OpsCase, index: number, s: KsSgmatSchedule, batch: number): Promise<number> {
  return kernelError(c, index, 1, emulatedEmit((ctx) => ksSgmat.emit(c.ops[index] as KsOp, s, ctx)), batch, 'f32');
}

describe('ks-sgmat, emulated, against the float64 reference', () => {
  const square = monarchCase(256, 256, 16); // K(16, 16, 16, 1) then K(1, 16, 16, 16)
  const rect = monarchCase(256, 128, 8); // K(8, 16, 32, 1) then K(1, 16, 16, 8)

  it('offers 1 and 4 δ per workgroup only', () => {
    const dtiles = new Set(ksSgmat.candidates(square.ops[1] as KsOp, GPU).map((s) => s.dtile));
    expect([...dtiles].sort((a, b) => a - b)).toEqual([1, 4]);
  });

  const cases: [string, OpsCase, number, KsSgmatSchedule, number][] = [
    ['square first factor (d = 1), 32 rows x 16 β', square, 0, sgmat(32, 16, 1, 16), 33],
    ['rectangular first factor (c = 32, two γ chunks)', rect, 0, sgmat(16, 16, 1, 16), 1],
    ['rectangular strided factor, 1 δ, 32 rows', rect, 1, sgmat(32, 16, 1, 16), 40],
    ['square strided factor, 4 δ', square, 1, sgmat(16, 16, 4, 16), 33],
    // Several vec4 per δ run (dv) in each of several δ groups (delta0). 4 δ has one vec4 per run; 16 δ (all of this op's
    // δ: one group) indexes its runs as 8 δ does and was the dearest kernel here (27 s of CPU in s15's CI), so it is not run.
    ['square strided factor, 8 δ (not offered)', square, 1, sgmat(16, 16, 8, 16), 33],
  ];
  for (const [name, c, index, s, batch] of cases)
    it(`${name} (batch ${batch})`, async () => {
      expect(await sgmatError(c, index, s, batch), JSON.stringify(s)).toBeLessThan(TOL);
    });
});

describe('ks-sgmat-strided candidates on a small strided factor, emulated, against the float64 reference', () => {
  // SwiftShader's limits (256 invocations, 32 KiB), f16 workgroup arrays kept f16: SPEC §6 f16.
  const EMULATED: TargetLimits = { maxWorkgroupSize: 256, maxWorkgroupStorageBytes: 32768, features: GPU.features };
  const pairs = monarchCase(32, 32, 2); // K(2, 16, 16, 1) then K(1, 16, 16, 2)

  it('K(1, 16, 16, 2): the session-6 form at 1 and 2 row chunks, 2 of the staged-W ones, 2 of the f16-result ones (batch 19)', async () => {
    const op = pairs.ops[1] as KsOp;
    const all = ksSgmatStrided.candidates(op, EMULATED);
    // Session 6's form as stored (no staged W, f32 results; the epilogue-rounds knob et and the f16 results acc16 have
    // their own tests, ks-sgmat-strided-acc16's on this op too). W resident only since session 18 (W read in place left
    // the space where resident W fits): mr 1|2 x 1, 2, 4, 8 row chunks. The row-chunk count is only the bound of the
    // chunk loop and of its prefetch test (the WGSL of 2 and 8 chunks differs in nothing else): 1 (no next chunk) and
    // 2 (a next chunk; at 19 rows the batch ends in the second or, at mr 2, the first) prove what 4 and 8 would.
    const stored = all.filter((s) => !('wstage' in s) && !('et' in s) && !('acc16' in s));
    expect(stored.map((s) => `${s.mr}x${s.chunks}`)).toEqual(['1x1', '1x2', '1x4', '1x8', '2x1', '2x2', '2x4', '2x8']);
    const checked = [...stored.filter((s) => s.chunks <= 2), ...sample(all.filter((s) => 'wstage' in s), 2), ...sample(all.filter((s) => 'acc16' in s && !('wstage' in s)), 2)];
    for (const s of checked) {
      const err = await kernelError(pairs, 1, 1, emulatedEmit((ctx) => ksSgmatStrided.emit(op, s, ctx), { packWorkgroupF16: true }), 19, 'f32');
      expect(err, JSON.stringify(s)).toBeLessThan(TOL_F16);
    }
  }, 600_000); // 8 emulated kernels compiled by SwiftShader: 8-10x their quiet time at load ~23
});

describe('the subgroup-matrix emulation on a family kernel', () => {
  it('a corrupted ks-sgmat kernel (left tiles loaded transposed) fails the reference check', async () => {
    const c = monarchCase(256, 256, 16);
    const s = sgmat(16, 16, 1, 16);
    const broken = emulatedEmit((ctx) => {
      const k = ksSgmat.emit(c.ops[1] as KsOp, s, ctx);
      expect(k.wgsl).toContain('row_major>(&k_xs');
      return { ...k, wgsl: k.wgsl.replace('row_major>(&k_xs', 'col_major>(&k_xs') };
    });
    expect(await kernelError(c, 1, 1, broken, 17, 'f32')).toBeGreaterThan(0.1);
  });
});
