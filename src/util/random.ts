/**
 * mulberry32, the one seeded generator of the project (the `random` sparsity pattern, projection,
 * the tuner's test data, the tests): tiny, fast and bit-identical on every platform.
 */

/** The largest seed mulberry32 tells apart: it takes a seed's low 32 bits, so callers refuse larger ones rather than alias them. */
export const MAX_SEED = 0xffffffff;

/** Each call returns the next unsigned 32-bit integer. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Uniform in [0, 1) from mulberry32(seed). */
export function uniform01(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}
