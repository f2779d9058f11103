/**
 * Projection of a W whose entries are far from 1: its squares, and the Gram matrices and
 * products the projectors form, leave float64's range (entries near 1e160 overflowed to ∞ and
 * the fit came back all zero; near 1e-170 ‖W‖² underflowed to 0 and any M had relative error 0).
 * Such a W is projected as W·2^-e (e even: the scaling is exact, and so are the square roots of
 * scaled squares), and the parameters found are scaled back (scalingPlan): M is homogeneous in
 * each weighted factor's parameters, so factors of a chain scaled by 2^e1 … 2^eL with
 * e1 + … + eL = e (and every term of a sum, a bias included, by 2^e) scale M by 2^e, and the
 * optimum of 2^e·W is 2^e times that of W.
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

/** A parameter slice and the power of two its elements are multiplied by. */
export interface SliceScaling {
  readonly slice: ParamSlice;
  readonly exponent: number;
}

/**
 * How to multiply the map's M by 2^e through its parameters: the exponent split as evenly as
 * whole numbers allow over the weighted factors of each chain (so each factor of a balanced fit
 * stays balanced: a lowrank pair at 2^210 gets 2^105 each, within f32, where one factor would take
 * 2^210), and given whole to every term of a sum. A slice reached twice (a map used twice) must
 * get one exponent, and M must come out multiplied by exactly 2^e (`a @ a`: 2^(e/2) on `a`);
 * undefined where that cannot be (`a + a @ b`).
 */
export function scalingPlan(body: ModelNode, e: number): readonly SliceScaling[] | undefined {
  const key = (s: ParamSlice) => `${s.tensor}\u0000${s.offset}\u0000${s.length}`;
  const chosen = new Map<string, SliceScaling>();
  let consistent = true;
  const take = (slice: ParamSlice, exponent: number) => {
    const had = chosen.get(key(slice));
    if (had && had.exponent !== exponent) consistent = false;
    chosen.set(key(slice), { slice, exponent });
  };
  const weighted = (n: ModelNode): boolean => n.kind !== 'transpose' && (n.kind !== 'chain' || n.stages.some(weighted));
  const assign = (n: ModelNode, exponent: number): void => {
    switch (n.kind) {
      case 'ks':
      case 'bsr':
        return take(n.weight, exponent);
      case 'bias':
        return take(n.param, exponent);
      case 'transpose':
        return;
      case 'chain': {
        const stages = n.stages.filter(weighted);
        const base = Math.trunc(exponent / stages.length);
        const rest = exponent - base * stages.length; // |rest| < stages.length: one more (or less) on the first ones
        stages.forEach((stage, i) => assign(stage, base + (i < Math.abs(rest) ? Math.sign(rest) : 0)));
        return;
      }
      case 'sum':
        return n.terms.forEach((t) => assign(t, exponent));
      case 'tied':
        return assign(n.body, exponent);
      default:
        return assertNever(n, 'model node');
    }
  };
  assign(body, e);
  if (!consistent) return undefined;
  // The power M is multiplied by, through the chosen slices (once each, however often used).
  const power = (n: ModelNode): number => {
    switch (n.kind) {
      case 'ks':
      case 'bsr':
        return chosen.get(key(n.weight))?.exponent ?? 0;
      case 'bias':
        return chosen.get(key(n.param))?.exponent ?? 0;
      case 'transpose':
        return 0;
      case 'chain':
        return n.stages.reduce((p, stage) => p + power(stage), 0);
      case 'sum': {
        const powers = n.terms.map(power);
        return powers.every((p) => p === powers[0]) ? powers[0]! : NaN;
      }
      case 'tied':
        return power(n.body);
      default:
        return assertNever(n, 'model node');
    }
  };
  return power(body) === e ? [...chosen.values()] : undefined;
}

/** `params` with each planned slice multiplied by 2^(sign · its exponent) (copies; the other tensors shared). */
export function applyScaling(params: ReadonlyMap<string, Float64Array>, plan: readonly SliceScaling[], sign: 1 | -1): Map<string, Float64Array> {
  const scaled = new Map(params);
  const copied = new Set<string>();
  for (const { slice: s, exponent } of plan) {
    if (!copied.has(s.tensor)) {
      scaled.set(s.tensor, Float64Array.from(scaled.get(s.tensor)!));
      copied.add(s.tensor);
    }
    const t = scaled.get(s.tensor)!;
    for (let i = s.offset; i < s.offset + s.length; i++) t[i] = timesPowerOfTwo(t[i], sign * exponent);
  }
  return scaled;
}
