/**
 * The order in which the tuner tries a kernel's schedules when it may time only `max` of them.
 *
 * Schedule spaces run to thousands (a Monarch factor: 2137 ks-tiled shapes); timing one costs
 * about half a second on a real GPU. An even spread alone misses the good region (on the H100 a
 * cap of 6 found 1.49 ms where a planned search found 0.77 ms), so the search is:
 *  1. the seeds: each family's own default (the shapes that measured best per family), in order,
 *     all of them even when they exceed the budget (a capped search must not drop a family);
 *  2. an even spread over the rest, up to half of what remains of the budget (exploration);
 *  3. local search: the untried neighbours of the best schedule so far (same family, one knob
 *     changed), best first, repeatedly as the best moves; when the best's neighbourhood is
 *     exhausted, the next best's; when every timed schedule's is, the spread continues.
 * Browser-safe; the caller measures (returns undefined for a schedule that failed its check).
 */
import { scheduleKey } from '../codegen/wgsl/family.js';
import type { Schedule } from '../codegen/wgsl/kernel.js';

/** `count` of `all`, evenly spread (first and last included). */
export function spread<T>(all: readonly T[], count: number): T[] {
  if (all.length <= count) return [...all];
  if (count <= 0) return [];
  if (count === 1) return [all[0]];
  const step = (all.length - 1) / (count - 1);
  return [...new Set(Array.from({ length: count }, (_, i) => all[Math.round(i * step)]))];
}

/** Whether two schedules of one family differ in exactly one knob. */
export function areNeighbours(a: Schedule, b: Schedule): boolean {
  if (a.family !== b.family) return false;
  const knobs = new Set([...Object.keys(a), ...Object.keys(b)]);
  let differences = 0;
  for (const k of knobs) if (a[k] !== b[k] && ++differences > 1) return false;
  return differences === 1;
}

/** How many schedules searchSchedules tries: every seed, then up to `max` of all there are. */
export function searchSize(space: readonly Schedule[], seeds: readonly (Schedule | undefined)[], max: number): number {
  const seedKeys = new Set(seeds.flatMap((s) => (s ? [scheduleKey(s)] : [])));
  return Math.max(seedKeys.size, Math.min(max, new Set([...seedKeys, ...space.map(scheduleKey)]).size));
}

export interface SearchStep {
  readonly schedule: Schedule;
  /** Why it was chosen: a seed, the exploration spread, or a neighbour of the best so far. */
  readonly reason: 'seed' | 'spread' | 'neighbour';
}

/**
 * Tries the seeds, then schedules of `space` until `max` were tried in all (seeds outside `space`
 * are tried too: they are what an untuned build runs), in the order above; `measure` returns the time, or undefined when the
 * schedule was rejected. Returns how many were tried.
 */
export async function searchSchedules(
  space: readonly Schedule[],
  seeds: readonly (Schedule | undefined)[],
  max: number,
  measure: (step: SearchStep, index: number) => Promise<number | undefined>,
): Promise<number> {
  const tried = new Set<string>();
  const timed: { schedule: Schedule; ms: number }[] = [];
  let count = 0;
  const attempt = async (schedule: Schedule, reason: SearchStep['reason']): Promise<void> => {
    tried.add(scheduleKey(schedule));
    const ms = await measure({ schedule, reason }, count++);
    if (ms !== undefined) timed.push({ schedule, ms });
  };

  for (const s of seeds) if (s && !tried.has(scheduleKey(s))) await attempt(s, 'seed');
  const rest = space.filter((s) => !tried.has(scheduleKey(s)));
  const exploration = spread(rest, Math.ceil((max - count) / 2));
  for (const s of exploration) if (count < max) await attempt(s, 'spread');

  let spreadLeft = spread(
    space.filter((s) => !tried.has(scheduleKey(s))),
    max,
  );
  while (count < max) {
    const ranked = [...timed].sort((a, b) => a.ms - b.ms);
    let next: Schedule | undefined;
    for (const { schedule } of ranked) {
      next = space.find((s) => !tried.has(scheduleKey(s)) && areNeighbours(s, schedule));
      if (next) break;
    }
    if (next) {
      await attempt(next, 'neighbour');
      continue;
    }
    spreadLeft = spreadLeft.filter((s) => !tried.has(scheduleKey(s)));
    if (spreadLeft.length === 0) break;
    await attempt(spreadLeft[0], 'spread');
  }
  return count;
}
