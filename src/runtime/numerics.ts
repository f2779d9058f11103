/**
 * What values a module accepts (docs/numerics.md): parameters must be finite (a NaN or ±Inf
 * weight makes every output it reaches NaN on one backend and not on another), float64 ones also
 * as f32 stores them (within ±3.4e38), and an f16
 * module's parameters and inputs must lie within f16's range (±65504), beyond which f16 storage
 * holds ±Inf (on a device with shader-f16) while an f32 fallback would compute on: the same
 * module must not give different answers by device. Both are checked once, on load and on each
 * forward call, in O(n).
 */
import type { Dtype } from '../manifest/program.js';
import { MoncError } from '../util/error.js';
import { userError } from './user-error.js';

/** The largest finite f16 value. */
export const F16_MAX = 65504;

/** A value a module cannot take: the message names the tensor (or input) and the element. */
export class ValueRangeError extends MoncError {
  override readonly name = 'ValueRangeError';
  constructor(message: string) {
    super('value', message);
  }
}

/**
 * Throws a ValueRangeError for the first element of `values` that `dtype` cannot hold: not
 * finite, beyond ±65504 in an f16 module, or (float64 values: an F64 file, a Float64Array) beyond
 * float32's range, which storing it in f32 would turn into ±Inf. `what` names it: "parameter tensor 'up.w'".
 * Each element is taken as a number first, as float32 storage takes it: one that does not convert (from
 * JavaScript a BigInt, an object whose valueOf throws) is a MoncError of kind 'user' that says what the
 * conversion threw (`<what> must be numbers, got TypeError: ...`; QA2 s19 R84: a bare TypeError from loadParams).
 */
export function checkValues(values: ArrayLike<number>, dtype: Dtype, what: string, shape?: readonly number[]): void {
  try {
    for (let i = 0; i < values.length; i++) {
      const v = +values[i];
      if (dtype === 'f16' ? Number.isFinite(v) && Math.abs(v) <= F16_MAX : Number.isFinite(Math.fround(v))) continue;
      throw new ValueRangeError(badValueMessage(v, i, what, shape));
    }
  } catch (e) {
    throw e instanceof ValueRangeError ? e : userError(`${what} must be numbers, got ${e}`);
  }
}

/** What checkValues says of the value `v` at element `index` of `what` (also for a value found elsewhere, e.g. on the device). */
export function badValueMessage(v: number, index: number, what: string, shape?: readonly number[]): string {
  const why = !Number.isFinite(v) ? 'not finite' : Math.abs(v) > F16_MAX && Number.isFinite(Math.fround(v)) ? `beyond the f16 range ±${F16_MAX} of this f16 module` : 'beyond the f32 range ±3.4e38';
  return `${what} holds ${v} at element ${elementName(index, shape)}: ${why}`;
}

/** Element `index` of a row-major tensor as messages name it: `(1, 2)`, or `7` for a vector. */
export function elementName(index: number, shape?: readonly number[]): string {
  return shape && shape.length > 1 ? `(${unravel(index, shape).join(', ')})` : `${index}`;
}

function unravel(index: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = index % shape[d];
    index = Math.floor(index / shape[d]);
  }
  return out;
}
