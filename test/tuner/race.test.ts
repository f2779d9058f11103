/**
 * One kernel's race (race.ts), the step the forward and backward tuners share: a candidate is
 * timed only after its check passed, failures are recorded and never timed, one counted progress
 * line per candidate, the warm-up is short only right after another timing (and has no ramp on a
 * fallback adapter), and the two fastest are timed again with the full warm-up when they are
 * within CLOSE_RACE of each other.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { EmittedKernel, Schedule } from '../../src/codegen/wgsl/kernel.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import type { TimingOptions, TimingStats } from '../../src/runtime/timing.js';
import { CLOSE_RACE, NO_RAMP, PROBE, raceCandidates, raceSize, WarmClock, warmupAfter, type CandidateBench } from '../../src/tuner/race.js';

const space: Schedule[] = [1, 2, 3, 4, 5, 6, 7].map((w) => ({ family: 'f', w }));

/** What the fake device does with each schedule: its relative error (or a compile failure) and the times of its successive timings. */
interface Behaviour {
  readonly error: number | 'throws';
  readonly times: readonly number[];
}

function fakeBench(behaviour: (s: Schedule) => Behaviour) {
  const timings: { schedule: Schedule; options: TimingOptions }[] = [];
  const probes: { schedule: Schedule; options: TimingOptions }[] = [];
  const checked: Schedule[] = [];
  const emit = (schedule: Schedule): EmittedKernel => {
    if (behaviour(schedule).error === 'throws') throw new Error(`bad shader ${schedule.w}\nsecond line`);
    return { entryPoint: `k${schedule.w}`, wgsl: '', enables: [], workgroupSize: [64, 1, 1], dispatch: { kind: 'flat', itemsPerRow: 1, itemsPerWorkgroup: 64 }, schedule, ops: [0] };
  };
  const bench: CandidateBench = {
    emit,
    check: async (k) => {
      checked.push(k.schedule);
      return behaviour(k.schedule).error as number;
    },
    time: async (k, options): Promise<TimingStats> => {
      const times = behaviour(k.schedule).times;
      // A probe (race.ts PROBE) reads the kernel's first time; the full timings read its times in turn.
      const probe = options.repeats === PROBE.repeats;
      const ms = probe ? times[0] : times[Math.min(timings.filter((t) => t.schedule === k.schedule).length, times.length - 1)];
      (probe ? probes : timings).push({ schedule: k.schedule, options });
      return { medianMs: ms, minMs: ms, maxMs: ms, spread: 0.01, samples: [ms] };
    },
  };
  return { bench, timings, probes, checked };
}

async function race(bench: CandidateBench, clock = new WarmClock(() => 0)) {
  const lines: { line: string; counted: boolean }[] = [];
  const result = await raceCandidates(bench, { space, seeds: [space[0]], maxCandidates: 7, tolerance: 1e-5, repeats: 3, clock, name: 'm ops [0]', report: (line, counted) => lines.push({ line, counted }) });
  return { result, lines };
}

describe('raceCandidates', () => {
  it('times only candidates that pass the check; rejects wrong and failing ones with their reason', async () => {
    const wrong = new Set([2, 5]);
    const { bench, timings, probes, checked } = fakeBench((s) => ({ error: s.w === 3 ? 'throws' : wrong.has(Number(s.w)) ? 0.5 : s.w === 6 ? NaN : 1e-7, times: [10 * Number(s.w)] }));
    const { result, lines } = await race(bench);
    expect(checked).toHaveLength(6); // all but the one that failed to emit
    // w = 4 and 7 (40 and 70 ms, over twice w = 1's 10) are probed and stopped there (race.ts PROBE).
    expect(new Set(timings.map((t) => t.schedule.w))).toEqual(new Set([1]));
    expect(probes.map((t) => t.schedule.w).sort()).toEqual([4, 7]);
    expect(result.timed.map((t) => t.schedule.w).sort()).toEqual([1, 4, 7]);
    expect(result.rejected.map((r) => r.schedule.w).sort()).toEqual([2, 3, 5, 6]);
    expect(result.rejected.find((r) => r.schedule.w === 3)!.error).toContain('bad shader 3');
    expect(result.best).toMatchObject({ schedule: { w: 1 }, ms: 10 });
    // One counted line per candidate, each naming the kernel, its place and outcome; no close race (40 > 10 × 1.1).
    expect(lines.every((l) => l.counted)).toBe(true);
    expect(lines).toHaveLength(7);
    expect(lines.find((l) => l.line.includes('"w":3'))!.line).toMatch(/^m ops \[0\] \d\/7 \((seed|spread|neighbour)\) .*: FAILED \(bad shader 3\)$/);
    expect(lines.find((l) => l.line.includes('"w":2'))!.line).toMatch(/REJECTED \(relative error 5\.00e-1\)$/);
    expect(lines.find((l) => l.line.includes('"w":1'))!.line).toMatch(/: 10\.0000 ms ±1\.0%$/);
  });

  it('times a close race again with the full warm-up and keeps the faster of the rematch', async () => {
    // w=2 looked faster by 5% in the first pass; timed again, w=1 is the faster one.
    const { bench, timings } = fakeBench((s) => ({ error: 0, times: s.w === 1 ? [1.0, 0.9] : s.w === 2 ? [0.95, 1.2] : [5] }));
    const { result, lines } = await race(bench, new WarmClock(() => 0));
    expect(result.best).toMatchObject({ schedule: { w: 1 }, ms: 0.9 });
    const again = timings.slice(-2);
    expect(again.map((t) => t.schedule.w)).toEqual([2, 1]);
    for (const t of again) expect(t.options).toEqual({ repeats: 3 }); // no short warm-up
    const note = lines.at(-1)!;
    expect(note.counted).toBe(false);
    expect(note.line).toBe('m ops [0] close race, timed again: 1.2000 ms {"family":"f","w":2} vs 0.9000 ms {"family":"f","w":1}');
    // The first pass's times are what `timed` reports (the build default's time comes from there).
    expect(result.timed.find((t) => t.schedule.w === 2)!.ms).toBe(0.95);
  });

  test.prop([fc.array(fc.record({ error: fc.constantFrom<number | 'throws'>(0, 1e-7, 0.3, NaN, 'throws'), ms: fc.double({ min: 0.01, max: 10, noNaN: true }) }), { minLength: 7, maxLength: 7 })])(
    'every candidate is tried once and ends timed or rejected; the best is the fastest, or the faster of a close rematch',
    async (outcomes) => {
      const of = (s: Schedule) => outcomes[Number(s.w) - 1];
      const { bench, timings } = fakeBench((s) => ({ error: of(s).error, times: [of(s).ms, of(s).ms * 0.5] }));
      const { result, lines } = await race(bench);
      expect(lines.filter((l) => l.counted)).toHaveLength(raceSize({ space, seeds: [space[0]], maxCandidates: 7 }));
      const tried = [...result.timed.map((t) => t.schedule), ...result.rejected.map((r) => r.schedule)];
      expect(new Set(tried.map(scheduleKey)).size).toBe(space.length);
      const passing = outcomes.map((o, i) => ({ ...o, w: i + 1 })).filter((o) => typeof o.error === 'number' && o.error < 1e-5);
      expect(result.timed.map((t) => t.schedule.w).sort()).toEqual(passing.map((o) => o.w).sort());
      if (passing.length === 0) {
        expect(result.best).toBeUndefined();
        return;
      }
      const [first, second] = [...passing].sort((a, b) => a.ms - b.ms);
      const close = second !== undefined && second.ms <= first.ms * (1 + CLOSE_RACE);
      // Those stopped after their probe (over twice the best so far) were slower than twice the best, and never timed in full.
      const stopped = lines.filter((l) => l.line.includes('(probe; stopped')).map((l) => passing.find((o) => l.line.includes(`"w":${o.w}}`))!);
      for (const o of stopped) expect(o.ms).toBeGreaterThan(2 * first.ms);
      expect(timings).toHaveLength(passing.length - stopped.length + (close ? 2 : 0));
      if (!close) expect(result.best).toMatchObject({ schedule: { w: first.w }, ms: first.ms });
      else expect(result.best!.ms).toBe(Math.min(first.ms, second.ms) * 0.5);
    },
  );
});

describe('raceCandidates: candidates that cannot win (session 26)', () => {
  const run = async (times: (w: number) => number, clock: WarmClock, mustBeatMs?: number, all = space) => {
    const { bench, timings, probes } = fakeBench((s) => ({ error: 0, times: [times(Number(s.w))] }));
    const lines: string[] = [];
    const result = await raceCandidates(bench, { space: all, seeds: [all[0], all[1]], maxCandidates: 7, ...(mustBeatMs !== undefined ? { mustBeatMs } : {}), tolerance: 1e-5, repeats: 3, clock, name: 'm ops [0, 1]', report: (line) => lines.push(line) });
    return { result, lines, timings, probes };
  };

  it('probes a seed or spread candidate once one is timed and the clocks are up: over twice the best it keeps the probe, never timed in full; climb moves are never probed', async () => {
    // Of 20 schedules, 7 tried: the spread finds w = 7, the climb moves from it towards the best, w = 8.
    const twenty: Schedule[] = Array.from({ length: 20 }, (_, i) => ({ family: 'f', w: i + 1 }));
    const { result, lines, timings, probes } = await run((w) => (w === 2 ? 3 : w === 1 ? 1.2 : 1 + 0.05 * Math.abs(w - 8)), new WarmClock(() => 0), undefined, twenty);
    expect(probes[0]).toEqual({ schedule: space[1], options: { ...PROBE } });
    expect(timings.some((t) => t.schedule.w === 2)).toBe(false);
    expect(result.timed.find((t) => t.schedule.w === 2)!.ms).toBe(3);
    expect(lines.find((l) => l.includes('"w":2}'))).toMatch(/\(seed\) .*: 3\.0000 ms ±1\.0% \(probe; stopped: over 2\.4000 ms\)$/);
    // Every probe was of a seed or a spread candidate (the first seed, timed before any other, is not); the climb's moves
    // were timed in full only; the others (1.5 ms, under twice the best) were timed in full after their probe.
    const reason = (w: unknown) => /\((seed|spread|neighbour)\)/.exec(lines.find((l) => l.includes(`"w":${w}}`))!)![1];
    const tried = result.timed.map((t) => t.schedule.w);
    expect(tried).toHaveLength(7);
    for (const p of probes) expect(reason(p.schedule.w)).not.toBe('neighbour');
    expect(tried.filter((w) => reason(w) === 'neighbour').length).toBeGreaterThan(0);
    expect(probes.some((p) => p.schedule.w === 1)).toBe(false);
    expect(new Set(timings.map((t) => t.schedule.w))).toEqual(new Set(tried.filter((w) => w !== 2)));
    expect(result.best).toMatchObject({ schedule: { w: 8 }, ms: 1 });
  });

  it("decides on the probe's faster sample: one slow sample does not stop a candidate", async () => {
    const { bench, timings, probes } = fakeBench((s) => ({ error: 0, times: [s.w === 1 ? 1 : 1.5] }));
    const slowSample: CandidateBench = { ...bench, time: async (k, options) => ({ ...(await bench.time(k, options)), medianMs: options.repeats === PROBE.repeats ? 5 : 1.5 }) };
    const result = await raceCandidates(slowSample, { space, seeds: [space[0], space[1]], maxCandidates: 7, tolerance: 1e-5, repeats: 3, clock: new WarmClock(() => 0), name: 'm', report: () => {} });
    expect(probes.length).toBeGreaterThan(0);
    expect(new Set(timings.map((t) => t.schedule.w)).size).toBe(space.length);
    expect(result.timed).toHaveLength(space.length);
  });

  it('does not probe while the clocks may be down (more than the warm gap since the last timing): a short batch would read them', async () => {
    let now = 0;
    const { timings, probes } = await run((w) => (w === 2 ? 3 : 1), new WarmClock(() => (now += 1000)));
    expect(probes).toEqual([]);
    expect(new Set(timings.map((t) => t.schedule.w))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7]));
  });

  it('ends a search after its seeds when they are all over twice the time it must beat (a fused run: its ops own kernels together), with one uncounted line, and no rematch of a stopped candidate', async () => {
    // 5 and 5.2 ms: within CLOSE_RACE of each other, the second stopped after its probe (over twice the 2 ms to beat).
    const slow = await run((w) => 4.8 + 0.2 * w, new WarmClock(() => 0), 2);
    expect(slow.result.tried).toBe(2);
    expect([...slow.result.timed.map((t) => t.schedule.w)]).toEqual([1, 2]);
    expect(slow.probes.map((p) => p.schedule.w)).toEqual([2]);
    expect(slow.timings.map((t) => t.schedule.w)).toEqual([1]);
    expect(slow.lines.at(-1)).toBe('m ops [0, 1]: stopped after its seeds, over 2x the 2.0000 ms it must beat');
    // After other kernels' timings (the clocks up), the first candidate (the build default: defaultMs) is still timed in full.
    const warm = new WarmClock(() => 0);
    warm.timed();
    const after = await run((w) => 4.8 + 0.2 * w, warm, 2);
    expect(after.timings.map((t) => t.schedule.w)).toEqual([1]);
    expect(after.probes.map((p) => p.schedule.w)).toEqual([2]);
    // Within twice (5 ms against 3): the search goes on to its budget.
    const close = await run((w) => 4.8 + 0.2 * w, new WarmClock(() => 0), 3);
    expect(close.result.tried).toBe(7);
    expect(close.lines.some((l) => l.includes('stopped after its seeds'))).toBe(false);
  });
});

describe('WarmClock', () => {
  it('gives the short warm-up only to a timing that follows another within the gap', () => {
    let now = 1000;
    const clock = new WarmClock(() => now);
    expect(clock.warmup()).toEqual({}); // nothing timed yet: the GPU may be idle
    clock.timed();
    now += 200;
    expect(clock.warmup()).toEqual(warmupAfter(200));
    expect(clock.warmup().warmupMs).toBeGreaterThan(0);
    now += 2000;
    expect(clock.warmup()).toEqual({});
    expect(clock.full()).toEqual({});
  });

  it('on a fallback (software) adapter: one batch after the warm-up runs, for every candidate and the rematch', async () => {
    const clock = new WarmClock(() => 0, false);
    expect(clock.warmup()).toEqual({ warmupMs: 0, maxWarmupMs: 0 });
    expect(clock.full()).toEqual(NO_RAMP);
    // A close race (as above) on that clock: every timing, the rematch's included, without the ramp.
    const { bench, timings } = fakeBench((s) => ({ error: 0, times: s.w === 1 ? [1.0, 0.9] : s.w === 2 ? [0.95, 1.2] : [1.5] }));
    await race(bench, clock);
    expect(timings.length).toBe(space.length + 2);
    for (const t of timings) expect(t.options).toEqual({ repeats: 3, ...NO_RAMP });
  });

  it('WarmClock.of reads GPUDevice.adapterInfo.isFallbackAdapter (a GPU, or a browser without adapterInfo: the ramp)', () => {
    const of = (adapterInfo: unknown) => WarmClock.of({ adapterInfo } as GPUDevice);
    expect(of({ isFallbackAdapter: true }).full()).toEqual(NO_RAMP);
    expect(of({ isFallbackAdapter: false }).full()).toEqual({});
    expect(of(undefined).full()).toEqual({});
  });
});
