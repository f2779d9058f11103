/** Small dense float64 kernels, row-major, written so that the inner loops run over contiguous memory. */

/** C (m×l) = A (m×n) · B (n×l). */
export function matmul(a: ArrayLike<number>, b: Float64Array, m: number, n: number, l: number): Float64Array {
  const c = new Float64Array(m * l);
  for (let i = 0; i < m; i++) {
    const ci = i * l;
    for (let j = 0; j < n; j++) {
      const aij = a[i * n + j];
      if (aij === 0) continue;
      const bj = j * l;
      for (let t = 0; t < l; t++) c[ci + t] += aij * b[bj + t];
    }
  }
  return c;
}

/** C (n×l) = Aᵀ · B with A (m×n), B (m×l). */
export function matmulTransposeA(a: ArrayLike<number>, b: Float64Array, m: number, n: number, l: number): Float64Array {
  const c = new Float64Array(n * l);
  for (let i = 0; i < m; i++) {
    const bi = i * l;
    for (let j = 0; j < n; j++) {
      const aij = a[i * n + j];
      if (aij === 0) continue;
      const cj = j * l;
      for (let t = 0; t < l; t++) c[cj + t] += aij * b[bi + t];
    }
  }
  return c;
}

/** C (l×n) = Bᵀ · A with B (m×l), A (m×n): the rows of A combined by the columns of B. */
export function transposeTimes(b: Float64Array, a: ArrayLike<number>, m: number, l: number, n: number): Float64Array {
  const c = new Float64Array(l * n);
  for (let i = 0; i < m; i++) {
    const ai = i * n;
    for (let t = 0; t < l; t++) {
      const bit = b[i * l + t];
      if (bit === 0) continue;
      const ct = t * n;
      for (let j = 0; j < n; j++) c[ct + j] += bit * a[ai + j];
    }
  }
  return c;
}

/** G = AAᵀ (m×m, both triangles) for A (m×n): dot products of rows, four accumulators. */
export function gramRows(a: Float64Array, m: number, n: number): Float64Array {
  const g = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const ai = i * n;
    for (let j = 0; j <= i; j++) {
      const aj = j * n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let t = 0;
      for (; t + 3 < n; t += 4) {
        s0 += a[ai + t] * a[aj + t];
        s1 += a[ai + t + 1] * a[aj + t + 1];
        s2 += a[ai + t + 2] * a[aj + t + 2];
        s3 += a[ai + t + 3] * a[aj + t + 3];
      }
      for (; t < n; t++) s0 += a[ai + t] * a[aj + t];
      const s = s0 + s1 + (s2 + s3);
      g[i * m + j] = s;
      g[j * m + i] = s;
    }
  }
  return g;
}

/** Aᵀ (n×m) of A (m×n). */
export function transpose(a: ArrayLike<number>, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j];
  return t;
}

export function squaredNorm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}

/** ‖a − b‖²_F. */
export function squaredDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s;
}
