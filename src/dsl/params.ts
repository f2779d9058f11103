/**
 * Parameter tensors of a structure. What each constructor owns is written once, in the structure
 * model (src/model/constructors.ts); these names stay for the checker and the public API.
 */
import { checkStructureArgument, paramsOf } from '../model/build.js';
import { paramElements } from '../model/cost.js';
import type { Structure } from './structure.js';

export { paramsOf } from '../model/build.js';

/** Elements of a tensor of this shape, exact however large (a product of 32-bit sizes can pass 2^53). */
export function tensorElements(shape: readonly number[]): bigint {
  return shape.reduce((acc, d) => acc * BigInt(d), 1n);
}

export function paramCount(s: Structure): number {
  checkStructureArgument('paramCount', s);
  return paramElements(paramsOf(s));
}

/**
 * Alignment of each tensor in a map's packed parameter buffer, in elements, whatever the dtype.
 * Why 8: at f16 it is the 16 bytes the tensor-core kernels' matrix loads of a weight read in place
 * need (at f32 it is 32 bytes, more than the 16 of its vec4 loads). Why one count for both dtypes:
 * an f16 module's f32-storage kernel set (for adapters without shader-f16, reading the same packed
 * offsets) must be exactly the f32 build of the spec. The checker's size limit counts the padding.
 */
export const PARAM_ALIGN = 8;
