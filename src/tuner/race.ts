/**
 * One kernel's race, the same for forward (tune.ts) and backward (tune-backward.ts) kernels: the
 * search picks schedules (search.ts); each is emitted, checked against the float64 reference and
 * only then timed; one progress line per candidate; a close race between the two fastest is
 * timed again back to back. What differs between forward and backward kernels (how a kernel is
 * emitted, checked and timed: buffers, bindings, reference) is the caller's `CandidateBench`.
 * Browser-safe.
 */
import type { EmittedKernel, Schedule } from '../codegen/wgsl/kernel.js';
import type { TimingOptions, TimingStats } from '../runtime/timing.js';
import { COMPETITIVE, searchSchedules, searchSize, type SearchStep } from './search.js';

/**
 * A candidate timed within WARM_GAP_MS of the previous timing finds the GPU's clocks up, so it
 * needs only WARM_WARMUP_MS of warm-up (plus timing.ts's rule that two consecutive batches
 * agree) instead of the full ramp from idle: about half the cost per candidate on the H100.
 */
const WARM_GAP_MS = 500;
const WARM_WARMUP_MS = 100;

/**
 * When the runner-up is within this fraction of the best, both are timed again back to back with
 * the full warm-up and the faster is kept: close races are where one noisy sample decides.
 */
export const CLOSE_RACE = 0.1;

/**
 * A seed or spread candidate (not the first: the build default) timed while the clocks are up, once some candidate of these
 * ops is timed, is first timed in one short batch (PROBE: 2 samples after timing.ts's busy passes, no warm-up ramp); one
 * whose faster sample is slower than
 * COMPETITIVE times the best so far (or than the time the kernel must beat, RaceOptions.mustBeatMs) keeps that time and
 * is not timed in full: it cannot win, and its full timing (batches until two agree) cost up to 2 s per candidate at
 * 10-150 ms a run on the H100 (session 25 call 3 and session 26 call 1, B = 16384: ks-direct seeds 17-78 ms, ks-tiled's
 * on an f16 strided factor 1.4-11 ms, ks-chain-fused 9-150 ms, ks-pair-fused 1.5-10 ms, beside bests of 0.09-0.97 ms).
 * Climb moves (neighbours of a family's best) are never probed: they are where the close ones are.
 */
export const PROBE: TimingOptions = { repeats: 2, warmupMs: 0, maxWarmupMs: 0 };

/** The warm-up a candidate timed `sinceLastMs` after the previous timing needs (the default ramp when the GPU may have idled). */
export function warmupAfter(sinceLastMs: number): TimingOptions {
  return sinceLastMs < WARM_GAP_MS ? { warmupMs: WARM_WARMUP_MS } : {};
}

/**
 * The timing of a fallback adapter (GPUAdapterInfo.isFallbackAdapter: a software one such as
 * SwiftShader) runs on the CPU, whose clocks do not drop between kernels as an idle GPU's do: one
 * batch of samples after the warm-up runs, without the ramp or the agreement of two batches
 * (which on a loaded CPU runs to timing.ts's 2 s cap). Tuning monc's own tests on SwiftShader: a
 * backward program's tuning 46 s -> 7 s.
 */
export const NO_RAMP: TimingOptions = { warmupMs: 0, maxWarmupMs: 0 };

/** Whether `device` is a fallback adapter's (GPUDevice.adapterInfo, where the browser has it): timed with NO_RAMP. */
export const onFallbackAdapter = (device: GPUDevice): boolean => device.adapterInfo?.isFallbackAdapter === true;

/** When the last candidate of a tuning run was timed: one per run, shared by all its kernels (the clocks do not know which kernel ran). */
export class WarmClock {
  private last = -Infinity;
  constructor(
    private readonly now: () => number = () => performance.now(),
    /** Whether the device's clocks ramp up under load (false: a fallback adapter, NO_RAMP). */
    private readonly ramps = true,
  ) {}
  /** The clock of a tuning run on `device` (GPUDevice.adapterInfo, where the browser has it, says whether it is a fallback adapter). */
  static of(device: GPUDevice): WarmClock {
    return new WarmClock(undefined, !onFallbackAdapter(device));
  }
  /** Whether a timing now finds the clocks up (a probe's short batch is then the kernel's speed): within WARM_GAP_MS of the last, or no ramp. */
  warm(): boolean {
    return !this.ramps || this.now() - this.last < WARM_GAP_MS;
  }
  /** The warm-up the next timing needs. */
  warmup(): TimingOptions {
    return this.ramps ? warmupAfter(this.now() - this.last) : NO_RAMP;
  }
  /** The full warm-up from idle (a close race's rematch). */
  full(): TimingOptions {
    return this.ramps ? {} : NO_RAMP;
  }
  /** A timing just ended. */
  timed(): void {
    this.last = this.now();
  }
}

export interface TimedSchedule {
  readonly schedule: Schedule;
  readonly ms: number;
  /** Relative spread of the samples ((p90 − p10) / median). */
  readonly spread: number;
}

/** How one kernel's candidates are emitted, checked and timed. */
export interface CandidateBench {
  emit(schedule: Schedule): EmittedKernel;
  /** The kernel's relative error against the float64 reference on random data. */
  check(kernel: EmittedKernel): Promise<number>;
  /** The kernel's time (its output was checked before). */
  time(kernel: EmittedKernel, options: TimingOptions): Promise<TimingStats>;
  /**
   * Throws when the device can run no candidate any more (lost): asked when a candidate fails, so that the search ends
   * with that error rather than rejecting every candidate with the empty message of a lost device's failures (QA2 s21 Q54).
   */
  readonly usable?: () => void;
}

export interface RaceOptions {
  readonly space: readonly Schedule[];
  /** Tried first, in order (searchSchedules). */
  readonly seeds: readonly (Schedule | undefined)[];
  readonly maxCandidates: number;
  /**
   * The time these ops take without this kernel, where known (a fused run: its ops' own best kernels together): the
   * search ends after the seeds when they are all more than COMPETITIVE times slower (search.ts), and a probed
   * candidate slower than COMPETITIVE times it is not timed in full (PROBE).
   */
  readonly mustBeatMs?: number;
  /** A candidate whose relative error is not below this is rejected, never timed. */
  readonly tolerance: number;
  /** Timed runs per candidate. */
  readonly repeats: number;
  readonly clock: WarmClock;
  /** What the progress lines call the kernel ("m ops [0, 1]", "m backward op 2 (bias-grad)"). */
  readonly name: string;
  /** A line for each candidate finished (`counted`), and for a close race timed again. */
  readonly report: (line: string, counted: boolean) => void;
}

export interface RaceResult {
  /** The fastest candidate (after the close-race rematch); absent when none passed the check. */
  readonly best?: TimedSchedule;
  /** Every candidate that passed the check, with its first timing (a probe's, for one stopped early: PROBE), in the order tried. */
  readonly timed: readonly TimedSchedule[];
  /** Candidates tried (timed or rejected): fewer than raceSize where the search ended after its seeds (mustBeatMs). */
  readonly tried: number;
  /** Candidates whose output did not match the reference, or that failed to compile (never timed). */
  readonly rejected: readonly { readonly schedule: Schedule; readonly error: string }[];
}

/** The number of candidates `raceCandidates` tries with these options. */
export function raceSize(o: Pick<RaceOptions, 'space' | 'seeds' | 'maxCandidates'>): number {
  return searchSize(o.space, o.seeds, o.maxCandidates);
}

export async function raceCandidates(bench: CandidateBench, o: RaceOptions): Promise<RaceResult> {
  const timed: TimedSchedule[] = [];
  const rejected: { schedule: Schedule; error: string }[] = [];
  const count = raceSize(o);
  const time = async (schedule: Schedule, kernel: EmittedKernel, options: TimingOptions): Promise<TimedSchedule> => {
    const t = await bench.time(kernel, { repeats: o.repeats, ...options });
    o.clock.timed();
    return { schedule, ms: t.medianMs, spread: t.spread };
  };
  /** A probe's reading: the faster of its samples (one slow sample, or clocks not all the way up, must not stop a candidate). */
  const probeTime = async (schedule: Schedule, kernel: EmittedKernel): Promise<TimedSchedule> => {
    const t = await bench.time(kernel, { repeats: o.repeats, ...PROBE });
    o.clock.timed();
    return { schedule, ms: t.minMs, spread: t.spread };
  };

  /** Candidates stopped after their probe (PROBE): never in a close race's rematch. */
  const stopped = new Set<TimedSchedule>();
  /** Above this a candidate cannot win (PROBE). */
  const hopelessMs = () => COMPETITIVE * Math.min(o.mustBeatMs ?? Infinity, ...timed.map((t) => t.ms));
  const measure = async ({ schedule, reason }: SearchStep, k: number): Promise<number | undefined> => {
    let outcome: string;
    let ms: number | undefined;
    try {
      const kernel = bench.emit(schedule);
      const err = await bench.check(kernel);
      if (!(err < o.tolerance)) {
        rejected.push({ schedule, error: `relative error ${err}` });
        outcome = `REJECTED (relative error ${err.toExponential(2)})`;
      } else {
        const bound = hopelessMs();
        // The build default (the first candidate: its time is defaultMs) is always timed in full.
        const probe = k > 0 && reason !== 'neighbour' && bound < Infinity && o.clock.warm() ? await probeTime(schedule, kernel) : undefined;
        const hopeless = probe !== undefined && probe.ms > bound;
        const t = hopeless ? probe : await time(schedule, kernel, o.clock.warmup());
        if (hopeless) stopped.add(t);
        timed.push(t);
        ms = t.ms;
        outcome = `${t.ms.toFixed(4)} ms ±${(t.spread * 100).toFixed(1)}%${hopeless ? ` (probe; stopped: over ${bound.toFixed(4)} ms)` : ''}`;
      }
    } catch (e) {
      bench.usable?.();
      const message = (e as Error).message;
      rejected.push({ schedule, error: message });
      outcome = `FAILED (${message.split('\n')[0]})`;
    }
    o.report(`${o.name} ${k + 1}/${count} (${reason}) ${JSON.stringify(schedule)}: ${outcome}`, true);
    return ms;
  };
  const tried = await searchSchedules(o.space, o.seeds, o.maxCandidates, measure, o.mustBeatMs);
  if (tried < count) o.report(`${o.name}: stopped after its seeds, over ${COMPETITIVE}x the ${o.mustBeatMs!.toFixed(4)} ms it must beat`, false);

  const [first, second] = [...timed].sort((a, b) => a.ms - b.ms);
  // No rematch with a candidate stopped after its probe: it was over twice the best so far or the time the kernel must beat
  // (a fused run's seeds over twice its ops' own kernels: that kernel is not used, and its race decides nothing).
  const closeRace = second !== undefined && second.ms <= first.ms * (1 + CLOSE_RACE) && !stopped.has(first) && !stopped.has(second);
  if (!closeRace) return { ...(first ? { best: first } : {}), timed, rejected, tried };
  // The two timed again, each with the full warm-up (the first pass may have caught them at different clocks).
  const again: TimedSchedule[] = [];
  for (const c of [first, second]) again.push(await time(c.schedule, bench.emit(c.schedule), o.clock.full()));
  o.report(`${o.name} close race, timed again: ${again.map((c) => `${c.ms.toFixed(4)} ms ${JSON.stringify(c.schedule)}`).join(' vs ')}`, false);
  const best = again.reduce((b, c) => (c.ms < b.ms ? c : b));
  return { best, timed, rejected, tried };
}
