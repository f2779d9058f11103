/** Parameter counts and FLOPs per batch row of a checked structure: the model's (src/model/cost.ts). */
import { modelOfStructure } from '../model/build.js';
import { modelCost, type Cost } from '../model/cost.js';
import type { Structure } from './structure.js';
import { MoncError } from '../util/error.js';
import { describeValue } from '../util/describe-value.js';

export { denseCost, type Cost } from '../model/cost.js';

export function structureCost(s: Structure): Cost {
  if (typeof s !== 'object' || s === null || typeof (s as Partial<Structure>).kind !== 'string') {
    throw new MoncError('user', `structureCost() takes a checked map's structure (checkSource(…).module.maps[i].structure), not ${describeValue(s)}`);
  }
  return modelCost(modelOfStructure(s));
}
