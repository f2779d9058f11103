// The published declarations use the WebGPU globals (GPUDevice…): TypeScript 6 and later declare them in
// lib.dom; for TypeScript 5 the package serves index.with-webgpu-types.ts's declarations, which add @webgpu/types.
/**
 * The monc runtime (browser-safe): run compiled maps through WebGPU (or the CPU executor), load
 * and pack parameters, and the float64 reference semantics. Projection of dense matrices onto
 * structures is its own entry, `monc/project`, so pages that do not project do not bundle it. In
 * Node, import `monc/runtime/node` instead: it is this module plus Dawn as the WebGPU provider.
 */
export { MapRunner, type Backend, type BackwardResult, type FitMseOptions, type FitMseResult, type MapRunnerOptions, type RunnerKernelSet } from './map-runner.js';
export type { KernelSetChoice } from './kernel-sets.js';
// The lower-level helpers with their arguments checked (from JavaScript: a MoncError, not a TypeError); pages bundle none of them.
export { chooseKernelSet, describeAdapter, deviceCapabilities, GpuExecutor, kernelSetsOf, packParams, PipelineCache, planKernels, programOfManifest, unmetRequirements, unpackParams } from './checked-exports.js';
// Training (backward pass, optimizers), the CPU executor, the host I/O for many batches
// (createStaging, forward's chunkRows) and block-sparse maps are opt-in entries, registered by
// importing them: `monc/runtime/training`, `monc/runtime/cpu`, `monc/runtime/host-io` and
// `monc/runtime/sparse` (`monc/runtime/node` imports all four; a generated module with
// block-sparse maps registers the last itself). A page that does not use them does not bundle them.
export { resolveOptimizer, type Optimizer, type OptimizerOptions } from './optimizer-options.js';
export { TypedMap, type TypedMapOptions } from './typed-map.js';
export type { ForwardOptions } from './forward-request.js';
export type { ForwardStaging } from './host-io.js';
export {
  deviceTargetLimits,
  getSharedDevice,
  NoAdapterError,
  registerGpuProvider,
  requestMoncDeviceChecked as requestMoncDevice,
  type DeviceCapabilities,
  type GpuProvider,
  type MoncDevice,
  type RequestDeviceOptions,
} from './device.js';
export type { ExecutorSpec, KernelPlan } from './gpu-executor.js';
export { WgslError } from './pipeline-cache.js';
export { ParamError } from './params.js';
export { F16_MAX, ValueRangeError } from './numerics.js';
// The one error type (each error above is one, with its kind): `e instanceof MoncError`, then `e.kind`.
export { MoncError, isMoncError, type ErrorKind } from '../util/error.js';
// The manifest file's format (each block list once): the generated bindings decode it once per module,
// those of a module with block-sparse maps with `blockSparse` (what `monc/runtime/sparse` registers).
export { MANIFEST_FORMAT, type BlockList, type ManifestFile, type PatternRef } from '../manifest/manifest-file.js';
export { decodeManifest, decodeModuleManifest } from './decode-manifest.js';
export { blockSparse, type BlockSparseSupport } from './block-sparse.js';
export { applyKs, referenceApply, referenceDense, type ParamValues } from './reference.js';
export { referenceBackward, type ReferenceGradients } from './reference-backward.js';
export * from './formats/index.js';
export type {
  Manifest,
  ManifestBackward,
  ManifestBackwardKernel,
  ManifestBackwardOp,
  ManifestBinding,
  ManifestKernel,
  ManifestKernelPlan,
  ManifestKernelSet,
  ManifestMap,
  ManifestOp,
  ManifestOptimizerKernel,
  ManifestRequirements,
  ManifestSetWgsl,
  ManifestStorageFallback,
  KernelSetName,
} from '../manifest/types.js';
