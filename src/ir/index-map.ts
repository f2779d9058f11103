/**
 * Index maps (ir.ts `IndexMap`): permutations of [0, size) written as a composition of mixed-radix
 * axis permutations. Composing, inverting and simplifying them (the passes and the tests go
 * through these helpers); applying and tabulating them, and one step's canonical form and two steps merged, is the data
 * format's (src/manifest/index-map.ts), re-exported here.
 */
import { applyIndexMap, applyStep, indexMapProblems, indexMapTable, invertStep, mergeSteps, normalizeStep, product, stepOutputShape, type AxisPermutation, type IndexMap } from '../manifest/index-map.js';

// Evaluation, the well-formedness check and one step's algebra (its canonical form, two steps as one) live with the data
// format (the runtime runs and checks maps with them); the compiler uses the same.
export { applyIndexMap, applyStep, indexMapProblems, indexMapTable, invertStep, mergeSteps, normalizeStep, product, stepOutputShape };

export function identityMap(size: number): IndexMap {
  return { size, steps: [] };
}

/** transpose(r, c) as a map from x-positions to y-positions: x[i·c + j] lands at y[j·r + i]. */
export function transposeMap(r: number, c: number): IndexMap {
  return { size: r * c, steps: [{ shape: [r, c], perm: [1, 0] }] };
}

/** The map i ↦ second(first(i)). */
export function composeIndexMaps(first: IndexMap, second: IndexMap): IndexMap {
  if (first.size !== second.size) throw new Error(`internal error: composing index maps of sizes ${first.size} and ${second.size}`);
  return { size: first.size, steps: [...first.steps, ...second.steps] };
}

export function invertIndexMap(map: IndexMap): IndexMap {
  return { size: map.size, steps: [...map.steps].reverse().map(invertStep) };
}

/** The same permutation with identity steps removed and adjacent mergeable steps merged. */
export function simplifyIndexMap(map: IndexMap): IndexMap {
  const steps: AxisPermutation[] = [];
  for (const raw of map.steps) {
    let cur: AxisPermutation | null = normalizeStep(raw);
    while (cur && steps.length > 0) {
      const merged = mergeSteps(steps[steps.length - 1], cur);
      if (merged === undefined) break;
      steps.pop();
      cur = merged;
    }
    if (cur) steps.push(cur);
  }
  return { size: map.size, steps };
}

/** Sizes up to which `isIdentityMap` evaluates every index of steps that do not simplify away. */
export const EXHAUSTIVE_IDENTITY_SIZE = 2 ** 20;

/**
 * Whether the map is the identity. True only when proven: its steps simplify away, or (up to
 * EXHAUSTIVE_IDENTITY_SIZE) every index maps to itself. Steps that do not merge can still compose
 * to the identity (transpose(5, 24) three times, then transpose(20, 6)); past that size such a map
 * counts as a permutation, which passes then fold like any other (correct, only not as lean),
 * instead of taking time proportional to a size of up to 2^31.
 */
export function isIdentityMap(map: IndexMap): boolean {
  const simple = simplifyIndexMap(map);
  if (simple.steps.length === 0) return true;
  if (map.size > EXHAUSTIVE_IDENTITY_SIZE) return false;
  for (let i = 0; i < map.size; i++) if (applyIndexMap(simple, i) !== i) return false;
  return true;
}

/** Whether two maps are the same permutation (false when unproven, as for `isIdentityMap`). */
export function indexMapsEqual(a: IndexMap, b: IndexMap): boolean {
  return a.size === b.size && isIdentityMap(composeIndexMaps(a, invertIndexMap(b)));
}
