/**
 * The low-rank part of a sum of low-rank terms and masked terms (`lowrank + sparse + lowrank`, `blockdiag + lowrank`):
 * a masked term takes whatever W − L leaves on its support, so the sum's error is that of L off the supports alone,
 * min over rank-r L of Σ_{(i,j) off} (W − L)ᵢⱼ², a low-rank completion. The alternation reaches it by filling the
 * supports with L's own values and taking an SVD, which converges linearly and slowly where the supports leave few
 * entries to pin L (10 → 10 with band(width: 2): 1000 rounds and still 3e-4..3e-3). Alternating least squares on
 * L = U·V over the entries off the supports (each row of U, then each column of V, an r × r least squares) converges
 * much faster from a start near W's, such as the alternation's.
 */
import { pseudoInverseTimes } from './linalg/least-squares.js';
import { truncatedSvd } from './linalg/svd.js';
import { STALL } from './refine.js';

/** Iterations, all together, cost at most this many multiply-adds (about 2 s single-threaded, as a chain's refinement). */
const BUDGET = 2e9;

/**
 * L (m × n, rank ≤ r) from `start` by ALS off the supports (`taken`: 1 where a masked term takes the entry), at most
 * `rounds` iterations within BUDGET, stopping once one gains less than STALL or the error is below `exact`; ‖W − L‖²
 * there, and the iterations run.
 */
export function completeLowrank(target: Float64Array, taken: Uint8Array, m: number, n: number, r: number, start: Float64Array, rounds: number, exact: number) {
  // Each row and column: its normal equations (entries · r²) and an r × r eigendecomposition; then the error (m·n·r).
  const perIteration = 2 * m * n * r * r + (m + n) * 10 * r ** 3 + m * n * r;
  const iterations = Math.min(rounds, Math.floor(BUDGET / perIteration));
  const { left: u, right: v } = truncatedSvd(start, m, n, r); // u: m × r, v: r × n
  const error = () => {
    let e = 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        if (taken[i * n + j]) continue;
        let l = 0;
        for (let k = 0; k < r; k++) l += u[i * r + k] * v[k * n + j];
        e += (target[i * n + j] - l) ** 2;
      }
    return e;
  };
  let e = error();
  let ran = 0;
  while (ran < iterations && e > exact) {
    ran++;
    // Row i of U: the least squares of W's row i off the supports against those columns of V.
    for (let i = 0; i < m; i++) solveRow((j) => !taken[i * n + j], n, r, (j, k) => v[k * n + j], (j) => target[i * n + j], (k, x) => (u[i * r + k] = x));
    // Column j of V likewise against those rows of U.
    for (let j = 0; j < n; j++) solveRow((i) => !taken[i * n + j], m, r, (i, k) => u[i * r + k], (i) => target[i * n + j], (k, x) => (v[k * n + j] = x));
    const before = e;
    e = error();
    if (before - e <= STALL * before) break;
  }
  const approx = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let k = 0; k < r; k++) approx[i * n + j] += u[i * r + k] * v[k * n + j];
  return { approx, error2: e, ran };
}

/** The minimum-norm x (r) of Σ_{t kept} (a(t)·x − y(t))² over t < count, written through `set`. */
function solveRow(kept: (t: number) => boolean, count: number, r: number, a: (t: number, k: number) => number, y: (t: number) => number, set: (k: number, x: number) => void): void {
  const rows = [...Array(count).keys()].filter(kept);
  const matrix = new Float64Array(rows.length * r);
  const rhs = new Float64Array(rows.length);
  rows.forEach((t, q) => {
    for (let k = 0; k < r; k++) matrix[q * r + k] = a(t, k);
    rhs[q] = y(t);
  });
  const x = pseudoInverseTimes(matrix, rows.length, r, rhs, 1);
  for (let k = 0; k < r; k++) set(k, x[k]);
}
