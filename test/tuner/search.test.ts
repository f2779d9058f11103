/**
 * The tuner's search order (search.ts): seeds first, never a schedule twice, never more than the
 * budget, and local search that finds the optimum of a smooth cost over a grid that an even
 * spread of the same budget misses.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { Schedule } from '../../src/codegen/wgsl/kernel.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import { areNeighbours, searchSchedules, searchSize, spread, type SearchStep } from '../../src/tuner/search.js';

/** 8 × 8 × 2 = 128 schedules of one family, plus 8 of another. */
const grid: Schedule[] = [
  ...[1, 2, 3, 4, 5, 6, 7, 8].flatMap((a) => [1, 2, 3, 4, 5, 6, 7, 8].flatMap((b) => [true, false].map((v) => ({ family: 'f', a, b, v })))),
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((w) => ({ family: 'g', w })),
];
/** Smooth, one minimum at f(a=6, b=3, v=true) = 1. */
const cost = (s: Schedule): number => (s.family === 'g' ? 40 + Number(s.w) : 1 + (Number(s.a) - 6) ** 2 + (Number(s.b) - 3) ** 2 + (s.v ? 0 : 5));

async function run(space: readonly Schedule[], seeds: readonly (Schedule | undefined)[], max: number, measure = (s: Schedule): number | undefined => cost(s)) {
  const steps: SearchStep[] = [];
  const count = await searchSchedules(space, seeds, max, async (step, index) => {
    expect(index).toBe(steps.length);
    steps.push(step);
    return measure(step.schedule);
  });
  expect(count).toBe(steps.length);
  return steps;
}

describe('searchSchedules', () => {
  it('tries the seeds first, in order, each once, and never more than the budget or twice the same', async () => {
    const seedA = { family: 'g', w: 8 };
    const seedB = { family: 'f', a: 1, b: 1, v: false };
    const steps = await run(grid, [seedA, undefined, seedB, { v: false, b: 1, a: 1, family: 'f' }], 12);
    expect(steps.length).toBe(12);
    expect(steps.slice(0, 2).map((s) => s.schedule)).toEqual([seedA, seedB]);
    expect(steps.slice(0, 2).every((s) => s.reason === 'seed')).toBe(true);
    expect(new Set(steps.map((s) => scheduleKey(s.schedule))).size).toBe(12);
  });

  it('finds the optimum with 24 of 136 tries, where an even spread of 24 does not', async () => {
    const steps = await run(grid, [grid[0]], 24);
    const found = Math.min(...steps.map((s) => cost(s.schedule)));
    expect(found).toBe(1);
    expect(steps.some((s) => s.reason === 'neighbour')).toBe(true);
    expect(Math.min(...spread(grid, 24).map(cost))).toBeGreaterThan(1);
  });

  it('tries every seed even beyond the budget', async () => {
    const seeds = grid.slice(0, 5);
    const steps = await run(grid, seeds, 3);
    expect(steps.map((s) => s.schedule)).toEqual(seeds);
  });

  it('searchSize says how many it tries', async () => {
    const cases: [Schedule[], (Schedule | undefined)[], number][] = [[grid, grid.slice(0, 5), 3], [grid, [grid[0], undefined], 24], [grid.slice(0, 10), [{ family: 'h', z: 1 }], 100]];
    for (const [space, seeds, max] of cases) expect(searchSize(space, seeds, max)).toBe((await run(space, seeds, max)).length);
  });

  it('tries everything when the budget covers the space, and includes seeds outside the space', async () => {
    const outside = { family: 'h', z: 1 };
    const small = grid.slice(0, 10);
    const steps = await run(small, [outside], 100);
    expect(steps.length).toBe(11);
    expect(steps[0].schedule).toEqual(outside);
  });

  it('keeps searching past rejected schedules (measure returns undefined)', async () => {
    const steps = await run(grid, [grid[0]], 30, (s) => (s.v === false ? undefined : cost(s)));
    expect(steps.length).toBe(30);
    expect(Math.min(...steps.filter((s) => s.schedule.v === true).map((s) => cost(s.schedule)))).toBe(1);
  });
});

/**
 * Random search problems: up to three families, each a grid over up to four knobs (some of its
 * points missing, as limits cut a family's space), seeds drawn from the space and outside it
 * (with repeats and gaps), and times from a random table, some schedules rejected.
 */
const problem = fc
  .record({
    families: fc.array(fc.record({ knobs: fc.array(fc.constantFrom(1, 2, 4, 8, 16, 32), { minLength: 1, maxLength: 4 }), keep: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 3 }),
    seedPicks: fc.array(fc.option(fc.nat(), { nil: undefined }), { maxLength: 8 }),
    outside: fc.array(fc.nat({ max: 5 }), { maxLength: 2 }),
    times: fc.array(fc.option(fc.double({ min: 0.01, max: 100, noNaN: true }), { nil: undefined, freq: 6 }), { minLength: 1, maxLength: 64 }),
    max: fc.integer({ min: 1, max: 40 }),
  })
  .map(({ families, seedPicks, outside, times, max }) => {
    const space: Schedule[] = families.flatMap(({ knobs, keep }, f) => {
      // Every combination of the knobs' values (each knob: its value or half of it), thinned.
      let points: Schedule[] = [{ family: `f${f}` }];
      knobs.forEach((v, k) => (points = points.flatMap((p) => [{ ...p, [`k${k}`]: v }, { ...p, [`k${k}`]: Math.max(1, v / 2) }, { ...p, [`k${k}`]: v * 2 }])));
      return [...new Map(points.map((p) => [scheduleKey(p), p])).values()].filter((_, i) => i % keep === 0);
    });
    const seeds = [...seedPicks.map((i) => (i === undefined || space.length === 0 ? undefined : space[i % space.length])), ...outside.map((z) => ({ family: 'outside', z }))];
    const timeOf = (s: Schedule) => times[[...scheduleKey(s)].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % times.length];
    return { space, seeds, max, timeOf };
  });

describe('searchSchedules, on random problems', () => {
  test.prop([problem], { numRuns: 200 })('tries every seed first, in order, never a schedule twice, and as many as searchSize says', async ({ space, seeds, max, timeOf }) => {
    const steps = await run(space, seeds, max, timeOf);
    const keys = steps.map((s) => scheduleKey(s.schedule));
    expect(new Set(keys).size).toBe(keys.length);
    const seedKeys = [...new Set(seeds.flatMap((s) => (s ? [scheduleKey(s)] : [])))];
    expect(keys.slice(0, seedKeys.length)).toEqual(seedKeys);
    expect(steps.slice(0, seedKeys.length).every((s) => s.reason === 'seed')).toBe(true);
    expect(steps.length).toBe(searchSize(space, seeds, max));
    const inSpace = new Set(space.map(scheduleKey));
    expect(keys.slice(seedKeys.length).every((k) => inSpace.has(k))).toBe(true);
  });
});

describe('areNeighbours', () => {
  it('is true only for one changed knob within one family', () => {
    expect(areNeighbours({ family: 'f', a: 1, b: 2 }, { family: 'f', a: 1, b: 3 })).toBe(true);
    expect(areNeighbours({ family: 'f', a: 1, b: 2 }, { family: 'f', a: 2, b: 3 })).toBe(false);
    expect(areNeighbours({ family: 'f', a: 1 }, { family: 'f', a: 1 })).toBe(false);
    expect(areNeighbours({ family: 'f', a: 1 }, { family: 'g', a: 2 })).toBe(false);
  });
});
