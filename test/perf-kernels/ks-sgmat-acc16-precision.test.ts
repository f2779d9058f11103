/**
 * What ks-sgmat's `acc16` (f16 result matrices) costs in accuracy, estimated on the CPU: the
 * subgroup-matrix emulation computes f16 matrices in f32, so it proves acc16's indexing but not
 * its rounding. Modelled here: f16 inputs (x and W, as f16 storage holds them), each 16-deep
 * multiply's products summed exactly and added to the f16 accumulator with one rounding (the
 * f16 x f16 -> f16 multiply-accumulate), the result stored as f16; against float64 of the same
 * f16 inputs, relative Frobenius error, at Monarch's first-factor depths c = 64 (n = 4096),
 * 256 (1024 -> 4096) and 1024 (4096 -> 1024). Beside it the f32 accumulator (one rounding, of
 * the stored result) and a truncating f16 accumulator (what a GPU that does not round to
 * nearest would give): the tuner's float64 check of each candidate decides on the GPU itself.
 */
import { describe, expect, it } from 'vitest';
import { f16BitsToF32, f32ToF16Bits } from '../../src/runtime/formats/f16.js';
import { PRECISION_TOLERANCE } from '../../src/util/precision.js';
import { rng } from '../support/programs.js';

const f16 = (v: number) => f16BitsToF32(f32ToF16Bits(v));
/** v rounded to f16 toward zero (an accumulator that truncates). */
function f16TowardZero(v: number): number {
  const h = f32ToF16Bits(v);
  return Math.abs(f16BitsToF32(h)) > Math.abs(v) ? f16BitsToF32(h - 1) : f16BitsToF32(h);
}

type Accumulator = 'f32' | 'f16' | 'f16-truncating';

/** Relative Frobenius error of `rows` x `cols` outputs of depth `depth` accumulated as `acc`. */
function relativeError(depth: number, acc: Accumulator, rows = 64, cols = 32, seed = 7): number {
  const random = rng(seed + depth);
  const x = Float64Array.from({ length: rows * depth }, () => f16(random() * 2 - 1));
  const w = Float64Array.from({ length: cols * depth }, () => f16(random() * 2 - 1));
  const round = acc === 'f16' ? f16 : acc === 'f16-truncating' ? f16TowardZero : Math.fround;
  let err = 0;
  let ref = 0;
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < cols; o++) {
      let exact = 0;
      let sum = 0;
      for (let k0 = 0; k0 < depth; k0 += 16) {
        let block = 0;
        for (let k = k0; k < k0 + 16; k++) block += x[r * depth + k] * w[o * depth + k];
        exact += block;
        sum = round(sum + block);
      }
      const stored = f16(sum);
      err += (stored - exact) ** 2;
      ref += exact ** 2;
    }
  return Math.sqrt(err / ref);
}

describe('acc16 accuracy, estimated on the CPU (f16 inputs, float64 reference of them)', () => {
  const depths = [64, 256, 1024];
  const table = depths.map((c) => ({ c, f32: relativeError(c, 'f32'), f16: relativeError(c, 'f16'), truncating: relativeError(c, 'f16-truncating') }));

  it('rounding to nearest stays within the f16 contract at every first-factor depth', () => {
    console.log(table.map((t) => `c=${t.c}: f32 acc ${t.f32.toExponential(2)}, f16 acc ${t.f16.toExponential(2)}, f16 truncating ${t.truncating.toExponential(2)}`).join('\n'));
    for (const t of table) expect(t.f16, `c = ${t.c}`).toBeLessThan(PRECISION_TOLERANCE.f16);
  });

  it('costs more than the f32 accumulator, and more the deeper the sum', () => {
    for (const t of table) expect(t.f16, `c = ${t.c}`).toBeGreaterThan(t.f32);
    expect(table[2].f16).toBeGreaterThan(table[0].f16 * 1.5);
  });

  it('follows u·√((c/16 + 1)/6) within a factor of 2 (u = 2⁻¹¹; the f16 storage rounding on top)', () => {
    for (const t of table) {
      const model = Math.hypot(2 ** -11 * Math.sqrt((t.c / 16 + 1) / 6), t.f32);
      expect(t.f16 / model, `c = ${t.c}`).toBeGreaterThan(0.5);
      expect(t.f16 / model, `c = ${t.c}`).toBeLessThan(2);
    }
  });
});
