/**
 * A checked map passed to a library function (compileMap, modelOf, …) from JavaScript: anything
 * else (undefined, the module, a manifest map) is one MoncError of kind `user` naming the
 * function, not a TypeError on a field it lacks.
 */
import { argumentError, isRecord } from '../util/library-arguments.js';
import type { CheckedMap } from './structure.js';

export function checkMapArgument(fn: string, map: unknown): asserts map is CheckedMap {
  if (!(isRecord(map) && typeof map.name === 'string' && typeof map.in === 'number' && typeof map.out === 'number' && isRecord(map.structure))) {
    throw argumentError(fn, 'map must be a checked map (checkSource(...).module.maps[i])', map);
  }
}
