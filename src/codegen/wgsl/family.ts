/**
 * A kernel family: one way to compute one op kind, parameterised by a schedule. The tuner
 * searches `candidates`; `defaultSchedule` is what an untuned build uses.
 */
import type { BackwardOp, Op } from '../../ir/ir.js';
import { invariant } from '../../util/assert.js';
import type { EmittedKernel, Schedule, TargetLimits } from './kernel.js';
import type { KernelContext } from './scaffold.js';

/** Forward op kinds and the gradient ops of backward programs (ir.ts) alike. */
export interface KernelFamily<O extends BackwardOp> {
  readonly name: string;
  readonly opKind: O['kind'];
  defaultSchedule(op: O, limits: TargetLimits): Schedule;
  /** Every valid schedule for this op, in a fixed order; the default is among them. */
  candidates(op: O, limits: TargetLimits): Schedule[];
  emit(op: O, schedule: Schedule, ctx: KernelContext): EmittedKernel;
}

/**
 * A kernel family for a run of consecutive ops (two or more) computed in one dispatch, the
 * intermediates kept on chip. `applies` looks at the ops' shapes only; whether the program lets
 * the run fuse (no other op touches its intermediates) is families.ts's to check.
 */
export interface RunFamily {
  readonly name: string;
  applies(ops: readonly Op[]): boolean;
  /** The family's default for the run on this target; undefined when no schedule fits. */
  defaultSchedule(ops: readonly Op[], limits: TargetLimits): Schedule | undefined;
  /** Every valid schedule for the run, in a fixed order (none when the family does not apply). */
  candidates(ops: readonly Op[], limits: TargetLimits): Schedule[];
  /** The kernel for the run; `ctx.opIndex` is the index of its first op. */
  emit(ops: readonly Op[], schedule: Schedule, ctx: KernelContext): EmittedKernel;
}

/** Workgroup sizes a schedule may pick, within the target's limit. */
export function workgroupSizes(limits: TargetLimits): number[] {
  return [64, 128, 256].filter((w) => w <= limits.maxWorkgroupSize);
}

/** The default workgroup size: 64 lanes (or the target's maximum when smaller). */
export function defaultWorkgroupSize(limits: TargetLimits): number {
  return Math.min(64, limits.maxWorkgroupSize);
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

/**
 * The schedule space of the direct families: `outputsPerThread` consecutive outputs per thread
 * (dividing `outputs`), `unroll` of the reduction loop (dividing `reduction`), a workgroup size.
 */
export function directScheduleSpace<O extends Op>(
  family: string,
  sizes: (op: O) => { readonly outputs: number; readonly reduction: number },
): Pick<KernelFamily<O>, 'defaultSchedule' | 'candidates'> {
  return {
    defaultSchedule(op, limits) {
      const { outputs, reduction } = sizes(op);
      const perThread = dividing(outputs, [1, 2, 4]);
      const unrolls = unrollFactors(reduction, 16);
      return { family, workgroupSize: defaultWorkgroupSize(limits), outputsPerThread: perThread[perThread.length - 1], unroll: unrolls[unrolls.length - 1] };
    },
    candidates(op, limits) {
      const { outputs, reduction } = sizes(op);
      return workgroupSizes(limits).flatMap((workgroupSize) =>
        dividing(outputs, [1, 2, 4, 8]).flatMap((outputsPerThread) => unrollFactors(reduction).map((unroll) => ({ family, workgroupSize, outputsPerThread, unroll }))),
      );
    },
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

/** A numeric knob of a schedule. */
export function knob(schedule: Schedule, name: string): number {
  const v = schedule[name];
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  // The message is built only on failure: knobs are read millions of times in a large build.
  invariant(false, `schedule ${JSON.stringify(schedule)}: knob '${name}' must be a positive integer`);
}

/** Whether a schedule is one of the family's candidates for the op (stale tuning entries are not). */
export function isCandidate<O extends BackwardOp>(family: KernelFamily<O>, op: O, schedule: Schedule, limits: TargetLimits): boolean {
  return isAmong(schedule, family.candidates(op, limits));
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
