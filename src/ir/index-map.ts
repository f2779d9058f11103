/**
 * Index maps (ir.ts `IndexMap`): permutations of [0, size) written as a composition of mixed-radix
 * axis permutations. Composing, inverting and simplifying them (the passes and the tests go
 * through these helpers); applying and tabulating them is the data format's
 * (src/manifest/index-map.ts), re-exported here.
 */
import { applyIndexMap, applyStep, indexMapProblems, indexMapTable, product, type AxisPermutation, type IndexMap } from '../manifest/index-map.js';

// Evaluation and the well-formedness check live with the data format (the runtime runs and checks maps with them); the compiler uses the same.
export { applyIndexMap, applyStep, indexMapProblems, indexMapTable, product };

export function identityMap(size: number): IndexMap {
  return { size, steps: [] };
}

/** transpose(r, c) as a map from x-positions to y-positions: x[i·c + j] lands at y[j·r + i]. */
export function transposeMap(r: number, c: number): IndexMap {
  return { size: r * c, steps: [{ shape: [r, c], perm: [1, 0] }] };
}

/** The result shape of a step: digit k of the result ranges over shape[perm[k]]. */
export function stepOutputShape(step: AxisPermutation): number[] {
  return step.perm.map((j) => step.shape[j]);
}

/** The map i ↦ second(first(i)). */
export function composeIndexMaps(first: IndexMap, second: IndexMap): IndexMap {
  if (first.size !== second.size) throw new Error(`internal error: composing index maps of sizes ${first.size} and ${second.size}`);
  return { size: first.size, steps: [...first.steps, ...second.steps] };
}

export function invertStep(step: AxisPermutation): AxisPermutation {
  const inv = new Array<number>(step.perm.length);
  step.perm.forEach((j, k) => (inv[j] = k));
  return { shape: stepOutputShape(step), perm: inv };
}

export function invertIndexMap(map: IndexMap): IndexMap {
  return { size: map.size, steps: [...map.steps].reverse().map(invertStep) };
}

/**
 * The canonical form of one step, or null when it is the identity: axes of size 1 are dropped
 * and axes that stay adjacent and in order are merged into one.
 */
export function normalizeStep(step: AxisPermutation): AxisPermutation | null {
  const newIndex = new Map<number, number>();
  const shape: number[] = [];
  step.shape.forEach((s, j) => {
    if (s !== 1) {
      newIndex.set(j, shape.length);
      shape.push(s);
    }
  });
  const perm = step.perm.filter((j) => step.shape[j] !== 1).map((j) => newIndex.get(j)!);
  // Runs of input axes j, j+1, … that appear consecutively in the output move as one axis.
  const groups: number[][] = [];
  for (const j of perm) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] + 1 === j) last.push(j);
    else groups.push([j]);
  }
  if (groups.length <= 1) return null;
  const byInput = groups.map((_, g) => g).sort((g, h) => groups[g][0] - groups[h][0]);
  const position = new Array<number>(groups.length);
  byInput.forEach((g, i) => (position[g] = i));
  return {
    shape: byInput.map((g) => product(groups[g].map((j) => shape[j]))),
    perm: groups.map((_, g) => position[g]),
  };
}

/** Suffix products 1 = p_n < … < p_0 = ∏shape of a row-major shape. */
function suffixProducts(shape: readonly number[]): number[] {
  const out = [1];
  for (let k = shape.length - 1; k >= 0; k--) out.push(out[out.length - 1] * shape[k]);
  return out;
}

/**
 * The common refinement of two row-major factorisations of the same size, if one exists (every
 * digit boundary of either falls on a digit boundary of the refinement), most significant first.
 */
function commonRefinement(u: readonly number[], v: readonly number[]): number[] | null {
  const bounds = [...new Set([...suffixProducts(u), ...suffixProducts(v)])].sort((x, y) => x - y);
  for (let i = 1; i < bounds.length; i++) if (bounds[i] % bounds[i - 1] !== 0) return null;
  const sizes: number[] = [];
  for (let i = bounds.length - 1; i >= 1; i--) sizes.push(bounds[i] / bounds[i - 1]);
  return sizes;
}

/** For each axis of `shape`, the indices of the refinement's axes it splits into (in order). */
function splitAxes(shape: readonly number[], refinement: readonly number[]): number[][] {
  let r = 0;
  return shape.map((size) => {
    const sub: number[] = [];
    let covered = 1;
    while (covered < size) {
      covered *= refinement[r];
      sub.push(r++);
    }
    return sub;
  });
}

/**
 * `first` then `second` as one step when their digit boundaries have a common refinement:
 * the step, null when the composition is the identity, undefined when they cannot be merged.
 */
export function mergeSteps(first: AxisPermutation, second: AxisPermutation): AxisPermutation | null | undefined {
  const middle = stepOutputShape(first);
  const refinement = commonRefinement(middle, second.shape);
  if (!refinement) return undefined;
  // Refine `first`: its output axis k (input axis perm[k]) splits into refinement axes; lay the
  // pieces out in input order to get the refined input shape.
  const firstSplit = splitAxes(middle, refinement);
  const outputAxisOfInput = new Array<number>(first.perm.length);
  first.perm.forEach((j, k) => (outputAxisOfInput[j] = k));
  const inputPosition = new Array<number>(refinement.length);
  const refinedShape: number[] = [];
  for (let j = 0; j < first.shape.length; j++)
    for (const r of firstSplit[outputAxisOfInput[j]]) {
      inputPosition[r] = refinedShape.length;
      refinedShape.push(refinement[r]);
    }
  // Refine `second`: its input is the refinement itself; output digits follow its perm.
  const secondSplit = splitAxes(second.shape, refinement);
  const outputDigits = second.perm.flatMap((j) => secondSplit[j]);
  return normalizeStep({ shape: refinedShape, perm: outputDigits.map((r) => inputPosition[r]) });
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
