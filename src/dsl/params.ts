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
