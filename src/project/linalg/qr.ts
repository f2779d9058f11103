/**
 * Householder QR, only for its orthonormal factor, in transposed layout: given Yᵀ (l×m, m ≥ l:
 * the l columns of Y as contiguous rows), returns Qᵀ (l×m) with range(Q) = range(Y) and QᵀQ = I.
 * Householder rather than Gram–Schmidt because the range finder feeds it nearly dependent
 * columns (after power iterations), where Gram–Schmidt loses orthogonality.
 */
export function orthonormalRows(yt: Float64Array, l: number, m: number): Float64Array {
  const a = Float64Array.from(yt);
  const beta = new Float64Array(l);
  for (let j = 0; j < l; j++) {
    const col = j * m;
    let sigma = 0;
    for (let i = j + 1; i < m; i++) sigma += a[col + i] * a[col + i];
    const x0 = a[col + j];
    if (sigma === 0 && x0 >= 0) continue; // already e_j-aligned: H = I
    const norm = Math.sqrt(x0 * x0 + sigma);
    const v0 = x0 <= 0 ? x0 - norm : -sigma / (x0 + norm);
    const b = (2 * v0 * v0) / (sigma + v0 * v0);
    // Scale v so that v0 = 1: H = I − b v vᵀ.
    for (let i = j + 1; i < m; i++) a[col + i] /= v0;
    a[col + j] = norm;
    beta[j] = b;
    for (let k = j + 1; k < l; k++) {
      const ck = k * m;
      let dot = a[ck + j];
      for (let i = j + 1; i < m; i++) dot += a[col + i] * a[ck + i];
      const s = b * dot;
      a[ck + j] -= s;
      for (let i = j + 1; i < m; i++) a[ck + i] -= s * a[col + i];
    }
  }
  // Q = H_0 ⋯ H_{l−1} [I; 0], column c built as a contiguous row of qt (l×m).
  const qt = new Float64Array(l * m);
  for (let c = 0; c < l; c++) {
    const q = c * m;
    qt[q + c] = 1;
    for (let j = Math.min(c, l - 1); j >= 0; j--) {
      const b = beta[j];
      if (b === 0) continue;
      const col = j * m;
      let dot = qt[q + j];
      for (let i = j + 1; i < m; i++) dot += a[col + i] * qt[q + i];
      const s = b * dot;
      qt[q + j] -= s;
      for (let i = j + 1; i < m; i++) qt[q + i] -= s * a[col + i];
    }
  }
  return qt;
}
