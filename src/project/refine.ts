/**
 * Refinement of a chain of sparse factors by alternating least squares. With A = F_0⋯F_{i−1} and
 * B = F_{i+1}⋯F_{L−1}, M = A·F_i·B is linear in factor i's values, so each factor in turn moves
 * towards the minimum of ‖W − A·F_i·B‖ over its support: a few steps of conjugate gradients on the
 * normal equations (CGLS), warm-started from its values, matrix-free through the sparse factors (no
 * A or Gram matrix is formed). Its first step is the steepest-descent step with exact line search
 * that this refinement took alone before session 24; every CGLS step lowers ‖W − M‖, so the error
 * never increases. Rounds go on while a budget of multiply-adds allows, until M is within EXACT of
 * W or a round stalls.
 */
import { chainDense, sparseTimesDense, sparseTransposeTimesDense, type Factor } from './factors.js';
import { squaredNorm } from './linalg/dense.js';

/** Rounds stop early once a round lowers ‖W − M‖² by less than this fraction (here and in sum.ts). */
export const STALL = 1e-6;
/**
 * ‖W − M‖² below this fraction of ‖W‖² (relative error 1e-9) is as exact as stored parameters get:
 * rounds stop there too (QA2 s15 R41: a W in the class, factored exactly but for rounding, ran all
 * 10 rounds, each still lowering the rounding-level residual by more than STALL of itself).
 */
export const EXACT = 1e-18;
/**
 * CGLS steps per factor and round. A factor's exact minimum may take as many steps as it has
 * values, but the others move next anyway: a few steps get most of the way at a fraction of the cost.
 */
const CG_STEPS = 6;
/** A factor's CGLS stops once its gradient's squared norm falls below this fraction of where it started. */
const CG_CONVERGED = 1e-20;
/** Default rounds, all together, cost at most this many multiply-adds (about 2 s single-threaded). */
const DEFAULT_BUDGET = 2e9;
/** Default rounds at most, so that a W the chain cannot reach (a Gaussian one) does not spend the whole budget on a small chain. */
const DEFAULT_MAX_ROUNDS = 200;

/**
 * Default rounds for a chain that a sum's alternation refits every round (FitOptions.refitEachRound),
 * session 23's count: 200 per refit made `butterfly(64) + lowrank(rank: 2)` 4 times slower (11.1 s
 * where 2.8 s) for 0.8044 where 0.8057.
 */
export const ALTERNATION_REFINE_ROUNDS = 10;

/** Rounds within DEFAULT_BUDGET, at most `most`: none where one round costs more (a wide chain keeps its hierarchical fit). */
export function defaultRefineRounds(factors: readonly Factor[], n: number, most = DEFAULT_MAX_ROUNDS): number {
  const nnz = factors.reduce((s, f) => s + f.row.length, 0);
  // Each CGLS step applies the chain and its transpose up to the factor; B costs one more pass per factor.
  const perRound = (2 * CG_STEPS + 1) * factors.length * nnz * n;
  return Math.min(most, Math.floor(DEFAULT_BUDGET / perRound));
}

/** Improves `values` in place; `approx` (m×n) holds M on entry and is kept equal to it. Returns rounds run. */
export function refineChain(
  target: Float64Array,
  m: number,
  n: number,
  factors: readonly Factor[],
  values: Float64Array[],
  approx: Float64Array,
  rounds: number,
): number {
  const residual = new Float64Array(m * n);
  for (let i = 0; i < residual.length; i++) residual[i] = target[i] - approx[i];
  let error = squaredNorm(residual);
  const exact = EXACT * squaredNorm(target);
  if (error <= exact) return 0;
  const L = factors.length;
  for (let round = 0; round < rounds; round++) {
    const before = error;
    for (let i = 0; i < L; i++) {
      const b = i < L - 1 ? chainDense(factors, values, i + 1, L) : undefined;
      fitFactor({ factors, values, i, b, n }, residual, approx);
    }
    error = squaredNorm(residual);
    if (before - error <= STALL * before || error <= exact) return round + 1;
  }
  return rounds;
}

/** Factor i of the chain with the product B of the factors right of it (absent for the last). */
interface FactorSlot {
  readonly factors: readonly Factor[];
  readonly values: readonly Float64Array[];
  readonly i: number;
  readonly b: Float64Array | undefined;
  readonly n: number;
}

/** CGLS on factor i's values from where they are, lowering ‖residual‖; `residual` and `approx` are updated with them. */
function fitFactor(slot: FactorSlot, residual: Float64Array, approx: Float64Array): void {
  const v = slot.values[slot.i];
  let s = factorGradient(slot, residual);
  let gamma = squaredNorm(s);
  const converged = CG_CONVERGED * gamma;
  const p = Float64Array.from(s);
  for (let step = 0; step < CG_STEPS && gamma > converged; step++) {
    const q = factorImage(slot, p);
    const q2 = squaredNorm(q);
    if (q2 === 0) return;
    const alpha = gamma / q2;
    for (let e = 0; e < v.length; e++) v[e] += alpha * p[e];
    for (let c = 0; c < residual.length; c++) {
      approx[c] += alpha * q[c];
      residual[c] -= alpha * q[c];
    }
    if (step === CG_STEPS - 1) return;
    s = factorGradient(slot, residual);
    const next = squaredNorm(s);
    const beta = next / gamma;
    for (let e = 0; e < p.length; e++) p[e] = s[e] + beta * p[e];
    gamma = next;
  }
}

/** A·S(p)·B: the change of M when factor i's values change by p (S(p) the factor with values p). */
function factorImage({ factors, values, i, b, n }: FactorSlot, p: Float64Array): Float64Array {
  const f = factors[i];
  let image: Float64Array;
  if (b) image = sparseTimesDense(f, p, b, n);
  else {
    image = new Float64Array(f.rows * n);
    for (let e = 0; e < p.length; e++) image[f.row[e] * n + f.col[e]] += p[e];
  }
  for (let j = i - 1; j >= 0; j--) image = sparseTimesDense(factors[j], values[j], image, n);
  return image;
}

/** The gradient of ½‖R‖² over factor i's values, (Aᵀ·R·Bᵀ) on its support: the adjoint of factorImage. */
function factorGradient({ factors, values, i, b, n }: FactorSlot, residual: Float64Array): Float64Array {
  const f = factors[i];
  // Z = Aᵀ R (f.rows × n).
  let z: Float64Array = residual;
  for (let j = 0; j < i; j++) z = sparseTransposeTimesDense(factors[j], values[j], z, n);
  const g = new Float64Array(f.row.length);
  for (let e = 0; e < g.length; e++) {
    if (!b) {
      g[e] = z[f.row[e] * n + f.col[e]];
      continue;
    }
    const zr = f.row[e] * n;
    const bc = f.col[e] * n;
    let s = 0;
    for (let c = 0; c < n; c++) s += z[zr + c] * b[bc + c];
    g[e] = s;
  }
  return g;
}
