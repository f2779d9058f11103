/**
 * The hierarchical factorization of Le et al. (2022): split the chain in two halves, fit W by X·Y
 * with X, Y on the supports of the half-products (`fitTwoFactor`), then factor X and Y the same
 * way. Exact when W is in the class and the supports are chainable (butterflies, Monarch of any
 * order); otherwise a start for the refinement.
 */
import type { Factor } from './factors.js';
import { leftSupportOfFactor, leftSupportOfProduct, rightSupportOfFactor, rightSupportOfProduct } from './support.js';
import { fitTwoFactor } from './two-factor.js';

/**
 * Fits factors[from..to) to `target` (m×n). Returns whether the fit is the exact optimum (one
 * factor, or two with disjoint rectangles) and then ‖target − M‖² when it is two factors.
 */
export function fitHierarchical(
  target: Float64Array,
  m: number,
  n: number,
  factors: readonly Factor[],
  values: Float64Array[],
  from: number,
  to: number,
): { optimal: boolean; residual2: number } {
  if (to - from === 1) {
    const f = factors[from];
    const v = values[from];
    for (let e = 0; e < v.length; e++) v[e] = target[f.row[e] * n + f.col[e]];
    return { optimal: true, residual2: NaN };
  }
  const mid = from + Math.floor((to - from) / 2);
  const h = factors[mid].rows;
  const leftLeaf = mid - from === 1;
  const rightLeaf = to - mid === 1;
  const left = leftLeaf ? leftSupportOfFactor(factors[from]) : leftSupportOfProduct(factors.slice(from, mid));
  const right = rightLeaf ? rightSupportOfFactor(factors[mid]) : rightSupportOfProduct(factors.slice(mid, to));
  const outLeft = leftLeaf ? values[from] : new Float64Array(m * h);
  const outRight = rightLeaf ? values[mid] : new Float64Array(h * n);
  const fit = fitTwoFactor(target, m, n, left, right, outLeft, outRight);
  if (!leftLeaf) fitHierarchical(outLeft, m, h, factors, values, from, mid);
  if (!rightLeaf) fitHierarchical(outRight, h, n, factors, values, mid, to);
  return { optimal: fit.optimal && leftLeaf && rightLeaf, residual2: fit.residual2 };
}
