/** Projects an uploaded .npy matrix (out × in) onto a structure: the closest parameters and the error. */
import type { Structure } from '../../../src/dsl/structure.js';
import { readNpy } from '../../../src/runtime/formats/npy.js';
import { checkDenseShape, project, type ProjectionResult } from '../../../src/project/index.js';

export function projectNpy(structure: Structure, bytes: Uint8Array): ProjectionResult {
  const w = readNpy(bytes);
  checkDenseShape(structure, w.shape);
  return project(structure, w.data);
}
