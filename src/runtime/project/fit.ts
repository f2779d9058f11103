/** What every projector returns, and the parameter tensors it fills. */
import { paramsOf } from '../../dsl/params.js';
import type { Structure } from '../../dsl/structure.js';

export interface Fit {
  /** The parameter tensors of the projected structure, by full name, float64, row-major. */
  readonly params: Map<string, Float64Array>;
  /** The matrix M (out × in, row-major) these parameters give. */
  readonly approx: Float64Array;
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
