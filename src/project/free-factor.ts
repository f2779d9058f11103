/**
 * A factor with full support (a `dense()`: every cell its own parameter) can take any matrix, so
 * given the other factors of a chain its best value has a closed form: with A the product of the
 * factors on its left (m×h) and B of those on its right (w×n), D = A⁺·W·B⁺ minimises ‖W − A·D·B‖_F
 * over all D. When A has full column rank and B full row rank, as generic fitted factors have
 * wherever the shapes allow, every W of the chain's class is then reached exactly: the other
 * factors need not match the ones W was made of (`dense @ monarch` reaches every square W).
 */
import { chainDense, type Factor } from './factors.js';
import { squaredDistance, squaredNorm, transpose } from './linalg/dense.js';
import { pseudoInverseTimes } from './linalg/least-squares.js';
import { orthonormalRows } from './linalg/qr.js';
import { Rng } from './linalg/rng.js';

/** Whether every cell of the factor's rows × cols is one of its entries. */
export function isFullFactor(f: Factor): boolean {
  if (f.row.length !== f.rows * f.cols) return false;
  const seen = new Uint8Array(f.rows * f.cols);
  for (let e = 0; e < f.row.length; e++) seen[f.row[e] * f.cols + f.col[e]] = 1;
  return seen.every((x) => x === 1);
}

/**
 * Sets each full factor of the chain to its least-squares value given the others, first with
 * random well-conditioned values for the others (`isometryStart`, seeded): they have full rank
 * wherever the shapes allow (a fit through a bottleneck may not), and as near-isometries they keep
 * the full factor no larger than W needs, so that rounding the stored parameters (f32, f16) moves
 * M little. Where that does not reach W, the others' fitted `values` are tried too and the better
 * kept. The result replaces `values` (in place) only if it lowers ‖W − M‖; returns whether it did.
 */
export function solveFullFactors(target: Float64Array, m: number, n: number, factors: readonly Factor[], values: Float64Array[], seed: number): boolean {
  if (!factors.some(isFullFactor)) return false;
  const before = squaredDistance(chainDense(factors, values), target);
  const rng = new Rng(seed);
  const isometric = solveEach(target, m, n, factors, values.map((v, i) => (isFullFactor(factors[i]) ? v : isometryStart(factors[i], rng))));
  const fitted = () => solveEach(target, m, n, factors, values.slice());
  const best = isometric.error <= EXACT * squaredNorm(target) ? isometric : [isometric, fitted()].reduce((a, b) => (b.error < a.error ? b : a));
  if (best.error >= before) return false;
  best.values.forEach((v, i) => (values[i] = v));
  return true;
}

/** ‖W − M‖² below this fraction of ‖W‖² is W reached, to float64 rounding (relative error 1e-10). */
const EXACT = 1e-20;

/** Each full factor in turn set to its least-squares value given the others (`values`, replaced in place); the resulting ‖W − M‖². */
function solveEach(target: Float64Array, m: number, n: number, factors: readonly Factor[], values: Float64Array[]): { values: Float64Array[]; error: number } {
  factors.forEach((f, i) => {
    if (!isFullFactor(f)) return;
    const h = f.rows;
    const w = f.cols;
    // A⁺·W (h×n): the factors left of f, if any.
    const left = i > 0 ? pseudoInverseTimes(chainDense(factors, values, 0, i), m, h, target, n) : target;
    // (A⁺·W)·B⁺ = ((Bᵀ)⁺·(A⁺·W)ᵀ)ᵀ (h×w): the factors right of f, if any.
    const d = i < factors.length - 1 ? transpose(pseudoInverseTimes(transpose(chainDense(factors, values, i + 1), w, n), n, w, transpose(left, h, n), h), w, h) : left;
    const next = new Float64Array(values[i].length);
    for (let e = 0; e < next.length; e++) next[e] = d[f.row[e] * w + f.col[e]];
    values[i] = next;
  });
  return { values, error: squaredDistance(chainDense(factors, values), target) };
}

/**
 * Random values for a factor that make its matrix a partial isometry (singular values 1) where its
 * support is a direct sum of dense blocks on disjoint rows and columns, as every K(a,b,c,d) factor
 * (Monarch, butterfly, blockdiag) is: each block gets orthonormal rows or columns (Householder QR
 * of a Gaussian block). A chain of square such factors is then orthogonal, so the full factor
 * solved against it is no larger than W and rounding its parameters moves M no more than W's own
 * rounding would; Gaussian blocks instead are often ill-conditioned (κ ~ 10³ at 16×16). Other
 * supports (block-sparse rows that share columns) get Gaussian values.
 */
function isometryStart(f: Factor, rng: Rng): Float64Array {
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
      if (owner.has(c)) return rng.gaussianArray(f.row.length);
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
  return values;
}
