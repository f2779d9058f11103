/**
 * A kernel family: one way to compute one op kind, parameterised by a schedule of the family's
 * own type. The tuner searches `candidates`; `defaultSchedule` is what an untuned build uses.
 * The registries (families.ts forward, backward-program.ts backward) hold families keyed by the
 * op kind they serve and apply them to an op (`forOp`), so callers never cast an op or a
 * schedule: a stored schedule (tuning database, manifest) reaches `emit` through the family's
 * own `decode`, picked by its `family` name.
 */
import type { BackwardOp, Op } from '../../ir/ir.js';
import { invariant } from '../../util/assert.js';
import { DEFAULT_KNOBS } from './defaults.js';
import type { EmittedKernel, Schedule, TargetLimits } from './kernel.js';
import type { KernelContext } from './scaffold.js';

/** Op kinds of forward and backward programs alike (ir.ts). */
export type OpKind = BackwardOp['kind'];

/** The op of kind K. */
export type OpOf<K extends OpKind> = Extract<BackwardOp, { readonly kind: K }>;

/**
 * A family for ops of kind K with schedules of type S (S['family'] is the family's name). The
 * members are function-typed properties, so a family of one op kind or schedule type is never
 * accepted where another is expected.
 */
export interface KernelFamily<K extends OpKind, S extends Schedule> {
  readonly name: S['family'];
  readonly opKind: K;
  readonly defaultSchedule: (op: OpOf<K>, limits: TargetLimits) => S;
  /** Every valid schedule for this op, in a fixed order; the default is among them. */
  readonly candidates: (op: OpOf<K>, limits: TargetLimits) => S[];
  /** The family's view of a stored schedule of its name (its knobs checked, not its fit: emit checks that). */
  readonly decode: (schedule: Schedule) => S;
  readonly emit: (op: OpOf<K>, schedule: S, ctx: KernelContext) => EmittedKernel;
}

/** A family applied to one op: what the registries hand out, the op's and schedule's types kept inside. */
export interface FamilyForOp {
  readonly name: string;
  defaultSchedule(limits: TargetLimits): Schedule;
  candidates(limits: TargetLimits): Schedule[];
  /** Emits the op with a schedule of this family's name (recorded in the kernel as given). */
  emit(schedule: Schedule, ctx: KernelContext): EmittedKernel;
}

/** A family in a registry of op kind K: its name, and the family applied to an op of that kind. */
export interface RegisteredFamily<K extends OpKind> {
  readonly name: string;
  readonly forOp: (op: OpOf<K>) => FamilyForOp;
}

/** Registers a family: the only place its schedule type is erased, through its own decode. */
export function register<K extends OpKind, S extends Schedule>(family: KernelFamily<K, S>): RegisteredFamily<K> {
  return {
    name: family.name,
    forOp: (op) => ({
      name: family.name,
      defaultSchedule: (limits) => family.defaultSchedule(op, limits),
      candidates: (limits) => family.candidates(op, limits),
      emit: (schedule, ctx) => ({ ...family.emit(op, family.decode(schedule), ctx), schedule }),
    }),
  };
}

/** The registered families applied to an op of their kind. */
export function applied<K extends OpKind>(families: readonly RegisteredFamily<K>[], op: OpOf<K>): FamilyForOp[] {
  return families.map((f) => f.forOp(op));
}

/**
 * A kernel family for a run of consecutive ops (two or more) computed in one dispatch, the
 * intermediates kept on chip. `applies` looks at the ops' shapes only; whether the program lets
 * the run fuse (no other op touches its intermediates) is families.ts's to check.
 */
export interface RunFamily<S extends Schedule> {
  readonly name: S['family'];
  readonly applies: (ops: readonly Op[]) => boolean;
  /** The family's default for the run on this target; undefined when no schedule fits. */
  readonly defaultSchedule: (ops: readonly Op[], limits: TargetLimits) => S | undefined;
  /** Every valid schedule for the run, in a fixed order (none when the family does not apply). */
  readonly candidates: (ops: readonly Op[], limits: TargetLimits) => S[];
  readonly decode: (schedule: Schedule) => S;
  /** The kernel for the run; `ctx.opIndex` is the index of its first op. */
  readonly emit: (ops: readonly Op[], schedule: S, ctx: KernelContext) => EmittedKernel;
}

/** A run family with its schedule type erased (through its decode), as the run registry holds it. */
export interface RegisteredRunFamily {
  readonly name: string;
  applies(ops: readonly Op[]): boolean;
  defaultSchedule(ops: readonly Op[], limits: TargetLimits): Schedule | undefined;
  candidates(ops: readonly Op[], limits: TargetLimits): Schedule[];
  emit(ops: readonly Op[], schedule: Schedule, ctx: KernelContext): EmittedKernel;
}

export function registerRun<S extends Schedule>(family: RunFamily<S>): RegisteredRunFamily {
  return {
    name: family.name,
    applies: family.applies,
    defaultSchedule: family.defaultSchedule,
    candidates: family.candidates,
    emit: (ops, schedule, ctx) => ({ ...family.emit(ops, family.decode(schedule), ctx), schedule }),
  };
}

/** Workgroup sizes a schedule may pick, within the target's limit. */
export function workgroupSizes(limits: TargetLimits): number[] {
  return [64, 128, 256].filter((w) => w <= limits.maxWorkgroupSize);
}

/** The default workgroup size (defaults.ts), or the target's maximum when smaller. */
export function defaultWorkgroupSize(limits: TargetLimits): number {
  return Math.min(DEFAULT_KNOBS.workgroupSize, limits.maxWorkgroupSize);
}

/** The last (largest) element of a non-empty ascending list. */
export function largest(values: readonly number[]): number {
  return values[values.length - 1];
}

/** Divisors of n among the candidate factors, ascending. */
export function dividing(n: number, factors: readonly number[]): number[] {
  return factors.filter((f) => f <= n && n % f === 0);
}

/** Unroll factors for a loop of `count` iterations: small divisors, plus full unrolling of short loops. */
export function unrollFactors(count: number, maxFull = 32): number[] {
  const factors = dividing(count, [1, 2, 4, 8]);
  if (count <= maxFull && !factors.includes(count)) factors.push(count);
  return factors;
}

/** The schedule of the direct families (one thread per run of outputs). */
export interface DirectSchedule<F extends string> extends Schedule {
  readonly family: F;
  readonly workgroupSize: number;
  readonly outputsPerThread: number;
  readonly unroll: number;
}

/**
 * The schedule space of the direct families: `outputsPerThread` consecutive outputs per thread
 * (dividing `outputs`), `unroll` of the reduction loop (dividing `reduction`), a workgroup size.
 */
export function directScheduleSpace<K extends OpKind, F extends string>(
  family: F,
  sizes: (op: OpOf<K>) => { readonly outputs: number; readonly reduction: number },
): Pick<KernelFamily<K, DirectSchedule<F>>, 'name' | 'defaultSchedule' | 'candidates' | 'decode'> {
  return {
    name: family,
    defaultSchedule(op, limits) {
      const { outputs, reduction } = sizes(op);
      const knobs = DEFAULT_KNOBS.direct;
      return {
        family,
        workgroupSize: defaultWorkgroupSize(limits),
        outputsPerThread: largest(dividing(outputs, knobs.outputsPerThread)),
        unroll: largest(unrollFactors(reduction, knobs.fullUnrollUpTo)),
      };
    },
    candidates(op, limits) {
      const { outputs, reduction } = sizes(op);
      return workgroupSizes(limits).flatMap((workgroupSize) =>
        dividing(outputs, [1, 2, 4, 8]).flatMap((outputsPerThread) => unrollFactors(reduction).map((unroll) => ({ family, workgroupSize, outputsPerThread, unroll }))),
      );
    },
    decode: (s) => ({ family, workgroupSize: knob(s, 'workgroupSize'), outputsPerThread: knob(s, 'outputsPerThread'), unroll: knob(s, 'unroll') }),
  };
}

/** The schedule of a family whose only knob is the workgroup size. */
export interface WorkgroupSchedule<F extends string> extends Schedule {
  readonly family: F;
  readonly workgroupSize: number;
}

/** The schedule space of a family whose only knob is the workgroup size. */
export function workgroupScheduleSpace<K extends OpKind, F extends string>(family: F): Pick<KernelFamily<K, WorkgroupSchedule<F>>, 'name' | 'defaultSchedule' | 'candidates' | 'decode'> {
  return {
    name: family,
    defaultSchedule: (_op, limits) => ({ family, workgroupSize: defaultWorkgroupSize(limits) }),
    candidates: (_op, limits) => workgroupSizes(limits).map((workgroupSize) => ({ family, workgroupSize })),
    decode: (s) => ({ family, workgroupSize: knob(s, 'workgroupSize') }),
  };
}

/**
 * The default of a tiled family: the highest-scoring of its candidates for the op (the first among
 * equals), so the default is always valid for the target. `what` names the op in the error when
 * the family has no candidate at all (a caller bug: families are asked only where they apply).
 */
export function highestScoring<S extends Schedule>(family: string, what: string, all: readonly S[], score: (s: S) => number): S {
  invariant(all.length > 0, `${family} has no schedule for ${what}`);
  let best = all[0];
  let bestScore = score(best);
  for (const s of all.slice(1)) {
    const v = score(s);
    if (v > bestScore) [best, bestScore] = [s, v];
  }
  return best;
}

/** A numeric knob of a stored schedule (decoders read them): an integer of at least `min` (sizes: 1; paddings: 0). */
export function knob(schedule: Schedule, name: string, min = 1): number {
  const v = schedule[name];
  if (typeof v === 'number' && Number.isInteger(v) && v >= min) return v;
  // The message is built only on failure: knobs are read millions of times in a large build.
  invariant(false, `schedule ${JSON.stringify(schedule)}: knob '${name}' must be ${min === 1 ? 'a positive integer' : `an integer of at least ${min}`}`);
}

/** A boolean knob of a stored schedule: absent or anything but `true` is off. */
export function flag(schedule: Schedule, name: string): boolean {
  return schedule[name] === true;
}

/**
 * The flags of `names` a stored schedule turns on, as `{ name: true }` entries; those off are
 * absent, so a schedule stored before a flag existed decodes to the same schedule (and WGSL).
 */
export function presentFlags(schedule: Schedule, names: readonly string[]): Record<string, true> {
  return Object.fromEntries(names.filter((name) => flag(schedule, name)).map((name) => [name, true]));
}

/** Whether `schedule` equals one of `candidates` (knob order aside). */
export function isAmong(schedule: Schedule, candidates: readonly Schedule[]): boolean {
  const key = scheduleKey(schedule);
  return candidates.some((c) => scheduleKey(c) === key);
}

/** Identity of a schedule independent of knob order. */
export function scheduleKey(s: Schedule): string {
  return JSON.stringify(Object.keys(s).sort().map((k) => [k, s[k]]));
}
