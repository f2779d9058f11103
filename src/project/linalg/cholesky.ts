/** Solving symmetric positive definite systems by their Cholesky factor. */

/**
 * G⁻¹·b for G (r × r, lower triangle filled), or undefined where a pivot falls to `singular` of G's largest diagonal
 * entry or below (singular or nearly: the caller takes another route, a pseudo-inverse or more damping). G is
 * overwritten by its factor.
 */
export function choleskySolve(g: Float64Array, b: Float64Array, r: number, singular: number): Float64Array | undefined {
  let largest = 0;
  for (let k = 0; k < r; k++) largest = Math.max(largest, g[k * r + k]);
  for (let k = 0; k < r; k++) {
    const gk = k * r;
    for (let l = 0; l <= k; l++) {
      const gl = l * r;
      let sum = g[gk + l];
      for (let q = 0; q < l; q++) sum -= g[gk + q] * g[gl + q];
      if (l < k) g[gk + l] = sum / g[gl + l];
      else if (sum <= singular * largest) return undefined;
      else g[gk + k] = Math.sqrt(sum);
    }
  }
  const x = Float64Array.from(b);
  for (let k = 0; k < r; k++) {
    for (let q = 0; q < k; q++) x[k] -= g[k * r + q] * x[q];
    x[k] /= g[k * r + k];
  }
  for (let k = r - 1; k >= 0; k--) {
    for (let q = k + 1; q < r; q++) x[k] -= g[q * r + k] * x[q];
    x[k] /= g[k * r + k];
  }
  return x;
}
