/**
 * Truncated SVD of a small dense block. Rank 1 on blocks wider than 16: Golub–Kahan–Lanczos
 * (rank-one.ts). Otherwise, and as its fallback: the Gram matrix of the shorter side and its top
 * eigenpairs (sym-eig.ts, Householder + bisection + inverse iteration). Squaring loses accuracy
 * only in the small singular values (absolute error ≈ ε·σ₁²); projection needs the dominant
 * subspace and the captured energy, which it keeps to working precision, and the Gram route is
 * several times cheaper than one-sided Jacobi for these sizes.
 */
import { gramRows, transpose } from './dense.js';
import { topSingularTriplet } from './rank-one.js';
import { topEigenpairs } from './sym-eig.js';

/** Singular directions below this fraction of σ₁ are dropped (they carry < 1e-26 of the energy). */
const NEGLIGIBLE = 1e-13;

/**
 * The best rank-k approximation A ≈ L·R of A (rows×cols), balanced: L = U·Σ^½ (rows×k),
 * R = Σ^½·Vᵀ (k×cols). k may exceed min(rows, cols): the extra columns/rows are zero.
 */
export function truncatedSvd(a: Float64Array, rows: number, cols: number, k: number): { left: Float64Array; right: Float64Array } {
  const left = new Float64Array(rows * k);
  const right = new Float64Array(k * cols);
  const rank = Math.min(k, rows, cols);
  if (rank === 0) return { left, right };
  const triplet = rank === 1 && Math.min(rows, cols) > 16 ? topSingularTriplet(a, rows, cols) : undefined;
  if (triplet) {
    const root = Math.sqrt(triplet.sigma);
    for (let i = 0; i < rows; i++) left[i * k] = triplet.u[i] * root;
    for (let j = 0; j < cols; j++) right[j] = triplet.v[j] * root;
    return { left, right };
  }
  // Work on B = A or Aᵀ, whichever has fewer rows: B Bᵀ is the smaller Gram matrix.
  const wide = rows <= cols;
  const b = wide ? a : transpose(a, rows, cols);
  const short = wide ? rows : cols;
  const long = wide ? cols : rows;
  const { vectors } = topEigenpairs(gramRows(b, short, long), short, rank);
  // For each eigenvector u of BBᵀ: Bᵀu = σ v.
  const btu = new Float64Array(long);
  let sigmaMax = 0;
  for (let t = 0; t < rank; t++) {
    btu.fill(0);
    for (let i = 0; i < short; i++) {
      const ui = vectors[t * short + i];
      if (ui === 0) continue;
      const bi = i * long;
      for (let j = 0; j < long; j++) btu[j] += ui * b[bi + j];
    }
    let s = 0;
    for (let j = 0; j < long; j++) s += btu[j] * btu[j];
    const sigma = Math.sqrt(s);
    if (t === 0) sigmaMax = sigma;
    if (sigma === 0 || sigma <= NEGLIGIBLE * sigmaMax) continue;
    const root = Math.sqrt(sigma);
    // short-side factor: u·√σ; long-side factor: Bᵀu/√σ = v·√σ.
    for (let i = 0; i < short; i++) {
      const x = vectors[t * short + i] * root;
      if (wide) left[i * k + t] = x;
      else right[t * cols + i] = x;
    }
    for (let j = 0; j < long; j++) {
      const y = btu[j] / root;
      if (wide) right[t * cols + j] = y;
      else left[j * k + t] = y;
    }
  }
  return { left, right };
}
