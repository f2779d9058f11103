/**
 * Regression (issue 13): exactly rank-1 Monarch blocks larger than 16×16 go through the Lanczos
 * rank-one solver, which returned its random start after a one-step breakdown (Hadamard 1024:
 * relative error 0.984 reported as optimal). Each case here is a matrix in the class, so the
 * optimum is exact, and the error is recomputed independently through the float64 reference.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/project/linalg/rng.js';
import { truncatedSvd } from '../../src/project/linalg/svd.js';
import { hadamard } from './hadamard.js';
import { denseOf, monarch, project, randomParams, referenceApply, relativeDistance } from './structures.js';

describe('exact Monarch targets above 16×16 blocks project exactly, and say so', () => {
  for (const n of [1024, 4096]) {
    it(`Hadamard ${n} onto monarch(nblocks: ${Math.sqrt(n)})`, () => {
      const s = monarch(n, n, Math.sqrt(n));
      const w = hadamard(n);
      const result = project(s, w);
      expect(result.optimal).toBe(true);
      expect(result.relativeError).toBeLessThanOrEqual(1e-5);
      // M through the float64 reference on probe vectors (the whole of M costs seconds at 4096).
      const probes = 4;
      const x = new Rng(n).gaussianArray(probes * n);
      const mx = referenceApply(s, result.params, x, probes);
      const wx = new Float64Array(probes * n);
      for (let p = 0; p < probes; p++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) wx[p * n + i] += w[i * n + j] * x[p * n + j];
      expect(relativeDistance(mx, wx)).toBeLessThanOrEqual(1e-5);
    });
  }

  it('an integer-weight Monarch 1024 (rank-1 blocks of small integers)', () => {
    const s = monarch(1024, 1024, 32);
    const rng = new Rng(7);
    const params = randomParams(s, 3);
    for (const t of params.values()) for (let i = 0; i < t.length; i++) t[i] = Math.floor(rng.uniform() * 7) - 3;
    const w = denseOf(s, params);
    const result = project(s, w);
    expect(result.optimal).toBe(true);
    expect(result.relativeError).toBeLessThanOrEqual(1e-5);
    expect(relativeDistance(denseOf(s, result.params), w)).toBeLessThanOrEqual(1e-5);
  });

  it('a random rectangular Monarch (768 -> 1536, nblocks 24) is recovered', () => {
    const s = monarch(1536, 768, 24);
    const w = denseOf(s, randomParams(s, 11));
    const result = project(s, w);
    expect(result.optimal).toBe(true);
    expect(result.relativeError).toBeLessThanOrEqual(1e-5);
    expect(relativeDistance(denseOf(s, result.params), w)).toBeLessThanOrEqual(1e-5);
  });
});

describe('rank-1 truncated SVD of exactly rank-1 integer blocks', () => {
  // Both solvers: the exact Householder path (≤ 16) and Lanczos (> 16). Integer outer products
  // make exactly repeated zero eigenvalues, whose reflections once underflowed to NaN.
  for (const size of [8, 16, 17, 32, 48])
    it(`${size}×${size}: the fit is the block itself`, () => {
      const rng = new Rng(size);
      for (let trial = 0; trial < 300; trial++) {
        const x = Array.from({ length: size }, () => Math.floor(rng.uniform() * 7) - 3);
        const y = Array.from({ length: size }, () => Math.floor(rng.uniform() * 7) - 3);
        const a = new Float64Array(size * size);
        for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) a[i * size + j] = x[i] * y[j];
        const { left, right } = truncatedSvd(a, size, size, 1);
        let residual2 = 0;
        let norm2 = 0;
        for (let i = 0; i < size; i++)
          for (let j = 0; j < size; j++) {
            residual2 += (a[i * size + j] - left[i] * right[j]) ** 2;
            norm2 += a[i * size + j] ** 2;
          }
        expect(residual2, `trial ${trial}`).toBeLessThanOrEqual(1e-20 * norm2);
      }
    });
});
