/** Parameter counts and FLOPs per batch row of a checked structure: the model's (src/model/cost.ts). */
import { checkStructureArgument, modelOfStructure } from '../model/build.js';
import { modelCost, type Cost } from '../model/cost.js';
import type { Structure } from './structure.js';

export { denseCost, type Cost } from '../model/cost.js';

export function structureCost(s: Structure): Cost {
  checkStructureArgument('structureCost', s);
  return modelCost(modelOfStructure(s));
}
