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
  readonly flopsPerRow: number;
  readonly bytesPerRow: number;
}

export interface ManifestMap {
  readonly name: string;
  readonly in: number;
  readonly out: number;
  readonly paramCount: number;
  readonly flopsPerRow: number;
  readonly bytesPerRow: number;
  /** The same figures for the dense (out x in) matrix, for comparison. */
  readonly dense: { readonly paramCount: number; readonly flopsPerRow: number };
  readonly params: readonly ParamLayoutEntry[];
  readonly paramSize: number;
  readonly buffers: readonly BufferDecl[];
  readonly ops: readonly Op[];
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
