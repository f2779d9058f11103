/**
 * The manifest (`<module>.json`, SPEC §1): everything a runtime needs to run a module's maps
 * without the compiler: shapes, the packed parameter layout, buffers, and the kernels in dispatch
 * order with their bindings, workgroup sizes and dispatch rules. Plain JSON.
 */
import type { ModelMap } from '../model/types.js';
import type { DispatchRule, Schedule } from './dispatch.js';
import type { OptimizerRule } from './optimizer.js';
import type { PatternLayout } from './pattern.js';
import type { TrainingStepKernel } from './training-step.js';
import type { BackwardOpData, BufferDecl, Dtype, OpData, ParamLayoutEntry, PartialDecl } from './program.js';

export interface ManifestBinding {
  readonly binding: number;
  readonly name: 'params' | 'src' | 'dst' | 'dims' | 'pattern';
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
  /** A block-sparse kernel's table of its op's pattern (pattern.ts), bound at binding 5; absent: none. */
  readonly pattern?: PatternLayout;
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
  /** As a forward kernel's: the table of its op's pattern bound at binding 5 (a `bsr` op's `csr`, a `wgrad` op's `coo`). */
  readonly pattern?: PatternLayout;
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
  /** The backward program and its kernels (absent in forward-only builds and manifests of older monc versions). */
  readonly backward?: ManifestBackward;
  /**
   * Present (true) when the module was built forward-only (Manifest.forwardOnly), repeated here
   * because a runner is created from one map: no `backward`, `optimizers` or `trainingStep`.
   */
  readonly forwardOnly?: true;
  /**
   * The optimizer update kernels over this map's packed parameters, one per rule (optimizer.ts):
   * entry points of every kernel set's WGSL (the f32-storage set's own module holds f32 ones).
   * Absent in manifests of older monc versions.
   */
  readonly optimizers?: readonly ManifestOptimizerKernel[];
  /**
   * The training-step kernels of `fitMse` on webgpu (training-step.ts): entry points of every
   * kernel set's WGSL, like `optimizers`. Absent in manifests of older monc versions.
   */
  readonly trainingStep?: ManifestTrainingStep;
  /**
   * The kernel sets a runtime may run the map with, in order of preference: it runs the first
   * whose requirements the device meets (docs/manifest.md). Absent in manifests of older monc
   * versions (their `fallback`, if any, is the second set).
   */
  readonly kernelSets?: readonly ManifestKernelSet[];
  /** Older monc versions only (`dtype f16`): the map's f32-storage kernels, now the `f32-storage` kernel set. */
  readonly fallback?: ManifestStorageFallback;
}

/** A forward dispatch without its costs: what a runtime needs to run it (bindings as ManifestKernel's). */
export type ManifestKernelPlan = Pick<ManifestKernel, 'entryPoint' | 'ops' | 'src' | 'dst' | 'workgroupSize' | 'dispatch' | 'schedule' | 'pattern'>;

/**
 * What a device must offer to run a kernel set: the features its kernels enable and the limits
 * they were emitted within (a set's kernels use no more invocations or workgroup storage).
 */
export interface ManifestRequirements {
  /** WebGPU features (`shader-f16`, `subgroups`, `chromium-experimental-subgroup-matrix`), sorted. */
  readonly features: readonly string[];
  /** Invocations of the largest workgroup (workgroups are one-dimensional: maxComputeWorkgroupSizeX too). */
  readonly maxComputeInvocationsPerWorkgroup: number;
  /** Workgroup storage bytes the kernels may use. */
  readonly maxComputeWorkgroupStorageSize: number;
  /**
   * The subgroup size the kernels assume (the tensor-core families run one subgroup per
   * workgroup): the adapter's subgroupMinSize and subgroupMaxSize must both be this. Absent: any.
   */
  readonly subgroupSize?: number;
  /**
   * The subgroup-matrix configurations the kernels use, named as subgroup-matrix.ts does
   * (`f16->f32 16x16x16`), sorted: each must be in the adapter's GPUAdapterInfo.subgroupMatrixConfigs,
   * else the kernels do not compile. Absent: none (no subgroup-matrix kernel, or an older monc).
   */
  readonly subgroupMatrixConfigs?: readonly string[];
}

/**
 * How a kernel set was chosen: `portable` (untuned: default schedules within the limits every
 * adapter has), `tuned` (some kernel from the tuning database: the adapter it was tuned on),
 * `tensor-core` (untuned defaults for adapters with shader-f16 and subgroup matrices), `large`
 * (an f32 map's untuned defaults for adapters with 1024 invocations and 48 KiB of workgroup
 * storage), `f32-storage` (a `dtype f16` map with f32 storage, for adapters without shader-f16),
 * `module` (a manifest of an older monc: its kernels, whatever they needed).
 */
export type KernelSetName = 'portable' | 'tuned' | 'tensor-core' | 'large' | 'f32-storage' | 'module';

/** One way to run a map: its kernels, the storage type they use and what the device needs for them. */
export interface ManifestKernelSet {
  readonly name: KernelSetName;
  readonly storage: 'f32' | 'f16';
  readonly requires: ManifestRequirements;
  /** Where the kernels are: absent, in the module's WGSL file. */
  readonly wgsl?: ManifestSetWgsl;
  /** The forward kernels, in dispatch order; absent: the map's `kernels`. */
  readonly kernels?: readonly ManifestKernelPlan[];
  /** The backward kernels; absent: the map's `backward.kernels`. */
  readonly backwardKernels?: readonly ManifestBackwardKernel[];
}

/**
 * A kernel set's WGSL. `extendsModule`: the module's WGSL file with `enables` added in front and
 * `text` (the set's own kernels, entry points of their own) after it, so the kernels a set shares
 * with the module's are not written twice. Otherwise `text` alone is a complete WGSL module.
 */
export interface ManifestSetWgsl {
  readonly extendsModule: boolean;
  /** WGSL `enable` extensions the set's own kernels need beyond the module's `enables`. */
  readonly enables: readonly string[];
  readonly text: string;
}

/**
 * Older monc versions: a `dtype f16` map compiled again with f32 storage (now the `f32-storage`
 * kernel set): a complete WGSL module of its own, its forward and backward kernels.
 */
export interface ManifestStorageFallback {
  readonly storage: 'f32';
  readonly wgsl: string;
  readonly kernels: readonly ManifestKernelPlan[];
  readonly backwardKernels: readonly ManifestBackwardKernel[];
}

/** The training-step kernels (gather, mse, check, finalize), each with its entry point; the runtime sizes their dispatches per step. */
export interface ManifestTrainingStep {
  readonly kernels: readonly ManifestTrainingStepKernel[];
}

/** A training-step kernel: a step dispatches ceil(items / itemsPerWorkgroup) workgroups of it (finalize: one). */
export interface ManifestTrainingStepKernel {
  readonly name: TrainingStepKernel;
  readonly entryPoint: string;
  readonly workgroupSize: readonly [number, number, number];
  readonly itemsPerWorkgroup: number;
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
  /**
   * Present (true) when the module was built forward-only (`monc build --forward-only`, the
   * plugins' `forwardOnly`): each map's forward kernels only, no backward, optimizer or
   * training-step kernels. Absent: every kernel the module may need.
   */
  readonly forwardOnly?: true;
  readonly maps: readonly ManifestMap[];
}
