/**
 * The best product X·Y ≈ W over X, Y with fixed supports (Le, Zheng, Riccietti, Gribonval 2022,
 * "Efficient identification of butterfly sparse matrix factorizations", the two-factor case).
 *
 * X·Y = Σ_t X[:, t] Y[t, :]: term t can only touch the rectangle rows(t) × cols(t) (the support
 * of column t of X times the support of row t of Y). Terms with the same rectangle form a group;
 * when the rectangles of different groups are disjoint, the problem splits into one independent
 * problem per group: the best matrix of rank ≤ |group| on that rectangle, which is the truncated
 * SVD (Eckart–Young). Cells outside every rectangle are out of reach. That is the exact optimum.
 *
 * When rectangles of different groups overlap, overlapping groups are merged (SVD on the union
 * rectangle, each term keeping only its own support): a heuristic start, reported as not optimal.
 */
import { scratch } from './linalg/scratch.js';
import { truncatedSvd } from './linalg/svd.js';
import type { Support } from './support.js';

interface Group {
  readonly members: number[];
  rows: number[];
  cols: number[];
}

/**
 * Writes X's values to `outLeft[left.entry[…]]` and Y's to `outRight[right.entry[…]]`. Returns
 * whether the result is the exact optimum (disjoint rectangles) and then also ‖W − X·Y‖²,
 * summed block by block while each block is at hand (cells outside every rectangle count whole).
 */
export function fitTwoFactor(
  target: Float64Array,
  m: number,
  n: number,
  left: Support,
  right: Support,
  outLeft: Float64Array,
  outRight: Float64Array,
): { optimal: boolean; residual2: number } {
  const groups = groupTerms(left, right);
  const merged = mergeOverlapping(groups, m, n);
  const rowLocal = new Int32Array(m);
  const colLocal = new Int32Array(n);
  let residual2 = 0;
  for (const g of merged) {
    const R = g.rows.length;
    const C = g.cols.length;
    const rank = g.members.length;
    const a = scratch('two-factor.block', R * C);
    // Monarch and butterfly blocks have contiguous columns: no index lookups then.
    const c0 = g.cols[0];
    const contiguous = g.cols[C - 1] - c0 === C - 1;
    for (let i = 0; i < R; i++) {
      const src = g.rows[i] * n;
      rowLocal[g.rows[i]] = i;
      if (contiguous) for (let j = 0; j < C; j++) a[i * C + j] = target[src + c0 + j];
      else for (let j = 0; j < C; j++) a[i * C + j] = target[src + g.cols[j]];
    }
    for (let j = 0; j < C; j++) colLocal[g.cols[j]] = j;
    const svd = truncatedSvd(a, R, C, rank);
    g.members.forEach((t, r) => {
      for (let p = left.ptr[t]; p < left.ptr[t + 1]; p++) outLeft[left.entry[p]] = svd.left[rowLocal[left.idx[p]] * rank + r];
      for (let p = right.ptr[t]; p < right.ptr[t + 1]; p++) outRight[right.entry[p]] = svd.right[r * C + colLocal[right.idx[p]]];
    });
    if (merged === groups) residual2 += blockResidual(a, R, C, svd.left, svd.right, rank);
  }
  if (merged !== groups) return { optimal: false, residual2: NaN };
  return { optimal: true, residual2: residual2 + uncoveredEnergy(groups, target, m, n) };
}

/**
 * Whether X·Y over these supports reaches every m×n matrix, so that `fitTwoFactor` reproduces any
 * target exactly: the groups' rectangles are disjoint and tile the m×n matrix, and each group has
 * as many terms as its rectangle's shorter side (full rank there). In `down @ up` through a wider
 * hidden layer (examples/ffn.mon), `down`'s first factor and `up`'s last are such a pair.
 */
export function reachesEveryMatrix(left: Support, right: Support, m: number, n: number): boolean {
  const groups = groupTerms(left, right);
  if (groups.some((g) => g.members.length < Math.min(g.rows.length, g.cols.length))) return false;
  if (groups.reduce((s, g) => s + g.rows.length * g.cols.length, 0) !== m * n) return false;
  return mergeOverlapping(groups, m, n) === groups;
}

/** ‖A − L·R‖² for the rows×cols block A and its rank-k fit. */
function blockResidual(a: Float64Array, rows: number, cols: number, left: Float64Array, right: Float64Array, k: number): number {
  let s = 0;
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      let x = a[i * cols + j];
      for (let r = 0; r < k; r++) x -= left[i * k + r] * right[r * cols + j];
      s += x * x;
    }
  return s;
}

/** Σ W² over the cells no rectangle reaches (none when the disjoint rectangles tile the matrix). */
function uncoveredEnergy(groups: Group[], target: Float64Array, m: number, n: number): number {
  const area = groups.reduce((s, g) => s + g.rows.length * g.cols.length, 0);
  if (area === m * n) return 0;
  const covered = new Uint8Array(m * n);
  for (const g of groups) for (const r of g.rows) for (const c of g.cols) covered[r * n + c] = 1;
  let s = 0;
  for (let i = 0; i < covered.length; i++) if (!covered[i]) s += target[i] * target[i];
  return s;
}

/** Terms grouped by identical (rows, cols) rectangles; terms with an empty side reach nothing. */
function groupTerms(left: Support, right: Support): Group[] {
  const groups: Group[] = [];
  const reps: number[] = [];
  const buckets = new Map<number, number[]>();
  for (let t = 0; t < left.count; t++) {
    if (left.ptr[t] === left.ptr[t + 1] || right.ptr[t] === right.ptr[t + 1]) continue;
    const key = (hashList(left, t) * 31 + hashList(right, t)) | 0;
    let bucket = buckets.get(key);
    if (!bucket) buckets.set(key, (bucket = []));
    const found = bucket.find((g) => sameList(left, reps[g], t) && sameList(right, reps[g], t));
    if (found !== undefined) {
      groups[found].members.push(t);
    } else {
      bucket.push(groups.length);
      reps.push(t);
      groups.push({ members: [t], rows: listOf(left, t), cols: listOf(right, t) });
    }
  }
  return groups;
}

function hashList(s: Support, t: number): number {
  let h = 0x811c9dc5;
  for (let p = s.ptr[t]; p < s.ptr[t + 1]; p++) h = Math.imul(h ^ s.idx[p], 0x01000193);
  return h;
}

function sameList(s: Support, a: number, b: number): boolean {
  const la = s.ptr[a + 1] - s.ptr[a];
  if (la !== s.ptr[b + 1] - s.ptr[b]) return false;
  for (let i = 0; i < la; i++) if (s.idx[s.ptr[a] + i] !== s.idx[s.ptr[b] + i]) return false;
  return true;
}

function listOf(s: Support, t: number): number[] {
  return Array.from(s.idx.subarray(s.ptr[t], s.ptr[t + 1]));
}

/** The groups themselves when their rectangles are pairwise disjoint, else the merged groups. */
function mergeOverlapping(groups: Group[], m: number, n: number): Group[] {
  if (disjointByRowSets(groups, m, n)) return groups;
  const parent = groups.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const owner = new Int32Array(m * n).fill(-1);
  groups.forEach((g, gi) => {
    for (const r of g.rows)
      for (const c of g.cols) {
        const cell = r * n + c;
        if (owner[cell] >= 0) parent[find(gi)] = find(owner[cell]);
        owner[cell] = gi;
      }
  });
  const merged = new Map<number, Group>();
  groups.forEach((g, gi) => {
    const root = find(gi);
    const into = merged.get(root);
    if (!into) merged.set(root, { members: [...g.members], rows: [...g.rows], cols: [...g.cols] });
    else {
      into.members.push(...g.members);
      into.rows = unionSorted(into.rows, g.rows);
      into.cols = unionSorted(into.cols, g.cols);
    }
  });
  return [...merged.values()];
}

/**
 * A sufficient test in O(Σ |rows| + |cols|) instead of O(Σ area): distinct row sets that are
 * pairwise disjoint, and the groups sharing one row set with pairwise disjoint column sets (the
 * shape of every Monarch and butterfly split). Falls back to marking cells otherwise.
 */
function disjointByRowSets(groups: Group[], m: number, n: number): boolean {
  const rowSetOf = new Int32Array(m).fill(-1);
  const colStamp = new Int32Array(n).fill(-1);
  const sets: number[][] = [];
  const setOfGroup = groups.map((g) => {
    const first = rowSetOf[g.rows[0]];
    if (first >= 0 && sameRows(sets[first], g.rows)) return first;
    for (const r of g.rows) if (rowSetOf[r] >= 0) return -1;
    for (const r of g.rows) rowSetOf[r] = sets.length;
    sets.push(g.rows);
    return sets.length - 1;
  });
  if (setOfGroup.includes(-1)) return disjointByCells(groups, m, n);
  // Visit the groups set by set, so that a stamp equal to the current set means a clash.
  const order = groups.map((_, gi) => gi).sort((a, b) => setOfGroup[a] - setOfGroup[b]);
  for (const gi of order) {
    const set = setOfGroup[gi];
    for (const c of groups[gi].cols) {
      if (colStamp[c] === set) return disjointByCells(groups, m, n);
      colStamp[c] = set;
    }
  }
  return true;
}

function sameRows(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function disjointByCells(groups: Group[], m: number, n: number): boolean {
  const claimed = new Uint8Array(m * n);
  for (const g of groups)
    for (const r of g.rows) {
      const row = r * n;
      for (const c of g.cols) {
        if (claimed[row + c]) return false;
        claimed[row + c] = 1;
      }
    }
  return true;
}

function unionSorted(a: number[], b: number[]): number[] {
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

/** X·Y (m×n) from the two sides' values: Σ_t X[:, t] Y[t, :] over the supports. */
export function productOfSides(left: Support, right: Support, valuesLeft: Float64Array, valuesRight: Float64Array, m: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let t = 0; t < left.count; t++)
    for (let p = left.ptr[t]; p < left.ptr[t + 1]; p++) {
      const x = valuesLeft[left.entry[p]];
      if (x === 0) continue;
      const row = left.idx[p] * n;
      for (let q = right.ptr[t]; q < right.ptr[t + 1]; q++) out[row + right.idx[q]] += x * valuesRight[right.entry[q]];
    }
  return out;
}
