/**
 * Projection's float64 parameters as they are stored: a safetensors file (`monc project`) or a
 * runner (`projectInto`) holds them as f32, or as f16 in an f16 module. Rounding is done by the
 * same conversion the safetensors writer uses, so the values here are the file's bit for bit; a
 * value the storage cannot hold (beyond ±65504 in f16, past f32's range) would be written as ±Inf
 * and refused by every command that loads it (numerics.ts), so it is refused here.
 */
import { f16BitsToF32, f32ToF16Bits } from '../runtime/formats/f16.js';
import { checkValues, ValueRangeError } from '../runtime/numerics.js';
import { ProjectionError } from './errors.js';
import { PRECISION_TOLERANCE } from '../util/precision.js';

/** The precision parameters are stored in: the module's dtype. */
export type StorageDtype = 'f32' | 'f16';

/**
 * How far the stored parameters' relative error may lie above the float64 optimum's and still be
 * called optimal: the tolerance within which monc's results of that precision match the float64
 * reference (docs/numerics.md, docs/export.md). Rounding an optimum to f16 (11 significant bits)
 * moves M by a few 1e-4 relative; flushing parameters below f16's smallest subnormal (6e-8) to
 * zero can move it all the way to M = 0.
 */
export const STORED_OPTIMUM_TOLERANCE: Readonly<Record<StorageDtype, number>> = PRECISION_TOLERANCE;

/** `v` as `dtype` stores it (round to nearest even; ±Inf past the range). */
export function roundToStorage(v: number, dtype: StorageDtype): number {
  return dtype === 'f16' ? f16BitsToF32(f32ToF16Bits(v)) : Math.fround(v);
}

/**
 * Every tensor rounded to `dtype`, or a ProjectionError naming the first value it cannot hold.
 * `shapes` gives each tensor's shape, for the element's position in the message.
 */
export function storedParams(params: ReadonlyMap<string, Float64Array>, shapes: ReadonlyMap<string, readonly number[]>, dtype: StorageDtype): Map<string, Float64Array> {
  const stored = new Map<string, Float64Array>();
  for (const [name, values] of params) {
    const what = `parameter tensor '${name}'`;
    const shape = shapes.get(name);
    const rounded = values.map((v) => roundToStorage(v, dtype));
    // The loaders' own rule: finite as stored (within ±3.4e38), and within ±65504 in an f16 module.
    projectedRange(() => checkValues(values, dtype, what, shape));
    stored.set(name, rounded);
  }
  return stored;
}

/**
 * `load()`, with a value beyond the module's range (the loaders' ValueRangeError) a
 * ProjectionError: what is out of range is W's projection, and W is what to scale.
 */
export function projectedRange<T>(load: () => T): T {
  try {
    return load();
  } catch (e) {
    if (e instanceof ValueRangeError) throw new ProjectionError(`the projected ${e.message}; scale W down`);
    throw e;
  }
}

/** Whether rounding changed any value. */
export function roundingChanged(params: ReadonlyMap<string, Float64Array>, stored: ReadonlyMap<string, Float64Array>): boolean {
  for (const [name, values] of params) {
    const s = stored.get(name)!;
    for (let i = 0; i < values.length; i++) if (values[i] !== s[i]) return true;
  }
  return false;
}
