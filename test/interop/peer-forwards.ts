/**
 * The peers' forward passes, ported to TypeScript from their documented math (not from monc's
 * semantics), on plain row-major arrays, one input vector at a time. Each returns y for x.
 */

/** A row-major tensor view: element at a multi-index. */
function at(shape: readonly number[], ...index: number[]): number {
  let flat = 0;
  index.forEach((v, k) => (flat = flat * shape[k] + v));
  return flat;
}

/**
 * fly `MonarchLinear`: blockdiag_butterfly_multiply(x, w1 (k, q, p), w2 (l, s, r)) + bias:
 *   x as (k, p); out1[k, q] = Σ_p w1[k, q, p] x[k, p]; out1 flattened (k q) and re-read as
 *   (r l), transposed to (l, r); out2[l, s] = Σ_r w2[l, s, r] out1[l, r]; y = out2 flattened (s l).
 */
export function flyMonarchForward(x: ArrayLike<number>, w1: ArrayLike<number>, w1Shape: readonly number[], w2: ArrayLike<number>, w2Shape: readonly number[], bias?: ArrayLike<number>): Float64Array {
  const [k, q, p] = w1Shape;
  const [l, s, r] = w2Shape;
  const out1 = new Float64Array(k * q); // flat index k·q + q
  for (let kk = 0; kk < k; kk++)
    for (let qq = 0; qq < q; qq++) {
      let acc = 0;
      for (let pp = 0; pp < p; pp++) acc += w1[at(w1Shape, kk, qq, pp)] * x[kk * p + pp];
      out1[kk * q + qq] = acc;
    }
  const y = new Float64Array(s * l);
  for (let ll = 0; ll < l; ll++)
    for (let ss = 0; ss < s; ss++) {
      let acc = 0;
      for (let rr = 0; rr < r; rr++) acc += w2[at(w2Shape, ll, ss, rr)] * out1[rr * l + ll]; // '(r l) -> l r'
      y[ss * l + ll] = acc + (bias ? bias[ss * l + ll] : 0); // '(s l)'
    }
  return y;
}

/**
 * torch_butterfly `Butterfly` (nstacks 1): butterfly_multiply_torch(twiddle, x, increasing_stride)
 * + bias. For each block, for idx in 0..log n-1: log_stride = idx (increasing) or log n-1-idx,
 * stride = 2^log_stride; twiddle[0, block, idx] (indexed by the step idx, not by log_stride)
 * viewed (n/(2·stride), stride, 2, 2); x viewed (n/(2·stride), 2, stride);
 * out[j, o, t] = Σ_i tw[j, t, o, i] · x[j, i, t]. The direction flips after each block.
 */
export function torchButterflyForward(x: ArrayLike<number>, twiddle: ArrayLike<number>, twShape: readonly number[], increasingStride: boolean, bias?: ArrayLike<number>): Float64Array {
  const [, nblocks, logN] = twShape;
  const n = 2 ** logN;
  let out = Float64Array.from(x);
  let increasing = increasingStride;
  for (let block = 0; block < nblocks; block++) {
    for (let idx = 0; idx < logN; idx++) {
      const logStride = increasing ? idx : logN - 1 - idx;
      const stride = 2 ** logStride;
      const next = new Float64Array(n);
      for (let j = 0; j < n / (2 * stride); j++)
        for (let o = 0; o < 2; o++)
          for (let t = 0; t < stride; t++) {
            let acc = 0;
            for (let i = 0; i < 2; i++) acc += twiddle[at(twShape, 0, block, idx, j * stride + t, o, i)] * out[j * 2 * stride + i * stride + t];
            next[j * 2 * stride + o * stride + t] = acc;
          }
      out = next;
    }
    increasing = !increasing;
  }
  if (bias) for (let i = 0; i < n; i++) out[i] += bias[i];
  return out;
}

/**
 * KSMM `KSLinear` (bmm, batch first): for each pattern (a, b, c, d), first to last, with weights
 * (a·d, b, c): x (a, c, d) -> transpose to (a, d, c) -> (a·d, c); out[k, β] = Σ_γ W[k, β, γ] x[k, γ]
 * -> (a, d, b) -> transpose to (a, b, d) -> flatten. Then + bias.
 */
export function ksLinearForward(x: ArrayLike<number>, patterns: readonly (readonly number[])[], factors: readonly ArrayLike<number>[], bias?: ArrayLike<number>): Float64Array {
  let cur = Float64Array.from(x);
  patterns.forEach(([a, b, c, d], f) => {
    const xt = new Float64Array(a * d * c); // (a, d, c)
    for (let al = 0; al < a; al++) for (let ga = 0; ga < c; ga++) for (let de = 0; de < d; de++) xt[at([a, d, c], al, de, ga)] = cur[at([a, c, d], al, ga, de)];
    const o = new Float64Array(a * d * b); // (a·d, b)
    for (let k = 0; k < a * d; k++)
      for (let be = 0; be < b; be++) {
        let acc = 0;
        for (let ga = 0; ga < c; ga++) acc += factors[f][at([a * d, b, c], k, be, ga)] * xt[k * c + ga];
        o[k * b + be] = acc;
      }
    const y = new Float64Array(a * b * d);
    for (let al = 0; al < a; al++) for (let de = 0; de < d; de++) for (let be = 0; be < b; be++) y[at([a, b, d], al, be, de)] = o[at([a, d, b], al, de, be)];
    cur = y;
  });
  if (bias) for (let i = 0; i < cur.length; i++) cur[i] += bias[i];
  return cur;
}
