/**
 * The order in which the tuner tries a kernel's schedules when it may time only `max` of them.
 *
 * Schedule spaces run to thousands (a Monarch strided factor on the H200: 3122 schedules of five
 * families); timing one costs about half a second on a real GPU. An even spread alone misses the
 * good region (on the H100 a cap of 6 found 1.49 ms where a planned search found 0.77 ms), and a
 * capped search that starts from a default that is not the best must still get there (on the
 * H200 the sweep's tuner kept ks-tiled's old default for Monarch n=4096's first factor, 0.410 ms,
 * where 64 rows × 64 β, 8x4 tiles, chunks of 8, pipelined took 0.284: five knobs away). So:
 *  1. the seeds: the untuned build's schedule and each family's own default (the shapes that
 *     measured best per family), in order, all of them even beyond the budget (a capped search
 *     must not drop a family);
 *  2. exploration, a fifth of what remains: the families in turn, each one's schedules sampled
 *     evenly, skipping families out of contention (best more than COMPETITIVE times the best: on
 *     the H200 ks-direct's 17 ms beside ks-tiled's 0.41 ms took spread slots that could not win);
 *  3. climbs: from the best schedule of every family within CLOSE of the best, in turns (ks-dvec
 *     and ks-dtiled were within 6% of each other on every strided factor measured), a pattern
 *     search over the knobs: each knob one value up or down (the nearest valid value), an
 *     improving move repeated; a knob blocked by a limit (invocations, workgroup storage) moved
 *     together with each other knob; when a sweep of single moves finds nothing, a sweep of pair
 *     moves; a climb ends where neither improves. Moves onto schedules already timed are free;
 *  4. when every climb has ended, the spread continues (competitive families first).
 * A kernel that must beat a known time to be used (a fused run: its ops' own kernels together, tune.ts) ends after its
 * seeds when their best is more than COMPETITIVE times that time: on the H100 (session 26 call 1, B = 16384) Monarch
 * n = 4096 with 16 blocks spent 18 of its fused pair's 20 candidates on ks-pair-fused forms of 3.6-10 ms after seeds of
 * 9.1 and 150 ms, beside 0.97 ms for the two factors' kernels; every such run lost to its parts in sessions 12-26.
 * Browser-safe; the caller measures (returns undefined for a schedule that failed its check).
 */
import { scheduleKey } from '../codegen/wgsl/family.js';
import type { Schedule } from '../codegen/wgsl/kernel.js';

/** A family takes part in the spread while its best time is within this factor of the best. */
export const COMPETITIVE = 2;
/** The exploration spread takes one in EXPLORE of the tries left after the seeds. */
const EXPLORE = 5;
/** A family's best is climbed from (in turns with the others') while within this factor of the best. */
export const CLOSE = 1.25;

/** `count` of `all`, evenly spread (first and last included). */
export function spread<T>(all: readonly T[], count: number): T[] {
  if (all.length <= count) return [...all];
  if (count <= 0) return [];
  if (count === 1) return [all[0]];
  const step = (all.length - 1) / (count - 1);
  return [...new Set(Array.from({ length: count }, (_, i) => all[Math.round(i * step)]))];
}

/** The knobs of two schedules of one family that differ (undefined for different families). */
function differingKnobs(a: Schedule, b: Schedule): string[] | undefined {
  if (a.family !== b.family) return undefined;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]);
}

/** Whether two schedules of one family differ in exactly one knob. */
export function areNeighbours(a: Schedule, b: Schedule): boolean {
  return differingKnobs(a, b)?.length === 1;
}

/** How many schedules searchSchedules tries: every seed, then up to `max` of all there are. */
export function searchSize(space: readonly Schedule[], seeds: readonly (Schedule | undefined)[], max: number): number {
  const seedKeys = new Set(seeds.flatMap((s) => (s ? [scheduleKey(s)] : [])));
  return Math.max(seedKeys.size, Math.min(max, new Set([...seedKeys, ...space.map(scheduleKey)]).size));
}

export interface SearchStep {
  readonly schedule: Schedule;
  /** Why it was chosen: a seed, the exploration spread, or a climb's move from a family's best so far. */
  readonly reason: 'seed' | 'spread' | 'neighbour';
}

type KnobValue = Schedule[string];

/** Each family's values of each knob in `space`, sorted: how far apart two values of a knob are. */
function knobRanks(space: readonly Schedule[]): (family: string, knob: string, value: KnobValue) => number {
  const values = new Map<string, KnobValue[]>();
  for (const s of space)
    for (const [k, v] of Object.entries(s)) {
      const key = `${s.family}\u0000${k}`;
      const list = values.get(key) ?? [];
      if (!list.includes(v)) list.push(v);
      values.set(key, list);
    }
  const order = (x: KnobValue, y: KnobValue) => (typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0);
  for (const list of values.values()) list.sort(order);
  return (family, knob, value) => values.get(`${family}\u0000${knob}`)?.indexOf(value) ?? -1;
}

/** `count` of `all` from the middles of `count` equal parts (an exploration sample without the extremes). */
function centred<T>(all: readonly T[], count: number): T[] {
  if (all.length <= count) return [...all];
  return Array.from({ length: Math.max(0, count) }, (_, i) => all[Math.floor(((i + 0.5) * all.length) / count)]);
}

/** A move of the climb: one knob (or two at once) one or more values up (+1) or down (-1). */
type Move = readonly { readonly knob: string; readonly direction: 1 | -1 }[];

/** Every knob up, then down. */
function singleMoves(point: Schedule): Move[] {
  return knobsOf(point).flatMap((knob) => [[{ knob, direction: 1 }], [{ knob, direction: -1 }]] as Move[]);
}

/**
 * Every two knobs at once, each way: the moves along a limit (invocations = rows / rr × cols /
 * rb × dtile, workgroup storage), where either knob alone leaves the space.
 */
function pairMoves(point: Schedule): Move[] {
  const knobs = knobsOf(point);
  const ways = [[1, -1], [-1, 1], [1, 1], [-1, -1]] as const;
  return knobs.flatMap((a, i) => knobs.slice(i + 1).flatMap((b) => ways.map(([da, db]): Move => [{ knob: a, direction: da }, { knob: b, direction: db }])));
}

/** The pair moves that move `change`'s knob together with one other knob, either way. */
function completions(point: Schedule, change: Move[number]): Move[] {
  return knobsOf(point)
    .filter((k) => k !== change.knob)
    .flatMap((knob) => [[change, { knob, direction: -change.direction }], [change, { knob, direction: change.direction }]] as Move[]);
}

function knobsOf(point: Schedule): string[] {
  return Object.keys(point).filter((k) => k !== 'family');
}

/** A family's local search: its point, and the moves of the current sweep from it. */
interface Climb {
  point: Schedule;
  ms: number;
  moves: Move[];
  /** Whether this sweep moved the point. */
  moved: boolean;
  /** Whether this sweep is of pair moves (single moves found nothing). */
  pairs: boolean;
  /** At a local optimum: no move of either kind improves. */
  done: boolean;
}

/**
 * Tries the seeds, then schedules of `space` until `max` were tried in all (seeds outside `space`
 * are tried too: they are what an untuned build runs), in the order above; `measure` returns the
 * time, or undefined when the schedule was rejected. Never tries a schedule twice. Returns how
 * many were tried.
 */
export async function searchSchedules(
  space: readonly Schedule[],
  seeds: readonly (Schedule | undefined)[],
  max: number,
  measure: (step: SearchStep, index: number) => Promise<number | undefined>,
  /** The time the kernel must beat to be used, where known (a fused run's parts together): see the header. */
  mustBeatMs = Infinity,
): Promise<number> {
  /** Every schedule tried, with its time (undefined: rejected). */
  const timedMs = new Map<string, number | undefined>();
  const isTried = (s: Schedule) => timedMs.has(scheduleKey(s));
  const rank = knobRanks(space);
  const familyBest = new Map<string, { schedule: Schedule; ms: number }>();
  const climbs = new Map<string, Climb>();
  let count = 0;
  const bestMs = () => Math.min(...[...familyBest.values()].map((b) => b.ms));

  const attempt = async (schedule: Schedule, reason: SearchStep['reason']): Promise<number | undefined> => {
    const ms = await measure({ schedule, reason }, count++);
    timedMs.set(scheduleKey(schedule), ms);
    const own = familyBest.get(schedule.family);
    if (ms !== undefined && (!own || ms < own.ms)) {
      familyBest.set(schedule.family, { schedule, ms });
      // A family's new best found by the spread restarts its climb there.
      if (reason !== 'neighbour') climbs.delete(schedule.family);
    }
    return ms;
  };

  /** Whether a family's best is within COMPETITIVE of the best (a family not timed yet is unknown, not slow). */
  const competitive = (family: string): boolean => {
    const own = familyBest.get(family);
    return own === undefined || own.ms <= COMPETITIVE * bestMs();
  };

  /** The schedule `move` leads to from `from`: those knobs changed, each the fewest values its way. */
  const along = (from: Schedule, move: Move): Schedule | undefined => {
    let found: { schedule: Schedule; steps: number } | undefined;
    for (const s of space) {
      const knobs = differingKnobs(from, s);
      if (knobs?.length !== move.length || !move.every((m) => knobs.includes(m.knob))) continue;
      let steps = 0;
      for (const { knob, direction } of move) {
        const d = (rank(s.family, knob, s[knob]) - rank(from.family, knob, from[knob])) * direction;
        steps = d > 0 ? steps + d : -Infinity;
      }
      if (steps > 0 && (!found || steps < found.steps)) found = { schedule: s, steps };
    }
    return found?.schedule;
  };

  /**
   * One step of a climb: its moves in turn until one tries a new schedule (a move to a schedule
   * already timed costs nothing). A move that improves is taken; a single move is then repeated
   * (the other way along that knob is worse). Sweeps of single moves repeat while they move the
   * point; when one does not, a sweep of pair moves; when that does not either, the climb is done.
   */
  const climbStep = async (climb: Climb): Promise<void> => {
    for (;;) {
      const move = climb.moves.shift();
      if (!move) {
        if (!climb.moved && climb.pairs) {
          climb.done = true;
          return;
        }
        Object.assign(climb, { moves: climb.moved ? singleMoves(climb.point) : pairMoves(climb.point), pairs: !climb.moved, moved: false });
        continue;
      }
      const next = along(climb.point, move);
      if (!next) {
        // A knob blocked by a limit: try it with each other knob moved too (along the limit).
        if (move.length === 1) climb.moves.unshift(...completions(climb.point, move[0]));
        continue;
      }
      const known = isTried(next);
      const ms = known ? timedMs.get(scheduleKey(next)) : await attempt(next, 'neighbour');
      if (ms !== undefined && ms < climb.ms) {
        if (move.length === 1) Object.assign(climb, { point: next, ms, moved: true, moves: [move, ...climb.moves.filter((m) => m[0].knob !== move[0].knob)] });
        else Object.assign(climb, { point: next, ms, moved: false, pairs: false, moves: singleMoves(next) });
      }
      if (!known) return;
    }
  };

  // 1. The seeds.
  for (const s of seeds) if (s && !isTried(s)) await attempt(s, 'seed');
  if (familyBest.size > 0 && bestMs() > COMPETITIVE * mustBeatMs) return count;

  // 2. Exploration, a fifth of what is left (EXPLORE): the families in turn, each one's schedules evenly
  // sampled; a family that falls out of contention meanwhile gives up its turns.
  const exploring = Math.ceil((max - count) / EXPLORE);
  const byFamily = new Map<string, Schedule[]>();
  for (const s of space) if (!isTried(s)) byFamily.set(s.family, [...(byFamily.get(s.family) ?? []), s]);
  const samples = [...byFamily.values()].map((list) => centred(list, exploring));
  const turns = Array.from({ length: Math.max(0, ...samples.map((l) => l.length)) }, (_, i) => samples.flatMap((l) => (i < l.length ? [l[i]] : []))).flat();
  for (let explored = 0, i = 0; i < turns.length && explored < exploring && count < max; i++) {
    if (!competitive(turns[i].family)) continue;
    await attempt(turns[i], 'spread');
    explored++;
  }

  // 3. Climbs from the best of every family within CLOSE of the best, in turns; then the spread
  // again (competitive families first) where every climb is done.
  let fallback: Schedule[] = [];
  for (let turn = 0; count < max; turn++) {
    const contenders = [...familyBest.entries()]
      .filter(([, b]) => b.ms <= CLOSE * bestMs())
      .sort(([, x], [, y]) => x.ms - y.ms)
      .map(([family, b]) => {
        const climb = climbs.get(family) ?? { point: b.schedule, ms: b.ms, moves: singleMoves(b.schedule), moved: false, pairs: false, done: false };
        climbs.set(family, climb);
        return climb;
      })
      .filter((c) => !c.done);
    if (contenders.length > 0) {
      await climbStep(contenders[turn % contenders.length]);
      continue;
    }
    fallback = fallback.filter((s) => !isTried(s));
    if (fallback.length === 0) {
      const rest = space.filter((s) => !isTried(s));
      fallback = [...new Set([...spread(rest.filter((s) => competitive(s.family)), max - count), ...spread(rest, max - count)])];
    }
    if (fallback.length === 0) break;
    await attempt(fallback[0], 'spread');
  }
  return count;
}
