/** Kernels for a whole scheduled program: one entry point per op, in dispatch order. */
import type { Op, Program } from '../../ir/ir.js';
import { defaultSchedule, emitKernel, isValidSchedule } from './families.js';
import { DEFAULT_LIMITS, type EmittedKernel, type Schedule, type TargetLimits } from './kernel.js';
import type { StorageType } from './scaffold.js';

export interface EmitProgramOptions {
  /** A tuned schedule per op; undefined, or one that does not fit the op (stale), means the default. */
  readonly schedules?: (op: Op, index: number) => Schedule | undefined;
  readonly limits?: TargetLimits;
  /** Storage type of params and activations; defaults to the program's dtype. */
  readonly storage?: StorageType;
}

/** The entry point of op `index` of map `mapName`; module-unique because map names are. */
export function entryPointName(mapName: string, index: number): string {
  return `${mapName}_op${index}`;
}

export function emitProgramKernels(program: Program, options: EmitProgramOptions = {}): EmittedKernel[] {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const storage = options.storage ?? program.dtype;
  return program.ops.map((op, index) => {
    const tuned = options.schedules?.(op, index);
    const schedule = tuned && isValidSchedule(op, tuned, limits) ? tuned : defaultSchedule(op, limits);
    return emitKernel(op, schedule, {
      entryPoint: entryPointName(program.name, index),
      opIndex: index,
      storage,
      params: program.params,
      buffers: program.buffers,
    });
  });
}
