/**
 * Index maps as the manifest carries them: permutations of [0, size) written as a composition of
 * mixed-radix axis permutations, their pure evaluation (what an executor needs to run an op), and one step's canonical
 * form and two steps merged into one (what decodeManifest's check compares maps by, src/manifest/model-ops.ts). The
 * compiler's algebra over whole maps (composing, inverting, simplifying) is in src/ir/index-map.ts.
 */

/**
 * One mixed-radix axis permutation of [0, ∏shape): view the index as digits of `shape`
 * (row-major), reorder the digits as `perm` says, flatten again. Digit k of the result is digit
 * perm[k] of the argument, and the result's shape is shape[perm[k]].
 * transpose(r, c) as a function from x-positions to y-positions is {shape: [r, c], perm: [1, 0]}.
 */
export interface AxisPermutation {
  readonly shape: readonly number[];
  readonly perm: readonly number[];
}

/**
 * A permutation of [0, size), the composition of `steps` (steps[0] applied first). No steps is
 * the identity. On a matmul's input it maps the logical index the matmul reads to the physical
 * position in the source buffer; on its output, the logical index it computes to the physical
 * position it writes.
 */
export interface IndexMap {
  readonly size: number;
  readonly steps: readonly AxisPermutation[];
}

export function applyStep(step: AxisPermutation, index: number): number {
  const n = step.shape.length;
  const digits = new Array<number>(n);
  let rest = index;
  for (let k = n - 1; k >= 0; k--) {
    digits[k] = rest % step.shape[k];
    rest = Math.floor(rest / step.shape[k]);
  }
  let out = 0;
  for (let k = 0; k < n; k++) out = out * step.shape[step.perm[k]] + digits[step.perm[k]];
  return out;
}

export function applyIndexMap(map: IndexMap, index: number): number {
  let i = index;
  for (const step of map.steps) i = applyStep(step, i);
  return i;
}

/**
 * table[i] = map(i) for every i < size: each step's table by counting through its digits (what a digit adds to the
 * result is its place in the permuted shape), composed; linear in size, with no array per index as applyStep makes
 * (the CPU backend's ops and decodeManifest's check of a map's permutations make these).
 */
export function indexMapTable(map: IndexMap): Int32Array {
  let table: Int32Array | undefined;
  for (const step of map.steps) {
    const next = stepTable(step, map.size);
    if (table) for (let i = 0; i < map.size; i++) table[i] = next[table[i]];
    else table = next;
  }
  return table ?? Int32Array.from({ length: map.size }, (_, i) => i);
}

/** applyStep for every index below `size` (the product of its shape). */
function stepTable(step: AxisPermutation, size: number): Int32Array {
  const n = step.shape.length;
  // weight[j]: the result's row-major stride of the place digit j moves to (k with perm[k] = j).
  const weight = new Array<number>(n);
  for (let k = n - 1, stride = 1; k >= 0; stride *= step.shape[step.perm[k]], k--) weight[step.perm[k]] = stride;
  const table = new Int32Array(size);
  const digits = new Array<number>(n).fill(0);
  let out = 0;
  for (let i = 0; i < size; i++) {
    table[i] = out;
    // The next index: the last digit counts up, carrying into the ones before it.
    for (let j = n - 1; j >= 0; j--) {
      out += weight[j];
      if (++digits[j] < step.shape[j]) break;
      out -= digits[j] * weight[j];
      digits[j] = 0;
    }
  }
  return table;
}

/** The result shape of a step: digit k of the result ranges over shape[perm[k]]. */
export function stepOutputShape(step: AxisPermutation): number[] {
  return step.perm.map((j) => step.shape[j]);
}

export function invertStep(step: AxisPermutation): AxisPermutation {
  const inv = new Array<number>(step.perm.length);
  step.perm.forEach((j, k) => (inv[j] = k));
  return { shape: stepOutputShape(step), perm: inv };
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

export function product(xs: readonly number[]): number {
  return xs.reduce((p, v) => p * v, 1);
}

/** Every way `map` is not a permutation of [0, size) written as its steps; empty when it is one. */
export function indexMapProblems(map: IndexMap): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(map.size) || map.size < 1) problems.push(`index map size ${map.size} is not a positive integer`);
  map.steps.forEach((step, i) => {
    if (step.shape.length !== step.perm.length) problems.push(`step ${i}: shape has ${step.shape.length} axes but perm ${step.perm.length}`);
    if (product(step.shape) !== map.size) problems.push(`step ${i}: shape (${step.shape.join(',')}) does not multiply to ${map.size}`);
    const sorted = [...step.perm].sort((x, y) => x - y);
    if (!sorted.every((v, k) => v === k)) problems.push(`step ${i}: (${step.perm.join(',')}) is not a permutation of the axes`);
  });
  return problems;
}
