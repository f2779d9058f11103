/**
 * The reference VJP (SPEC §7) against two independent routes built only from the forward
 * reference: dx against DY·M with M from referenceDense, and every parameter gradient against
 * central differences of L(θ) = Σ DY ⊙ Y(θ) in float64. L is polynomial in θ of degree = the
 * number of uses of a tensor, so central differences are exact up to O(h²) of the tied terms
 * and rounding: a tight tolerance holds.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { paramsOf } from '../../src/dsl/params.js';
import type { Structure } from '../../src/dsl/structure.js';
import {
  bias, blockdiag, butterfly, chain, dense, ks, lowrank, monarch, monarchOrder, randomParams, randomStructure, randomValues, ref, relativeError, rng, sparse, sum, transpose,
  type Build, SMALL_SIZES,
} from '../ir/structures.js';
import { referenceApply, referenceBackward, referenceDense } from '../support/reference.js';

const TOLERANCE = 1e-7;

/** Σ DY ⊙ (X Mᵀ + b): the loss whose gradient the VJP is. */
function loss(s: Structure, params: Map<string, Float64Array>, x: Float64Array, dy: Float64Array, batch: number): number {
  const y = referenceApply(s, params, x, batch);
  return y.reduce((acc, v, i) => acc + v * dy[i], 0);
}

function centralDifference(s: Structure, params: Map<string, Float64Array>, name: string, x: Float64Array, dy: Float64Array, batch: number): Float64Array {
  const h = 1e-4;
  const t = params.get(name)!;
  return Float64Array.from(t, (v, i) => {
    t[i] = v + h;
    const up = loss(s, params, x, dy, batch);
    t[i] = v - h;
    const down = loss(s, params, x, dy, batch);
    t[i] = v;
    return (up - down) / (2 * h);
  });
}

/** dx = DY·M through the dense matrix of the forward reference. */
function denseVjp(s: Structure, params: Map<string, Float64Array>, dy: Float64Array, batch: number): Float64Array {
  const m = referenceDense(s, params);
  const dx = new Float64Array(batch * s.in);
  for (let row = 0; row < batch; row++)
    for (let i = 0; i < s.out; i++) for (let j = 0; j < s.in; j++) dx[row * s.in + j] += dy[row * s.out + i] * m[i * s.in + j];
  return dx;
}

function checkGradients(s: Structure, seed: number, batch: number): void {
  const random = rng(seed);
  const params = randomParams(s, random);
  const x = randomValues(random, batch * s.in);
  const dy = randomValues(random, batch * s.out);
  const { dx, grads } = referenceBackward(s, params, x, dy, batch);
  expect(relativeError(dx, denseVjp(s, params, dy, batch))).toBeLessThan(TOLERANCE);
  expect([...grads.keys()]).toEqual(paramsOf(s).map((p) => p.name));
  for (const p of paramsOf(s)) {
    const g = grads.get(p.name)!;
    expect(g.length).toBe(p.shape.reduce((a, b) => a * b, 1));
    const fd = centralDifference(s, params, p.name, x, dy, batch);
    expect(relativeError(g, fd), p.name).toBeLessThan(TOLERANCE);
  }
}

const tiedA = monarch(6, 6, 2)('a');
const tiedB = lowrank(6, 6, 2)('b');

const CASES: Record<string, Build> = {
  'dense, rectangular': dense(6, 10),
  ks: ks(2, 3, 4, 5),
  'blockdiag, rectangular': blockdiag(12, 8, 4),
  'transpose (input gradient only)': transpose(3, 5),
  'monarch square': monarch(16, 16, 4),
  'monarch n < m (q = r = p)': monarch(12, 18, 3),
  'monarch n > m (q = r = s)': monarch(18, 12, 3),
  'monarch order 3, radices [3, 4, 5]': monarchOrder([3, 4, 5]),
  'monarch order 2, radix 3': monarchOrder([3, 3]),
  'butterfly radix 2 increasing': butterfly(2, 3, 'increasing'),
  'butterfly radix 2 decreasing': butterfly(2, 3, 'decreasing'),
  'butterfly radix 3 increasing': butterfly(3, 2, 'increasing'),
  'butterfly radix 3 decreasing': butterfly(3, 2, 'decreasing'),
  'lowrank, rectangular': lowrank(10, 7, 3),
  sparse: sparse(8, 6, 2, 4, [[0, 0], [1, 1], [2, 0], [0, 1]]),
  'sum with bias': sum(monarch(12, 12, 3), bias(12)),
  'sum of lowrank, sparse and bias, rectangular': sum(lowrank(9, 6, 2), sparse(9, 6, 3, 3, [[0, 1], [1, 2]]), bias(6, 9)),
  'chain with transposes': chain(dense(12, 6), transpose(3, 4), monarch(12, 12, 2), transpose(4, 3)),
  'chain of butterfly and lowrank': chain(butterfly(2, 3), lowrank(8, 8, 2)),
  'tying across maps (a reference)': sum(ref('a', tiedA), dense(6, 6)),
  'tying within a map (sum of two uses)': sum(ref('a', tiedA), ref('a', tiedA), bias(6)),
  'tying within a map (chain of two uses)': chain(ref('b', tiedB), transpose(2, 3), ref('b', tiedB)),
  'tying three uses in a chain': chain(ref('a', tiedA), ref('a', tiedA), ref('a', tiedA)),
};

describe('referenceBackward equals DY·M and central differences', () => {
  for (const [name, build] of Object.entries(CASES)) {
    it(name, () => {
      const s = build('m');
      checkGradients(s, 7, 3);
      checkGradients(s, 11, 1);
    });
  }

  it('sums the uses of a tied tensor', () => {
    // With a = b-uses summed, the gradient of sum(a, a) is twice that of a alone.
    const random = rng(3);
    const params = randomParams(tiedA, random);
    const x = randomValues(random, 2 * 6);
    const dy = randomValues(random, 2 * 6);
    const once = referenceBackward(ref('a', tiedA)('m'), params, x, dy, 2);
    const twice = referenceBackward(sum(ref('a', tiedA), ref('a', tiedA))('m'), params, x, dy, 2);
    for (const [name, g] of once.grads) expect(relativeError(twice.grads.get(name)!, g.map((v) => 2 * v))).toBeLessThan(1e-12);
  });

  it('refuses arrays of the wrong length', () => {
    const s = dense(4, 3)('m');
    const params = randomParams(s, rng(1));
    expect(() => referenceBackward(s, params, new Float64Array(7), new Float64Array(6), 2)).toThrow(/x has 7/);
    expect(() => referenceBackward(s, params, new Float64Array(8), new Float64Array(5), 2)).toThrow(/dy has 5/);
  });
});

describe('random structures', () => {
  const sizes = fc.constantFrom(...SMALL_SIZES);
  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), sizes, sizes, fc.integer({ min: 0, max: 2 }), fc.constantFrom(1, 2, 3)], { numRuns: 40 })(
    'every constructor, sums, chains, tying, batch 1',
    (seed, n, m, depth, batch) => {
      const s = randomStructure(rng(seed ^ 0x6bad), n, m, depth)('m');
      checkGradients(s, seed, batch);
    },
  );
});
