/**
 * The top singular triplet of a dense block by Golub–Kahan–Lanczos bidiagonalisation: the Krylov
 * iteration of Lanczos on AᵀA (T = BᵀB for the bidiagonal B) through two products with A per
 * step, never forming AᵀA; for the 64×64 rank-1 blocks of square Monarch projection that saves
 * the Gram matrix's n³/2 multiply-adds and a 2/3·n³ tridiagonalisation (≈ 24 steps of 2·n² on
 * Gaussian blocks, fewer on blocks with a dominant direction).
 *
 * No re-orthogonalisation: by Paige's theory orthogonality is lost only along Ritz vectors that
 * have converged, so the top pair converges as in exact arithmetic (the Ritz vector is
 * renormalised). It stops when the Ritz residual ‖AᵀA y − θy‖ is below 1e-6·θ, so the energy θ it
 * captures is short of σ₁² by at most min(1e-6·θ, 1e-12·θ²/gap), gap = σ₁² − σ₂² (in practice
 * ~1e-12 relative), or on breakdown (an invariant subspace, e.g. a block of rank 1: exact). If
 * neither happens within min(rows, cols) steps it returns undefined and the caller takes the
 * exact Householder path. Multiplicity of σ₁ is harmless here: any top singular pair is optimal.
 */
import { dot as dotAt } from './dense.js';
import { Rng } from './rng.js';
import { scratch } from './scratch.js';
import { tridiagonalTopEigenpairs } from './tridiagonal.js';

const RITZ_TOLERANCE = 1e-6;
const BREAKDOWN = 1e-12;

export interface Triplet {
  readonly sigma: number;
  /** Unit left (rows) and right (cols) singular vectors. */
  readonly u: Float64Array;
  readonly v: Float64Array;
}

export function topSingularTriplet(a: Float64Array, rows: number, cols: number): Triplet | undefined {
  const at = scratch('rank-one.at', rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) at[j * rows + i] = a[i * cols + j];
  const maxSteps = Math.min(rows, cols);
  let normA = 0;
  for (let i = 0; i < rows * cols; i++) normA += a[i] * a[i];
  normA = Math.sqrt(normA);
  if (normA === 0) return { sigma: 0, u: new Float64Array(rows), v: new Float64Array(cols) };
  const basis = scratch('rank-one.basis', (maxSteps + 1) * cols);
  const alpha = new Float64Array(maxSteps);
  const beta = new Float64Array(maxSteps);
  const u = new Float64Array(rows);
  const w = new Float64Array(cols);
  const rng = new Rng(rows * 131 + cols);
  for (let i = 0; i < cols; i++) basis[i] = rng.uniform() - 0.5;
  scale(basis, 0, cols, 1 / norm(basis, 0, cols));
  let steps = 0;
  let nextCheck = Math.min(maxSteps, 10);
  let last = { steps: 0, residual: Infinity };
  let converged = false;
  let ritzVector: Float64Array | undefined;
  for (let j = 0; j < maxSteps; j++) {
    const vj = j * cols;
    // u = A v_j − β_{j−1} u_{j−1}
    times(a, rows, cols, basis, vj, u, j > 0 ? beta[j - 1] : 0);
    const al = norm(u, 0, rows);
    if (al <= BREAKDOWN * normA) {
      // A v_j lies in span(u_{j−1}): the Krylov space V_{j+1} is invariant, and A V_{j+1} =
      // U_j [B_j | β_{j−1} e_j]. Its Gram matrix is gramOfBidiagonal over j+1 steps with α_j = 0,
      // so v_j belongs in the Ritz vector (a rank-1 block breaks down here at j = 1; dropping
      // v_j returned the random start).
      alpha[j] = 0;
      if (j > 0) steps = j + 1;
      converged = true;
      break;
    }
    alpha[j] = al;
    scale(u, 0, rows, 1 / al);
    steps = j + 1;
    // w = Aᵀ u_j − α_j v_j
    times(at, cols, rows, u, 0, w, 0);
    for (let i = 0; i < cols; i++) w[i] -= al * basis[vj + i];
    const be = norm(w, 0, cols);
    beta[j] = be;
    if (be <= BREAKDOWN * normA) {
      converged = true;
      break;
    }
    for (let i = 0; i < cols; i++) basis[vj + cols + i] = w[i] / be;
    if (steps >= nextCheck) {
      const check = ritzResidual(alpha, beta, steps);
      const residual = check.residual;
      if (residual <= RITZ_TOLERANCE) {
        ritzVector = check.vector;
        converged = true;
        break;
      }
      const rate = Number.isFinite(last.residual) ? Math.log(residual / last.residual) / (steps - last.steps) : -0.5;
      nextCheck = steps + Math.min(8, Math.max(1, rate < 0 ? Math.ceil(Math.log(RITZ_TOLERANCE / residual) / rate) : 8));
      last = { steps, residual };
    }
  }
  if (!converged) return undefined;
  // A v_0 = 0 for A ≠ 0: the start was orthogonal to A's row space; the exact path decides.
  if (steps === 0) return undefined;
  const s = ritzVector ?? ritzResidual(alpha, beta, steps).vector;
  const v = new Float64Array(cols);
  for (let j = 0; j < steps; j++) for (let i = 0; i < cols; i++) v[i] += s[j] * basis[j * cols + i];
  scale(v, 0, cols, 1 / norm(v, 0, cols));
  const left = new Float64Array(rows);
  times(a, rows, cols, v, 0, left, 0);
  const sigma = norm(left, 0, rows);
  if (sigma > 0) scale(left, 0, rows, 1 / sigma);
  return isTopTriplet(a, at, rows, cols, normA, { sigma, u: left, v }) ? { sigma, u: left, v } : undefined;
}

/** How far (relative to σ) the checks below may be off for a triplet the iteration accepted. */
const TRIPLET_TOLERANCE = 1e-5;

/**
 * An independent certificate, not trusting the iteration's own bookkeeping: (σ, u, v) is a
 * singular triplet (‖Aᵀu − σv‖ ≤ tol·σ; A v = σ u holds by construction), and σ is the largest
 * singular value: the deflated A − σuvᵀ has no direction with a larger gain (a few power steps
 * from a fresh start), and σ² is at least the mean energy ‖A‖²/min(rows, cols). A triplet that
 * fails goes to the exact path, so no wrong block is ever reported as optimal.
 */
function isTopTriplet(a: Float64Array, at: Float64Array, rows: number, cols: number, normA: number, t: Triplet): boolean {
  const { sigma, u, v } = t;
  if (!(sigma > 0) || sigma * sigma * Math.min(rows, cols) < normA * normA * (1 - TRIPLET_TOLERANCE)) return false;
  const w = new Float64Array(cols);
  times(at, cols, rows, u, 0, w, 0);
  for (let i = 0; i < cols; i++) w[i] -= sigma * v[i];
  if (norm(w, 0, cols) > TRIPLET_TOLERANCE * sigma) return false;
  // Power steps on the deflated matrix D = A − σuvᵀ: D x = A x − σ u (vᵀx), Dᵀ y = Aᵀy − σ v (uᵀy).
  const rng = new Rng(rows * 7 + cols * 13 + 1);
  const x = Float64Array.from({ length: cols }, () => rng.uniform() - 0.5);
  const y = new Float64Array(rows);
  for (let step = 0; step < 4; step++) {
    const size = norm(x, 0, cols);
    if (size === 0) return true; // D x = 0 exactly: A is exactly σuvᵀ on this start
    scale(x, 0, cols, 1 / size);
    times(a, rows, cols, x, 0, y, 0);
    const vx = dot(v, x);
    for (let i = 0; i < rows; i++) y[i] -= sigma * u[i] * vx;
    times(at, cols, rows, y, 0, x, 0);
    const uy = dot(u, y);
    for (let i = 0; i < cols; i++) x[i] -= sigma * v[i] * uy;
  }
  // After the last step ‖x‖ = ‖DᵀD x̂‖ ≥ gain², a lower bound on σ₂(D)² ≤ σ₁(A)² if σ is the top.
  return norm(x, 0, cols) <= sigma * sigma * (1 + TRIPLET_TOLERANCE);
}

function dot(p: Float64Array, q: Float64Array): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += p[i] * q[i];
  return s;
}

/** T = BᵀB for the upper bidiagonal B (diagonal α, superdiagonal β): diag α_i² + β_{i−1}², off-diagonal α_i β_i. */
function gramOfBidiagonal(alpha: Float64Array, beta: Float64Array, steps: number): { d: Float64Array; e: Float64Array } {
  const d = new Float64Array(steps);
  const e = new Float64Array(steps);
  for (let i = 0; i < steps; i++) {
    d[i] = alpha[i] * alpha[i] + (i > 0 ? beta[i - 1] * beta[i - 1] : 0);
    if (i < steps - 1) e[i] = alpha[i] * beta[i];
  }
  return { d, e };
}

/**
 * The top Ritz vector s of T = BᵀB and its relative residual ‖AᵀA y − θ y‖ / θ for y = V s:
 * AᵀA V = V BᵀB + α_j β_j v_{j+1} e_jᵀ, so it is α_j β_j |s_j| / θ.
 */
function ritzResidual(alpha: Float64Array, beta: Float64Array, steps: number): { residual: number; vector: Float64Array } {
  const { d, e } = gramOfBidiagonal(alpha, beta, steps);
  const ritz = tridiagonalTopEigenpairs(d, e, steps, 1);
  const theta = Math.max(ritz.values[0], Number.MIN_VALUE);
  return { residual: (alpha[steps - 1] * beta[steps - 1] * Math.abs(ritz.vectors[steps - 1])) / theta, vector: ritz.vectors };
}

/** y = M x − c·y for M (r×c2) row-major, x read at `offset`. */
function times(m: Float64Array, r: number, c2: number, x: Float64Array, offset: number, y: Float64Array, c: number): void {
  for (let i = 0; i < r; i++) y[i] = dotAt(m, i * c2, x, offset, c2) - c * y[i];
}

function norm(x: Float64Array, offset: number, length: number): number {
  let s = 0;
  for (let i = 0; i < length; i++) s += x[offset + i] * x[offset + i];
  return Math.sqrt(s);
}

function scale(x: Float64Array, offset: number, length: number, f: number): void {
  for (let i = 0; i < length; i++) x[offset + i] *= f;
}
