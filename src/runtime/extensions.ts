/**
 * The parts of the runtime a page opts into by importing an entry, looked up here rather than
 * imported by MapRunner, so that a page which only runs forward passes on WebGPU bundles none of
 * them (one file, no code splitting needed): the float64 CPU executor (`monc/runtime/cpu`,
 * cpu.ts), the training half (`monc/runtime/training`, training.ts: backward pass, optimizers,
 * saveParams' safetensors writer) and the host I/O for many batches (`monc/runtime/host-io`,
 * host-io-entry.ts: `createStaging`'s stagings, `forward`'s pipelined round trip, `dense()`) and the
 * block-sparse support (`monc/runtime/sparse`, sparse.ts: the manifest file's pattern references,
 * the kernels' pattern tables), which the generated bindings of a module with block-sparse maps
 * register themselves (decode-manifest.ts). `monc/runtime/node` imports all four.
 */
import { MoncError } from '../util/error.js';
import { userError } from './user-error.js';
import type { executeBackwardProgram, executeProgram } from './cpu-executor.js';
import type { Dtype } from '../manifest/program.js';
import type { ManifestMap } from '../manifest/types.js';
import type { NoAdapterError } from './device.js';
import type { GpuExecutor, HeldParams } from './gpu-executor.js';
import type { programOfManifest } from './manifest-program.js';
import type { ForwardStaging, StagingHost } from './host-io.js';
import type { PatternRefResolver } from '../manifest/manifest-file.js';
import type { patternTables } from './pattern-buffers.js';
import type { checkChunkRows, chunkRowsFor, PipelinedRun, readInPieces } from './pipelined-forward.js';
import type { TrainingHost } from './training.js';
import type { denseMatrix } from './dense.js';

/** The CPU executor's forward and backward programs (cpu-executor.ts). */
export interface CpuExecutor {
  /** A map's forward program, built once per runner (manifest-program.ts). */
  readonly program: typeof programOfManifest;
  /** A cpu runner's `adapterDescription`. */
  readonly description: string;
  /** The `note` of a runner that falls back to the CPU for want of an adapter (the first in a process also prints it: console.warn). */
  fallbackNote(noAdapter: NoAdapterError): string;
  readonly forward: typeof executeProgram;
  readonly backward: typeof executeBackwardProgram;
}

/** What the opt-in entries reach of a runner, one object per runner: the training half's host and a staging's. */
export type RunnerHost = TrainingHost & Omit<StagingHost, 'map'>;

/** The host I/O for many batches as MapRunner and GpuExecutor reach it (host-io.ts, pipelined-forward.ts). */
export interface HostIoSupport {
  /** `createStaging` (once the runner's parameters are loaded; the runner destroys it with itself): on webgpu mapped buffers on the runner's device, on the cpu backend plain arrays. */
  staging(host: RunnerHost, capacity: number): ForwardStaging;
  /** Throws unless forward's finite `chunkRows` is a positive whole number. */
  readonly checkChunkRows: typeof checkChunkRows;
  /** Rows per chunk of a forward pass on webgpu, or undefined for one piece. */
  readonly chunkRowsFor: typeof chunkRowsFor;
  /** A one-piece forward pass's result copied out of its mapped readback buffer in pieces (pipelined-forward.ts). */
  readonly readBack: typeof readInPieces;
  /** A runner's `dense()` (dense.ts). */
  readonly dense: typeof denseMatrix;
  /** The chunk ring of one executor's pipelined forward passes, created on the first one. */
  pipeline(gpu: GpuExecutor, map: { readonly name: string; readonly in: number; readonly out: number }): PipelinedRing;
}

/** An executor's chunk ring: each run's chunks read that run's parameters (`held`: the device's, or the copy holdParams took for it). */
export interface PipelinedRing {
  /**
   * A run of `batch` rows of x as x is at the call: its chunks written into the ring's mapped
   * buffers and submitted now when nothing else of the runner waits, else x copied for later.
   */
  take(x: ArrayLike<number>, batch: number, out: Float32Array | undefined, chunkRows: number, held: HeldParams): PipelinedRun;
  /** Y for a taken run, in the executor's queue. */
  run(taken: PipelinedRun): Promise<Float32Array>;
  destroy(): void;
}

/** The runner calls the training entry serves (MapRunner forwards them; training.ts). */
export const TRAINING_CALLS = ['backward', 'encodeBackward', 'fitMse', 'createOptimizer', 'saveParams'] as const;

/** A training call, or `create({ training: true })`: create the runner's training half now. */
export type TrainingCall = (typeof TRAINING_CALLS)[number] | 'create({ training: true })';

/** The training half as MapRunner reaches it (training.ts). */
export interface TrainingSupport {
  /** The runner's `call` with its arguments (after the runner's own checks): a promise for the async calls. */
  run(call: TrainingCall, host: RunnerHost, args: unknown[]): unknown;
  /**
   * MapRunner.params on webgpu: the parameters read back from the device, which only this entry's
   * calls change (optimizer steps, fits); undefined on the cpu backend.
   */
  readParams(host: RunnerHost): Promise<Float32Array> | undefined;
}

/** Block-sparse maps' support as decodeManifest and the runners reach it (block-sparse.ts). */
export interface BlockSparseSupport {
  /** How decodeManifest resolves a manifest file's `blocks` references (manifest-file.ts). */
  readonly resolveRefs: PatternRefResolver;
  /** The pattern tables of a runner's kernels on the device (pattern-buffers.ts). */
  readonly patternTables: typeof patternTables;
}

/** An opt-in entry by its name under `monc/runtime/`. */
export type RuntimeEntry = 'cpu' | 'training' | 'host-io' | 'sparse';

// Live bindings: importers read them at the call (shorter in every page's bundle than a getter each).

/** The CPU executor, when `monc/runtime/cpu` was imported. */
export let cpuExecutor: CpuExecutor | undefined;
/** The training half, when `monc/runtime/training` was imported. */
export let trainingSupport: TrainingSupport | undefined;
/** The stagings and the pipelined forward pass, when `monc/runtime/host-io` was imported. */
export let hostIoSupport: HostIoSupport | undefined;
/** The block-sparse support, once `monc/runtime/sparse` was imported or it was passed to decodeManifest (as a block-sparse module's bindings do). */
export let blockSparseSupport: BlockSparseSupport | undefined;

export function registerCpuExecutor(executor: CpuExecutor): void {
  cpuExecutor = executor;
}

export function registerTraining(support: TrainingSupport): void {
  trainingSupport = support;
}

export function registerHostIo(support: HostIoSupport): void {
  hostIoSupport = support;
}

export function registerBlockSparse(support: BlockSparseSupport): void {
  blockSparseSupport = support;
}

/** The error of a call that needs an entry the page did not import (`entry` without its `monc/runtime/`, written once here rather than at every call). */
export function missingEntry(what: string, entry: RuntimeEntry): MoncError {
  const path = `monc/runtime/${entry}`;
  return userError(`${what} needs ${path}: add import '${path}'; to the page once (in Node, import 'monc/runtime/node' loads it)`);
}
