/**
 * simplify-index-maps: every index map in its canonical form (index-map.ts `simplifyIndexMap`):
 * size-1 axes and identity steps dropped, axes that move together merged, adjacent steps that
 * compose into one axis permutation merged. What cannot be merged stays a list of steps.
 */
import { assertNever } from '../../util/assert.js';
import { simplifyIndexMap } from '../index-map.js';
import type { IrMap } from '../ir.js';
import { mapLeaves, type LeafExpr } from '../traverse.js';

export function simplifyIndexMaps(map: IrMap): IrMap {
  return { ...map, body: mapLeaves(map.body, simplifyLeaf) };
}

function simplifyLeaf(e: LeafExpr): LeafExpr {
  switch (e.kind) {
    case 'ks':
    case 'bsr':
      return { ...e, input: simplifyIndexMap(e.input), output: simplifyIndexMap(e.output) };
    case 'perm':
      return { ...e, map: simplifyIndexMap(e.map) };
    case 'bias':
      return { ...e, output: simplifyIndexMap(e.output) };
    default:
      return assertNever(e, 'IR leaf');
  }
}
