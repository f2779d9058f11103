/**
 * The manifest (`<module>.json`, SPEC §1): everything a runtime needs to run a module's maps
 * without the compiler: shapes, the packed parameter layout, buffers, and the kernels in dispatch
 * order with their bindings, workgroup sizes and dispatch rules. Plain JSON.
 */
import type { ModelMap } from '../model/types.js';
import type { DispatchRule, Schedule } from './dispatch.js';
import type { OptimizerRule } from './optimizer.js';
import type { BackwardOpData, BufferDecl, Dtype, OpData, ParamLayoutEntry, PartialDecl } from './program.js';

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

/** An op as the manifest stores it: the IR's op without its span, so the JSON does not depend on file paths. */
export type ManifestOp = OpData;

/** A backward op as the manifest stores it (without spans). */
export type ManifestBackwardOp = BackwardOpData;

/** The gradient buffer's name in backward kernels' bindings (packed like the params). */
export const GRADIENT_BUFFER = 'grad';

/**
 * One dispatch of a backward program: the gradient binding layout (wgsl/grad-scaffold.ts) binds
 * params, `src`, `dst`, dims and `aux`. Names are the program's buffers (`x`, `dy`, `dx`,
 * values and their gradients), its partial buffers, or GRADIENT_BUFFER.
 */
export interface ManifestBackwardKernel {
  readonly entryPoint: string;
  readonly ops: readonly number[];
  readonly src: string;
  readonly dst: string;
  readonly aux: string;
  readonly workgroupSize: readonly [number, number, number];
  readonly dispatch: DispatchRule;
  readonly schedule: Schedule;
}

/**
 * A map's backward program (SPEC §7): from `x` and `dy` it writes `dx` and the parameter
 * gradients into a gradient buffer laid out exactly like the packed parameters (`params`).
 */
export interface ManifestBackward {
  /** Batch rows per split of the weight-gradient reductions; partials are (ceil(B / rowsPerSplit), size). */
  readonly rowsPerSplit: number;
  readonly buffers: readonly BufferDecl[];
  readonly partials: readonly PartialDecl[];
  /** No op writes dx (a map that is only a bias): the runtime zeroes it. */
  readonly zeroInputGradient: boolean;
  readonly ops: readonly ManifestBackwardOp[];
  readonly kernels: readonly ManifestBackwardKernel[];
}

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
  /** The map's structure model without spans (src/model): its factors and parameter tensors, what runtimes read. */
  readonly model: ModelMap;
  /** The backward program and its kernels (absent in manifests of older monc versions). */
  readonly backward?: ManifestBackward;
  /**
   * The optimizer update kernels over this map's packed parameters, one per rule (optimizer.ts):
   * entry points of the module's WGSL, and of `fallback.wgsl` (f32 storage) for an f16 module.
   * Absent in manifests of older monc versions.
   */
  readonly optimizers?: readonly ManifestOptimizerKernel[];
  /** `dtype f16` modules: the map's kernels with f32 storage, for adapters without `shader-f16`. */
  readonly fallback?: ManifestStorageFallback;
}

/** A forward dispatch without its costs: what a runtime needs to run it (bindings as ManifestKernel's). */
export type ManifestKernelPlan = Pick<ManifestKernel, 'entryPoint' | 'ops' | 'src' | 'dst' | 'workgroupSize' | 'dispatch' | 'schedule'>;

/**
 * A `dtype f16` map compiled again with f32 storage, for adapters without `shader-f16`: the same
 * ops as `kernels` and `backward.kernels`, the same schedules where they fit every adapter (the
 * portable limits; untuned, exactly what an f32 build of the spec emits), in a WGSL module of
 * their own (no `enable f16`). Parameters and inputs are still checked against the f16 range;
 * the device holds them as f32.
 */
export interface ManifestStorageFallback {
  readonly storage: 'f32';
  /** A complete WGSL module: the map's forward kernels, its backward kernels, then the optimizer update kernels (`optimizers`' entry points). */
  readonly wgsl: string;
  readonly kernels: readonly ManifestKernelPlan[];
  readonly backwardKernels: readonly ManifestBackwardKernel[];
}

/** One optimizer update dispatch: `dispatch` covers the map's packed parameters, one thread per element. */
export interface ManifestOptimizerKernel {
  readonly rule: OptimizerRule;
  readonly entryPoint: string;
  readonly workgroupSize: readonly [number, number, number];
  readonly dispatch: DispatchRule;
  readonly schedule: Schedule;
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
