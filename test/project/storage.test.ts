/**
 * project(…, { storage }): the parameters come back as the storage holds them (f32, or f16 for an
 * f16 module), the reported error and `optimal` are those of the stored parameters, recomputed
 * here through the float64 reference, and a value the storage cannot hold is a ProjectionError.
 */
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { Structure } from '../../src/dsl/structure.js';
import { modelOfStructure } from '../../src/model/build.js';
import { ProjectionError } from '../../src/project/index.js';
import { modelDense } from '../../src/project/model-dense.js';
import { roundToStorage } from '../../src/project/storage.js';
import { f16BitsToF32, f32ToF16Bits } from '../../src/runtime/formats/f16.js';
import { bias, butterfly, chain, dense, denseOf, gaussianMatrix, lowrank, monarch, monarchOrder, project, randomParams, ref, relativeDistance, sum, transpose } from './structures.js';
import { PRECISION_TOLERANCE as TOLERANCE } from '../../src/util/precision.js';

describe('modelDense (the M the stored parameters are measured on) is the float64 reference M', () => {
  const cases: [string, Structure][] = [
    ['monarch 20 -> 30 nblocks 5', monarch(30, 20, 5)],
    ['lowrank 12x9 rank 2', lowrank(12, 9, 2)],
    ['butterfly radix 2 n 16', butterfly(16, 2)],
    ['monarch order 3', monarchOrder([2, 3, 2])],
    ['a sum with a bias and a tied term', sum([ref(monarch(16, 16, 4, 'up')), ref(monarch(16, 16, 4, 'up')), bias(16)])],
    ['transposes only', chain([transpose(3, 4), transpose(4, 3)])],
    ['a chain with transposes', chain([transpose(4, 6), dense(24, 24), transpose(6, 4)])],
  ];
  for (const [name, s] of cases)
    it(name, () => {
      const params = randomParams(s, 5);
      expect(relativeDistance(modelDense(modelOfStructure(s).body, params), denseOf(s, params))).toBeLessThanOrEqual(1e-12);
    });
});

describe('the result describes the parameters as stored', () => {
  for (const storage of ['f32', 'f16'] as const)
    fcTest.prop([fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 1000 })], { numRuns: 15 })(
      `${storage}: a W in the structure (rectangular Monarch) stays optimal within ${TOLERANCE[storage]}, its error recomputed from the stored values`,
      (k, pb, sb, seed) => {
        const s = monarch(k * sb, k * pb, k);
        const w = denseOf(s, randomParams(s, seed));
        const result = project(s, w, { storage });
        for (const values of result.params.values()) for (const v of values) expect(roundToStorage(v, storage)).toBe(v);
        const recomputed = relativeDistance(denseOf(s, result.params), w);
        expect(Math.abs(result.relativeError - recomputed)).toBeLessThanOrEqual(1e-9);
        expect(result.relativeError).toBeLessThanOrEqual(TOLERANCE[storage]);
        expect(result.optimal).toBe(true);
      },
    );

  it('f16 rounding is the safetensors writer\'s (double rounding through f32, ties to even)', () => {
    for (const v of [1 / 3, 65519.9, 1e-9, 3e-8, -2.0009765625, 1 + 2 ** -11 + 2 ** -30]) expect(roundToStorage(v, 'f16')).toBe(f16BitsToF32(f32ToF16Bits(v)));
  });

  it('parameters flushed to zero in f16 give the error of M = 0 (1), not claimed optimal', () => {
    const w = new Float64Array(12).fill(Math.fround(1e-9)); // as a float32 .npy holds it
    const result = project(dense(3, 4), w, { storage: 'f16' });
    expect([...result.params.get('m.weight')!]).toEqual(new Array(12).fill(0));
    expect(result.relativeError).toBe(1);
    expect(result.optimal).toBe(false);
    expect(result.method).toContain('stored as f16, its relative error 0 became 1: not claimed optimal');
    // f32 holds them exactly: error 0, optimal.
    expect(project(dense(3, 4), w, { storage: 'f32' })).toMatchObject({ relativeError: 0, optimal: true });
  });

  // QA1 s23 Q202: W of entries near 1e-30 is projected as W·2^100, the factors scaled back by 2^-25 each, below f16's
  // smallest subnormal (2^-24): rounded, the butterfly's M was 2.5 times as far from W as zero is.
  it('a fit that is worse than zero once stored gives zero parameters (error 1), and says so', () => {
    const s = butterfly(16, 2);
    const w = gaussianMatrix(16, 16, 1).map((v) => v * 1e-30);
    const result = project(s, w, { storage: 'f16' });
    expect(result.relativeError).toBe(1);
    for (const values of result.params.values()) expect(values.every((v) => v === 0)).toBe(true);
    expect(result.optimal).toBe(false);
    expect(result.method).toMatch(/^zero \(the fit, hierarchical factorization .*, was worse stored as f16: its relative error 0\.\d+ became [1-9]/);
    // f32 holds the factors: the fit is kept.
    expect(project(s, w, { storage: 'f32' }).relativeError).toBeLessThan(1);
  });

  it('without storage the parameters are float64 and unrounded', () => {
    const result = project(lowrank(6, 5, 5), Float64Array.from({ length: 30 }, (_, i) => 1 / (i + 3)));
    expect([...result.params.values()].some((t) => t.some((v) => Math.fround(v) !== v))).toBe(true);
  });
});

describe('a value the storage cannot hold is a one-line ProjectionError', () => {
  function message(f: () => unknown): string {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(ProjectionError);
      expect((e as Error).message).not.toContain('\n');
      return (e as Error).message;
    }
    throw new Error('expected a ProjectionError');
  }

  it('beyond ±65504 in f16, naming the tensor and the element', () => {
    const w = new Float64Array(12).fill(1);
    w[6] = -1e5;
    expect(message(() => project(dense(3, 4), w, { storage: 'f16' }))).toBe(
      "the projected parameter tensor 'm.weight' holds -100000 at element (1, 2): beyond the f16 range ±65504 of this f16 module; scale W down",
    );
    expect(project(dense(3, 4), w, { storage: 'f32' }).relativeError).toBe(0);
  });

  it('beyond f32\'s range, from a float64 W', () => {
    const w = new Float64Array(12).fill(1e300);
    expect(message(() => project(dense(3, 4), w, { storage: 'f32' }))).toBe(
      "the projected parameter tensor 'm.weight' holds 1e+300 at element (0, 0): beyond the f32 range ±3.4e38; scale W down",
    );
  });
});
