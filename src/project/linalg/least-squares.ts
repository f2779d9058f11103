/**
 * Least squares through the pseudo-inverse: X = A⁺·Y, the minimum-norm minimiser of ‖A·X − Y‖_F,
 * from the eigenpairs of AᵀA (sym-eig.ts). Directions whose eigenvalue is below NEGLIGIBLE of the
 * largest are dropped: squaring puts the rounding of AᵀA at about ε·λ_max, so below that an
 * eigenvalue is noise. The error of X is then about ε·κ(A)², ample for the projector's 1e-5.
 */
import { gemmNT, gramRows, transpose } from './dense.js';
import { topEigenpairs } from './sym-eig.js';

const NEGLIGIBLE = 1e-12;

/** A⁺·Y (cols×ny) for A (rows×cols) and Y (rows×ny). */
export function pseudoInverseTimes(a: Float64Array, rows: number, cols: number, y: Float64Array, ny: number): Float64Array {
  const at = transpose(a, rows, cols);
  const { values, vectors } = topEigenpairs(gramRows(at, cols, rows), cols, cols);
  // AᵀY (cols×ny), then its coordinates in the eigenbasis (cols×ny), each divided by its eigenvalue.
  const aty = gemmNT(at, transpose(y, rows, ny), cols, ny, rows);
  const coords = gemmNT(vectors, transpose(aty, cols, ny), cols, ny, cols);
  const largest = values[0] ?? 0;
  for (let t = 0; t < cols; t++) {
    const keep = values[t] > NEGLIGIBLE * largest && values[t] > 0;
    for (let j = 0; j < ny; j++) coords[t * ny + j] = keep ? coords[t * ny + j] / values[t] : 0;
  }
  return gemmNT(transpose(vectors, cols, cols), transpose(coords, cols, ny), cols, ny, cols);
}
