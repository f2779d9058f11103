/**
 * The low-rank part of a sum of low-rank terms and masked terms (`lowrank + sparse + lowrank`, `blockdiag + lowrank`):
 * a masked term takes whatever W − L leaves on its support, so the sum's error is that of L off the supports alone,
 * min over rank-r L of Σ_{(i,j) off} (W − L)ᵢⱼ², a low-rank completion. The alternation reaches it by filling the
 * supports with L's own values and taking an SVD, which converges linearly and slowly where the supports leave few
 * entries to pin L (10 → 10 with band(width: 2): 1000 rounds and still 3e-4..3e-3). Alternating least squares on
 * L = U·V over the entries off the supports (each row of U, then each column of V, an r × r least squares) converges
 * much faster from a start near W's, such as the alternation's.
 */
import { choleskySolve } from './linalg/cholesky.js';
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
  const solver = rowSolver(r, Math.max(m, n));
  while (ran < iterations && e > exact) {
    ran++;
    // Row i of U: the least squares of W's row i off the supports against those columns of V.
    for (let i = 0; i < m; i++) solver.solve(n, (j) => !taken[i * n + j], (j, k) => v[k * n + j], (j) => target[i * n + j], (k, x) => (u[i * r + k] = x));
    // Column j of V likewise against those rows of U.
    for (let j = 0; j < n; j++) solver.solve(m, (i) => !taken[i * n + j], (i, k) => u[i * r + k], (i) => target[i * n + j], (k, x) => (v[k * n + j] = x));
    const before = e;
    e = error();
    if (before - e <= STALL * before) break;
  }
  const approx = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let k = 0; k < r; k++) approx[i * n + j] += u[i * r + k] * v[k * n + j];
  return { approx, error2: e, ran };
}

/**
 * Small least squares min Σ_{t kept} (a(t)·x − y(t))² (x of length r), through buffers kept between calls: the normal
 * equations by Cholesky, or where they are singular or nearly (a row with fewer entries than r, or collinear ones) the
 * minimum-norm solution through the pseudo-inverse.
 */
function rowSolver(r: number, most: number) {
  const gram = new Float64Array(r * r);
  const rhs = new Float64Array(r);
  const row = new Float64Array(r);
  const rows = new Int32Array(most);
  return {
    solve(count: number, kept: (t: number) => boolean, a: (t: number, k: number) => number, y: (t: number) => number, set: (k: number, x: number) => void): void {
      gram.fill(0);
      rhs.fill(0);
      let used = 0;
      for (let t = 0; t < count; t++) {
        if (!kept(t)) continue;
        rows[used++] = t;
        for (let k = 0; k < r; k++) row[k] = a(t, k);
        const yt = y(t);
        for (let k = 0; k < r; k++) {
          rhs[k] += row[k] * yt;
          for (let l = 0; l <= k; l++) gram[k * r + l] += row[k] * row[l];
        }
      }
      const x = choleskySolve(gram, rhs, r, SINGULAR) ?? minimumNorm(used, rows, r, a, y);
      for (let k = 0; k < r; k++) set(k, x[k]);
    },
  };
}

/** Conditioning below which the normal equations are left to the pseudo-inverse: their rounding is ε·κ². */
const SINGULAR = 1e-10;

/** The minimum-norm least squares over the `used` entries listed in `rows`. */
function minimumNorm(used: number, rows: Int32Array, r: number, a: (t: number, k: number) => number, y: (t: number) => number): Float64Array {
  const matrix = new Float64Array(used * r);
  const rhs = new Float64Array(used);
  for (let q = 0; q < used; q++) {
    for (let k = 0; k < r; k++) matrix[q * r + k] = a(rows[q], k);
    rhs[q] = y(rows[q]);
  }
  return pseudoInverseTimes(matrix, used, r, rhs, 1);
}
