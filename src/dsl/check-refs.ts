/**
 * References between maps: the order in which maps are checked (a referenced map first) and the
 * reference cycles, each reported once with the whole cycle. Iterative, so that long reference
 * chains cannot exhaust the stack.
 */
import { Code } from './codes.js';
import type { DiagnosticBag } from './diagnostics.js';
import type { Span } from './span.js';

export interface MapRefUse {
  readonly map: string;
  readonly span: Span;
}

/**
 * `names` in declaration order and the references each one makes. Returns the maps that are not
 * in or behind a cycle, in an order where every map comes after the maps it refers to.
 */
export function orderMaps(names: readonly string[], refs: ReadonlyMap<string, readonly MapRefUse[]>, bag: DiagnosticBag): string[] {
  const declIndex = new Map(names.map((n, i) => [n, i]));
  const known = new Set(names);
  const depsOf = (m: string) => [...new Set((refs.get(m) ?? []).map((r) => r.map).filter((t) => known.has(t)))];
  const pending = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const m of names) {
    const deps = depsOf(m);
    pending.set(m, deps.length);
    for (const d of deps) {
      const list = dependents.get(d);
      if (list) list.push(m);
      else dependents.set(d, [m]);
    }
  }
  const order: string[] = [];
  const ready = names.filter((m) => pending.get(m) === 0);
  for (let head = 0; head < ready.length; head++) {
    const m = ready[head];
    order.push(m);
    for (const user of dependents.get(m) ?? []) {
      const left = pending.get(user)! - 1;
      pending.set(user, left);
      if (left === 0) ready.push(user);
    }
  }
  const done = new Set(order);
  const explored = new Set<string>();
  for (const m of names) if (!done.has(m) && !explored.has(m)) reportCycleFrom(m, done, refs, explored, declIndex, bag);
  return order;
}

/**
 * Follows references among unfinished maps from `start` until one repeats: that is a cycle. A walk
 * that reaches a map explored by an earlier walk stops: that cycle is already reported.
 */
function reportCycleFrom(
  start: string,
  done: ReadonlySet<string>,
  refs: ReadonlyMap<string, readonly MapRefUse[]>,
  explored: Set<string>,
  declIndex: ReadonlyMap<string, number>,
  bag: DiagnosticBag,
): void {
  const path: MapRefUse[] = [];
  const at = new Map<string, number>();
  let current = start;
  while (!at.has(current)) {
    if (explored.has(current)) break;
    explored.add(current);
    at.set(current, path.length);
    // Every unfinished map refers to at least one unfinished map.
    const next = (refs.get(current) ?? []).find((r) => !done.has(r.map) && declIndex.has(r.map))!;
    path.push(next);
    current = next.map;
  }
  if (!at.has(current)) return;
  const cycle = path.slice(at.get(current)!); // cycle[i] is the reference made by the map before it
  const members = cycle.map((r) => r.map);
  // Start the story at the member declared first; cycle[i] is made by members[i - 1].
  let first = 0;
  members.forEach((m, i) => {
    if (declIndex.get(m)! < declIndex.get(members[first])!) first = i;
  });
  const rotated = [...cycle.slice(first + 1), ...cycle.slice(0, first + 1)];
  const owner = (i: number) => rotated[(i + rotated.length - 1) % rotated.length].map;
  const story = [owner(0), ...rotated.map((r) => r.map)].join(' -> ');
  bag.error(
    Code.ReferenceCycle,
    `reference cycle: ${story}`,
    rotated[0].span,
    rotated.slice(1).map((r, i) => ({ message: `'${owner(i + 1)}' refers to '${r.map}' here`, span: r.span })),
  );
}
