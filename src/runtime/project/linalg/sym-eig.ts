/**
 * The k largest eigenpairs of a real symmetric n×n matrix, two exact methods behind one call:
 *  - Lanczos with full re-orthogonalisation (for k ≪ n): stops as soon as the top-k Ritz pairs
 *    have residuals below 1e-7·θ₁ (the energy it then misses is at most
 *    min(1e-7·θ₁, 1e-14·θ₁²/gap), where gap separates θ_k from θ_{k+1}), which for the small-rank blocks of Monarch projection happens
 *    after a fraction of n steps; if it never does, it runs to n steps, where the Krylov space is
 *    the whole space and the result is exact. On breakdown (an invariant subspace, e.g. a block
 *    of low rank or with repeated eigenvalues) it stops for k = 1; for k > 1 it restarts with a
 *    fresh orthogonal vector and runs to n steps, so multiplicities are never missed.
 *  - Householder tridiagonalisation (2/3·n³ multiply-adds) when k is a sizeable part of n.
 * Either way the tridiagonal problem is solved by `tridiagonalTopEigenpairs`.
 */
import { Rng } from './rng.js';
import { normalize, tridiagonalTopEigenpairs, type EigenPairs } from './tridiagonal.js';

export type { EigenPairs } from './tridiagonal.js';

const RITZ_TOLERANCE = 1e-7;
const BREAKDOWN = 1e-12;

/** Top-k eigenpairs of the full (both triangles) symmetric matrix `g`, which is overwritten. */
export function topEigenpairs(g: Float64Array, n: number, k: number): EigenPairs {
  k = Math.min(k, n);
  if (k === 0) return { values: new Float64Array(0), vectors: new Float64Array(0) };
  return (n > 16 && 4 * k <= n ? lanczos(g, n, k) : undefined) ?? householder(g, n, k);
}

function householder(g: Float64Array, n: number, k: number): EigenPairs {
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
    if (sigma === 0) {
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

/**
 * For k = 1 the basis is not re-orthogonalised: by Paige's theory orthogonality is lost only
 * along Ritz vectors that have converged, so the top pair converges as in exact arithmetic and
 * its Ritz vector stays accurate (it is renormalised); this halves the cost of the hot path. If it
 * has not converged after n steps (a tiny spectral gap) the caller falls back to Householder.
 */
function lanczos(g: Float64Array, n: number, k: number): EigenPairs | undefined {
  const reorthogonalize = k > 1;
  const basis = new Float64Array(n * n);
  const alpha = new Float64Array(n);
  const beta = new Float64Array(n);
  const w = new Float64Array(n);
  const rng = new Rng(n * 31 + k);
  let normG = 0;
  for (let i = 0; i < n * n; i++) normG += g[i] * g[i];
  normG = Math.sqrt(normG);
  if (normG === 0) return tridiagonalTopEigenpairs(alpha, beta, n, k);
  startVector(basis, 0, n, rng);
  let brokeDown = false;
  let steps = 0;
  let ritz: EigenPairs | undefined;
  // Checking costs O(k·steps) per check, so checks are spaced by the observed convergence rate.
  let nextCheck = Math.min(n - 1, Math.max(k + 4, 12));
  let lastCheck = { steps: 0, residual: Infinity };
  for (let j = 0; j < n; j++) {
    const qj = j * n;
    symmetricTimes(g, n, basis, qj, w);
    let a = 0;
    for (let i = 0; i < n; i++) a += basis[qj + i] * w[i];
    alpha[j] = a;
    steps = j + 1;
    ritz = undefined;
    if (steps === n) {
      if (!reorthogonalize) return undefined;
      break;
    }
    for (let i = 0; i < n; i++) w[i] -= a * basis[qj + i];
    if (j > 0) for (let i = 0; i < n; i++) w[i] -= beta[j - 1] * basis[qj - n + i];
    if (reorthogonalize) orthogonalize(w, basis, steps, n);
    const b = norm(w);
    if (b <= BREAKDOWN * normG) {
      // An invariant subspace. It holds the top eigenvector (the random start has a component
      // along it), so for k = 1 we are done; for k > 1 a repeated eigenvalue may hide outside.
      beta[j] = 0;
      if (k === 1) break;
      brokeDown = true;
      startVector(basis, steps, n, rng);
      continue;
    }
    beta[j] = b;
    for (let i = 0; i < n; i++) basis[qj + n + i] = w[i] / b;
    if (!brokeDown && steps >= nextCheck) {
      ritz = tridiagonalTopEigenpairs(alpha, beta, steps, k);
      const scale = Math.max(Math.abs(ritz.values[0]), Number.MIN_VALUE);
      let residual = 0;
      for (let t = 0; t < k; t++) residual = Math.max(residual, (b * Math.abs(ritz.vectors[t * steps + steps - 1])) / scale);
      if (residual <= RITZ_TOLERANCE) break;
      // Predict where the residual (roughly geometric in the step count) reaches the tolerance.
      const rate = Number.isFinite(lastCheck.residual) ? Math.log(residual / lastCheck.residual) / (steps - lastCheck.steps) : -0.5;
      const ahead = rate < 0 ? Math.ceil(Math.log(RITZ_TOLERANCE / residual) / rate) : 8;
      nextCheck = steps + Math.min(8, Math.max(1, ahead));
      lastCheck = { steps, residual };
    }
  }
  ritz ??= tridiagonalTopEigenpairs(alpha, beta, steps, k);
  // Ritz vectors: y_t = Σ_j s_tj q_j.
  const vectors = new Float64Array(k * n);
  for (let t = 0; t < k; t++) {
    const y = vectors.subarray(t * n, (t + 1) * n);
    for (let j = 0; j < steps; j++) {
      const s = ritz.vectors[t * steps + j];
      for (let i = 0; i < n; i++) y[i] += s * basis[j * n + i];
    }
    normalize(y);
  }
  return { values: ritz.values, vectors };
}

/** w = G q (q = basis row at `offset`), as dot products of the rows of the full symmetric G. */
function symmetricTimes(g: Float64Array, n: number, basis: Float64Array, offset: number, w: Float64Array): void {
  for (let r = 0; r < n; r++) {
    const gr = r * n;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let c = 0;
    for (; c + 3 < n; c += 4) {
      s0 += g[gr + c] * basis[offset + c];
      s1 += g[gr + c + 1] * basis[offset + c + 1];
      s2 += g[gr + c + 2] * basis[offset + c + 2];
      s3 += g[gr + c + 3] * basis[offset + c + 3];
    }
    for (; c < n; c++) s0 += g[gr + c] * basis[offset + c];
    w[r] = s0 + s1 + (s2 + s3);
  }
}

/** w ⟂ the first `count` basis rows: one Gram–Schmidt pass, a second if the first removed most of w. */
function orthogonalize(w: Float64Array, basis: Float64Array, count: number, n: number): void {
  for (let pass = 0; pass < 2; pass++) {
    const before = norm(w);
    for (let j = 0; j < count; j++) {
      const qj = j * n;
      let dot = 0;
      for (let i = 0; i < n; i++) dot += basis[qj + i] * w[i];
      for (let i = 0; i < n; i++) w[i] -= dot * basis[qj + i];
    }
    if (norm(w) > 0.7071 * before) return;
  }
}

/** A random unit vector orthogonal to the basis rows before `row`, stored as row `row`. */
function startVector(basis: Float64Array, row: number, n: number, rng: Rng): void {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.uniform() - 0.5;
  orthogonalize(v, basis, row, n);
  orthogonalize(v, basis, row, n);
  normalize(v);
  basis.set(v, row * n);
}

function norm(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}
