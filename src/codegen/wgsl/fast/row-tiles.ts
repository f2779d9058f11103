/**
 * Row tiles per workgroup (`rt`, session 16; ks-tiled's): a workgroup takes `count` row tiles of
 * `rows` batch rows one after another (the same β and δ), as ONE staged loop over count · c
 * reductions, so the pipelined fetch of the next tile's first chunk runs under the last chunk of
 * this one and its epilogue. It asked whether short reductions (Monarch n = 4096's factors: γ =
 * 64, 4-8 chunks a workgroup) lose their time to a workgroup's unoverlapped first loads and last
 * stores; on the H100 (s16 call 2) it gained 1-2% at n = 4096's first factor and lost at n = 16384
 * and on the strided factor (ks-tiled.ts, ks-dtiled.ts). A count of 1 is the plain loop
 * (stagedSum) and its text unchanged.
 */
import { invariant } from '../../../util/assert.js';
import { BLOCKED_SUM_FROM, type Accumulator } from '../reduction.js';
import { div, mod, mul, sum, u } from '../scaffold.js';
import type { U32Expr } from '../u32.js';
import { stagedSum } from './staged-sum.js';
import { stagedChunks, type Staging } from './wgsl-text.js';

/** Reductions this short (γ) are offered several row tiles per workgroup: a workgroup's life is a few chunks. */
export const ROW_TILES_UP_TO = 256;

export interface RowTiles {
  /** The first batch row of the tile whose chunk starts at `k0` (the loop's running index). */
  rowOf(k0: U32Expr): U32Expr;
  /** The first γ of the chunk at `k0`. */
  gammaOf(k0: U32Expr): U32Expr;
  /**
   * The staged loop and every tile's epilogue: `epilogue(row)` stores the accumulators of the tile
   * starting at batch row `row` (a WGSL name); with several tiles they are then zeroed.
   */
  loop(o: {
    readonly stage: Staging;
    readonly tk: number;
    readonly pipelined: boolean;
    readonly compute: readonly string[];
    readonly accumulators: readonly Accumulator[];
    readonly epilogue: (row: string) => readonly string[];
  }): string[];
}

/** `count` row tiles of `rows` rows from `row0` over a reduction of `c` (a multiple of every chunk). */
export function rowTiles(count: number, rows: number, c: number): RowTiles {
  if (count === 1)
    return {
      rowOf: () => 'row0',
      gammaOf: (k0) => k0,
      loop: (o) => [...stagedSum(o.stage, c, o.tk, o.pipelined, o.compute, o.accumulators), ...o.epilogue('row0')],
    };
  // Each tile sums its c terms in one run: blockedSum's blocks are not applied to them.
  invariant(c <= BLOCKED_SUM_FROM, 'rowTiles: a reduction long enough to sum in blocks takes one row tile');
  const rowOf = (k0: U32Expr) => sum('row0', mul(div(k0, c), rows));
  return {
    rowOf,
    gammaOf: (k0) => mod(k0, c),
    loop: (o) => {
      const range = { variable: 'k0', first: u(0), end: u(count * c), step: u(o.tk), mayBeEmpty: false };
      const tileEnd = [
        `if (${mod(sum('k0', u(o.tk)), c)} == 0u) {`,
        `  let tile_row0 = ${rowOf('k0')};`,
        ...o.epilogue('tile_row0').map((l) => `  ${l}`),
        ...o.accumulators.map((a) => `  ${a.name} = ${a.zero};`),
        '}',
      ];
      return stagedChunks(o.stage, range, o.pipelined, [...o.compute, ...tileEnd]);
    },
  };
}
