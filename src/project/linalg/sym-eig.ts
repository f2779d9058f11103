/**
 * The k largest eigenpairs of a real symmetric n×n matrix: Householder reduction to tridiagonal
 * form (2/3·n³ multiply-adds, the only cubic step), then `tridiagonalTopEigenpairs` (bisection and
 * inverse iteration, O(n) per pair) and back-transformation by the reflectors (O(n²) per pair).
 * Exact for any spectrum, repeated eigenvalues included. (Single-vector Lanczos was tried for
 * k ≪ n: it cannot see the multiplicity of a repeated eigenvalue and converges to a wrong top-k;
 * the rank-1 case, where that does not matter, has its own Krylov path in rank-one.ts.)
 */
import { tridiagonalTopEigenpairs, type EigenPairs } from './tridiagonal.js';

const EPS = 2.220446049250313e-16;

export type { EigenPairs } from './tridiagonal.js';

/** Top-k eigenpairs of the full (both triangles) symmetric matrix `g`, which is overwritten. */
export function topEigenpairs(g: Float64Array, n: number, k: number): EigenPairs {
  k = Math.min(k, n);
  if (k === 0) return { values: new Float64Array(0), vectors: new Float64Array(0) };
  const { d, e, beta } = tridiagonalize(g, n);
  const pairs = tridiagonalTopEigenpairs(d, e, n, k);
  for (let j = 0; j < k; j++) applyReflectors(g, n, beta, pairs.vectors, j * n);
  return pairs;
}

/**
 * Householder reduction A = Q T Qᵀ, Q = H_0 ⋯ H_{n-3}, H_j = I − β_j v vᵀ acting on indices
 * j+1…n−1 (reads and updates the lower triangle only). v is stored in column j below the
 * diagonal, which later steps no longer read.
 */
function tridiagonalize(g: Float64Array, n: number): { d: Float64Array; e: Float64Array; beta: Float64Array } {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const beta = new Float64Array(n);
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  // Below this, a column's tail is dropped instead of reflected: its entries are within rounding
  // of ‖G‖, and reflecting them (their squares underflow to denormals) made β infinite and T NaN.
  let norm2 = 0;
  for (let i = 0; i < n * n; i++) norm2 += g[i] * g[i];
  const negligible = EPS * EPS * norm2;
  for (let j = 0; j < n - 2; j++) {
    const o = j + 1;
    const m = n - o;
    const x0 = g[o * n + j];
    let sigma = 0;
    for (let i = 1; i < m; i++) {
      const xi = g[(o + i) * n + j];
      sigma += xi * xi;
    }
    d[j] = g[j * n + j];
    if (sigma <= negligible) {
      e[j] = x0;
      continue;
    }
    const norm = Math.sqrt(x0 * x0 + sigma);
    const alpha = x0 <= 0 ? norm : -norm;
    e[j] = alpha;
    v[0] = x0 - alpha;
    for (let i = 1; i < m; i++) v[i] = g[(o + i) * n + j];
    const b = 2 / (v[0] * v[0] + sigma);
    beta[j] = b;
    for (let i = 0; i < m; i++) g[(o + i) * n + j] = v[i];
    // p = β S v, S the trailing block, read from its lower triangle.
    p.fill(0, 0, m);
    for (let a = 0; a < m; a++) {
      const row = (o + a) * n + o;
      const va = v[a];
      let acc = 0;
      for (let c = 0; c < a; c++) {
        const s = g[row + c];
        acc += s * v[c];
        p[c] += s * va;
      }
      p[a] += acc + g[row + a] * va;
    }
    let vp = 0;
    for (let i = 0; i < m; i++) {
      p[i] *= b;
      vp += v[i] * p[i];
    }
    const half = (b / 2) * vp;
    for (let i = 0; i < m; i++) p[i] -= half * v[i]; // p is now w: S ← S − v wᵀ − w vᵀ
    for (let a = 0; a < m; a++) {
      const row = (o + a) * n + o;
      const va = v[a];
      const wa = p[a];
      for (let c = 0; c <= a; c++) g[row + c] -= va * p[c] + wa * v[c];
    }
  }
  if (n >= 2) {
    d[n - 2] = g[(n - 2) * n + n - 2];
    e[n - 2] = g[(n - 1) * n + n - 2];
  }
  d[n - 1] = g[(n - 1) * n + n - 1];
  return { d, e, beta };
}

/** z ← Q z = H_0 (H_1 (⋯ H_{n-3} z)). */
function applyReflectors(g: Float64Array, n: number, beta: Float64Array, z: Float64Array, offset: number): void {
  for (let j = n - 3; j >= 0; j--) {
    const b = beta[j];
    if (b === 0) continue;
    let dot = 0;
    for (let i = j + 1; i < n; i++) dot += g[i * n + j] * z[offset + i];
    const s = b * dot;
    for (let i = j + 1; i < n; i++) z[offset + i] -= s * g[i * n + j];
  }
}
