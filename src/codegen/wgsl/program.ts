/**
 * Kernels for a whole scheduled program, in dispatch order: one per op, except where a tuned
 * schedule fuses two consecutive ops into one dispatch.
 */
import type { Program } from '../../ir/ir.js';
import { defaultSchedule, emitFusedKernel, emitKernel, fusesAt, isValidFusedSchedule, isValidSchedule } from './families.js';
import { DEFAULT_LIMITS, type EmittedKernel, type Schedule, type TargetLimits } from './kernel.js';
import type { KernelContext, StorageType } from './scaffold.js';

/** A schedule picked for a kernel, and the target limits it was picked within. */
export interface TunedSchedule {
  readonly schedule: Schedule;
  /**
   * The limits the schedule must fit (a tuned schedule: those of the adapter it was measured
   * on); default: the emit options' limits.
   */
  readonly limits?: TargetLimits;
}

export interface EmitProgramOptions {
  /**
   * The tuned schedule, if any, of a kernel performing the program's ops `ops`: asked for each
   * pair of consecutive ops that can fuse (a schedule that fits fuses them into one dispatch),
   * then for single ops. A schedule that does not fit (stale) is ignored: the pair is not
   * fused, the single op takes its default.
   */
  readonly schedules?: (ops: readonly number[]) => TunedSchedule | undefined;
  /** The limits default schedules are chosen within. */
  readonly limits?: TargetLimits;
  /** Storage type of params and activations; defaults to the program's dtype. */
  readonly storage?: StorageType;
}

/** The entry point of the kernel starting at op `index` of map `mapName`; module-unique because map names are. */
export function entryPointName(mapName: string, index: number): string {
  return `${mapName}_op${index}`;
}

export function emitProgramKernels(program: Program, options: EmitProgramOptions = {}): EmittedKernel[] {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const storage = options.storage ?? program.dtype;
  const ctx = (index: number): KernelContext => ({
    entryPoint: entryPointName(program.name, index),
    opIndex: index,
    storage,
    params: program.params,
    buffers: program.buffers,
  });
  const kernels: EmittedKernel[] = [];
  for (let i = 0; i < program.ops.length; ) {
    const fused = fusesAt(program, i) ? options.schedules?.([i, i + 1]) : undefined;
    if (fused && isValidFusedSchedule(program, i, fused.schedule, fused.limits ?? limits)) {
      kernels.push(emitFusedKernel(program, i, fused.schedule, ctx(i)));
      i += 2;
      continue;
    }
    const op = program.ops[i];
    const tuned = options.schedules?.([i]);
    const schedule = tuned && isValidSchedule(op, tuned.schedule, tuned.limits ?? limits) ? tuned.schedule : defaultSchedule(op, limits);
    kernels.push(emitKernel(op, schedule, ctx(i)));
    i++;
  }
  return kernels;
}
