/**
 * Chains with a `dense()` factor (QA E1): the dense factor can take any matrix, so once the other
 * factors are fitted it gets the least-squares optimum A⁺·W·B⁺ (A, B the products on either side).
 * Where A can have rank out and B rank in (covers-class.test.ts), every W of the class is reached
 * by that alone: `dense @ monarch` (any square W, the monarch can be the identity), `butterfly @
 * dense`, rectangular chains and a dense factor in the middle. The property's monarch-first chains
 * put a tall monarch left of the dense factor (A of rank below out): those are reached by the
 * hierarchical fit, which it checks over random shapes, though docs/projection.md does not promise it. The
 * reference is a W built in float64 from random parameters of the structure (denseOf), the
 * tolerance SPEC §6's exactness bound 1e-5 on the relative error of the parameters rounded to f32
 * (what `monc project` writes for a `dtype f32` module).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { Structure } from '../../src/dsl/structure.js';
import { pseudoInverseTimes } from '../../src/project/linalg/least-squares.js';
import { butterfly, chain, dense, denseOf, gaussianMatrix, monarch, project, randomParams, relativeDistance } from './structures.js';

const EXACT = 1e-5;

/** The relative error of projecting `w` onto `s` with f32 parameters (as `monc project` writes them), checked against M rebuilt from them. */
function projectionError(s: Structure, w: Float64Array): number {
  const result = project(s, w, { storage: 'f32' });
  const rebuilt = relativeDistance(denseOf(s, result.params), w);
  expect(result.relativeError).toBeCloseTo(rebuilt, 9);
  return rebuilt;
}

describe('a chain with a dense() factor reaches every W of its class', () => {
  for (const [name, s] of [
    ['dense @ monarch(nblocks: 4) on 16', chain([dense(16, 16), monarch(16, 16, 4)])],
    ['butterfly @ dense on 8', chain([butterfly(8, 2), dense(8, 8)])],
    ['dense @ butterfly on 8', chain([dense(8, 8), butterfly(8, 2)])],
    ['dense 15 -> 10 @ monarch(nblocks: 3) 12 -> 15', chain([dense(10, 15), monarch(15, 12, 3)])],
    ['monarch @ dense @ monarch on 16', chain([monarch(16, 16, 4, 'a'), dense(16, 16, 'b'), monarch(16, 16, 4, 'c')])],
  ] as const)
    it(name, () => {
      const w = denseOf(s, randomParams(s, 3));
      expect(projectionError(s, w)).toBeLessThan(EXACT);
    });

  it('dense @ monarch: every square W is in the class (the monarch can be the identity), a Gaussian one too', () => {
    const s = chain([dense(16, 16), monarch(16, 16, 4)]);
    expect(projectionError(s, gaussianMatrix(16, 16, 9))).toBeLessThan(EXACT);
  });

  test.prop([fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.boolean(), fc.nat()], { numRuns: 40 })(
    'random rectangular dense ∘ monarch chains, either order, W from random parameters',
    (p, k, out, denseFirst, seed) => {
      // monarch(nblocks: k) p·k -> s·k with s ≥ p (full column rank generically), dense to any size: every W of the class is reached.
      const inner = (p + (seed % 3)) * k;
      const s = denseFirst ? chain([dense(out + 2, inner), monarch(inner, p * k, k)]) : chain([monarch(inner, p * k, k), dense(p * k, out + 2)]);
      const w = denseOf(s, randomParams(s, seed));
      expect(projectionError(s, w), `${s.out} x ${s.in}`).toBeLessThan(EXACT);
    },
  );
});

describe('pseudoInverseTimes: A⁺·Y, the minimum-norm least-squares solution', () => {
  /** C = A·B for A (p×k), B (k×q), in the test's own loop. */
  const times = (a: Float64Array, b: Float64Array, p: number, k: number, q: number) => {
    const c = new Float64Array(p * q);
    for (let i = 0; i < p; i++) for (let j = 0; j < q; j++) for (let t = 0; t < k; t++) c[i * q + j] += a[i * k + t] * b[t * q + j];
    return c;
  };
  const transposed = (a: Float64Array, p: number, q: number) => Float64Array.from({ length: p * q }, (_, i) => a[(i % p) * q + Math.floor(i / p)]);

  test.prop([fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 4 }), fc.nat()], { numRuns: 30 })(
    'the residual is orthogonal to A\'s columns (normal equations), with full column rank or not',
    (rows, cols, ny, seed) => {
      const a = gaussianMatrix(rows, cols, seed);
      // A repeated column where there are two: rank-deficient A.
      if (cols > 1 && seed % 2 === 0) for (let i = 0; i < rows; i++) a[i * cols + 1] = a[i * cols];
      const y = gaussianMatrix(rows, ny, seed + 1);
      const x = pseudoInverseTimes(a, rows, cols, y, ny);
      const residual = times(a, x, rows, cols, ny).map((v, i) => v - y[i]);
      const normal = times(transposed(a, rows, cols), residual, cols, rows, ny);
      const scale = Math.sqrt(y.reduce((s, v) => s + v * v, 0) * a.reduce((s, v) => s + v * v, 0));
      for (const v of normal) expect(Math.abs(v)).toBeLessThan(1e-9 * scale);
      // Minimum norm: no component along the null vector e0 − e1 of the repeated column, to the projector's relative 1e-5
      // (least-squares.ts: the error of X is about ε·κ(A)²; a nearly singular random A makes X large: over 120,000 drawn
      // cases the worst was 7.2e-7·‖X‖, at κ ≈ 4e4, which the absolute 1e-9 this test had failed about once in 6 runs).
      const norm = Math.sqrt(x.reduce((s, v) => s + v * v, 0));
      if (cols > 1 && seed % 2 === 0) for (let j = 0; j < ny; j++) expect(Math.abs(x[j] - x[ny + j])).toBeLessThan(1e-9 * Math.sqrt(scale) + 1e-5 * norm);
    },
  );
});
