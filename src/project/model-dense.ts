/**
 * The dense M of a model node for given parameter tensors, through the projector's own factor
 * lists: what the error of parameters other than the fit's own (the fit rounded to the stored
 * precision, storage.ts) is measured on. Two factors cost nnz(M)·rank (a Monarch at 4096:
 * 1.7·10⁷ multiply-adds), where applying the map to every unit vector would cost n·nnz(factors).
 */
import type { ModelNode } from '../model/types.js';
import { assertNever } from '../util/assert.js';
import { factorProducts, sumOfProducts } from './factors.js';
import { leftSupportOfFactor, rightSupportOfFactor } from './support.js';
import { productOfSides } from './two-factor.js';

/** M (out × in, row-major) of `n` with `params` (every tensor it reads, by name); bias terms add nothing (M is the linear part). */
export function modelDense(n: ModelNode, params: ReadonlyMap<string, Float64Array>): Float64Array {
  switch (n.kind) {
    case 'tied':
      return modelDense(n.body, params);
    case 'bias':
      return new Float64Array(n.out * n.in);
    case 'sum': {
      const m = new Float64Array(n.out * n.in);
      for (const term of n.terms) {
        const t = modelDense(term, params);
        for (let i = 0; i < m.length; i++) m[i] += t[i];
      }
      return m;
    }
    case 'chain':
    case 'ks':
    case 'bsr':
    case 'transpose':
      return productDense(n, params);
    default:
      return assertNever(n, 'model node');
  }
}

/** A chain's M: the sum of its products (one, unless it has sum stages), a permutation for a product without parameters. */
function productDense(n: ModelNode, params: ReadonlyMap<string, Float64Array>): Float64Array {
  const { products } = factorProducts(n);
  const withValues = products.map(({ factors }) => ({ factors, values: factors.map((f) => params.get(f.tensor)!.subarray(f.offset, f.offset + f.row.length)) }));
  const [only] = withValues;
  if (products.length === 1 && only.factors.length === 2) return productOfSides(leftSupportOfFactor(only.factors[0]), rightSupportOfFactor(only.factors[1]), only.values[0], only.values[1], n.out, n.in);
  const m = sumOfProducts(withValues.filter((p) => p.factors.length > 0), n.out, n.in);
  for (const { fixed } of products) fixed?.forEach((y, x) => (m[y * n.in + x] += 1));
  return m;
}
