/** What every projector returns, and the parameter tensors it fills. */
import { paramsOf } from '../dsl/params.js';
import type { Structure } from '../dsl/structure.js';
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
}

export interface FitOptions {
  readonly seed: number;
  /** Explicit round limit for the iterative heuristics, or undefined for each one's default. */
  readonly maxRounds: number | undefined;
  readonly powerIterations: number;
}

/** Zero-filled tensors for every parameter of `s`. */
export function zeroTensors(s: Structure): Map<string, Float64Array> {
  return new Map(paramsOf(s).map((p) => [p.name, new Float64Array(p.shape.reduce((a, b) => a * b, 1))]));
}

/** A Fit whose M is already at hand. */
export function eagerFit(params: Map<string, Float64Array>, approx: Float64Array, target: Float64Array, method: string, optimal: boolean): Fit {
  return { params, approx: () => approx, residual2: squaredDistance(target, approx), method, optimal };
}

/** f, evaluated once on first call. */
export function memo<T>(f: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: f() }).v;
}
