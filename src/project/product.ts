/**
 * Projection onto a product of sparse factors (the model's K(a,b,c,d) and block-sparse factors,
 * and chains of them with transposes: dense, ks, blockdiag, sparse, monarch, monarch of order p,
 * butterfly, and what users chain themselves):
 *  - one factor: the masked copy of W on its support, the exact optimum;
 *  - two factors: `fitTwoFactor`, the exact optimum when the rank-one supports of the terms are
 *    equal or disjoint (Monarch: per-block truncated SVD);
 *  - then a factor with full support (`dense()`) takes its least-squares value given the others
 *    (`solveFullFactors`), which reaches every W of the class where the others have full rank;
 *  - more: the hierarchical algorithm of Le et al. (2022): split the chain in two halves, fit W by
 *    X·Y with X, Y on the supports of the half-products, then factor X and Y the same way. Exact
 *    when W is in the class and the supports are chainable (butterflies, Monarch of any order),
 *    then refined by `refineChain`.
 */
import type { ModelNode } from '../model/types.js';
import { chainDense, factorChain, type Factor } from './factors.js';
import { eagerFit, memo, zeroTensors, type Fit, type FitOptions } from './fit.js';
import { solveFullFactors } from './free-factor.js';
import { refineChain, defaultRefineRounds } from './refine.js';
import { leftSupportOfFactor, leftSupportOfProduct, rightSupportOfFactor, rightSupportOfProduct } from './support.js';
import { fitTwoFactor, productOfSides } from './two-factor.js';

export function fitProduct(node: ModelNode, target: Float64Array, options: FitOptions): Fit {
  const m = node.out;
  const n = node.in;
  const params = zeroTensors(node, options);
  const { factors, fixed, biases } = factorChain(node);
  // Biases of its stages add nothing to M: left at zero (zeroTensors), and the method says so.
  const withBiases = (method: string) => (biases.length === 0 ? method : `${method}; bias${biases.length === 1 ? '' : 'es'} inside the chain (${biases.join(', ')}): zero`);
  if (fixed) {
    const approx = new Float64Array(m * n);
    fixed.forEach((y, x) => (approx[y * n + x] = 1));
    return eagerFit(params, approx, target, withBiases('fixed permutation (no parameters)'), true);
  }
  const values = factors.map((f) => new Float64Array(f.row.length));
  const write = () => factors.forEach((f, i) => params.get(f.tensor)!.set(values[i], f.offset));
  if (factors.length === 1) {
    fitChain(target, m, n, factors, values, 0, 1);
    write();
    return eagerFit(params, chainDense(factors, values), target, withBiases('masked copy'), true);
  }
  const top = fitChain(target, m, n, factors, values, 0, factors.length);
  if (top.optimal) {
    // Two factors with disjoint rectangles: M is only built if someone asks (a sum does).
    write();
    const [left, right] = [leftSupportOfFactor(factors[0]), rightSupportOfFactor(factors[1])];
    const approx = memo(() => productOfSides(left, right, values[0], values[1], m, n));
    return { params, approx, residual2: top.residual2, method: withBiases('two-factor block SVD'), optimal: true };
  }
  let method = factors.length === 2 ? 'two-factor SVD on merged overlapping blocks' : `hierarchical factorization (${factors.length} factors)`;
  if (solveFullFactors(target, m, n, factors, values, options.seed)) method += ' + least squares on its dense factors';
  const approx = chainDense(factors, values);
  const rounds = options.maxRounds ?? defaultRefineRounds(factors, n);
  if (rounds > 0) {
    const used = refineChain(target, m, n, factors, values, approx, rounds);
    method += ` + ${used} refinement round${used === 1 ? '' : 's'}`;
  }
  write();
  return eagerFit(params, approx, target, withBiases(method), false);
}

/**
 * Fits factors[from..to) to `target` (m×n). Returns whether the fit is the exact optimum (one
 * factor, or two with disjoint rectangles) and then ‖target − M‖² when it is two factors.
 */
function fitChain(
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
  if (!leftLeaf) fitChain(outLeft, m, h, factors, values, from, mid);
  if (!rightLeaf) fitChain(outRight, h, n, factors, values, mid, to);
  return { optimal: fit.optimal && leftLeaf && rightLeaf, residual2: fit.residual2 };
}
