/**
 * The auto-tuner: for each kernel of a program, candidate schedules (of every family that can
 * compute it, pruned by the device's limits; the untuned build's default first) are emitted,
 * checked against the float64 reference on random data, and only then timed (timestamp queries,
 * median of repeats); the fastest is kept. Consecutive ops that fuse (the Monarch pair) are also
 * tried as one dispatch. Browser-safe: the caller stores the returned entries (db-file.ts in Node).
 */
import type { Op, Program } from '../../ir/ir.js';
import { candidates as familyCandidates, defaultSchedule, emitFusedKernel, familyDefaults, emitKernel, fusablePairs, fusedCandidates, fusedDefaultSchedule } from '../../codegen/wgsl/families.js';
import { isAmong } from '../../codegen/wgsl/family.js';
import { DEFAULT_LIMITS, type EmittedKernel, type Schedule, type TargetLimits } from '../../codegen/wgsl/kernel.js';
import { entryPointName } from '../../codegen/wgsl/program.js';
import type { KernelContext, StorageType } from '../../codegen/wgsl/scaffold.js';
import { MONC_VERSION } from '../../version.js';
import type { AdapterIdentity } from './adapter-identity.js';
import { batchBucket, kernelSignature, type TuningEntry } from './db.js';
import { KernelCheck } from './kernel-check.js';

export interface TuneOptions {
  readonly batch: number;
  /** What candidates may use: the device's limits (deviceTargetLimits). */
  readonly limits: TargetLimits;
  readonly storage?: StorageType;
  /** At most this many candidates per kernel (default 24): the default, then an even spread of the rest. */
  readonly maxCandidates?: number;
  /** Timed runs per candidate (default 10). */
  readonly repeats?: number;
  readonly onProgress?: (progress: TuneProgress) => void;
}

export interface TuneProgress {
  /** Candidates finished so far, and in all, over the whole program. */
  readonly done: number;
  readonly total: number;
  /** What happened to the last one. */
  readonly line: string;
}

export interface TimedSchedule {
  readonly schedule: Schedule;
  readonly ms: number;
  /** Relative spread of the samples ((p90 − p10) / median). */
  readonly spread: number;
}

export interface KernelTuning {
  /** Indices of the program's ops the kernel performs. */
  readonly ops: readonly number[];
  readonly signature: string;
  readonly best?: TimedSchedule;
  /**
   * What an untuned build spends on these ops: the default schedule's time; for a fused pair
   * (which untuned builds do not fuse), the two ops' default kernels together.
   */
  readonly defaultMs?: number;
  /** Candidates that passed the check and were timed. */
  readonly timed: number;
  /** Candidates whose output did not match the reference, or that failed to compile (never timed). */
  readonly rejected: readonly { readonly schedule: Schedule; readonly error: string }[];
}

export interface TuneResult {
  readonly kernels: readonly KernelTuning[];
  readonly entries: readonly TuningEntry[];
}

/** `count` of `all`, evenly spread (first and last included). */
function spread<T>(all: readonly T[], count: number): T[] {
  if (all.length <= count) return [...all];
  if (count <= 0) return [];
  if (count === 1) return [all[0]];
  const step = (all.length - 1) / (count - 1);
  return [...new Set(Array.from({ length: count }, (_, i) => all[Math.round(i * step)]))];
}

/** The default (when there is one), then an even spread of the other candidates: at most `max` in all. */
/** The seeds (defaults, always tried, in order, once each), then `all` spread to fill `max`. */
function withSeeds(seeds: readonly (Schedule | undefined)[], all: readonly Schedule[], max: number): Schedule[] {
  const first: Schedule[] = [];
  for (const s of seeds) if (s && !isAmong(s, first)) first.push(s);
  return [...first, ...spread(all.filter((s) => !isAmong(s, first)), Math.max(0, max - first.length))];
}

interface Plan {
  readonly ops: readonly number[];
  readonly schedules: readonly Schedule[];
  /** The schedule an untuned build uses for this kernel (single ops only). */
  readonly buildDefault?: Schedule;
  readonly emit: (s: Schedule) => EmittedKernel;
}

export async function tuneProgram(device: GPUDevice, adapter: AdapterIdentity, program: Program, options: TuneOptions): Promise<TuneResult> {
  const storage = options.storage ?? program.dtype;
  const tol = storage === 'f16' ? 3e-3 : 1e-5;
  const max = Math.max(1, options.maxCandidates ?? 24);
  const report = options.onProgress ?? (() => {});
  const layout = { params: program.params, buffers: new Map(program.buffers.map((b) => [b.name, b.size])) };
  // shader-f16 only serves f16 storage (ks-sgmat's tensor cores take f16 operands): for f32
  // storage those candidates cannot be emitted, and would take slots of the capped search.
  const limits: TargetLimits = storage === 'f16' ? options.limits : { ...options.limits, features: options.limits.features.filter((f) => f !== 'shader-f16') };
  const ctx = (opIndex: number): KernelContext => ({ entryPoint: entryPointName(program.name, opIndex), opIndex, storage, params: program.params, buffers: program.buffers });

  const plans: Plan[] = [
    ...program.ops.map((op, i): Plan => {
      // Untuned builds choose defaults within the limits every adapter has.
      const buildDefault = defaultSchedule(op, DEFAULT_LIMITS);
      // Then every family's own default under this adapter's limits, then a spread of the rest.
      const seeds = [buildDefault, ...familyDefaults(op, limits)];
      return { ops: [i], buildDefault, schedules: withSeeds(seeds, familyCandidates(op, limits), max), emit: (s) => emitKernel(op, s, ctx(i)) };
    }),
    ...fusablePairs(program).map((i): Plan => ({
      ops: [i, i + 1],
      schedules: withSeeds([fusedDefaultSchedule(program, i, limits)], fusedCandidates(program, i, limits), max),
      emit: (s) => emitFusedKernel(program, i, s, ctx(i)),
    })),
  ].filter((p) => p.schedules.length > 0);
  const total = plans.reduce((n, p) => n + p.schedules.length, 0);
  let done = 0;

  type Tuned = Omit<KernelTuning, 'defaultMs'> & { readonly defaultTimed?: number };
  async function tuneKernel(plan: Plan): Promise<Tuned> {
    const opList: Op[] = plan.ops.map((i) => program.ops[i]);
    const check = KernelCheck.create(device, { ops: opList, layout, paramSize: program.paramSize, storage, batch: options.batch, checkRows: 16 });
    const rejected: { schedule: Schedule; error: string }[] = [];
    let best: TimedSchedule | undefined;
    let defaultTimed: number | undefined;
    let timed = 0;
    try {
      for (const [k, schedule] of plan.schedules.entries()) {
        const label = `${program.name} ops [${plan.ops.join(', ')}] ${k + 1}/${plan.schedules.length} ${JSON.stringify(schedule)}`;
        let outcome: string;
        try {
          const kernel = plan.emit(schedule);
          const err = await check.check(kernel);
          if (!(err < tol)) {
            rejected.push({ schedule, error: `relative error ${err}` });
            outcome = `REJECTED (relative error ${err.toExponential(2)})`;
          } else {
            const t = await check.time(kernel, { repeats: options.repeats ?? 10 });
            timed++;
            outcome = `${t.medianMs.toFixed(4)} ms ±${(t.spread * 100).toFixed(1)}%`;
            if (plan.buildDefault && isAmong(schedule, [plan.buildDefault])) defaultTimed = t.medianMs;
            if (!best || t.medianMs < best.ms) best = { schedule, ms: t.medianMs, spread: t.spread };
          }
        } catch (e) {
          const message = (e as Error).message;
          rejected.push({ schedule, error: message });
          outcome = `FAILED (${message.split('\n')[0]})`;
        }
        report({ done: ++done, total, line: `${label}: ${outcome}` });
      }
    } finally {
      check.destroy();
    }
    return { ops: plan.ops, signature: kernelSignature(opList, storage), ...(best ? { best } : {}), ...(defaultTimed !== undefined ? { defaultTimed } : {}), timed, rejected };
  }

  const tuned: Tuned[] = [];
  for (const plan of plans) tuned.push(await tuneKernel(plan));
  const singleDefault = (i: number) => tuned.find((k) => k.ops.length === 1 && k.ops[0] === i)?.defaultTimed;
  const kernels: KernelTuning[] = tuned.map(({ defaultTimed: _, ...k }) => {
    const parts = k.ops.map(singleDefault);
    const defaultMs = parts.every((ms) => ms !== undefined) ? parts.reduce((a, b) => a + b, 0) : undefined;
    return { ...k, ...(defaultMs !== undefined ? { defaultMs } : {}) };
  });
  const date = new Date().toISOString();
  const entries: TuningEntry[] = kernels.flatMap((k) =>
    k.best ? [{ adapter, compiler: MONC_VERSION, kernel: k.signature, batchBucket: batchBucket(options.batch), schedule: k.best.schedule, ms: k.best.ms, spread: k.best.spread, timed: k.timed, date }] : [],
  );
  return { kernels, entries };
}
