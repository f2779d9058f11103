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
import { truncatedSvd } from './linalg/svd.js';
import type { Support } from './support.js';

interface Group {
  readonly members: number[];
  rows: number[];
  cols: number[];
}

/**
 * Writes X's values to `outLeft[left.entry[…]]` and Y's to `outRight[right.entry[…]]`, and, when
 * the result is optimal and `approx` (m×n) is given, X·Y into `approx`. Returns whether the
 * result is the exact optimum (disjoint rectangles).
 */
export function fitTwoFactor(
  target: Float64Array,
  m: number,
  n: number,
  left: Support,
  right: Support,
  outLeft: Float64Array,
  outRight: Float64Array,
  approx?: Float64Array,
): boolean {
  const groups = groupTerms(left, right);
  const merged = mergeOverlapping(groups, m, n);
  const rowLocal = new Int32Array(m);
  const colLocal = new Int32Array(n);
  for (const g of merged) {
    const R = g.rows.length;
    const C = g.cols.length;
    const rank = g.members.length;
    const a = new Float64Array(R * C);
    // Monarch and butterfly blocks have contiguous columns: copy whole row segments then.
    const c0 = g.cols[0];
    const contiguous = g.cols[C - 1] - c0 === C - 1;
    for (let i = 0; i < R; i++) {
      const src = g.rows[i] * n;
      rowLocal[g.rows[i]] = i;
      if (contiguous) a.set(target.subarray(src + c0, src + c0 + C), i * C);
      else for (let j = 0; j < C; j++) a[i * C + j] = target[src + g.cols[j]];
    }
    for (let j = 0; j < C; j++) colLocal[g.cols[j]] = j;
    const svd = truncatedSvd(a, R, C, rank);
    g.members.forEach((t, r) => {
      for (let p = left.ptr[t]; p < left.ptr[t + 1]; p++) outLeft[left.entry[p]] = svd.left[rowLocal[left.idx[p]] * rank + r];
      for (let p = right.ptr[t]; p < right.ptr[t + 1]; p++) outRight[right.entry[p]] = svd.right[r * C + colLocal[right.idx[p]]];
    });
    if (approx && merged === groups) {
      const product = new Float64Array(C);
      for (let i = 0; i < R; i++) {
        product.fill(0);
        for (let r = 0; r < rank; r++) {
          const l = svd.left[i * rank + r];
          if (l === 0) continue;
          for (let j = 0; j < C; j++) product[j] += l * svd.right[r * C + j];
        }
        const dst = g.rows[i] * n;
        if (contiguous) approx.set(product, dst + c0);
        else for (let j = 0; j < C; j++) approx[dst + g.cols[j]] = product[j];
      }
    }
  }
  return merged === groups;
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
  // Fast path: mark every cell once; only if some cell is claimed twice find who overlaps whom.
  const claimed = new Uint8Array(m * n);
  let overlap = false;
  for (const g of groups) {
    for (const r of g.rows) {
      const row = r * n;
      for (const c of g.cols) {
        if (claimed[row + c]) overlap = true;
        claimed[row + c] = 1;
      }
    }
  }
  if (!overlap) return groups;
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

function unionSorted(a: number[], b: number[]): number[] {
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}
