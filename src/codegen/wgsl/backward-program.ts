/**
 * Kernels for a backward program (ir.ts BackwardProgram), one per op in dispatch order: the
 * recomputed forward ops on the forward families (families.ts), transposed block matmuls and the
 * batch reductions on the gradient families (ks-transposed.ts, bsr-transposed.ts,
 * weight-grad.ts). Every kernel runs under the gradient binding layout (grad-scaffold.ts); a
 * forward kernel simply leaves binding 4 unused.
 */
import type { BackwardOp, BackwardProgram } from '../../ir/ir.js';
import { assertNever } from '../../util/assert.js';
import { bsrTransposedDirect } from './bsr-transposed.js';
import { untunedSchedule } from './defaults.js';
import { familiesFor } from './families.js';
import { applied, isAmong, register, type FamilyForOp, type RegisteredFamily } from './family.js';
import { DEFAULT_LIMITS, type EmittedKernel, type Schedule, type TargetLimits } from './kernel.js';
import { ksTransposedDirect, ksTransposedTiled } from './ks-transposed.js';
import type { TunedSchedule } from './program.js';
import type { StorageType } from './scaffold.js';
import { biasGradFamily, reduceFamily, weightGradTiled } from './weight-grad.js';
import { weightGradStaged } from './weight-grad-staged.js';
import type { KernelContext } from './scaffold.js';
import { backwardEntryPoint } from '../../manifest/entry-points.js';

/**
 * The backward registry: the families of the ops only backward programs have (transposed
 * matmuls, batch reductions), keyed like the forward one; forward-kind ops that are not
 * transposed use the forward registry (families.ts). The first of each list fits every op.
 */
export const BACKWARD_FAMILIES: {
  readonly transposedKs: readonly RegisteredFamily<'ks'>[];
  readonly transposedBsr: readonly RegisteredFamily<'bsr'>[];
  readonly wgrad: readonly RegisteredFamily<'wgrad'>[];
  readonly bgrad: readonly RegisteredFamily<'bgrad'>[];
  readonly reduce: readonly RegisteredFamily<'reduce'>[];
} = {
  transposedKs: [register(ksTransposedDirect), register(ksTransposedTiled)],
  transposedBsr: [register(bsrTransposedDirect)],
  wgrad: [register(weightGradTiled), register(weightGradStaged)],
  bgrad: [register(biasGradFamily)],
  reduce: [register(reduceFamily)],
};

/** The families that can compute a backward op, applied to it; the first fits every op and target. */
export function backwardFamiliesFor(op: BackwardOp): FamilyForOp[] {
  switch (op.kind) {
    case 'ks':
      return op.transposed ? applied(BACKWARD_FAMILIES.transposedKs, op) : familiesFor(op);
    case 'bsr':
      return op.transposed ? applied(BACKWARD_FAMILIES.transposedBsr, op) : familiesFor(op);
    case 'bias':
      return familiesFor(op);
    case 'wgrad':
      return applied(BACKWARD_FAMILIES.wgrad, op);
    case 'bgrad':
      return applied(BACKWARD_FAMILIES.bgrad, op);
    case 'reduce':
      return applied(BACKWARD_FAMILIES.reduce, op);
    default:
      return assertNever(op, 'backward op');
  }
}

/** The schedule of an untuned build: the family defaults.ts prefers for the op (forward ops as forward). */
export function backwardDefaultSchedule(op: BackwardOp, limits: TargetLimits): Schedule {
  return untunedSchedule(backwardFamiliesFor(op), op, limits);
}

/** Every valid schedule of every family for a backward op: the tuner's search space. */
export function backwardCandidates(op: BackwardOp, limits: TargetLimits): Schedule[] {
  return backwardFamiliesFor(op).flatMap((f) => f.candidates(limits));
}

export function isValidBackwardSchedule(op: BackwardOp, schedule: Schedule, limits: TargetLimits): boolean {
  const family = backwardFamiliesFor(op).find((f) => f.name === schedule.family);
  return family !== undefined && isAmong(schedule, family.candidates(limits));
}

export interface EmitBackwardOptions {
  /** The tuned schedule of op `index`, if any (one that no longer fits is ignored). */
  readonly schedules?: (index: number) => TunedSchedule | undefined;
  readonly limits?: TargetLimits;
  readonly storage?: StorageType;
  /** Appended to every entry point (a kernel set whose kernels extend the module's WGSL beside its own). */
  readonly entryPointSuffix?: string;
  /** Told each tuned schedule that is ignored because it does not fit its op. */
  readonly onUnusable?: (index: number, schedule: Schedule) => void;
}

/** Emits op `index` of the program with `schedule`. */
export function emitBackwardKernel(program: BackwardProgram, index: number, schedule: Schedule, storage: StorageType = program.dtype, entryPointSuffix = ''): EmittedKernel {
  const op = program.ops[index];
  const family = backwardFamiliesFor(op).find((f) => f.name === schedule.family);
  if (!family) throw new Error(`internal error: no kernel family '${schedule.family}' for a ${op.kind} op`);
  const ctx: KernelContext = { entryPoint: `${backwardEntryPoint(program.name, index)}${entryPointSuffix}`, opIndex: index, storage, params: program.params, buffers: program.buffers };
  return family.emit(schedule, ctx);
}

export function emitBackwardKernels(program: BackwardProgram, options: EmitBackwardOptions = {}): EmittedKernel[] {
  const limits = options.limits ?? DEFAULT_LIMITS;
  return program.ops.map((op, i) => {
    const tuned = options.schedules?.(i);
    const fits = tuned !== undefined && isValidBackwardSchedule(op, tuned.schedule, tuned.limits ?? limits);
    if (tuned && !fits) options.onUnusable?.(i, tuned.schedule);
    const schedule = tuned && fits ? tuned.schedule : backwardDefaultSchedule(op, limits);
    return emitBackwardKernel(program, i, schedule, options.storage, options.entryPointSuffix);
  });
}
