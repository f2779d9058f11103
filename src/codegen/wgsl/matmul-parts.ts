/** Small text helpers shared by the matmul kernel families. */

/** `count` f32 accumulators, one per output a thread computes. */
export function outputAccumulators(count: number): { readonly names: readonly string[]; readonly declare: readonly string[] } {
  const names = Array.from({ length: count }, (_, p) => `acc${p}`);
  return { names, declare: names.map((name) => `var ${name}: f32 = 0.0;`) };
}
