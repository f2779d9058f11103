/**
 * Projection onto a sum of products of sparse factors that share parameter slices: a chain with a
 * sum stage, distributed over it (`(A + B) @ C` is A·C + B·C, C's factors in both products), or a
 * map tied to itself in a chain (`up @ up`: up's factors twice in one product). Neither the closed
 * forms nor the hierarchical fit know of ties, so this is a heuristic (W0801 where W is not reached):
 *  - start: a product's own hierarchical fit to W (its places untied), every slice taking the
 *    values of its first place there, or of its last, and the other products' slices from their
 *    fits to what it leaves (bestStart); of the starts led by each product, the one of smallest
 *    ‖W − M‖;
 *  - then `refineProducts`: a chain's alternating least squares, with a slice's places fitted
 *    together (a Gauss–Newton step with a line search where M is not linear in it), so the error
 *    never rises above the start's.
 */
import { sliceKey, sumOfProducts, type Factor, type FactorChain, type ProductValues } from './factors.js';
import type { FitOptions } from './fit.js';
import { fitHierarchical } from './hierarchical.js';
import { squaredDistance, squaredNorm } from './linalg/dense.js';
import { defaultRefineRounds, describeRefinement, paceOf, refineProducts } from './refine.js';

export interface SharedFit {
  /** Each parameter slice once: a factor that has it, and its values. */
  readonly slices: readonly { readonly factor: Factor; readonly values: Float64Array }[];
  readonly approx: Float64Array;
  readonly method: string;
}

export function fitSharedProducts(products: readonly FactorChain[], target: Float64Array, m: number, n: number, options: FitOptions): SharedFit {
  // Products without parameters (a transpose beside a sum's term) are fixed permutations: the others fit what they leave.
  const fixed = new Float64Array(m * n);
  for (const { fixed: dest } of products) dest?.forEach((y, x) => (fixed[y * n + x] += 1));
  const rest = target.map((w, i) => w - fixed[i]);
  const weighted = products.filter((p) => p.factors.length > 0);
  if (weighted.length === 0) return { slices: [], approx: fixed, method: `${products.length} fixed permutations (no parameters)` };
  const first = new Map<string, Factor>();
  for (const f of weighted.flatMap((p) => p.factors)) if (!first.has(sliceKey(f))) first.set(sliceKey(f), f);
  const start = bestStart(weighted, first, rest, m, n);
  const { values } = start;
  const withValues: ProductValues[] = weighted.map(({ factors }) => ({ factors, values: factors.map((f) => values.get(sliceKey(f))!) }));
  const approx = sumOfProducts(withValues, m, n);
  const relative = (e2: number) => Number(Math.sqrt(e2 / Math.max(squaredNorm(target), Number.MIN_VALUE)).toPrecision(3));
  const startError = relative(squaredDistance(approx, rest));
  const allFactors = weighted.flatMap((p) => p.factors);
  const pace = paceOf(options.refitEachRound);
  const rounds = options.maxRounds ?? defaultRefineRounds(allFactors, n, pace);
  const used = rounds > 0 ? refineProducts(rest, m, n, withValues, approx, rounds, pace.cgSteps) : 0;
  for (let i = 0; i < approx.length; i++) approx[i] += fixed[i];
  const form = products.length === 1 ? 'a chain with a map tied to itself' : `${products.length} products with shared factors (a chain over its sum stages)`;
  const method = `${form}: start led by product ${start.product + 1}'s hierarchical fit (relative error ${startError}) + ${describeRefinement(used, pace)}`;
  return { slices: [...first].map(([key, factor]) => ({ factor, values: values.get(key)! })), approx, method };
}

/**
 * Of the starts led by each product (the first START_LEADS), the one of smallest error: its slices'
 * values, and the leading product (index). The lead's hierarchical fit to W sets its slices; every
 * slice it lacks takes the values its first product's fit to W − M (the lead's part) gives. Left at
 * zero, a slice of two or more factors (A's in A·C + B·C led by B·C) would have a zero gradient
 * with its partner factor zero, and never move.
 */
function bestStart(products: readonly FactorChain[], slices: ReadonlyMap<string, Factor>, target: Float64Array, m: number, n: number): { values: Map<string, Float64Array>; product: number } {
  const withValues = (values: ReadonlyMap<string, Float64Array>) => products.map((p) => ({ factors: p.factors, values: p.factors.map((f) => values.get(sliceKey(f))!) }));
  const hierarchical = (factors: readonly Factor[], w: Float64Array) => {
    const fitted = factors.map((f) => new Float64Array(f.row.length));
    fitHierarchical(w, m, n, factors, fitted, 0, factors.length);
    return fitted;
  };
  let best: { values: Map<string, Float64Array>; product: number; error: number } | undefined;
  products.slice(0, START_LEADS).forEach(({ factors }, product) => {
    const fitted = hierarchical(factors, target);
    // A slice in two places of the lead got two values: either may be the better start.
    const places = new Set(factors.map(sliceKey)).size === factors.length ? (['first'] as const) : (['first', 'last'] as const);
    for (const place of places) {
      const values = new Map([...slices].map(([key, f]) => [key, new Float64Array(f.row.length)]));
      const set = new Set(factors.map(sliceKey));
      const order = place === 'first' ? [...factors.keys()].reverse() : [...factors.keys()];
      for (const i of order) values.get(sliceKey(factors[i]))!.set(fitted[i]);
      const rest = sumOfProducts(withValues(values), m, n).map((x, i) => target[i] - x);
      for (const other of products) {
        if (other.factors.every((f) => set.has(sliceKey(f)))) continue;
        const otherFit = hierarchical(other.factors, rest);
        other.factors.forEach((f, i) => {
          if (set.has(sliceKey(f))) return;
          values.get(sliceKey(f))!.set(otherFit[i]);
          set.add(sliceKey(f));
        });
      }
      const error = squaredDistance(sumOfProducts(withValues(values), m, n), target);
      if (best === undefined || error < best.error) best = { values, product, error };
    }
  });
  return best!;
}

/** Products that lead a start (each costs a hierarchical fit of every product): `(A + B + C + D) @ E` tries all four. */
const START_LEADS = 4;
