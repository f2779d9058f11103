/** Sylvester's Hadamard matrix H_{2^k}: H[i][j] = (−1)^popcount(i & j), a Monarch matrix for every k. */
export function hadamard(n: number): Float64Array {
  const h = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let x = i & j;
      let parity = 0;
      while (x) {
        parity ^= x & 1;
        x >>= 1;
      }
      h[i * n + j] = parity ? -1 : 1;
    }
  return h;
}
