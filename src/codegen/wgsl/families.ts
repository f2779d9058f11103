/** The kernel families by op kind, and schedule selection over them. */
import type { Op } from '../../ir/ir.js';
import { assertNever } from '../../util/assert.js';
import { biasFamily } from './bias.js';
import { bsrDirect } from './bsr-direct.js';
import { isCandidate, type KernelFamily } from './family.js';
import type { EmittedKernel, Schedule, TargetLimits } from './kernel.js';
import { ksDirect } from './ks-direct.js';
import { ksTiled } from './fast/ks-tiled.js';
import type { KernelContext } from './scaffold.js';

/** The families that can compute an op, the preferred one first. */
export function familiesFor(op: Op): readonly KernelFamily<Op>[] {
  // Each family only ever receives ops of its own kind (checked by `kind` below).
  switch (op.kind) {
    case 'ks':
      return [ksDirect as KernelFamily<Op>, ksTiled as KernelFamily<Op>];
    case 'bsr':
      return [bsrDirect as KernelFamily<Op>];
    case 'bias':
      return [biasFamily as KernelFamily<Op>];
    default:
      return assertNever(op, 'op');
  }
}

export function defaultSchedule(op: Op, limits: TargetLimits): Schedule {
  return familiesFor(op)[0].defaultSchedule(op, limits);
}

/** Every valid schedule of every family for the op: the tuner's search space. */
export function candidates(op: Op, limits: TargetLimits): Schedule[] {
  return familiesFor(op).flatMap((f) => f.candidates(op, limits));
}

/** Whether a schedule (from a tuning database, say) is valid for the op on this target. */
export function isValidSchedule(op: Op, schedule: Schedule, limits: TargetLimits): boolean {
  const family = familiesFor(op).find((f) => f.name === schedule.family);
  return family !== undefined && isCandidate(family, op, schedule, limits);
}

/** Emits one op with a schedule of one of its families. */
export function emitKernel(op: Op, schedule: Schedule, ctx: KernelContext): EmittedKernel {
  const family = familiesFor(op).find((f) => f.name === schedule.family);
  if (!family) throw new Error(`internal error: no kernel family '${schedule.family}' for a ${op.kind} op`);
  return family.emit(op, schedule, ctx);
}
