/**
 * The parts of the runtime a page opts into by importing an entry, looked up here rather than
 * imported by MapRunner, so that a page which only runs forward passes on WebGPU bundles neither
 * (one file, no code splitting needed): the float64 CPU executor (`monc/runtime/cpu`, cpu.ts)
 * and the training half (`monc/runtime/training`, training.ts: backward pass, optimizers,
 * saveParams' safetensors writer).
 * `monc/runtime/node` imports both.
 */
import { MoncError } from '../util/error.js';
import type { executeBackwardProgram, executeProgram } from './cpu-executor.js';
import type { writeSafetensors } from './formats/safetensors.js';
import type { ForwardStaging, StagingHost } from './host-io.js';
import type { Optimizer, OptimizerOptions } from './optimizer-options.js';
import type { Training, TrainingHost } from './training.js';

/** The CPU executor's forward and backward programs (cpu-executor.ts), and its staging (host-io.ts). */
export interface CpuExecutor {
  readonly forward: typeof executeProgram;
  readonly backward: typeof executeBackwardProgram;
  /** A staging of plain arrays for a cpu runner, which `apply` computes. */
  staging(host: StagingHost, capacity: number, apply: (x: Float32Array, rows: number) => ArrayLike<number>): ForwardStaging;
}

/** The training half as MapRunner reaches it (training.ts). */
export interface TrainingSupport {
  /** Creates a runner's training half (on webgpu, after fetching its compiled module). */
  create(host: TrainingHost): Promise<Training>;
  /**
   * MapRunner.createOptimizer: checks the options; while the runner's training half is not
   * created yet (`loaded()` undefined), an optimizer whose first step creates it (`load()`).
   */
  optimizer(what: string, options: OptimizerOptions, loaded: () => Training | undefined, load: () => Promise<Training>): Optimizer;
  /** The safetensors writer of MapRunner.saveParams (saving what was trained). */
  readonly writeSafetensors: typeof writeSafetensors;
}

export type RuntimeEntry = 'monc/runtime/cpu' | 'monc/runtime/training';

let cpu: CpuExecutor | undefined;
let training: TrainingSupport | undefined;

export function registerCpuExecutor(executor: CpuExecutor): void {
  cpu = executor;
}

export function registerTraining(support: TrainingSupport): void {
  training = support;
}

/** The CPU executor, when `monc/runtime/cpu` was imported. */
export function registeredCpuExecutor(): CpuExecutor | undefined {
  return cpu;
}

/** The training half, when `monc/runtime/training` was imported. */
export function registeredTraining(): TrainingSupport | undefined {
  return training;
}

/** The error of a call that needs an entry the page did not import. */
export function missingEntry(what: string, entry: RuntimeEntry): MoncError {
  return new MoncError('user', `${what} needs ${entry}: add import '${entry}'; to the page once (in Node, import 'monc/runtime/node' loads it)`);
}
