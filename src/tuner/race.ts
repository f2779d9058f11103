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
import { searchSchedules, searchSize, type SearchStep } from './search.js';

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
  /** Every candidate that passed the check, with its first timing, in the order tried. */
  readonly timed: readonly TimedSchedule[];
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
        const t = await time(schedule, kernel, o.clock.warmup());
        timed.push(t);
        ms = t.ms;
        outcome = `${t.ms.toFixed(4)} ms ±${(t.spread * 100).toFixed(1)}%`;
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
  await searchSchedules(o.space, o.seeds, o.maxCandidates, measure);

  const [first, second] = [...timed].sort((a, b) => a.ms - b.ms);
  if (!second || second.ms > first.ms * (1 + CLOSE_RACE)) return { ...(first ? { best: first } : {}), timed, rejected };
  // The two timed again, each with the full warm-up (the first pass may have caught them at different clocks).
  const again: TimedSchedule[] = [];
  for (const c of [first, second]) again.push(await time(c.schedule, bench.emit(c.schedule), o.clock.full()));
  o.report(`${o.name} close race, timed again: ${again.map((c) => `${c.ms.toFixed(4)} ms ${JSON.stringify(c.schedule)}`).join(' vs ')}`, false);
  const best = again.reduce((b, c) => (c.ms < b.ms ? c : b));
  return { best, timed, rejected };
}
