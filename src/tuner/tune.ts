/**
 * The auto-tuner: for each kernel of a program, candidate schedules (of every family that can
 * compute it, pruned by the device's limits; first the kernel an untuned build runs on this
 * adapter, tune-plans.ts) are emitted, checked against the float64 reference on random data,
 * and only then timed (timestamp queries,
 * median of repeats); the fastest is kept (race.ts, shared with the backward tuner). Which
 * schedules are tried within the cap, and in what order, is search.ts's business. Runs of
 * consecutive ops that fuse are also tried as one dispatch, and the returned entries are the
 * single ops' and the winning runs' (partitions.ts).
 * Browser-safe: the caller stores the returned entries (src/node/tuning-db.ts in Node).
 */
import type { Op, Program } from '../ir/ir.js';
import { isAmong } from '../codegen/wgsl/family.js';
import type { Schedule, TargetLimits } from '../codegen/wgsl/kernel.js';
import type { StorageType } from '../codegen/wgsl/scaffold.js';
import { MONC_VERSION } from '../version.js';
import { PRECISION_TOLERANCE } from '../util/precision.js';
import type { AdapterIdentity } from './adapter-identity.js';
import { batchBucket, type TuningEntry, type TuningKey } from './db.js';
import { KernelCheck } from './kernel-check.js';
import { winningRuns } from './partitions.js';
import { DEFAULT_MAX_CANDIDATES } from './budget.js';
import { raceCandidates, raceSize, WarmClock, type CandidateBench, type TimedSchedule } from './race.js';
import { storageLimits } from './seeds.js';
import { checkProgramTuning } from './tune-arguments.js';
import { tunePlans, type Plan } from './tune-plans.js';
import { deviceCapabilities } from '../runtime/device.js';
import { checkDevice, watchDevice } from '../runtime/run-errors.js';

export interface TuneOptions {
  readonly batch: number;
  /** What candidates may use: the device's limits (deviceTargetLimits). */
  readonly limits: TargetLimits;
  readonly storage?: StorageType | undefined;
  /** At most this many candidates per kernel, unless its seeds (the untuned default, each family's own) are more: all are timed (default 24; search.ts says which). */
  readonly maxCandidates?: number | undefined;
  /** Timed runs per candidate (default 10). */
  readonly repeats?: number | undefined;
  readonly onProgress?: ((progress: TuneProgress) => void) | undefined;
  /**
   * Kernels tuned earlier in this run, by signature (a command tuning several maps passes one
   * for all of them; tuneProgram adds each kernel it tunes). A kernel found here is not tuned
   * again: identical layers, or an op twice in one program (`a @ a`), cost one search, and one
   * database entry serves them all.
   */
  readonly known?: Map<string, KnownKernel> | undefined;
}

/** What tuning a kernel found, whichever ops of whichever program it was tuned for. */
export interface KnownKernel {
  readonly best?: TimedSchedule;
  /** The untuned build's schedule timed, where the search timed it. */
  readonly defaultTimed?: number;
}

export interface TuneProgress {
  /** Candidates finished so far, and in all, over the whole program. */
  readonly done: number;
  readonly total: number;
  /** What happened to the last one. */
  readonly line: string;
}

export interface KernelTuning {
  /** Indices of the program's ops the kernel performs. */
  readonly ops: readonly number[];
  readonly signature: string;
  readonly best?: TimedSchedule;
  /**
   * What an untuned build spends on these ops on this adapter: the summed times of its own
   * kernels there, those of the kernel set its runtime picks on this adapter (untuned-kernels.ts:
   * an f16 map's tensor-core set on an H100), when they cover exactly these ops; otherwise (a
   * kernel that cuts through one of the untuned build's fused runs, or a Monarch pair, which
   * untuned builds do not fuse) the ops' single default kernels together.
   */
  readonly defaultMs?: number;
  /** Candidates that passed the check and were timed. */
  readonly timed: number;
  /** Candidates whose output did not match the reference, or that failed to compile (never timed). */
  readonly rejected: readonly { readonly schedule: Schedule; readonly error: string }[];
  /** The same kernel was tuned earlier in this run (TuneOptions.known): its result, nothing timed again. */
  readonly reused?: true;
}

export interface TuneResult {
  readonly kernels: readonly KernelTuning[];
  readonly entries: readonly TuningEntry[];
  /** Fused runs tried but not kept (slower, or every candidate rejected): a database drops older entries for them (db.ts merge). */
  readonly retired: readonly TuningKey[];
}

export async function tuneProgram(device: GPUDevice, adapter: AdapterIdentity, program: Program, options: TuneOptions): Promise<TuneResult> {
  // What monc tune (and tuneMaps) refuse, refused here too before any work (tune-arguments.ts).
  checkProgramTuning('tuneProgram', device, adapter, program, options, 'forward');
  // Watched from here on, so that a candidate failing on a device lost before or during the search ends it (bench.usable).
  watchDevice(device);
  const storage = options.storage ?? program.dtype;
  const tol = PRECISION_TOLERANCE[storage];
  const max = Math.max(1, options.maxCandidates ?? DEFAULT_MAX_CANDIDATES);
  const report = options.onProgress ?? (() => {});
  const layout = { params: program.params, buffers: new Map(program.buffers.map((b) => [b.name, b.size])) };
  const limits = storageLimits(options.limits, storage);
  const { plans, partitions, untunedRuns } = tunePlans(program, storage, limits, deviceCapabilities(device), options.batch);
  const known = options.known ?? new Map<string, KnownKernel>();
  // The plans searched: the first of each signature not tuned before (the others reuse its result).
  const searched = plans.filter((p, k) => !known.has(p.signature) && plans.findIndex((q) => q.signature === p.signature) === k);
  const race = (p: Plan) => ({ space: p.space, seeds: p.seeds, maxCandidates: max });
  const total = searched.reduce((n, p) => n + raceSize(race(p)), 0);
  let done = 0;
  const clock = WarmClock.of(device);

  type Tuned = Omit<KernelTuning, 'defaultMs'> & { readonly defaultTimed?: number };
  /** `mustBeatMs`: for a fused run, its ops' own best kernels together (race.ts: it stops early above twice that). */
  async function tuneKernel(plan: Plan, mustBeatMs: number | undefined): Promise<Tuned> {
    const opList: Op[] = plan.ops.map((i) => program.ops[i]);
    const check = KernelCheck.create(device, { ops: opList, layout, paramSize: program.paramSize, storage, batch: options.batch, checkRows: 16 });
    const bench: CandidateBench = { emit: plan.emit, check: (kernel) => check.check(kernel), time: (kernel, timing) => check.time(kernel, timing), usable: () => checkDevice(device) };
    try {
      const { best, timed, rejected, tried } = await raceCandidates(bench, {
        ...race(plan),
        ...(mustBeatMs !== undefined ? { mustBeatMs } : {}),
        tolerance: tol,
        repeats: options.repeats ?? 10,
        clock,
        name: `${program.name} ops [${plan.ops.join(', ')}]`,
        report: (line, counted) => report({ done: counted ? ++done : done, total, line }),
      });
      // A search that ended after its seeds: the progress counts the candidates it did not try as done.
      done += raceSize(race(plan)) - tried;
      const buildDefault = plan.buildDefault;
      const defaultTimed = buildDefault ? timed.find((t) => isAmong(t.schedule, [buildDefault]))?.ms : undefined;
      return { ops: plan.ops, signature: plan.signature, ...(best ? { best } : {}), ...(defaultTimed !== undefined ? { defaultTimed } : {}), timed: timed.length, rejected };
    } finally {
      check.destroy();
    }
  }

  const tuned: Tuned[] = [];
  for (const plan of plans) {
    const earlier = known.get(plan.signature);
    if (earlier) {
      tuned.push({ ops: plan.ops, signature: plan.signature, ...earlier, timed: 0, rejected: [], reused: true });
      continue;
    }
    // A fused run must beat its ops' own kernels, tuned before it (plans list the single ops first).
    const partsMs = plan.ops.map((i) => tuned.find((t) => t.ops.length === 1 && t.ops[0] === i)?.best?.ms);
    const fusedMustBeat = plan.ops.length > 1 && partsMs.every((ms): ms is number => ms !== undefined) ? partsMs.reduce((a, b) => a + b, 0) : undefined;
    const k = await tuneKernel(plan, fusedMustBeat);
    known.set(plan.signature, { ...(k.best ? { best: k.best } : {}), ...(k.defaultTimed !== undefined ? { defaultTimed: k.defaultTimed } : {}) });
    tuned.push(k);
  }
  const tunedRun = (run: readonly number[]) => tuned.find((k) => k.ops.join() === run.join());
  const sum = (xs: readonly (number | undefined)[]) => (xs.every((x) => x !== undefined) ? xs.reduce((a, b) => a + b, 0) : undefined);
  const kernels: KernelTuning[] = tuned.map(({ defaultTimed: _, ...k }) => {
    const own = untunedRuns.filter((r) => k.ops.includes(r[0]));
    const exact = own.flat().length === k.ops.length && own.every((r) => r.every((i) => k.ops.includes(i)));
    const defaultMs = sum(exact ? own.map((r) => tunedRun(r)?.defaultTimed) : k.ops.map((i) => tunedRun([i])?.defaultTimed));
    return { ...k, ...(defaultMs !== undefined ? { defaultMs } : {}) };
  });
  // A fused run counts only where it beat its ops' own kernels: lookup.ts refuses it otherwise.
  const singlesMs = (run: readonly number[]) => sum(run.map((i) => tunedRun([i])?.best?.ms)) ?? Infinity;
  const beatsParts = (run: readonly number[]) => (tunedRun(run)?.best?.ms ?? Infinity) < singlesMs(run);
  const cost = (run: readonly number[]) => (run.length === 1 ? singlesMs(run) : Math.min(tunedRun(run)?.best?.ms ?? Infinity, singlesMs(run)));
  const winners = winningRuns(program, partitions, cost).filter(beatsParts);
  const returned = (k: KernelTuning) => k.ops.length === 1 || winners.some((r) => r.join() === k.ops.join());
  const date = new Date().toISOString();
  const key = (k: KernelTuning): TuningKey => ({ adapter, compiler: MONC_VERSION, kernel: k.signature, batchBucket: batchBucket(options.batch) });
  const entries: TuningEntry[] = kernels.filter(returned).flatMap((k) =>
    k.best ? [{ ...key(k), schedule: k.best.schedule, ms: k.best.ms, spread: k.best.spread, timed: k.timed, date }] : [],
  );
  const retired = kernels.filter((k) => !returned(k)).map(key);
  return { kernels, entries, retired };
}
