/** Projects an uploaded .npy matrix (out × in) onto a map's model: the closest parameters and the error. */
import type { ModelMap } from '../../../src/model/types.js';
import { readNpy } from '../../../src/runtime/formats/npy.js';
import { checkDenseShape, project, type ProjectionResult } from '../../../src/project/index.js';

export function projectNpy(model: ModelMap, bytes: Uint8Array): ProjectionResult {
  const w = readNpy(bytes);
  checkDenseShape(model, w.shape);
  return project(model, w.data);
}
