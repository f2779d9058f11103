/**
 * Eigenpairs of a symmetric tridiagonal matrix T (diagonal d, off-diagonal e, e[i] = T[i+1, i]):
 * eigenvalues by Sturm-sequence bisection (accurate to a few ulps of ‖T‖), eigenvectors by
 * inverse iteration, re-orthogonalised inside clusters of close eigenvalues as LAPACK's dstein.
 * Both cost O(n) per eigenpair and iteration, so asking for the top k of n is cheap.
 */
import { Rng } from './rng.js';

const EPS = 2.220446049250313e-16;
const INVERSE_ITERATIONS = 3;
/** Eigenvalues closer than this fraction of ‖T‖ share a cluster: their vectors are kept orthogonal. */
const CLUSTER = 1e-3;

export interface EigenPairs {
  /** The k largest eigenvalues, descending. */
  readonly values: Float64Array;
  /** (k, n) row-major: row i is the unit eigenvector of values[i]. */
  readonly vectors: Float64Array;
}

/** The k largest eigenpairs of the n×n tridiagonal (d, e); n = d.length, e.length ≥ n − 1. */
export function tridiagonalTopEigenpairs(d: Float64Array, e: Float64Array, n: number, k: number): EigenPairs {
  k = Math.min(k, n);
  const values = new Float64Array(k);
  const vectors = new Float64Array(k * n);
  const normT = tridiagonalNorm(d, e, n);
  if (normT === 0) {
    for (let i = 0; i < k; i++) vectors[i * n + i] = 1;
    return { values, vectors };
  }
  const rng = new Rng(n * 7919 + k);
  const z = new Float64Array(n);
  const lu = new TridiagonalLu(n);
  const pertol = 10 * EPS * normT;
  let clusterStart = 0;
  let previousShift = Infinity;
  let upper = Infinity;
  for (let j = 0; j < k; j++) {
    const lambda = kthEigenvalue(d, e, n, n - 1 - j, upper);
    upper = lambda;
    values[j] = lambda;
    if (j > 0 && values[j - 1] - lambda > CLUSTER * normT) clusterStart = j;
    // Distinct shifts for (nearly) equal eigenvalues, so that inverse iteration can separate them.
    const shift = Math.min(lambda, previousShift - pertol);
    previousShift = shift;
    lu.factor(d, e, shift, EPS * normT);
    for (let i = 0; i < n; i++) z[i] = rng.uniform() - 0.5;
    for (let it = 0; it < INVERSE_ITERATIONS; it++) {
      lu.solve(z);
      for (let c = clusterStart; c < j; c++) subtractProjection(z, vectors, c * n, n);
      normalize(z);
    }
    vectors.set(z, j * n);
  }
  return { values, vectors };
}

function tridiagonalNorm(d: Float64Array, e: Float64Array, n: number): number {
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const s = Math.abs(d[i]) + (i > 0 ? Math.abs(e[i - 1]) : 0) + (i < n - 1 ? Math.abs(e[i]) : 0);
    if (s > norm) norm = s;
  }
  return norm;
}

/** How many eigenvalues of T are below x (Sturm sequence of the LDLᵀ pivots). */
function countBelow(d: Float64Array, e: Float64Array, n: number, x: number, pivmin: number): number {
  let count = 0;
  let q = d[0] - x;
  if (Math.abs(q) < pivmin) q = -pivmin;
  if (q < 0) count++;
  for (let i = 1; i < n; i++) {
    q = d[i] - x - (e[i - 1] * e[i - 1]) / q;
    if (Math.abs(q) < pivmin) q = -pivmin;
    if (q < 0) count++;
  }
  return count;
}

/** The eigenvalue of ascending index `index` (known to be ≤ `upper`), by bisection in the Gershgorin interval. */
function kthEigenvalue(d: Float64Array, e: Float64Array, n: number, index: number, upper: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  let maxE2 = 0;
  for (let i = 0; i < n; i++) {
    const r = (i > 0 ? Math.abs(e[i - 1]) : 0) + (i < n - 1 ? Math.abs(e[i]) : 0);
    lo = Math.min(lo, d[i] - r);
    hi = Math.max(hi, d[i] + r);
    if (i < n - 1) maxE2 = Math.max(maxE2, e[i] * e[i]);
  }
  const pivmin = 1e-290 * Math.max(1, maxE2);
  const spread = Math.max(Math.abs(lo), Math.abs(hi));
  lo -= 2 * EPS * spread + pivmin;
  hi = Math.min(hi, upper) + 2 * EPS * spread + pivmin;
  for (let it = 0; it < 200; it++) {
    const mid = 0.5 * (lo + hi);
    if (hi - lo <= 2 * EPS * Math.max(Math.abs(lo), Math.abs(hi)) + pivmin || mid === lo || mid === hi) break;
    if (countBelow(d, e, n, mid, pivmin) <= index) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** LU with partial pivoting of T − σI, as LAPACK's dlagtf: U has two superdiagonals. */
class TridiagonalLu {
  private readonly u0: Float64Array;
  private readonly u1: Float64Array;
  private readonly u2: Float64Array;
  private readonly mult: Float64Array;
  private readonly swapped: Uint8Array;
  private tinyPivot = 0;

  constructor(private readonly n: number) {
    this.u0 = new Float64Array(n);
    this.u1 = new Float64Array(n);
    this.u2 = new Float64Array(n);
    this.mult = new Float64Array(n);
    this.swapped = new Uint8Array(n);
  }

  factor(d: Float64Array, e: Float64Array, shift: number, tinyPivot: number): void {
    const n = this.n;
    this.tinyPivot = tinyPivot;
    // Row i holds (a, b) at columns (i, i+1) when its turn comes.
    let a = d[0] - shift;
    let b = n > 1 ? e[0] : 0;
    for (let i = 0; i < n - 1; i++) {
      const c = e[i]; // row i+1, column i
      const nextA = d[i + 1] - shift;
      const nextB = i + 1 < n - 1 ? e[i + 1] : 0;
      if (Math.abs(a) >= Math.abs(c)) {
        const m = a !== 0 ? c / a : 0;
        this.u0[i] = a;
        this.u1[i] = b;
        this.u2[i] = 0;
        this.mult[i] = m;
        this.swapped[i] = 0;
        a = nextA - m * b;
        b = nextB;
      } else {
        const m = a / c;
        this.u0[i] = c;
        this.u1[i] = nextA;
        this.u2[i] = nextB;
        this.mult[i] = m;
        this.swapped[i] = 1;
        a = b - m * nextA;
        b = -m * nextB;
      }
    }
    this.u0[n - 1] = a;
  }

  /** x ← (T − σI)⁻¹ x, with tiny pivots replaced by ±ε‖T‖ (so it also works at an eigenvalue). */
  solve(x: Float64Array): void {
    const n = this.n;
    for (let i = 0; i < n - 1; i++) {
      if (this.swapped[i]) {
        const t = x[i];
        x[i] = x[i + 1];
        x[i + 1] = t;
      }
      x[i + 1] -= this.mult[i] * x[i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x[i];
      if (i + 1 < n) s -= this.u1[i] * x[i + 1];
      if (i + 2 < n) s -= this.u2[i] * x[i + 2];
      let pivot = this.u0[i];
      if (Math.abs(pivot) < this.tinyPivot) pivot = pivot < 0 ? -this.tinyPivot : this.tinyPivot;
      x[i] = s / pivot;
    }
  }
}

function subtractProjection(z: Float64Array, basis: Float64Array, offset: number, n: number): void {
  let dot = 0;
  for (let i = 0; i < n; i++) dot += z[i] * basis[offset + i];
  for (let i = 0; i < n; i++) z[i] -= dot * basis[offset + i];
}

/** z ← z / ‖z‖ (rescaling first if the norm overflowed; e_0 for a zero vector). */
function normalize(z: Float64Array): void {
  let big = 0;
  for (let i = 0; i < z.length; i++) big = Math.max(big, Math.abs(z[i]));
  if (big === 0 || !Number.isFinite(big)) {
    z.fill(0);
    z[0] = 1;
    return;
  }
  let s = 0;
  for (let i = 0; i < z.length; i++) {
    const v = z[i] / big;
    s += v * v;
  }
  const scale = 1 / (big * Math.sqrt(s));
  for (let i = 0; i < z.length; i++) z[i] *= scale;
}
