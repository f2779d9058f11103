/**
 * Refinement of a sum of products of sparse factors (one chain, or a chain distributed over its
 * sum stages: factors.ts) by alternating least squares. With A = F_0⋯F_{i−1} and
 * B = F_{i+1}⋯F_{L−1}, M = A·F_i·B is linear in factor i's values, so each factor in turn moves
 * towards the minimum of ‖W − A·F_i·B‖ over its support: a few steps of conjugate gradients on the
 * normal equations (CGLS), warm-started from its values, matrix-free through the sparse factors (no
 * A or Gram matrix is formed). Its first step is the steepest-descent step with exact line search
 * that this refinement took alone before session 24; every CGLS step lowers ‖W − M‖, so the error
 * never increases. Rounds go on while a budget of multiply-adds allows, until M is within EXACT of
 * W or a round stalls.
 *
 * A parameter slice that is a factor in several places (C in A·C + B·C, `up` in `up @ up`) is one
 * block of the alternation, its image the sum of its places' images. In two places of one product
 * M is not linear in it: CGLS then solves the linearisation (a Gauss–Newton step), which is taken
 * only if, halved at most LINE_SEARCH times, it lowers ‖W − M‖, so the error never increases there
 * either.
 */
import { chainDense, sparseTimesDense, sparseTransposeTimesDense, sumOfProducts, type Factor, type ProductValues } from './factors.js';
import { squaredDistance, squaredNorm } from './linalg/dense.js';

/** Rounds stop early once a round lowers ‖W − M‖² by less than this fraction (here and in sum.ts). */
export const STALL = 1e-6;
/**
 * ‖W − M‖² below this fraction of ‖W‖² (relative error 1e-9) is as exact as stored parameters get:
 * rounds stop there too (QA2 s15 R41: a W in the class, factored exactly but for rounding, ran all
 * 10 rounds, each still lowering the rounding-level residual by more than STALL of itself).
 */
export const EXACT = 1e-18;
/** Halvings of a Gauss–Newton step (a slice in two places of one product) before it is given up for the round. */
const LINE_SEARCH = 10;
/** A factor's CGLS stops once its gradient's squared norm falls below this fraction of where it started. */
const CG_CONVERGED = 1e-20;
/** Default rounds, all together, cost at most this many multiply-adds (about 2 s single-threaded). */
const DEFAULT_BUDGET = 2e9;
/**
 * How a chain refines: default rounds at most, and CGLS steps per factor and round (a factor's
 * exact minimum may take as many steps as it has values, but the others move next anyway: a few
 * steps get most of the way at a fraction of the cost).
 */
export interface RefinePace {
  readonly most: number;
  readonly cgSteps: number;
}

/** A chain on its own: at most 200 rounds, so that a W it cannot reach (a Gaussian one) does not spend the whole budget on a small chain. */
export const CHAIN_PACE: RefinePace = { most: 200, cgSteps: 6 };

/**
 * A chain that a sum's alternation refits every round (FitOptions.refitEachRound), the
 * alternation's rounds doing the rest. Rounds: session 23's count; 200 per refit made
 * `butterfly(64) + lowrank(rank: 2)` 4 times slower (11.1 s where 2.8 s) for 0.8044 where 0.8057.
 * CGLS steps: 2, not 6 (session 25; Gaussian 64 × 64 W, seeds 1–10, mean relative error and total
 * time on the loaded 2-core machine): with a butterfly(64) term 0.8096 in 10–12 s where 6 steps
 * gave 0.8093 in 29–32 s and 1 step (session 23's steepest descent) 0.8118 in 7–8 s; with a
 * monarch(order: 3) term 0.7727 in 7–10 s where 6 steps gave 0.7726 in 15–17 s.
 */
export const ALTERNATION_PACE: RefinePace = { most: 10, cgSteps: 2 };

/** The pace a fit with these options refines at. */
export const paceOf = (refitEachRound: boolean | undefined): RefinePace => (refitEachRound ? ALTERNATION_PACE : CHAIN_PACE);

/** Rounds within DEFAULT_BUDGET, at most `pace.most`: none where one round costs more (a wide chain keeps its hierarchical fit). */
export function defaultRefineRounds(factors: readonly Factor[], n: number, pace: RefinePace): number {
  const nnz = factors.reduce((s, f) => s + f.row.length, 0);
  // Each CGLS step applies the chain and its transpose up to the factor; B costs one more pass per factor.
  const perRound = (2 * pace.cgSteps + 1) * factors.length * nnz * n;
  return Math.min(pace.most, Math.floor(DEFAULT_BUDGET / perRound));
}

/** For the method: the rounds run, and the CGLS steps where they are not a chain's own. */
export const describeRefinement = (rounds: number, pace: RefinePace): string =>
  `${rounds} refinement round${rounds === 1 ? '' : 's'}${pace.cgSteps === CHAIN_PACE.cgSteps ? '' : ` of ${pace.cgSteps} CGLS steps a factor`}`;

/**
 * Improves the products' values in place (an array shared by several places is one slice);
 * `approx` (m×n) holds M, their sum, on entry and is kept equal to it. Returns rounds run.
 */
export function refineProducts(target: Float64Array, m: number, n: number, products: readonly ProductValues[], approx: Float64Array, rounds: number, cgSteps: number): number {
  const residual = new Float64Array(m * n);
  for (let i = 0; i < residual.length; i++) residual[i] = target[i] - approx[i];
  let error = squaredNorm(residual);
  const exact = EXACT * squaredNorm(target);
  if (error <= exact) return 0;
  const slices = slicesOf(products);
  for (let round = 0; round < rounds; round++) {
    const before = error;
    for (const slice of slices) fitSlice(slice, products, { target, m, n, residual, approx, cgSteps });
    error = squaredNorm(residual);
    if (before - error <= STALL * before || error <= exact) return round + 1;
  }
  return rounds;
}

/** A parameter slice's values and its places (product, position); linear: in no product twice. */
interface Slice {
  readonly values: Float64Array;
  readonly places: readonly { readonly product: number; readonly position: number }[];
  readonly linear: boolean;
}

/** The products' slices in order of first place (a single chain's: its factors in order). */
function slicesOf(products: readonly ProductValues[]): Slice[] {
  const places = new Map<Float64Array, { product: number; position: number }[]>();
  products.forEach(({ values }, product) => values.forEach((v, position) => places.set(v, [...(places.get(v) ?? []), { product, position }])));
  return [...places].map(([values, at]) => ({ values, places: at, linear: new Set(at.map((p) => p.product)).size === at.length }));
}

/** What fitSlice reads and keeps up to date: W, its shape, W − M and M; and its CGLS steps. */
interface State {
  readonly target: Float64Array;
  readonly m: number;
  readonly n: number;
  readonly residual: Float64Array;
  readonly approx: Float64Array;
  readonly cgSteps: number;
}

/** CGLS on a slice's values from where they are, lowering ‖residual‖; `residual` and `approx` follow them. */
function fitSlice(slice: Slice, products: readonly ProductValues[], state: State): void {
  const slots: FactorSlot[] = slice.places.map(({ product, position }) => {
    const { factors, values } = products[product];
    const b = position < factors.length - 1 ? chainDense(factors, values, position + 1, factors.length) : undefined;
    return { factors, values, i: position, b, n: state.n };
  });
  const image = (p: Float64Array) => summed(slots.map((slot) => factorImage(slot, p)));
  const gradient = (r: Float64Array) => summed(slots.map((slot) => factorGradient(slot, r)));
  const v = slice.values;
  const { residual, approx } = state;
  if (slice.linear) {
    cgls(image, gradient, residual, state.cgSteps, (alpha, p, q) => {
      for (let e = 0; e < v.length; e++) v[e] += alpha * p[e];
      for (let c = 0; c < approx.length; c++) approx[c] += alpha * q[c];
    });
    return;
  }
  // The images are M's derivative at the values as they are: the step is found on a copy, v left in place meanwhile.
  const step = new Float64Array(v.length);
  cgls(image, gradient, Float64Array.from(residual), state.cgSteps, (alpha, p) => {
    for (let e = 0; e < v.length; e++) step[e] += alpha * p[e];
  });
  const start = Float64Array.from(v);
  const before = squaredNorm(residual);
  for (let k = 0, scale = 1; k <= LINE_SEARCH; k++, scale /= 2) {
    for (let e = 0; e < v.length; e++) v[e] = start[e] + scale * step[e];
    const next = sumOfProducts(products, state.m, state.n);
    if (squaredDistance(next, state.target) < before) {
      approx.set(next);
      for (let c = 0; c < residual.length; c++) residual[c] = state.target[c] - next[c];
      return;
    }
  }
  v.set(start);
}

/** The elementwise sum of one or more arrays of one length (the one itself when alone). */
function summed(arrays: readonly Float64Array[]): Float64Array {
  if (arrays.length === 1) return arrays[0];
  const sum = Float64Array.from(arrays[0]);
  for (const a of arrays.slice(1)) for (let i = 0; i < sum.length; i++) sum[i] += a[i];
  return sum;
}

/** Factor i of a product with the product B of the factors right of it (absent for the last). */
interface FactorSlot {
  readonly factors: readonly Factor[];
  readonly values: readonly Float64Array[];
  readonly i: number;
  readonly b: Float64Array | undefined;
  readonly n: number;
}

/**
 * CGLS for min ‖residual − J·x‖ over x from 0 (J by `image`, Jᵀ by `gradient`), at most `steps`
 * steps: `take(alpha, p, J·p)` is told of each step x += alpha·p, and `residual` is lowered by it.
 */
function cgls(image: (p: Float64Array) => Float64Array, gradient: (r: Float64Array) => Float64Array, residual: Float64Array, steps: number, take: (alpha: number, p: Float64Array, q: Float64Array) => void): void {
  let s = gradient(residual);
  let gamma = squaredNorm(s);
  const converged = CG_CONVERGED * gamma;
  const p = Float64Array.from(s);
  for (let step = 0; step < steps && gamma > converged; step++) {
    const q = image(p);
    const q2 = squaredNorm(q);
    if (q2 === 0) return;
    const alpha = gamma / q2;
    take(alpha, p, q);
    for (let c = 0; c < residual.length; c++) residual[c] -= alpha * q[c];
    if (step === steps - 1) return;
    s = gradient(residual);
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
