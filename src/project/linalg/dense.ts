/** Small dense float64 kernels, row-major, written so that the inner loops run over contiguous memory. */

/**
 * Σ_t a[ai + t] · b[bi + t] for t < n, with four accumulators (independent chains of adds keep the
 * FPU busy; their sum rounds differently from a single chain, equally well).
 */
export function dot(a: Float64Array, ai: number, b: Float64Array, bi: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let t = 0;
  for (; t + 3 < n; t += 4) {
    s0 += a[ai + t] * b[bi + t];
    s1 += a[ai + t + 1] * b[bi + t + 1];
    s2 += a[ai + t + 2] * b[bi + t + 2];
    s3 += a[ai + t + 3] * b[bi + t + 3];
  }
  for (; t < n; t++) s0 += a[ai + t] * b[bi + t];
  return s0 + s1 + (s2 + s3);
}

/** G = AAᵀ (m×m, both triangles) for A (m×n): dot products of rows. */
export function gramRows(a: Float64Array, m: number, n: number): Float64Array {
  const g = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      const s = dot(a, i * n, a, j * n, n);
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

/** Columns of the shared dimension processed per pass of `gemmNT`: two rows of each side stay in L1. */
const K_CHUNK = 256;

/**
 * C (p×q) = A·Bᵀ for A (p×k), B (q×k): every product of the randomized range finder in one
 * kernel, as dot products of contiguous rows, blocked 2×2 in registers (one load per multiply-add)
 * and by K_CHUNK columns for the caches.
 */
export function gemmNT(a: ArrayLike<number>, b: ArrayLike<number>, p: number, q: number, k: number): Float64Array {
  const c = new Float64Array(p * q);
  for (let k0 = 0; k0 < k; k0 += K_CHUNK) {
    const k1 = Math.min(k, k0 + K_CHUNK);
    for (let j = 0; j < q; j += 2) {
      const bj0 = j * k;
      const two = j + 1 < q;
      const bj1 = two ? bj0 + k : bj0;
      for (let i = 0; i < p; i += 2) {
        const ai0 = i * k;
        const pair = i + 1 < p;
        const ai1 = pair ? ai0 + k : ai0;
        let s00 = 0;
        let s01 = 0;
        let s10 = 0;
        let s11 = 0;
        for (let t = k0; t < k1; t++) {
          const x0 = a[ai0 + t];
          const x1 = a[ai1 + t];
          const y0 = b[bj0 + t];
          const y1 = b[bj1 + t];
          s00 += x0 * y0;
          s01 += x0 * y1;
          s10 += x1 * y0;
          s11 += x1 * y1;
        }
        c[i * q + j] += s00;
        if (two) c[i * q + j + 1] += s01;
        if (pair) {
          c[(i + 1) * q + j] += s10;
          if (two) c[(i + 1) * q + j + 1] += s11;
        }
      }
    }
  }
  return c;
}
