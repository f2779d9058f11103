/**
 * Supports of the two sides of a product X·Y, as lists indexed by the inner index t: for X the
 * rows of column t, for Y the columns of row t, each with the place its value is written to.
 * For a single factor that place is its entry (parameter slot); for a product of several factors
 * (a node of the hierarchical factorization) it is the cell of a dense matrix.
 */
import type { Factor } from './factors.js';

export interface Support {
  /** The inner dimension h: lists t = 0…h−1. */
  readonly count: number;
  /** List t is idx[ptr[t]…ptr[t+1]), ascending, and entry[…] says where each value goes. */
  readonly ptr: Int32Array;
  readonly idx: Int32Array;
  readonly entry: Int32Array;
}

/** Group the entries of a factor by `key` (its columns for the left side, its rows for the right). */
function listsOf(count: number, key: Int32Array, other: Int32Array): Support {
  const ptr = new Int32Array(count + 1);
  for (let e = 0; e < key.length; e++) ptr[key[e] + 1]++;
  for (let t = 0; t < count; t++) ptr[t + 1] += ptr[t];
  const fill = ptr.slice(0, count);
  const idx = new Int32Array(key.length);
  const entry = new Int32Array(key.length);
  for (let e = 0; e < key.length; e++) {
    const at = fill[key[e]]++;
    idx[at] = other[e];
    entry[at] = e;
  }
  for (let t = 0; t < count; t++) sortPairs(idx, entry, ptr[t], ptr[t + 1]);
  return { count, ptr, idx, entry };
}

function sortPairs(idx: Int32Array, entry: Int32Array, from: number, to: number): void {
  let sorted = true;
  for (let i = from + 1; i < to && sorted; i++) sorted = idx[i - 1] < idx[i];
  if (sorted) return;
  const order = [...Array(to - from).keys()].sort((a, b) => idx[from + a] - idx[from + b]);
  const i2 = order.map((o) => idx[from + o]);
  const e2 = order.map((o) => entry[from + o]);
  idx.set(i2, from);
  entry.set(e2, from);
}

/** The left side X = F: for each column t of F, its rows. */
export const leftSupportOfFactor = (f: Factor): Support => listsOf(f.cols, f.col, f.row);
/** The right side Y = F: for each row t of F, its columns. */
export const rightSupportOfFactor = (f: Factor): Support => listsOf(f.rows, f.row, f.col);

/**
 * The left side X = F_0 ⋯ F_{a} (the boolean product of the supports): column t of X reaches the
 * rows reached from column t of F_a through F_{a−1}, …, F_0. Entries are cells t + h·row of a dense
 * X (rows × h), h = F_a.cols.
 */
export function leftSupportOfProduct(factors: readonly Factor[]): Support {
  const byColumn = factors.map(leftSupportOfFactor).reverse(); // F_a first
  return reach(byColumn, factors[factors.length - 1].cols, (t, i, h) => i * h + t);
}

/** The right side Y = F_b ⋯ F_{L−1}: row t of Y reaches columns through F_b, …, F_{L−1}; cells t·n + col. */
export function rightSupportOfProduct(factors: readonly Factor[]): Support {
  const byRow = factors.map(rightSupportOfFactor);
  const n = factors[factors.length - 1].cols;
  return reach(byRow, factors[0].rows, (t, i) => t * n + i);
}

function reach(steps: readonly Support[], h: number, cell: (t: number, i: number, h: number) => number): Support {
  // One stamp array per step (each step lands in its own index space); stamp = the current t.
  const stamps = steps.map((s) => new Int32Array(s.idx.reduce((m, v) => Math.max(m, v + 1), 0)).fill(-1));
  const ptr = new Int32Array(h + 1);
  const idx: number[] = [];
  for (let t = 0; t < h; t++) {
    let frontier = [t];
    steps.forEach((step, si) => {
      const stamp = stamps[si];
      const next: number[] = [];
      for (const u of frontier)
        for (let p = step.ptr[u]; p < step.ptr[u + 1]; p++) {
          const v = step.idx[p];
          if (stamp[v] !== t) {
            stamp[v] = t;
            next.push(v);
          }
        }
      frontier = next;
    });
    frontier.sort((a, b) => a - b);
    for (const v of frontier) idx.push(v);
    ptr[t + 1] = idx.length;
  }
  const idxArray = Int32Array.from(idx);
  const entry = new Int32Array(idxArray.length);
  for (let t = 0; t < h; t++) for (let p = ptr[t]; p < ptr[t + 1]; p++) entry[p] = cell(t, idxArray[p], h);
  return { count: h, ptr, idx: idxArray, entry };
}
