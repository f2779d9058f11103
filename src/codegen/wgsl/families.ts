/**
 * The kernel families by op kind, and schedule selection over them; and fusion: kernels that
 * compute a run of consecutive ops in one dispatch (ks-pair-fused, the Monarch pair;
 * ks-chain-fused, runs of square Kronecker-sparse factors: butterfly levels, order-p Monarch).
 */
import type { Op, Program } from '../../ir/ir.js';
import { assertNever } from '../../util/assert.js';
import { biasFamily } from './bias.js';
import { DEFAULT_FUSION, untunedSchedule } from './defaults.js';
import { bsrDirect } from './bsr-direct.js';
import { bsrTiled } from './fast/bsr-tiled.js';
import { applied, isAmong, register, registerRun, type FamilyForOp, type RegisteredFamily, type RegisteredRunFamily } from './family.js';
import type { EmittedKernel, Schedule, TargetLimits } from './kernel.js';
import { ksDirect } from './ks-direct.js';
import { ksDvec } from './fast/ks-dvec.js';
import { ksDtiled } from './fast/ks-dtiled.js';
import { ksSgmat } from './fast/ks-sgmat.js';
import { ksSgmatStrided } from './fast/ks-sgmat-strided.js';
import { ksTiled } from './fast/ks-tiled.js';
import { chainShape, ksChainFused } from './fast/ks-chain-fused.js';
import { ksPairFused } from './fast/ks-pair-fused.js';
import { ksPairSgmat } from './fast/ks-pair-sgmat.js';
import type { KernelContext } from './scaffold.js';

/**
 * The forward registry: the families of each op kind, the portable fallback first (it fits every
 * op and target). A new family is one `register(...)` line in its op kind's list.
 */
export const FORWARD_FAMILIES: { readonly [K in Op['kind']]: readonly RegisteredFamily<K>[] } = {
  ks: [register(ksDirect), register(ksTiled), register(ksDvec), register(ksDtiled), register(ksSgmat), register(ksSgmatStrided)],
  bsr: [register(bsrDirect), register(bsrTiled)],
  bias: [register(biasFamily)],
};

/** The families that can compute an op, applied to it; the first is the portable fallback. */
export function familiesFor(op: Op): FamilyForOp[] {
  switch (op.kind) {
    case 'ks':
      return applied(FORWARD_FAMILIES.ks, op);
    case 'bsr':
      return applied(FORWARD_FAMILIES.bsr, op);
    case 'bias':
      return applied(FORWARD_FAMILIES.bias, op);
    default:
      return assertNever(op, 'op');
  }
}

/** The family of `op` named by `schedule.family`, if it serves the op. */
function familyOf(op: Op, schedule: Schedule): FamilyForOp | undefined {
  return familiesFor(op).find((f) => f.name === schedule.family);
}

/** The schedule an untuned build uses: the family defaults.ts prefers for the op on this target. */
export function defaultSchedule(op: Op, limits: TargetLimits): Schedule {
  return untunedSchedule(familiesFor(op), op, limits);
}

/**
 * Each applicable family's own default for the op on this target, preferred family first: the
 * shapes that measured best per family, which a capped search must always try.
 */
export function familyDefaults(op: Op, limits: TargetLimits): Schedule[] {
  return familiesFor(op)
    .filter((f) => f.candidates(limits).length > 0)
    .map((f) => f.defaultSchedule(limits));
}

/** Every valid schedule of every family for the op: the tuner's search space. */
export function candidates(op: Op, limits: TargetLimits): Schedule[] {
  return familiesFor(op).flatMap((f) => f.candidates(limits));
}

/** Whether a schedule (from a tuning database, say) is valid for the op on this target. */
export function isValidSchedule(op: Op, schedule: Schedule, limits: TargetLimits): boolean {
  const family = familyOf(op, schedule);
  return family !== undefined && isAmong(schedule, family.candidates(limits));
}

/** Emits one op with a schedule of one of its families. */
export function emitKernel(op: Op, schedule: Schedule, ctx: KernelContext): EmittedKernel {
  const family = familyOf(op, schedule);
  if (!family) throw new Error(`internal error: no kernel family '${schedule.family}' for a ${op.kind} op`);
  return family.emit(schedule, ctx);
}

/** The families that compute a run of consecutive ops in one dispatch. */
export const RUN_FAMILIES: readonly RegisteredRunFamily[] = [registerRun(ksChainFused), registerRun(ksPairFused), registerRun(ksPairSgmat)];

/**
 * Whether program ops `run` (indices) are two or more consecutive ops that the program lets run
 * as one dispatch. The fused kernel writes only the last op's destination, so every other buffer
 * the run writes (its intermediates) keeps its old contents: each must be dead after the run
 * (the next op touching it overwrites it without reading it, and it is not the map's output or
 * input). The last op must not accumulate into a buffer an earlier op of the run wrote, and its
 * destination must not be the run's source (one dispatch cannot bind a buffer both ways).
 */
function isolated(program: Program, run: readonly number[]): boolean {
  if (run.length < 2 || run.some((i, k) => i !== run[0] + k || i >= program.ops.length)) return false;
  const ops = run.map((i) => program.ops[i]);
  const first = ops[0];
  const last = ops[ops.length - 1];
  const intermediates = new Set(ops.slice(0, -1).map((op) => op.dst));
  if ((first.kind !== 'bias' && last.dst === first.src) || (last.accumulate && intermediates.has(last.dst))) return false;
  intermediates.delete(last.dst);
  const deadAfter = (name: string) => {
    for (let i = run[run.length - 1] + 1; i < program.ops.length; i++) {
      const op = program.ops[i];
      if ((op.kind !== 'bias' && op.src === name) || (op.dst === name && op.accumulate)) return false;
      if (op.dst === name) return true;
    }
    return name !== 'y';
  };
  return [...intermediates].every((name) => name !== 'x' && deadAfter(name));
}

/** The run families that can compute program ops `run` as one dispatch (none: the run does not fuse). */
function runFamilies(program: Program, run: readonly number[]): readonly RegisteredRunFamily[] {
  if (!isolated(program, run)) return [];
  const ops = run.map((i) => program.ops[i]);
  return RUN_FAMILIES.filter((f) => f.applies(ops));
}

const opsOf = (program: Program, run: readonly number[]) => run.map((i) => program.ops[i]);

/** Whether program ops `run` (consecutive indices) can run as one dispatch. */
export function fusesRun(program: Program, run: readonly number[]): boolean {
  return runFamilies(program, run).length > 0;
}

/** The consecutive indices first, first + 1, …, first + length - 1. */
export function runOf(first: number, length: number): number[] {
  return Array.from({ length }, (_, k) => first + k);
}

/**
 * The most ops one fused run may hold: it bounds the runs tried at each op, so that building a
 * long program stays linear in its length (a Monarch or butterfly has at most 30 factors).
 */
export const MAX_RUN_OPS = 32;

/** The runs starting at op `first` that can fuse (at most MAX_RUN_OPS ops), longest first. */
export function runsAt(program: Program, first: number): number[][] {
  const out: number[][] = [];
  for (let length = Math.min(program.ops.length - first, MAX_RUN_OPS); length >= 2; length--) if (fusesRun(program, runOf(first, length))) out.push(runOf(first, length));
  return out;
}

/** Every run of the program that can fuse (runs may overlap), by first op, longest first. */
export function fusableRuns(program: Program): number[][] {
  return program.ops.flatMap((_, i) => runsAt(program, i));
}

/** Every valid schedule of every run family for the run (none when it does not fuse). */
export function runCandidates(program: Program, run: readonly number[], limits: TargetLimits): Schedule[] {
  return runFamilies(program, run).flatMap((f) => f.candidates(opsOf(program, run), limits));
}

/** Each applicable run family's own default for the run on this target (seeds of a capped search). */
export function runFamilyDefaults(program: Program, run: readonly number[], limits: TargetLimits): Schedule[] {
  return runFamilies(program, run).flatMap((f) => f.defaultSchedule(opsOf(program, run), limits) ?? []);
}

/** Whether a schedule (from a tuning database, say) is a valid schedule for the fused run on this target. */
export function isValidRunSchedule(program: Program, run: readonly number[], schedule: Schedule, limits: TargetLimits): boolean {
  const family = runFamilies(program, run).find((f) => f.name === schedule.family);
  return family !== undefined && isAmong(schedule, family.candidates(opsOf(program, run), limits));
}

/** Emits the run as one kernel (its `ops` are the run's). */
export function emitRunKernel(program: Program, run: readonly number[], schedule: Schedule, ctx: KernelContext): EmittedKernel {
  const family = runFamilies(program, run).find((f) => f.name === schedule.family);
  if (!family) throw new Error(`internal error: ops [${run.join(', ')}] of '${program.name}' do not fuse with '${schedule.family}'`);
  return family.emit(opsOf(program, run), schedule, ctx);
}

/** Tile budget of untuned fusion, in elements per batch row (defaults.ts). */
export const DEFAULT_RUN_TILE = DEFAULT_FUSION.runTile;

/** A fused run and its schedule. */
export interface ScheduledRun {
  readonly ops: readonly number[];
  readonly schedule: Schedule;
}

/**
 * The greedy chain run from op `first`: extended while the next op keeps it a ks-chain-fused
 * run with a tile of at most `maxTile` elements and a default schedule on the target, and
 * `extendable` allows the op (at most MAX_RUN_OPS ops); the longest such run with its default schedule, or undefined when
 * not even two ops qualify. A run of just the Monarch pair does not count: fused, it measured
 * slower than its two factors' kernels on the H100, so only tuning fuses it.
 */
export function greedyRunAt(program: Program, first: number, limits: TargetLimits, maxTile: number, extendable: (op: number) => boolean = () => true): ScheduledRun | undefined {
  let best: ScheduledRun | undefined;
  for (let length = 2; length <= MAX_RUN_OPS && first + length <= program.ops.length && extendable(first + length - 1); length++) {
    const run = runOf(first, length);
    const shape = chainShape(opsOf(program, run));
    const schedule = shape && shape.tile <= maxTile ? ksChainFused.defaultSchedule(opsOf(program, run), limits) : undefined;
    if (!schedule) break;
    // A run the program does not let fuse (it would read and write one buffer, say) may still
    // extend to one it does.
    const families = runFamilies(program, run).map((f) => f.name);
    if (families.includes(ksChainFused.name) && !families.includes(ksPairFused.name)) best = { ops: run, schedule };
  }
  return best;
}

/** The program cut, left to right, into the runs `runAt` gives and single ops where it gives none. */
function partitionWith(program: Program, runAt: (first: number) => ScheduledRun | undefined): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < program.ops.length; ) {
    const run = runAt(i)?.ops ?? [i];
    out.push([...run]);
    i += run.length;
  }
  return out;
}

/** The program cut into greedy chain runs (greedyRunAt, left to right) and single ops. */
export function greedyPartition(program: Program, limits: TargetLimits, maxTile: number): number[][] {
  return partitionWith(program, (i) => greedyRunAt(program, i, limits, maxTile));
}

/** Whether an untuned build fuses the op into a chain run: only where its blocks are too small for the tiled GEMM families (defaults.ts). */
function fusedByDefault(op: Op): boolean {
  return op.kind === 'ks' && (op.b < DEFAULT_FUSION.belowBlock || op.c < DEFAULT_FUSION.belowBlock);
}

/** The untuned build's run from op `first`: greedyRunAt within DEFAULT_RUN_TILE over ops that are fusedByDefault and `extendable`. */
export function defaultRunAt(program: Program, first: number, limits: TargetLimits, extendable: (op: number) => boolean = () => true): ScheduledRun | undefined {
  const allowed = (j: number) => fusedByDefault(program.ops[j]) && extendable(j);
  return allowed(first) ? greedyRunAt(program, first, limits, DEFAULT_RUN_TILE, allowed) : undefined;
}

/** The untuned build's kernels: default runs (defaultRunAt) and single ops. */
export function defaultPartition(program: Program, limits: TargetLimits): number[][] {
  return partitionWith(program, (i) => defaultRunAt(program, i, limits));
}
