/**
 * The order in which a warp's lanes stage rows of a ks-sgmat chunk (`rx`). The staging's lanes take
 * tk / 4 vec4s along γ per row, so one warp spans 128 / tk rows, and each f16 store (lane q of every
 * vec4) puts 32 words in workgroup rows tk + pad halves apart. At tk 32 + pad 8 (rows 20 words apart)
 * the four rows of a warp start on banks 0, 20, 8, 28: each store takes 3 wavefronts (64-bit stores:
 * 3 too), where 2 is the least 32 lanes of 16-bit stores can take (their words all fall on banks of one
 * parity). Swapping bits 1 and 2 of the row index gives a warp rows 0, 1, 4, 5 (banks 0, 20, 16, 4):
 * 2 wavefronts. Only rows change, never which vec4 lane a store writes (rotating the lanes, `sw`,
 * lost on the H100 in session 16), so the global loads stay the same runs of 4·tk bytes.
 * (ks-sgmat's `rx`; its session-19 `ro` swapped the bits in every pass's index and lost: ks-sgmat.ts.)
 */

/** Rows whose order a warp's swap stays within: the pass offsets must be multiples of it. */
export const SPREAD_ROWS = 8;

/**
 * The swap, per invocation, once (WGSL): 6 (bits 1 and 2) where they differ in its first row lid /
 * lanesPerRow, else 0, so that row ^ rx swaps them.
 */
export function spreadLet(lanesPerRow: number): string {
  const first = `(lid / ${lanesPerRow}u)`;
  return `let rx = (((${first} >> 1u) ^ (${first} >> 2u)) & 1u) * 6u;`;
}

/**
 * Staging item e's row (e = lid + a pass offset, a multiple of SPREAD_ROWS rows) in the swapped order:
 * the invocation's first row swapped, plus the pass's rows, so each pass adds a constant as the plain
 * order's e / lanesPerRow does (session 19's `ro` swapped e / lanesPerRow in every pass and lost).
 */
export function spreadRow(lanesPerRow: number): string {
  return `(((lid / ${lanesPerRow}u) ^ rx) + (e - lid) / ${lanesPerRow}u)`;
}

const swapBits12 = (r: number): number => (r & ~6) | ((r & 2) << 1) | ((r & 4) >> 1);

/**
 * Wavefronts per warp of one staging pass's stores: each lane holds the vec4 of 4 γ at (row, kv),
 * lanes along kv first (tk / 4 per row), rows `stride` halves apart (`spread`: rows in spreadRow's
 * order), stored `unit` halves at a time (1: one f16 per lane; 4: the vec4 as one 64-bit store);
 * the most distinct words one bank serves, summed over the stores, averaged over 8 warps.
 */
export function stagingStoreWavefronts(tk: number, stride: number, spread: boolean, unit: 1 | 4): number {
  const perRow = tk / 4;
  let total = 0;
  const warps = 8;
  for (let w = 0; w < warps; w++)
    for (let q = 0; q < 4; q += unit) {
      const words = new Map<number, Set<number>>();
      for (let lane = 0; lane < 32; lane++) {
        const e = w * 32 + lane;
        const rr = Math.floor(e / perRow);
        const row = spread ? swapBits12(rr) : rr;
        for (let h = 0; h < unit; h += 2) {
          const word = Math.floor((row * stride + (e % perRow) * 4 + q + h) / 2);
          const set = words.get(word % 32) ?? new Set<number>();
          words.set(word % 32, set.add(word));
        }
      }
      total += Math.max(...[...words.values()].map((s) => s.size));
    }
  return total / warps;
}

/** Whether spreadRow's order cuts the staging stores' wavefronts at tk γ, rows `stride` halves apart (both store widths, neither worse). */
export function spreadPays(tk: number, stride: number): boolean {
  const widths = [1, 4] as const;
  return widths.every((u) => stagingStoreWavefronts(tk, stride, true, u) <= stagingStoreWavefronts(tk, stride, false, u)) && widths.some((u) => stagingStoreWavefronts(tk, stride, true, u) < stagingStoreWavefronts(tk, stride, false, u));
}
