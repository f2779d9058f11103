/**
 * The kernel families by op kind, and schedule selection over them; and fusion: the kernel that
 * computes two consecutive ops in one dispatch (ks-pair-fused, the Monarch pair).
 */
import type { KsOp, Op, Program } from '../../ir/ir.js';
import { assertNever } from '../../util/assert.js';
import { biasFamily } from './bias.js';
import { bsrDirect } from './bsr-direct.js';
import { isAmong, isCandidate, type KernelFamily } from './family.js';
import type { EmittedKernel, Schedule, TargetLimits } from './kernel.js';
import { ksDirect } from './ks-direct.js';
import { ksDvec } from './fast/ks-dvec.js';
import { ksSgmat } from './fast/ks-sgmat.js';
import { ksTiled } from './fast/ks-tiled.js';
import { emitPair, fusablePair, pairCandidates, pairDefaultSchedule, usedElsewhere } from './fast/ks-pair-fused.js';
import type { KernelContext } from './scaffold.js';

/** The families that can compute an op, the preferred one first. */
export function familiesFor(op: Op): readonly KernelFamily<Op>[] {
  // Each family only ever receives ops of its own kind (checked by `kind` below).
  switch (op.kind) {
    case 'ks':
      return [ksDirect as KernelFamily<Op>, ksTiled as KernelFamily<Op>, ksDvec as KernelFamily<Op>, ksSgmat as KernelFamily<Op>];
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

/**
 * Each applicable family's own default for the op on this target, preferred family first: the
 * shapes that measured best per family, which a capped search must always try.
 */
export function familyDefaults(op: Op, limits: TargetLimits): Schedule[] {
  return familiesFor(op)
    .filter((f) => f.candidates(op, limits).length > 0)
    .map((f) => f.defaultSchedule(op, limits));
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

/**
 * Ops `first` and `first + 1` of the program when they can run as one dispatch: a pair of
 * Kronecker-sparse factors of the fused kernel's shape whose intermediate buffer no other op
 * reads or writes (the fused kernel never writes it).
 */
function fusablePairAt(program: Program, first: number): [KsOp, KsOp] | undefined {
  const [a, b] = program.ops.slice(first, first + 2);
  if (a?.kind !== 'ks' || b?.kind !== 'ks') return undefined;
  return fusablePair(a, b) && !usedElsewhere(program, a.dst, [first, first + 1]) ? [a, b] : undefined;
}

/** Whether ops `first` and `first + 1` of the program can run as one dispatch. */
export function fusesAt(program: Program, first: number): boolean {
  return fusablePairAt(program, first) !== undefined;
}

/** The first op of every pair of the program that can fuse (pairs may overlap). */
export function fusablePairs(program: Program): number[] {
  return program.ops.flatMap((_, i) => (fusesAt(program, i) ? [i] : []));
}

/** Every valid schedule of the fused kernel for ops `first`, `first + 1` (none when they do not fuse). */
export function fusedCandidates(program: Program, first: number, limits: TargetLimits): Schedule[] {
  const pair = fusablePairAt(program, first);
  return pair ? pairCandidates(...pair, limits) : [];
}

/** The fused kernel's default schedule for the pair at `first`, if the pair fuses. */
export function fusedDefaultSchedule(program: Program, first: number, limits: TargetLimits): Schedule | undefined {
  const pair = fusablePairAt(program, first);
  return pair && pairDefaultSchedule(...pair, limits);
}

/** Whether a schedule (from a tuning database, say) is a valid fused schedule for the pair at `first`. */
export function isValidFusedSchedule(program: Program, first: number, schedule: Schedule, limits: TargetLimits): boolean {
  return isAmong(schedule, fusedCandidates(program, first, limits));
}

/** Emits ops `first` and `first + 1` as one kernel (its `ops` are both). */
export function emitFusedKernel(program: Program, first: number, schedule: Schedule, ctx: KernelContext): EmittedKernel {
  const pair = fusablePairAt(program, first);
  if (!pair) throw new Error(`internal error: ops ${first} and ${first + 1} of '${program.name}' do not fuse`);
  return emitPair(...pair, schedule, ctx);
}
