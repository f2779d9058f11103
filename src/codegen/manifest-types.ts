/**
 * The manifest (`<module>.json`, SPEC §1): everything a runtime needs to run a module's maps
 * without the compiler: shapes, the packed parameter layout, buffers, and the kernels in dispatch
 * order with their bindings, workgroup sizes and dispatch rules. Plain JSON.
 */
import type { Dtype, Structure } from '../dsl/structure.js';
import type { BufferDecl, Op, ParamLayoutEntry } from '../ir/ir.js';
import type { DispatchRule, Schedule } from './wgsl/kernel.js';

export interface ManifestBinding {
  readonly binding: number;
  readonly name: 'params' | 'src' | 'dst' | 'dims';
  readonly type: 'read-only-storage' | 'storage' | 'uniform';
}

export interface ManifestKernel {
  readonly entryPoint: string;
  /** Indices into the map's `ops` that this dispatch performs. */
  readonly ops: readonly number[];
  readonly src: string;
  readonly dst: string;
  readonly bindings: readonly ManifestBinding[];
  readonly workgroupSize: readonly [number, number, number];
  readonly dispatch: DispatchRule;
  readonly schedule: Schedule;
  /** Floating-point operations per batch row, counted as dsl/cost.ts does: 2 per multiply-add, 1 per bias add. */
  readonly flopsPerRow: number;
  /** Activation bytes per batch row: `src` read, `dst` written (and read too when accumulating). */
  readonly bytesPerRow: number;
  /** Parameter bytes the dispatch reads (once per dispatch, whatever the batch). */
  readonly paramBytes: number;
}

/** An op as the manifest stores it: spans are dropped so the JSON does not depend on file paths. */
export type ManifestOp = WithoutSpan<Op>;
type WithoutSpan<T> = T extends unknown ? Omit<T, 'span'> : never;

/**
 * Costs: one forward pass over a batch of B rows performs `B · flopsPerRow` FLOPs and moves
 * `B · bytesPerRow + Σ kernels' paramBytes` bytes (weights are read once per dispatch).
 */
export interface ManifestMap {
  readonly name: string;
  readonly in: number;
  readonly out: number;
  readonly paramCount: number;
  /** Sums over the kernels; flopsPerRow equals `structureCost(structure).flopsPerRow` (what `monc check` prints). */
  readonly flopsPerRow: number;
  readonly bytesPerRow: number;
  /** Size of the packed parameter buffer in bytes (each tied tensor once). */
  readonly paramBytes: number;
  /** The same figures for the dense (out x in) matrix, for comparison. */
  readonly dense: { readonly paramCount: number; readonly flopsPerRow: number };
  readonly params: readonly ParamLayoutEntry[];
  readonly paramSize: number;
  readonly buffers: readonly BufferDecl[];
  readonly ops: readonly ManifestOp[];
  readonly kernels: readonly ManifestKernel[];
  /** The checked structure without spans: lets a runtime materialise, reference-check and project. */
  readonly structure: Structure;
}

export interface Manifest {
  readonly monc: string;
  readonly module: string;
  readonly source: string;
  readonly dtype: Dtype;
  /** File name of the WGSL module beside the manifest. */
  readonly wgsl: string;
  /** WGSL `enable` directives the module needs (the runtime checks adapter features). */
  readonly enables: readonly string[];
  readonly maps: readonly ManifestMap[];
}
