/**
 * Index maps as the manifest carries them: permutations of [0, size) written as a composition of
 * mixed-radix axis permutations, and their pure evaluation (what an executor needs to run an op).
 * The compiler's algebra over them (composing, inverting, simplifying) is in src/ir/index-map.ts.
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
