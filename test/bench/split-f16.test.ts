/**
 * bench/split-f16.ts (the f32-via-f16-halves probe of session 31) on SwiftShader through the subgroup-matrix emulation
 * with its f16 workgroup arrays kept f16 (packWorkgroupF16: the staged halves are rounded as on the GPU), against
 * float64. On the bench's well-ranged data (KernelCheck: x uniform in [-1, 1], W in [-0.5, 0.5]) every three-product
 * form is within SPEC §6's f32 tolerance 1e-5, and the one-product form (xh·wh) is not (f16 accuracy: it is the
 * probe's time floor, never a result). On data beyond f16's range (|x| near 2^20) and below its normal range (near
 * 2^-30) the per-row scale keeps f32 accuracy (in one chunk and in chunks), where the unscaled split loses it; with rows of both magnitudes in one
 * tile the per-tile scale loses the small rows, the per-row one does not.
 */
import { describe, expect, it } from 'vitest';
import { monarchCase } from '../../bench/cases.js';
import { nodeGpu } from '../../bench/node-gpu.js';
import { splitF16Kernel, type SplitF16Schedule } from '../../bench/split-f16.js';
import { contextFor } from '../../bench/cases.js';
import type { EmittedKernel } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { encodeDispatch, prepareKernel } from '../../src/tuner/dispatch.js';
import { readRows } from '../../src/tuner/kernel-check.js';
import { emulateSubgroupMatrixKernel } from '../support/sgmat-emulation.js';
import { kernelError, TOL, TOL_F16 } from '../perf-kernels/support.js';
import { rng } from '../support/programs.js';

// K(16, 64, 64, 1): the first factor of Monarch n = 1024 with 16 blocks (c = 64, as at n = 4096).
const c = monarchCase(1024, 1024, 16);
const op = c.ops[0];
const base: SplitF16Schedule = { family: 'split-f16-probe', rows: 16, cols: 16, sg: 2, sgc: 2, tk: 16, pad: 8, terms: 3, scale: 'none' };
const whole: SplitF16Schedule = { ...base, tk: 64 };

const emulated = (s: SplitF16Schedule) => (ctx: Parameters<typeof splitF16Kernel>[2]) => emulateSubgroupMatrixKernel(splitF16Kernel(op, s, ctx), { packWorkgroupF16: true });

describe('split-f16 probe, WGSL', () => {
  // On the H100 (session 31 call 1) the hi part unpack2x16float(pack2x16float(v)) left lo at zero (every three-product
  // form had the one-product error): a driver folds such round trips, which the emulation cannot show.
  it('rounds the hi part by integer operations on the bits, never an f16 round trip a driver may fold', () => {
    const k = splitF16Kernel(op, base, contextFor(c, 'k', 0, 'f32'));
    expect(k.wgsl).toContain('bitcast<vec4<f32>>((bitcast<vec4<u32>>(sv) + vec4<u32>(0x1000u)) & vec4<u32>(0xffffe000u))');
    expect(k.wgsl).not.toMatch(/pack2x16float|f32\(f16\(|vec4<f32>\(vec4<f16>/);
  });
});

describe('split-f16 probe, emulated, on well-ranged data', () => {
  // 2 x 2 subgroups of 16 x 16; 1 x 2 of 64 x 32 and of 32 x 32 (several left and right tiles a subgroup, as the
  // timed 64 x 32 and 32 x 32 tiles: 4 x 2 and 2 x 2 result tiles).
  it.each([
    ['chunks of 16, unscaled, 2 x 2 of 16 x 16', base],
    ['chunks of 16, unscaled, 1 x 2 of 64 x 32', { ...base, rows: 64, cols: 32, sg: 1, sgc: 2 }],
    ['one chunk, unscaled', whole],
    ['one chunk, per tile', { ...whole, scale: 'tile' }],
    ['one chunk, per row, 1 x 2 of 32 x 32', { ...whole, rows: 32, cols: 32, sg: 1, sgc: 2, scale: 'row' }],
    ['chunks of 16, per row (pre-scan), 1 x 2 of 32 x 32', { ...base, rows: 32, cols: 32, sg: 1, sgc: 2, scale: 'row' }],
  ] as const)('%s: within the f32 tolerance at 37 and 64 rows', async (_name, s) => {
    for (const batch of [37, 64]) expect(await kernelError(c, 0, 1, emulated(s), batch, 'f32')).toBeLessThan(TOL);
  });

  it('one product (xh·wh) has f16 accuracy, not f32', async () => {
    const err = await kernelError(c, 0, 1, emulated({ ...base, terms: 1 }), 37, 'f32');
    expect(err).toBeGreaterThan(10 * TOL);
    expect(err).toBeLessThan(TOL_F16);
  });
});

/** The kernel run on x (batch rows) and W of the op, its output rows as f32. */
async function run(kernel: EmittedKernel, x: Float32Array<ArrayBuffer>, w: Float32Array<ArrayBuffer>, batch: number): Promise<Float32Array> {
  const { device } = await nodeGpu();
  const mk = (data: Float32Array<ArrayBuffer> | number) => {
    const size = typeof data === 'number' ? data : data.length;
    const buf = device.createBuffer({ size: Math.ceil((4 * size) / 16) * 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    if (typeof data !== 'number') device.queue.writeBuffer(buf, 0, data);
    return buf;
  };
  const params = mk(w);
  const src = mk(x);
  const dst = mk(batch * op.a * op.b);
  try {
    const d = await prepareKernel(device, kernel, { params, src, dst }, batch);
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    encodeDispatch(pass, d);
    pass.end();
    device.queue.submit([enc.finish()]);
    return await readRows(device, dst, Array.from({ length: batch }, (_, r) => r), op.a * op.b, 'f32');
  } finally {
    for (const b of [params, src, dst]) b.destroy();
  }
}

/** The float64 product of K(a, b, c, 1): out[r, α·b + β] = Σ_γ W[α, β, γ] · x[r, α·c + γ]. */
function reference(x: Float32Array, w: Float32Array, batch: number): Float64Array {
  const { a, b, c: k } = op as KsOp;
  const out = new Float64Array(batch * a * b);
  for (let r = 0; r < batch; r++)
    for (let al = 0; al < a; al++)
      for (let be = 0; be < b; be++) {
        let s = 0;
        for (let g = 0; g < k; g++) s += w[(al * b + be) * k + g] * x[r * a * k + al * k + g];
        out[r * a * b + al * b + be] = s;
      }
  return out;
}

/** The largest relative error of one row (its Frobenius norm): small rows count as much as large ones. */
function worstRowError(got: Float32Array, want: Float64Array, batch: number): number {
  const size = want.length / batch;
  let worst = 0;
  for (let r = 0; r < batch; r++) {
    let e = 0;
    let n = 0;
    for (let i = r * size; i < (r + 1) * size; i++) {
      e += (got[i] - want[i]) ** 2;
      n += want[i] ** 2;
    }
    worst = Math.max(worst, Number.isFinite(e) ? Math.sqrt(e / n) : Infinity);
  }
  return worst;
}

describe('split-f16 probe, emulated, beyond f16 range', () => {
  const batch = 32;
  const random = rng(7);
  const uniform = (count: number, scale: (i: number) => number) => Float32Array.from({ length: count }, (_, i) => (2 * random() - 1) * scale(i));
  const w = uniform(c.paramSize, () => 0.5);
  const rowOf = (i: number) => Math.floor(i / 1024);
  const cases = [
    ['|x| near 2^20 (xh overflows f16)', uniform(batch * 1024, () => 2 ** 20)],
    ['|x| near 2^-30 (xl below f16 normals)', uniform(batch * 1024, () => 2 ** -30)],
    ['rows of 2^10 and 2^-20 alternating', uniform(batch * 1024, (i) => (rowOf(i) % 2 === 0 ? 2 ** 10 : 2 ** -20))],
  ] as const;

  it.each(cases)('per-row scale: every row within the f32 tolerance, %s', async (_name, x) => {
    // In one chunk (the maxima from its loads) and in chunks of 16 (from the pre-scan).
    for (const s of [whole, base]) {
      const got = await run(emulated({ ...s, scale: 'row' })(contextFor(c, 'k', 0, 'f32')), x, w, batch);
      expect(worstRowError(got, reference(x, w, batch), batch)).toBeLessThan(TOL);
    }
  });

  it('unscaled: the small values lose f32 accuracy', async () => {
    const x = cases[1][1];
    const got = await run(emulated(whole)(contextFor(c, 'k', 0, 'f32')), x, w, batch);
    expect(worstRowError(got, reference(x, w, batch), batch)).toBeGreaterThan(100 * TOL);
  });

  it('per-tile scale: the small rows of a tile with large ones lose f32 accuracy', async () => {
    const x = cases[2][1];
    const got = await run(emulated({ ...whole, scale: 'tile' })(contextFor(c, 'k', 0, 'f32')), x, w, batch);
    expect(worstRowError(got, reference(x, w, batch), batch)).toBeGreaterThan(100 * TOL);
  });
});
