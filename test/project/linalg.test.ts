/** The projector's own linear algebra against the test's Jacobi oracle and exact constructions. */
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { orthonormalRows } from '../../src/project/linalg/qr.js';
import { Rng } from '../../src/project/linalg/rng.js';
import { topEigenpairs } from '../../src/project/linalg/sym-eig.js';
import { truncatedSvd } from '../../src/project/linalg/svd.js';
import { jacobiEigenvalues, squaredSingularValues } from './jacobi.js';
import { denseOf, lowrank, project, randomParams, relativeDistance } from './structures.js';

/** Q diag(λ) Qᵀ with a random orthogonal Q (from the QR of a Gaussian matrix). */
function symmetricWithSpectrum(spectrum: number[], seed: number): Float64Array {
  const n = spectrum.length;
  const q = orthonormalRows(new Rng(seed).gaussianArray(n * n), n, n); // rows orthonormal
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < n; t++) s += q[t * n + i] * spectrum[t] * q[t * n + j];
      g[i * n + j] = s;
    }
  return g;
}

function checkEigenpairs(g: Float64Array, n: number, k: number): void {
  const expected = jacobiEigenvalues(g, n).slice(0, k);
  const { values, vectors } = topEigenpairs(Float64Array.from(g), n, k);
  const scale = Math.max(1, Math.abs(expected[0]));
  for (let t = 0; t < k; t++) {
    expect(Math.abs(values[t] - expected[t])).toBeLessThanOrEqual(1e-9 * scale);
    // ‖G v − λ v‖ small and the vectors orthonormal.
    for (let i = 0; i < n; i++) {
      let gv = 0;
      for (let j = 0; j < n; j++) gv += g[i * n + j] * vectors[t * n + j];
      expect(Math.abs(gv - values[t] * vectors[t * n + i])).toBeLessThanOrEqual(1e-6 * scale);
    }
    for (let u = 0; u <= t; u++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += vectors[t * n + i] * vectors[u * n + i];
      expect(Math.abs(dot - (u === t ? 1 : 0))).toBeLessThanOrEqual(1e-8);
    }
  }
}

describe('symmetric top eigenpairs', () => {
  it('distinct eigenvalues, some negative', () => checkEigenpairs(symmetricWithSpectrum([5, 4, 3, 2, 1, 0.5, -1, -2], 1), 8, 5));
  it('a few of many', () => checkEigenpairs(symmetricWithSpectrum(Array.from({ length: 40 }, (_, i) => 40 - i + Math.sin(i)), 2), 40, 3));
  it('a repeated top eigenvalue among distinct ones (what single-vector Krylov methods miss)', () =>
    checkEigenpairs(symmetricWithSpectrum([...Array(3).fill(7), ...Array.from({ length: 37 }, (_, i) => i / 10)], 3), 40, 4));
  it('repeated eigenvalues only', () => checkEigenpairs(symmetricWithSpectrum([3, 3, 3, 1, 1, 0], 4), 6, 4));
  it('the zero matrix', () => {
    const { values } = topEigenpairs(new Float64Array(400), 20, 2);
    expect([...values]).toEqual([0, 0]);
  });

  fcTest.prop([fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 999 })], { numRuns: 40 })(
    'truncated SVD captures the top singular values of random blocks (incl. rank-1 Golub–Kahan path)',
    (rows, cols, k, seed) => {
      const a = new Rng(seed).gaussianArray(rows * cols);
      const { left, right } = truncatedSvd(Float64Array.from(a), rows, cols, k);
      let residual = 0;
      let total = 0;
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++) {
          let s = 0;
          for (let t = 0; t < k; t++) s += left[i * k + t] * right[t * cols + j];
          residual += (a[i * cols + j] - s) ** 2;
          total += a[i * cols + j] ** 2;
        }
      const tail = squaredSingularValues(a, rows, cols)
        .slice(k)
        .reduce((x, y) => x + y, 0);
      expect(Math.abs(residual - tail)).toBeLessThanOrEqual(1e-6 * total);
    },
  );
});

describe('randomized low rank (beyond the exact size)', () => {
  it('recovers a matrix of rank r exactly', { timeout: 120_000 }, () => {
    const s = lowrank(1100, 2000, 8);
    const w = denseOf(s, randomParams(s, 1));
    const result = project(s, w);
    expect(result.optimal).toBe(false);
    expect(result.method).toContain('randomized');
    expect(result.relativeError).toBeLessThanOrEqual(1e-5);
  });

  it('is close to the optimum on a decaying spectrum', { timeout: 120_000 }, () => {
    // W = U diag(2^-i) Vᵀ + tiny noise, 1100 × 2000, rank 8 target.
    const m = 1100;
    const n = 2000;
    const rng = new Rng(5);
    const u = orthonormalRows(rng.gaussianArray(30 * m), 30, m);
    const v = orthonormalRows(rng.gaussianArray(30 * n), 30, n);
    const w = new Float64Array(m * n);
    for (let t = 0; t < 30; t++) {
      const sigma = 2 ** -t;
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) w[i * n + j] += sigma * u[t * m + i] * v[t * n + j];
    }
    let total = 0;
    let tail = 0;
    for (let t = 0; t < 30; t++) {
      total += 4 ** -t;
      if (t >= 8) tail += 4 ** -t;
    }
    const result = project(lowrank(m, n, 8), w);
    expect(result.relativeError).toBeLessThanOrEqual(1.01 * Math.sqrt(tail / total));
    expect(relativeDistance(w, w)).toBe(0);
  });
});
