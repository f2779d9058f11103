import { test as fcTest, fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { f16ArrayToF32, f16BitsToF32, f32ArrayToF16, f32ToF16Bits } from '../../src/runtime/formats/f16.js';

describe('f16', () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest half
    [65519.99, 0x7bff], // just below the midpoint to infinity
    [65520, 0x7c00], // the midpoint: ties to even (0x7bff is odd) -> inf
    [1e9, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // tie between 0 and 2^-24: even is 0
    [2 ** -25 * 1.0001, 0x0001],
    [3 * 2 ** -25, 0x0002], // tie between 1 and 2 units: even is 2
    [2 ** -14 - 2 ** -25, 0x0400], // tie between the largest subnormal and the smallest normal
    [1 + 2 ** -11, 0x3c00], // tie: rounds down to even
    [1 + 3 * 2 ** -11, 0x3c02], // tie: rounds up to even
    [1 + 2 ** -11 + 2 ** -20, 0x3c01],
    [0, 0x0000],
    [-0, 0x8000],
    [1e-30, 0x0000],
  ])('rounds %s to half bits %i', (value, bits) => {
    expect(f32ToF16Bits(value)).toBe(bits);
  });

  it('keeps NaN a quiet NaN', () => {
    expect(f32ToF16Bits(NaN) & 0x7e00).toBe(0x7e00);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
    expect(f16BitsToF32(0x7c01)).toBeNaN();
  });

  it('decodes every half exactly and re-encodes it to the same bits', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const v = f16BitsToF32(h);
      if (Number.isNaN(v)) continue;
      if (Math.fround(v) !== v || f32ToF16Bits(v) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  fcTest.prop([fc.float({ noNaN: true, min: -65504, max: 65504 })])('picks the nearest half, ties to even', (x) => {
    const h = f32ToF16Bits(x);
    const v = f16BitsToF32(h);
    const err = Math.abs(x - v);
    // Neighbours along the number line: one unit up and down in magnitude (same sign).
    for (const n of [h + 1, h - 1]) {
      if ((n & 0x7fff) > 0x7bff || (n & 0x8000) !== (h & 0x8000) || n < 0) continue;
      const other = Math.abs(x - f16BitsToF32(n));
      expect(err).toBeLessThanOrEqual(other);
      if (err === other) expect(h & 1).toBe(0);
    }
    if (x !== 0) expect(Math.sign(v) === 0 || Math.sign(v) === Math.sign(x)).toBe(true);
  });

  it('converts arrays both ways', () => {
    const values = new Float32Array([0, 1, -1.5, 1023.5, 2 ** -20]);
    const bits = f32ArrayToF16(values);
    expect(bits).toBeInstanceOf(Uint16Array);
    expect([...f16ArrayToF32(bits)]).toEqual([0, 1, -1.5, 1023.5, 2 ** -20]);
  });
});
