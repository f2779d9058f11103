/**
 * The knobs every register-tiled FMA family (ks-tiled, ks-dtiled, ks-dvec) stores: the
 * workgroup's `rows` × `cols` β × `dtile` δ, the reduction chunk `tk` and the `rr` × `rb`
 * register tile, read from a stored schedule in this order (the decoded schedule's key order).
 */
import { knob } from '../family.js';
import type { Schedule } from '../kernel.js';

export interface RegisterTileKnobs {
  readonly rows: number;
  readonly cols: number;
  readonly dtile: number;
  readonly tk: number;
  readonly rr: number;
  readonly rb: number;
}

export function registerTileKnobs(s: Schedule): RegisterTileKnobs {
  return { rows: knob(s, 'rows'), cols: knob(s, 'cols'), dtile: knob(s, 'dtile'), tk: knob(s, 'tk'), rr: knob(s, 'rr'), rb: knob(s, 'rb') };
}
