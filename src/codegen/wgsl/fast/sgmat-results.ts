/**
 * Result matrices of the tensor-core families and how they leave the subgroup, shared by ks-sgmat
 * and ks-sgmat-strided:
 *  - the result component: f32 (the f16 x f16 -> f32 configuration) or, with `acc16`, f16 (the
 *    f16 x f16 -> f16 one): half the accumulator registers (4 per invocation for a 16x16 tile
 *    instead of 8), at the price of f16 rounding of the running sum after every 16-deep multiply;
 *  - `directStores`: each f16 result tile straight to the f16 output buffer with
 *    subgroupMatrixStore (no workgroup round trip, no barrier), for the output positions where
 *    the tile's 16 rows x 16 columns are a plain row-major block of the buffer;
 *  - `stagedStores`: every result tile of the subgroup to a workgroup array in one round, so the
 *    subgroup then needs one barrier before it writes the output (instead of two per tile).
 *
 * Which configurations an adapter offers: Dawn lists them (GPUAdapterInfo.subgroupMatrixConfigs;
 * the H100 and H200 list f16 -> f16 and f16 -> f32 at 16x16x16), but TargetLimits carries feature
 * names only, so a family (ks-sgmat's `hasF16Results`) can only assume that an adapter with subgroup matrices offers
 * the f16 -> f16 16x16x16 configuration as well (as every adapter monc has been measured on does).
 * A kernel using a configuration the adapter lacks fails to compile, and the tuner then drops it.
 *
 * Dawn's robustness (on by default) redirects a matrix load or store that would run past its
 * array's end to offset 0: callers issue direct stores only where the whole tile is inside.
 */
import { u } from '../scaffold.js';
import type { U32Expr } from '../u32.js';

/**
 * The matrix builtins need subgroup-uniform arguments, but Dawn checks them with WGSL's
 * workgroup-uniformity analysis (diagnostic `chromium.subgroup_matrix_uniformity`, an error by
 * default): a kernel of several subgroups whose offsets follow from lid / 32 (uniform within each
 * subgroup: Dawn runs subgroup-matrix pipelines with full subgroups, and NVIDIA's 32-wide ones are
 * consecutive local invocation indices) runs them under this attribute.
 */
export const SUBGROUP_MATRIX_UNIFORMITY_OFF = '@diagnostic(off, chromium.subgroup_matrix_uniformity)';

/** The tile edge of the 16x16x16 configurations (ks-sgmat's TILE; not imported: ks-sgmat imports this file). */
const EDGE = 16;

export type ResultComponent = 'f32' | 'f16';

/** The WGSL type of a 16x16 result matrix of `component`. */
export function resultMatrix(component: ResultComponent): string {
  return `subgroup_matrix_result<${component}, ${EDGE}, ${EDGE}>`;
}

/** Registers one invocation of a 32-wide subgroup spends on a 16x16 result matrix of `component`. */
export function resultRegisters(component: ResultComponent): number {
  return component === 'f16' ? 4 : 8;
}

/** One result tile of a subgroup: its variable and where its entry [0, 0] goes. */
export interface PlacedTile {
  readonly name: string;
  readonly offset: U32Expr;
}

/**
 * Row-major matrix stores of `tiles` into `array` (a module-scope array of the tiles' component)
 * with row stride `stride`. The caller guarantees every tile lies inside the array.
 */
export function tileStores(array: string, tiles: readonly PlacedTile[], stride: U32Expr): string[] {
  return tiles.map((t) => `subgroupMatrixStore<row_major>(&${array}, ${t.offset}, ${t.name}, ${stride});`);
}

/** Row-major loads of `tiles` (result matrices of `component`) from `array`: the accumulate ops' old outputs. */
export function tileLoads(array: string, component: ResultComponent, tiles: readonly PlacedTile[], stride: U32Expr): string[] {
  return tiles.map((t) => `${t.name} = subgroupMatrixLoad<${resultMatrix(component)}, row_major>(&${array}, ${t.offset}, ${stride});`);
}

/**
 * The one-round staged epilogue: the tiles to workgroup array `cs` (row stride `stride`), one
 * barrier, then `write` (lines that read `cs` and write the output; the workgroup's last use of
 * `cs`, so no barrier follows).
 */
export function stagedStores(cs: string, tiles: readonly PlacedTile[], stride: number, write: readonly string[]): string[] {
  return [...tileStores(cs, tiles, u(stride)), 'workgroupBarrier();', ...write];
}
