/**
 * An independent oracle for the optimality tests: all eigenvalues of a symmetric matrix by the
 * cyclic Jacobi method (a different algorithm from the projector's Lanczos / Householder /
 * bisection path), and from them the singular values of a block via its Gram matrix.
 */
export function jacobiEigenvalues(g: Float64Array, n: number): number[] {
  const a = Float64Array.from(g);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
  }
  return Array.from({ length: n }, (_, i) => a[i * n + i]).sort((x, y) => y - x);
}

/** Squared singular values of the rows×cols block `a`, descending (eigenvalues of the smaller Gram matrix). */
export function squaredSingularValues(a: ArrayLike<number>, rows: number, cols: number): number[] {
  const small = Math.min(rows, cols);
  const g = new Float64Array(small * small);
  for (let i = 0; i < small; i++)
    for (let j = 0; j < small; j++) {
      let s = 0;
      if (cols <= rows) for (let r = 0; r < rows; r++) s += a[r * cols + i] * a[r * cols + j];
      else for (let c = 0; c < cols; c++) s += a[i * cols + c] * a[j * cols + c];
      g[i * small + j] = s;
    }
  return jacobiEigenvalues(g, small).map((v) => Math.max(v, 0));
}

/** The energy the best rank-k approximation of the block misses: Σ_{i ≥ k} σ_i². */
export function tailEnergy(a: ArrayLike<number>, rows: number, cols: number, k: number): number {
  return squaredSingularValues(a, rows, cols)
    .slice(k)
    .reduce((s, v) => s + v, 0);
}
