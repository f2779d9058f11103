// The published declarations use the WebGPU globals (GPUDevice…): TypeScript 6 and later declare them in
// lib.dom; for TypeScript 5 the package serves index.with-webgpu-types.ts's declarations, which add @webgpu/types.
/**
 * monc as a library (package entry `monc`): the front end, the IR pipeline, code generation,
 * the compile driver, the runtime and projection. The runtime part is the browser-safe one; to
 * run maps on the GPU in Node, import `monc/runtime/node` once (it registers Dawn as the WebGPU
 * provider).
 */

// Front end: parse and check `.mon` sources.
export {
  checkSource,
  Code,
  CODES,
  denseCost,
  formatDiagnostics,
  paramCount,
  paramsOf,
  parse,
  structureCost,
  type CheckOptions,
  type CheckResult,
  type CodeInfo,
  type CheckedMap,
  type CheckedModule,
  type Cost,
  type Diagnostic,
  type DiagnosticNote,
  type Dtype,
  type MaskResolver,
  type MaskResult,
  type ParamSpec,
  type ParseResult,
  type Position,
  type Severity,
  type Span,
  type Structure,
} from './dsl/index.js';
export { renderDiagnostic, type Reported } from './dsl/diagnostics.js';

// The structure model: what a checked map means, as factors and parameter tensors (what the
// reference, projection and the manifest read).
export { modelOf } from './model/build.js';
export type { BiasTerm, BsrFactor, ChainNode, KsFactor, ModelMap, ModelNode, SumNode as ModelSumNode, TiedNode, TransposeFactor } from './model/types.js';

// IR: lowering, passes, scheduling, printing.
export { compileBackward, compileMap, compileModuleIr, optimizeMap, tryCompileMap, type CompileOptions as CompileMapOptions } from './ir/pipeline.js';
export { printIndexMap, printIrExpr, printIrMap, printProgram, printSlice } from './ir/printer.js';
export type { BackwardOp, BackwardProgram, BufferDecl, IndexMap, IrExpr, IrMap, Op, ParamLayoutEntry, ParamSlice, Program } from './ir/ir.js';

// Code generation.
export {
  assembleModule,
  DEFAULT_LIMITS,
  emitProgramKernels,
  type DispatchRule,
  type EmitProgramOptions,
  type EmittedKernel,
  type Schedule,
  type TargetLimits,
  type TunedSchedule,
} from './codegen/wgsl/index.js';
// The schedule helpers with their arguments checked (the compiler calls the unchecked ones).
export { candidates, defaultSchedule, workgroupCount } from './codegen/wgsl/public-schedules.js';
export { buildManifest } from './codegen/manifest.js';
export { emitBindings, type BindingsOptions } from './codegen/ts/emit-bindings.js';

// The compile driver: a `.mon` source to its WGSL, TypeScript and manifest.
export {
  compileModule,
  DEFAULT_RUNTIME_IMPORT,
  type CompileModuleOptions,
  type CompileModuleResult,
  type CompileOutputs,
  type TuningLookup,
} from './compile.js';
export { compileKernels } from './compile-kernels.js';
export { BUILD_KERNEL_SETS, type BuildKernelSet } from './manifest/build-kernel-sets.js';
export { MONC_VERSION } from './version.js';

// The auto-tuner (`monc tune` from code): times each kernel's candidate schedules on a device
// (in Node, import 'monc/runtime/node' first), checked against the float64 reference; the winners
// are entries of a tuning database that `compileModule({ tuning: scheduleLookup(db) })` builds with.
export { tuneMaps, checkTuneBatch, type TuneDevice, type TuneMapsOptions, type TuneMapsResult } from './tuner/tune-maps.js';
// One program's kernels at a time (what tuneMaps runs per map): needs the adapter's identity and the device's limits.
export { tuneProgram, type KernelTuning, type KnownKernel, type TuneOptions, type TuneProgress, type TuneResult } from './tuner/tune.js';
export { tuneBackwardProgram, type BackwardTuneResult } from './tuner/tune-backward.js';
export { adapterIdentity } from './tuner/adapter-identity.js';
export type { TimedSchedule } from './tuner/race.js';
export { emptyDb, merge as mergeTuningEntries, parseDb as parseTuningDb, serializeDb as serializeTuningDb, type TuningDb, type TuningEntry, type TuningKey } from './tuner/db.js';
export { scheduleLookup, type LookupOptions } from './tuner/lookup.js';
export type { AdapterIdentity } from './tuner/adapter-identity.js';

// ONNX export: a map as a standard ONNX model for ONNX Runtime.
export { exportOnnx, ONNX_OPSET, type ExportOnnxOptions } from './export/onnx.js';
// Peers' weights (fly, torch_butterfly, KSMM state dicts) as a map's parameters.
export { convertPeerWeights, PEERS, type ConvertOptions, type Peer } from './interop/convert.js';
export { InteropError, type StateDict } from './interop/peer-layer.js';

// The runtime (runners, devices, parameter formats, the float64 reference, manifest types), with
// its opt-in parts registered: the CPU executor, training, the host I/O for many batches and
// block-sparse maps (`monc/runtime/cpu`, `/training`, `/host-io`, `/sparse`).
import './runtime/cpu.js';
import './runtime/training.js';
import './runtime/host-io-entry.js';
import './runtime/sparse.js';
export * from './runtime/index.js';
// Projection of dense matrices onto structures (also its own entry, `monc/project`).
export * from './project/index.js';
export { initParams } from './runtime/init.js';
