/** Small text helpers shared by the matmul kernel families. */

/** WGSL sum of index terms, leaving out absent and zero terms. */
export function sum(...terms: readonly (string | undefined)[]): string {
  const kept = terms.filter((t): t is string => t !== undefined && t !== '0u');
  return kept.length === 0 ? '0u' : kept.join(' + ');
}

/** `count` f32 accumulators, one per output a thread computes. */
export function outputAccumulators(count: number): { readonly names: readonly string[]; readonly declare: readonly string[] } {
  const names = Array.from({ length: count }, (_, p) => `acc${p}`);
  return { names, declare: names.map((name) => `var ${name}: f32 = 0.0;`) };
}
