/**
 * Parameter tensors of a structure. What each constructor owns is written once, in the structure
 * model (src/model/constructors.ts); these names stay for the checker and the public API.
 */
import { paramsOf } from '../model/build.js';
import { paramElements } from '../model/cost.js';
import type { Dtype, Structure } from './structure.js';

export { paramsOf } from '../model/build.js';

/** Elements of a tensor of this shape, exact however large (a product of 32-bit sizes can pass 2^53). */
export function tensorElements(shape: readonly number[]): bigint {
  return shape.reduce((acc, d) => acc * BigInt(d), 1n);
}

export function paramCount(s: Structure): number {
  return paramElements(paramsOf(s));
}

/**
 * Alignment of each tensor in a map's packed parameter buffer, in elements of the map's dtype:
 * 16 bytes (4 elements at f32, 8 at f16), what the kernels' vector loads and the tensor-core
 * kernels' matrix loads of a weight read in place need. The checker's size limit counts it.
 */
export function paramAlign(dtype: Dtype): number {
  return dtype === 'f16' ? 8 : 4;
}
