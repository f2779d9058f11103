import { div, mod, mul } from '../scaffold.js';

/** How a ks kernel cuts one batch-row tile's outputs among workgroups. */
export interface KsWorkgroupGrid {
  /** Workgroups per row tile: a · (b / cols) · (d / dtile). */
  readonly perRowTile: number;
  readonly rows: number;
  readonly cols: number;
  readonly dtile: number;
  /** β tiles (b / cols) and δ tiles (d / dtile) per α. */
  readonly nbt: number;
  readonly ndt: number;
  /** Which of β and δ varies fastest between neighbouring workgroups. */
  readonly fastest: 'beta' | 'delta';
}

/**
 * The WGSL lines that place a ks workgroup from its `group` index: `row_tile`, `col_tile`,
 * `alpha`, `beta0`, `delta0` (the first β and δ it owns) and `row0` (its first batch row). The
 * families share them so every tiled ks kernel numbers its workgroups the same way.
 */
export function ksTileOrigin(g: KsWorkgroupGrid): string[] {
  const beta = { name: 'beta0', tiles: g.nbt, size: g.cols };
  const delta = { name: 'delta0', tiles: g.ndt, size: g.dtile };
  const [slow, fast] = g.fastest === 'beta' ? [delta, beta] : [beta, delta];
  return [
    `let row_tile = ${div('group', g.perRowTile)};`,
    `let col_tile = ${mod('group', g.perRowTile)};`,
    `let alpha = ${div('col_tile', g.nbt * g.ndt)};`,
    `let ${slow.name} = ${mul(mod(div('col_tile', fast.tiles), slow.tiles), slow.size)};`,
    `let ${fast.name} = ${mul(mod('col_tile', fast.tiles), fast.size)};`,
    `let row0 = ${mul('row_tile', g.rows)};`,
  ];
}
