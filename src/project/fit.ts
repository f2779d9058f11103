/** What every projector returns, and the parameter tensors it fills. */
import type { ModelNode } from '../model/types.js';
import { assertNever } from '../util/assert.js';
import { squaredDistance } from './linalg/dense.js';

export interface Fit {
  /** The parameter tensors of the projected structure, by full name, float64, row-major. */
  readonly params: Map<string, Float64Array>;
  /** The matrix M (out × in, row-major) these parameters give; built on first call (it can be large). */
  readonly approx: () => Float64Array;
  /** ‖target − M‖²_F. */
  readonly residual2: number;
  /** How M was found, for the report. */
  readonly method: string;
  /** True when M is the exact optimum (a closed form), false for a heuristic. */
  readonly optimal: boolean;
  /**
   * True when the method gives back every W of the structure (to rounding): the closed forms,
   * lowrank, one butterfly or monarch(order: p), a chain whose free part was solved to W. False
   * for the heuristics (sums of weighted terms, other chains), which may stop short of such a W.
   */
  readonly exactInClass: boolean;
  /**
   * A chain's fit that no closed form proves optimal (a heuristic, or exact in its class only):
   * its generic rank if its error meets the Eckart–Young floor there (rank-bound.ts), which makes
   * M the optimum after all, else undefined. An SVD of W: asked only of the result `project`
   * returns, where it would otherwise not be optimal (not per round of a sum).
   */
  readonly rankFloor?: () => number | undefined;
}

export interface FitOptions {
  readonly seed: number;
  /** Explicit round limit for the iterative heuristics, or undefined for each one's default. */
  readonly maxRounds: number | undefined;
  readonly powerIterations: number;
  /**
   * The fit is a term of a sum's alternation, which refits it every round: a chain's refinement
   * then defaults to few rounds of few steps (ALTERNATION_PACE), the alternation's rounds doing the rest.
   */
  readonly refitEachRound?: boolean;
  /** Elements of every parameter tensor of the map, by name (the model's parameter list). */
  readonly sizes: ReadonlyMap<string, number>;
}

/** Zero-filled tensors for every parameter `n` reads, in first-use order. */
export function zeroTensors(n: ModelNode, options: FitOptions): Map<string, Float64Array> {
  return new Map(tensorNames(n).map((name) => [name, new Float64Array(options.sizes.get(name) ?? 0)]));
}

/** The parameter tensors `n` reads, each once, in first-use order. */
export function tensorNames(n: ModelNode): string[] {
  const names = new Set<string>();
  const walk = (n: ModelNode): void => {
    switch (n.kind) {
      case 'ks':
      case 'bsr':
        names.add(n.weight.tensor);
        return;
      case 'bias':
        names.add(n.param.tensor);
        return;
      case 'transpose':
        return;
      case 'chain':
        return n.stages.forEach(walk);
      case 'sum':
        return n.terms.forEach(walk);
      case 'tied':
        return walk(n.body);
      default:
        return assertNever(n, 'model node');
    }
  };
  walk(n);
  return [...names];
}

/** A Fit whose M is already at hand. */
export function eagerFit(params: Map<string, Float64Array>, approx: Float64Array, target: Float64Array, method: string, optimal: boolean, exactInClass = optimal): Fit {
  return { params, approx: () => approx, residual2: squaredDistance(target, approx), method, optimal, exactInClass };
}

/** f, evaluated once on first call. */
export function memo<T>(f: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: f() }).v;
}
