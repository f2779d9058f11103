/**
 * Parts of a chain whose class is closed under any invertible map on either side: a factor with
 * full support (a `dense()`: every cell its own parameter) and two adjacent factors whose product
 * takes any matrix (`reachesEveryMatrix`: in `down @ up` through a wider hidden layer, `down`'s
 * first factor and `up`'s last, whose 16 blocks of 256 × 256 each get a product of two free
 * 256 × 256 matrices) take any matrix of their shape; two or more consecutive full factors
 * (`lowrank(rank: 3) @ lowrank(rank: 5)` is four) take any matrix of rank at most the narrowest
 * width between them. Given the other factors, such a run's best value has a closed form: with A
 * the product of the factors on its left (m×h) and B of those on its right (w×n), D = A⁺·W·B⁺
 * minimises ‖W − A·D·B‖_F over all D, and the run reproduces D (a masked copy, the two-factor
 * fit, or D's truncated SVD through the full factors, exact when D is of the run's class). When
 * A can have rank m and B rank n (`coversClass`, decided from the supports), random A and B have
 * them, A·A⁺ and B⁺·B are identities, and every W = A'·D'·B' of the chain's class is reached:
 * D = A⁺·W·B⁺ is of the run's class (its rank is at most W's), and A·D·B = W. The other factors need not match the ones W was
 * made of (`dense @ monarch` reaches every square W, `down @ up` every d × d one,
 * `down @ up @ monarch` through a bottleneck every W of rank at most its width).
 */
import { genericRank } from './generic-rank.js';
import { chainDense, sparseTimesDense, sparseTransposeTimesDense, type Factor } from './factors.js';
import { squaredDistance, squaredNorm, transpose } from './linalg/dense.js';
import { pseudoInverseTimes } from './linalg/least-squares.js';
import { orthonormalRows } from './linalg/qr.js';
import { Rng } from './linalg/rng.js';
import { truncatedSvd } from './linalg/svd.js';
import { leftSupportOfFactor, rightSupportOfFactor } from './support.js';
import { fitTwoFactor, reachesEveryMatrix } from './two-factor.js';

/** Whether every cell of the factor's rows × cols is one of its entries. */
function isFullFactor(f: Factor): boolean {
  if (f.row.length !== f.rows * f.cols) return false;
  const seen = new Uint8Array(f.rows * f.cols);
  for (let e = 0; e < f.row.length; e++) seen[f.row[e] * f.cols + f.col[e]] = 1;
  return seen.every((x) => x === 1);
}

/**
 * Factors [from, to) of a chain whose product takes any matrix of its shape (one full factor, or a
 * pair), or any of rank ≤ `rank` (two or more full factors; `rank` is then the narrowest width
 * between them).
 */
interface FreeRun {
  readonly from: number;
  readonly to: number;
  readonly rank?: number;
}

/**
 * Every run that takes any matrix, or any of bounded rank, in order of its first factor: the
 * longest run of full factors from there (it leaves the fewest factors beside it, so it covers the
 * class wherever a shorter one does), then a pair, then the single factor.
 */
function candidateRuns(factors: readonly Factor[]): FreeRun[] {
  const full = factors.map(isFullFactor);
  const runs: FreeRun[] = [];
  for (let i = 0; i < factors.length; i++) {
    let to = i + 1;
    while (full[i] && to < factors.length && full[to]) to++;
    if (to - i >= 2) runs.push({ from: i, to, rank: Math.min(...factors.slice(i, to - 1).map((f) => f.cols)) });
    else if (to < factors.length && !full[i] && !full[to] && reachesEveryMatrix(leftSupportOfFactor(factors[i]), rightSupportOfFactor(factors[to]), factors[i].rows, factors[to].cols))
      runs.push({ from: i, to: i + 2 });
    if (full[i]) runs.push({ from: i, to: i + 1 });
  }
  return runs;
}

/**
 * Whether the least-squares solve of `run` against random other factors reaches every W of the
 * chain's class: the factors left of it can have rank m (the chain's rows) and those right of it
 * rank n (its columns), generically (`genericRank`). This is docs/projection.md's "the other
 * factors can have full rank towards the ends"; a chain without such a run (a tall factor left of
 * its dense one, a bottleneck between it and the chain's ends) may be reached by the hierarchical
 * fit, but nothing promises it.
 */
function covers(factors: readonly Factor[], run: FreeRun): boolean {
  const m = factors[0].rows;
  const n = factors[factors.length - 1].cols;
  return genericRank(factors.slice(0, run.from), m) === m && genericRank(factors.slice(run.to), n) === n;
}

/** The chain's free runs, left to right, not overlapping, and the first one that covers the class (taken first), if any. */
interface FreeRuns {
  readonly runs: readonly FreeRun[];
  readonly cover?: FreeRun;
}

const runsOf = new WeakMap<readonly Factor[], FreeRuns>();

/** Greedy from the left (a pair before its single), around the covering run: `dense @ lowrank` pairs lowrank's U·V, not dense·U. */
function freeRuns(factors: readonly Factor[]): FreeRuns {
  const known = runsOf.get(factors);
  if (known) return known;
  const candidates = candidateRuns(factors);
  const cover = candidates.find((r) => covers(factors, r));
  const runs = cover ? [cover] : [];
  for (const r of candidates) if (runs.every((s) => r.to <= s.from || r.from >= s.to)) runs.push(r);
  const result = { runs: runs.sort((a, b) => a.from - b.from), cover };
  runsOf.set(factors, result);
  return result;
}

/** Whether some free run's least squares reaches every W of the chain's class (`covers`). */
export const coversClass = (factors: readonly Factor[]): boolean => freeRuns(factors).cover !== undefined;

/**
 * Free runs solved given the other factors: their values, M, ‖W − M‖², what was solved (for the
 * method), and whether one run is the whole chain (full factors only: D = W, and its truncated SVD
 * is the optimum over the class).
 */
export interface FreeSolve {
  readonly values: Float64Array[];
  readonly approx: Float64Array;
  readonly error: number;
  readonly what: string;
  readonly optimal: boolean;
}

/** ‖W − M‖² below this fraction of ‖W‖² is W reached, to float64 rounding (relative error 1e-10). */
const EXACT = 1e-20;

export const reachesTarget = (s: FreeSolve, target: Float64Array): boolean => s.error <= EXACT * squaredNorm(target);

/**
 * The chain's free runs set to their least-squares values with random well-conditioned values
 * for the other factors (`isometryStart`, seeded): they have full rank wherever the shapes allow
 * (a fit through a bottleneck may not), and as near-isometries they keep the runs no larger than
 * W needs, so that rounding the stored parameters (f32, f16) moves M little. Undefined when the
 * chain has no free run.
 */
export function solveAgainstIsometries(target: Float64Array, m: number, n: number, factors: readonly Factor[], seed: number): FreeSolve | undefined {
  const { runs: all, cover } = freeRuns(factors);
  if (all.length === 0) return undefined;
  // A covering run alone, against random values of every other factor (other runs included): it reaches the class.
  const runs = cover ? [cover] : all;
  const inRun = new Uint8Array(factors.length);
  for (const r of runs) inRun.fill(1, r.from, r.to);
  const rng = new Rng(seed);
  const starts = factors.map((f, i) => (inRun[i] ? { values: new Float64Array(f.row.length), orthogonal: false } : isometryStart(f, rng)));
  return solveEach(target, m, n, factors, runs, starts.map((s) => s.values), starts.map((s) => s.orthogonal));
}

/**
 * After a fit of every factor (`values`): where the isometric solve did not reach W, the free
 * runs solved given the fitted others too, and the better of the two kept. It replaces `values`
 * (in place) only if it lowers ‖W − M‖; returns what it solved when it did, else undefined.
 */
export function solveFreeRuns(target: Float64Array, m: number, n: number, factors: readonly Factor[], values: Float64Array[], isometric: FreeSolve | undefined): string | undefined {
  if (!isometric) return undefined;
  const before = squaredDistance(chainDense(factors, values), target);
  const fitted = solveEach(target, m, n, factors, freeRuns(factors).runs, values.slice(), factors.map(() => false));
  const best = reachesTarget(isometric, target) || isometric.error <= fitted.error ? isometric : fitted;
  if (best.error >= before) return undefined;
  best.values.forEach((v, i) => (values[i] = v));
  return best.what;
}

/**
 * Each free run in turn set to its least-squares value given the others (`values`, replaced in
 * place); the resulting ‖W − M‖². A side whose factors are all `orthogonal` (square, with square
 * orthonormal blocks) has A⁺ = Aᵀ, applied factor by factor: no pseudo-inverse of a dense product
 * (at d = 1024 in `down @ up`, two 1024 × 1024 eigendecompositions saved).
 */
function solveEach(target: Float64Array, m: number, n: number, factors: readonly Factor[], runs: readonly FreeRun[], values: Float64Array[], orthogonal: readonly boolean[]): FreeSolve {
  const allOrthogonal = (from: number, to: number) => orthogonal.slice(from, to).every((o) => o);
  for (const { from, to, rank } of runs) {
    const first = factors[from];
    const last = factors[to - 1];
    const h = first.rows;
    const w = last.cols;
    // A⁺·W (h×n): the factors left of the run, if any.
    let left = target;
    if (from > 0 && allOrthogonal(0, from)) for (let j = 0; j < from; j++) left = sparseTransposeTimesDense(factors[j], values[j], left, n);
    else if (from > 0) left = pseudoInverseTimes(chainDense(factors, values, 0, from), m, h, target, n);
    // (A⁺·W)·B⁺ = ((Bᵀ)⁺·(A⁺·W)ᵀ)ᵀ (h×w): the factors right of the run, if any; B⁺ = Bᵀ when B is orthogonal.
    let d = left;
    if (to < factors.length && allOrthogonal(to, factors.length)) {
      let bt = transpose(left, h, n);
      for (let j = factors.length - 1; j >= to; j--) bt = sparseTimesDense(factors[j], values[j], bt, h);
      d = transpose(bt, w, h);
    } else if (to < factors.length) d = transpose(pseudoInverseTimes(transpose(chainDense(factors, values, to), w, n), n, w, transpose(left, h, n), h), w, h);
    const next = values.slice(from, to).map((v) => new Float64Array(v.length));
    if (to - from === 1) for (let e = 0; e < next[0].length; e++) next[0][e] = d[first.row[e] * w + first.col[e]];
    else if (rank !== undefined) fitFullRun(d, h, w, rank, factors.slice(from, to), next);
    else fitTwoFactor(d, h, w, leftSupportOfFactor(first), rightSupportOfFactor(last), next[0], next[1]);
    next.forEach((v, i) => (values[from + i] = v));
  }
  const several = runs.filter((r) => r.to - r.from >= 2);
  const name = (r: FreeRun) => `${factors.slice(r.from, r.to).map((f) => f.tensor).join(' · ')}${r.rank !== undefined ? ` (rank ≤ ${r.rank})` : ' (any matrix)'}`;
  const noun = `${several.every((r) => r.to - r.from === 2) ? 'pair' : 'run'}${several.length === 1 ? '' : 's'}`;
  const singles = runs.length - several.length;
  const what = [singles > 0 ? `its dense factor${singles === 1 ? '' : 's'}` : '', several.length > 0 ? `the factor ${noun} ${several.map(name).join(', ')}` : '']
    .filter((x) => x !== '')
    .join(' and ');
  const approx = chainDense(factors, values);
  const optimal = runs.length === 1 && runs[0].from === 0 && runs[0].to === factors.length;
  return { values, approx, error: squaredDistance(approx, target), what, optimal };
}

/**
 * Full factors F₀…F_{k−1} (h → … → w, every width between them ≥ `rank`) set so that their
 * product is D's best rank-`rank` approximation L·R (truncated SVD, Eckart–Young): F₀ = [L 0],
 * the inner factors the identity on their leading `rank` × `rank` block, F_{k−1} = [R; 0].
 */
function fitFullRun(d: Float64Array, h: number, w: number, rank: number, run: readonly Factor[], out: Float64Array[]): void {
  const { left, right } = truncatedSvd(d, h, w, rank);
  run.forEach((f, p) =>
    f.row.forEach((r, e) => {
      const c = f.col[e];
      if (p === 0) out[p][e] = c < rank ? left[r * rank + c] : 0;
      else if (p === run.length - 1) out[p][e] = r < rank ? right[r * w + c] : 0;
      else out[p][e] = r === c && r < rank ? 1 : 0;
    }),
  );
}

/**
 * Random values for a factor that make its matrix a partial isometry (singular values 1) where its
 * support is a direct sum of dense blocks on disjoint rows and columns, as every K(a,b,c,d) factor
 * (Monarch, butterfly, blockdiag) is: each block gets orthonormal rows or columns (Householder QR
 * of a Gaussian block). A chain of square such factors is then orthogonal, so the full factor
 * solved against it is no larger than W and rounding its parameters moves M no more than W's own
 * rounding would; Gaussian blocks instead are often ill-conditioned (κ ~ 10³ at 16×16). Other
 * supports (block-sparse rows that share columns) get Gaussian values. `orthogonal`: square
 * blocks covering every row and column, so that the factor's matrix is orthogonal.
 */
function isometryStart(f: Factor, rng: Rng): { values: Float64Array; orthogonal: boolean } {
  const byRow: number[][] = Array.from({ length: f.rows }, () => []);
  for (let e = 0; e < f.row.length; e++) byRow[f.row[e]].push(e);
  const blocks = new Map<string, { rows: number[]; cols: number[] }>();
  const blockOf: string[] = [];
  for (let r = 0; r < f.rows; r++) {
    if (byRow[r].length === 0) continue;
    const cols = byRow[r].map((e) => f.col[e]).sort((a, b) => a - b);
    const key = cols.join(',');
    const block = blocks.get(key) ?? { rows: [], cols };
    block.rows.push(r);
    blocks.set(key, block);
    blockOf[r] = key;
  }
  const owner = new Map<number, string>();
  for (const [key, block] of blocks)
    for (const c of block.cols) {
      if (owner.has(c)) return { values: rng.gaussianArray(f.row.length), orthogonal: false };
      owner.set(c, key);
    }
  const orthonormal = new Map<string, (i: number, j: number) => number>();
  for (const [key, { rows, cols }] of blocks) {
    const [short, long] = rows.length <= cols.length ? [rows.length, cols.length] : [cols.length, rows.length];
    const q = orthonormalRows(rng.gaussianArray(short * long), short, long);
    orthonormal.set(key, rows.length <= cols.length ? (i, j) => q[i * long + j] : (i, j) => q[j * long + i]);
  }
  const rowIndex = new Map<number, number>();
  const colIndex = new Map<number, number>();
  for (const { rows, cols } of blocks.values()) {
    rows.forEach((r, i) => rowIndex.set(r, i));
    cols.forEach((c, j) => colIndex.set(c, j));
  }
  const values = new Float64Array(f.row.length);
  for (let e = 0; e < values.length; e++) values[e] = orthonormal.get(blockOf[f.row[e]])!(rowIndex.get(f.row[e])!, colIndex.get(f.col[e])!);
  const square = [...blocks.values()].every((b) => b.rows.length === b.cols.length);
  return { values, orthogonal: square && rowIndex.size === f.rows && colIndex.size === f.cols };
}
