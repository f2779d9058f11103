/**
 * Test support: the float64 reference (which reads a map's model) called with what a test has at
 * hand: a checked structure (its model is built the way `monc` builds it, modelOfStructure) or a
 * model already (a manifest's `model`, modelOf of a checked map). Same results as the runtime's
 * functions; only the argument is widened.
 */
import type { Structure } from '../../src/dsl/structure.js';
import { modelOfStructure } from '../../src/model/build.js';
import type { ModelMap } from '../../src/model/types.js';
import * as backward from '../../src/runtime/reference-backward.js';
import * as reference from '../../src/runtime/reference.js';
import type { ParamValues } from '../../src/runtime/reference.js';

/** A structure, or a model (anything with a body and its parameter list). */
export type Described = Structure | Pick<ModelMap, 'params' | 'body'>;

export function modelFor(s: Described): Pick<ModelMap, 'params' | 'body'> {
  return 'body' in s ? s : modelOfStructure(s);
}

export function referenceApply(s: Described, params: ParamValues, x: ArrayLike<number>, batch: number): Float64Array {
  return reference.referenceApply(modelFor(s), params, x, batch);
}

export function referenceDense(s: Described, params: ParamValues): Float64Array {
  return reference.referenceDense(modelFor(s), params);
}

export function referenceBackward(s: Described, params: ParamValues, x: ArrayLike<number>, dy: ArrayLike<number>, batch: number): backward.ReferenceGradients {
  return backward.referenceBackward(modelFor(s), params, x, dy, batch);
}
