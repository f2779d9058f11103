/**
 * Projection onto a product of sparse factors (the model's K(a,b,c,d) and block-sparse factors,
 * and chains of them with transposes: dense, ks, blockdiag, sparse, monarch, monarch of order p,
 * butterfly, and what users chain themselves):
 *  - one factor: the masked copy of W on its support, the exact optimum;
 *  - two factors: `fitTwoFactor`, the exact optimum when the rank-one supports of the terms are
 *    equal or disjoint (Monarch: per-block truncated SVD);
 *  - then a part that takes any matrix (a `dense()` factor, or a pair of factors such as the middle
 *    of `down @ up` through a wider hidden layer) or any of bounded rank (adjacent `dense()` factors)
 *    takes its least-squares value given the others (`solveFreeRuns`), which reaches every W of
 *    the class where the others can have full rank towards the chain's ends (`coversClass`);
 *  - more: the hierarchical algorithm of Le et al. (2022): split the chain in two halves, fit W by
 *    X·Y with X, Y on the supports of the half-products, then factor X and Y the same way. Exact
 *    when W is in the class and the supports are chainable (butterflies, Monarch of any order),
 *    then refined by `refineProducts`;
 *  - a chain with a sum stage, or a map tied to itself in it: `fitSharedProducts`, a heuristic.
 */
import type { ModelNode } from '../model/types.js';
import { assertNever } from '../util/assert.js';
import { chainDense, factorProducts, usesSliceTwice, type Factor } from './factors.js';
import { eagerFit, memo, zeroTensors, type Fit, type FitOptions } from './fit.js';
import { coversClass, reachesTarget, solveAgainstIsometries, solveFreeRuns } from './free-factor.js';
import { fitHierarchical } from './hierarchical.js';
import { foldMonomials } from './monomial.js';
import { rankFloorMet } from './rank-bound.js';
import { defaultRefineRounds, describeRefinement, paceOf, refineProducts } from './refine.js';
import { fitSharedProducts } from './shared-products.js';
import { leftSupportOfFactor, rightSupportOfFactor } from './support.js';
import { productOfSides } from './two-factor.js';

export function fitProduct(node: ModelNode, target: Float64Array, options: FitOptions): Fit {
  const m = node.out;
  const n = node.in;
  const params = zeroTensors(node, options);
  const { products, biases } = factorProducts(node);
  // Biases of its stages add nothing to M: left at zero (zeroTensors), and the method says so.
  const biasNote = biases.length === 0 ? [] : [`bias${biases.length === 1 ? '' : 'es'} inside the chain (${biases.join(', ')}): zero`];
  // A stage of biases only: M is 0 whatever the parameters, which stay zero (the minimum-norm choice), the optimum.
  if (products.length === 0) return eagerFit(params, new Float64Array(m * n), target, ['no product (a stage of biases only makes the linear part 0)', ...biasNote].join('; '), true, true);
  if (products.length > 1 || usesSliceTwice(products)) {
    const shared = fitSharedProducts(products, target, m, n, options);
    for (const { factor, values } of shared.slices) params.get(factor.tensor)!.set(values, factor.offset);
    return eagerFit(params, shared.approx, target, [shared.method, ...biasNote].join('; '), false, false);
  }
  const { fixed } = products[0];
  const { factors, folded } = foldMonomials(products[0].factors);
  // Folded scales are 1.
  const withBiases = (method: string) =>
    [method, ...biasNote, ...(folded.length === 0 ? [] : [`${folded.map((f) => f.tensor).join(', ')} folded into ${folded.length === 1 ? 'its neighbour' : 'their neighbours'}: 1`])].join('; ');
  if (fixed) {
    const approx = new Float64Array(m * n);
    fixed.forEach((y, x) => (approx[y * n + x] = 1));
    return eagerFit(params, approx, target, withBiases('fixed permutation (no parameters)'), true);
  }
  const values: Float64Array[] = factors.map((f) => new Float64Array(f.row.length));
  const write = () => {
    factors.forEach((f, i) => params.get(f.tensor)!.set(values[i], f.offset));
    for (const f of folded) params.get(f.tensor)!.fill(1, f.offset, f.offset + f.row.length);
  };
  if (factors.length === 1) {
    fitHierarchical(target, m, n, factors, values, 0, 1);
    write();
    return eagerFit(params, chainDense(factors, values), target, withBiases('masked copy'), true);
  }
  // A chain with a part that takes any matrix, solved against random orthogonal other factors,
  // reaches every W of its class where they have full rank: then no hierarchical fit is needed
  // (at d = 1024, `down @ up`'s costs most of the time). Two factors get their closed form first;
  // a chain of full factors only (`lowrank @ lowrank`) is one part, its truncated SVD the optimum.
  const isometric = factors.length > 2 ? solveAgainstIsometries(target, m, n, factors, options.seed) : undefined;
  if (isometric && (isometric.optimal || reachesTarget(isometric, target))) {
    isometric.values.forEach((v, i) => (values[i] = v));
    write();
    const others = isometric.optimal ? '' : ', the other factors random with orthonormal blocks';
    return eagerFit(params, isometric.approx, target, withBiases(`least squares on ${isometric.what}${others}`), isometric.optimal, true);
  }
  const top = fitHierarchical(target, m, n, factors, values, 0, factors.length);
  if (top.optimal) {
    // Two factors with disjoint rectangles: M is only built if someone asks (a sum does).
    write();
    const [left, right] = [leftSupportOfFactor(factors[0]), rightSupportOfFactor(factors[1])];
    const approx = memo(() => productOfSides(left, right, values[0], values[1], m, n));
    return { params, approx, residual2: top.residual2, method: withBiases('two-factor block SVD'), optimal: true, exactInClass: true };
  }
  let method = factors.length === 2 ? 'two-factor SVD on merged overlapping blocks' : `hierarchical factorization (${factors.length} factors)`;
  const solved = solveFreeRuns(target, m, n, factors, values, isometric ?? (factors.length === 2 ? solveAgainstIsometries(target, m, n, factors, options.seed) : undefined));
  if (solved) method += ` + least squares on ${solved}`;
  const approx = chainDense(factors, values);
  const pace = paceOf(options.refitEachRound);
  const rounds = options.maxRounds ?? defaultRefineRounds(factors, n, pace);
  if (rounds > 0) method += ` + ${describeRefinement(refineProducts(target, m, n, [{ factors, values }], approx, rounds, pace.cgSteps), pace)}`;
  write();
  // Exact for every W of the class (so W0801 stays silent) where the hierarchical fit or the least squares promise it;
  // and, exact or not, the optimum for this W where its error meets the floor of the chain's rank (QA s20 Q94: `down @ up @
  // monarch`, exact through its free pair, met its rank-4 floor unclaimed).
  const exact = hierarchicalExact(node) || coversClass(factors);
  const fit = eagerFit(params, approx, target, withBiases(method), false, exact);
  return { ...fit, rankFloor: () => rankFloorMet(target, m, n, factors, fit.residual2) };
}

/** Constructors whose chain of factors the hierarchical factorization gives back exactly when W is in their class (Le et al.'s chainable supports). */
const CHAINABLE = new Set(['butterfly', 'monarch', 'monarch_order']);

/**
 * Whether `node` is one butterfly or monarch (transposes and biases beside it allowed): the
 * hierarchical factorization then reproduces every W of its class (idempotence.test.ts); for other
 * chains (`monarch @ monarch`, …) it is a heuristic.
 */
function hierarchicalExact(node: ModelNode): boolean {
  const weighted = (n: ModelNode): ModelNode[] => {
    switch (n.kind) {
      case 'tied':
        return weighted(n.body);
      case 'chain':
        return n.constructorKind !== undefined && CHAINABLE.has(n.constructorKind) ? [n] : n.stages.flatMap(weighted);
      case 'sum':
        return n.terms.flatMap(weighted);
      case 'transpose':
      case 'bias':
        return [];
      case 'ks':
        // K(a,1,1,d) (`diag()`) beside a factor is folded into it (monomial.ts).
        return n.b === 1 && n.c === 1 ? [] : [n];
      case 'bsr':
        return [n];
      default:
        return assertNever(n, 'model node');
    }
  };
  const parts = weighted(node);
  return parts.length === 1 && parts[0].kind === 'chain';
}
