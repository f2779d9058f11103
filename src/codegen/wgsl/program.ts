/**
 * Kernels for a whole scheduled program, in dispatch order: one per op, except where a run of
 * consecutive ops fuses into one dispatch: where the tuning says so, and in untuned stretches
 * where the default partition (greedy chain runs, families.ts) does.
 */
import type { Program } from '../../ir/ir.js';
import { checkProgramArgument } from '../../ir/program-argument.js';
import { checkLimitsArgument, checkOptionFields } from '../../util/library-arguments.js';
import { defaultRunAt, defaultSchedule, emitKernel, emitRunKernel, isValidRunSchedule, isValidSchedule, runsAt, type ScheduledRun } from './families.js';
import { DEFAULT_LIMITS, type EmittedKernel, type Schedule, type TargetLimits } from './kernel.js';
import type { KernelContext, StorageType } from './scaffold.js';
import { entryPointName } from '../../manifest/entry-points.js';

export { entryPointName } from '../../manifest/entry-points.js';

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
   * The tuned schedule, if any, of a kernel performing the program's ops `ops`. At each op the
   * runs of consecutive ops that can fuse are asked first, longest first (a schedule that fits
   * fuses the run into one dispatch), then the op alone. A schedule that does not fit (stale)
   * is ignored. An op with neither takes the untuned path: the default partition's chain run
   * from there (extended only over ops without a tuned schedule of their own), else its
   * default schedule.
   */
  readonly schedules?: ((ops: readonly number[]) => TunedSchedule | undefined) | undefined;
  /** The limits default schedules are chosen within. */
  readonly limits?: TargetLimits | undefined;
  /** Storage type of params and activations; defaults to the program's dtype. */
  readonly storage?: StorageType | undefined;
  /** Appended to every entry point name: a second kernel set of the map beside the first in one WGSL module. */
  readonly entryPointSuffix?: string | undefined;
  /** Told each tuned schedule that is ignored because it does not fit its ops (possibly more than once for the same ops). */
  readonly onUnusable?: ((ops: readonly number[], schedule: Schedule) => void) | undefined;
}

export function emitProgramKernels(program: Program, options: EmitProgramOptions = {}): EmittedKernel[] {
  // A library entry (monc): what JavaScript may pass is checked by name.
  checkProgramArgument('emitProgramKernels', program, 'forward');
  checkOptionFields('emitProgramKernels', options, { schedules: 'function', onUnusable: 'function', storage: 'string', entryPointSuffix: 'string' });
  if (options.limits !== undefined) checkLimitsArgument('emitProgramKernels', options.limits);
  const limits = options.limits ?? DEFAULT_LIMITS;
  const storage = options.storage ?? program.dtype;
  const ctx = (index: number): KernelContext => ({
    entryPoint: `${entryPointName(program.name, index)}${options.entryPointSuffix ?? ''}`,
    opIndex: index,
    storage,
    params: program.params,
    buffers: program.buffers,
  });
  const tuned = (ops: readonly number[]): Schedule | undefined => {
    const t = options.schedules?.(ops);
    if (!t) return undefined;
    const fits = ops.length === 1 ? isValidSchedule(program.ops[ops[0]], t.schedule, t.limits ?? limits) : isValidRunSchedule(program, ops, t.schedule, t.limits ?? limits);
    if (!fits) options.onUnusable?.(ops, t.schedule);
    return fits ? t.schedule : undefined;
  };
  const pick = (i: number): ScheduledRun => {
    for (const run of runsAt(program, i)) {
      const schedule = tuned(run);
      if (schedule) return { ops: run, schedule };
    }
    const single = tuned([i]);
    if (single) return { ops: [i], schedule: single };
    return defaultRunAt(program, i, limits, (j) => tuned([j]) === undefined) ?? { ops: [i], schedule: defaultSchedule(program.ops[i], limits) };
  };
  const kernels: EmittedKernel[] = [];
  for (let i = 0; i < program.ops.length; ) {
    const { ops, schedule } = pick(i);
    kernels.push(ops.length === 1 ? emitKernel(program.ops[i], schedule, ctx(i)) : emitRunKernel(program, ops, schedule, ctx(i)));
    i += ops.length;
  }
  return kernels;
}
