/**
 * Projection of a W whose entries are far from 1: its squares, and the Gram matrices and
 * products the projectors form, leave float64's range (entries near 1e160 overflowed to ∞ and
 * the fit came back all zero; near 1e-170 ‖W‖² underflowed to 0 and any M had relative error 0).
 * Such a W is projected as W·2^-e (e even: the scaling is exact, and so are the square roots of
 * scaled squares), and the parameters found are scaled back by 2^e: M is homogeneous in each
 * weighted factor's parameters, so scaling one factor of every chain (and every term of a sum, a
 * bias included) by 2^e scales M by 2^e, and the optimum of 2^e·W is 2^e times that of W.
 */
import type { ModelNode, ParamSlice } from '../model/types.js';
import { assertNever } from '../util/assert.js';

/** The largest |w| that is projected as it is, and the smallest nonzero one (2^±200: fourth powers stay normal). */
const LARGEST_AS_IS = 2 ** 200;
const SMALLEST_AS_IS = 2 ** -200;

/**
 * The power of two `e` to project `w` at (w·2^-e has its largest entry near 1), or 0 when its
 * entries are projected as they are (every W of ordinary magnitude, and W = 0).
 */
export function projectionExponent(w: Float64Array): number {
  let largest = 0;
  for (let i = 0; i < w.length; i++) largest = Math.max(largest, Math.abs(w[i]));
  if (largest === 0 || (largest <= LARGEST_AS_IS && largest >= SMALLEST_AS_IS)) return 0;
  const e = Math.floor(Math.log2(largest));
  return e - (((e % 2) + 2) % 2); // even: 2^e is a square
}

/** `v` · 2^e, exactly where the result is a normal float64 (2^e itself may not be a float64: two steps). */
export function timesPowerOfTwo(v: number, e: number): number {
  const half = Math.trunc(e / 2);
  return v * 2 ** half * 2 ** (e - half);
}

/**
 * The parameter slices to multiply by s so that the map's M is multiplied by s: one weighted
 * factor of each chain, every term of a sum (a term repeated through weight tying, `a + a`, shares
 * its slices with its repeats: scaled once, each use scales). Undefined where no such set exists:
 * M must be of degree 1 in the set, which a map tied twice into one chain (`a @ a`) is not.
 */
export function scalingSlices(body: ModelNode): readonly ParamSlice[] | undefined {
  const key = (s: ParamSlice) => `${s.tensor}\u0000${s.offset}\u0000${s.length}`;
  const plan = (n: ModelNode): ParamSlice[] | undefined => {
    switch (n.kind) {
      case 'ks':
      case 'bsr':
        return [n.weight];
      case 'bias':
        return [n.param];
      case 'transpose':
        return undefined;
      case 'chain':
        for (const stage of n.stages) {
          const slices = plan(stage);
          if (slices) return slices;
        }
        return undefined;
      case 'sum': {
        const slices: ParamSlice[] = [];
        for (const term of n.terms) {
          const t = plan(term);
          if (!t) return undefined;
          slices.push(...t);
        }
        return slices;
      }
      case 'tied':
        return plan(n.body);
      default:
        return assertNever(n, 'model node');
    }
  };
  const planned = plan(body);
  if (!planned) return undefined;
  const chosen = new Map(planned.map((s) => [key(s), s]));
  // The degree of M in the chosen slices: 1 for a valid set (a sum's terms must agree).
  const degree = (n: ModelNode): number => {
    switch (n.kind) {
      case 'ks':
      case 'bsr':
        return chosen.has(key(n.weight)) ? 1 : 0;
      case 'bias':
        return chosen.has(key(n.param)) ? 1 : 0;
      case 'transpose':
        return 0;
      case 'chain':
        return n.stages.reduce((d, stage) => d + degree(stage), 0);
      case 'sum': {
        const degrees = n.terms.map(degree);
        return degrees.every((d) => d === degrees[0]) ? degrees[0]! : NaN;
      }
      case 'tied':
        return degree(n.body);
      default:
        return assertNever(n, 'model node');
    }
  };
  return degree(body) === 1 ? [...chosen.values()] : undefined;
}

/** `params` with the elements of `slices` multiplied by 2^e (copies; the other tensors shared). */
export function scaleSlices(params: ReadonlyMap<string, Float64Array>, slices: readonly ParamSlice[], e: number): Map<string, Float64Array> {
  const scaled = new Map(params);
  for (const s of slices) {
    const t = Float64Array.from(scaled.get(s.tensor)!);
    for (let i = s.offset; i < s.offset + s.length; i++) t[i] = timesPowerOfTwo(t[i], e);
    scaled.set(s.tensor, t);
  }
  return scaled;
}
