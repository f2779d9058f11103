/**
 * The order in which a warp's lanes stage rows of a ks-sgmat chunk (`ro`). The staging's lanes take
 * tk / 4 vec4s along γ per row, so one warp spans 128 / tk rows, and each f16 store (lane q of every
 * vec4) puts 32 words in workgroup rows tk + pad halves apart. At tk 32 + pad 8 (rows 20 words apart)
 * the four rows of a warp start on banks 0, 20, 8, 28: each store takes 3 wavefronts (64-bit stores:
 * 3 too), where 2 is the least 32 lanes of 16-bit stores can take (their words all fall on banks of one
 * parity). Swapping bits 1 and 2 of the row index gives a warp rows 0, 1, 4, 5 (banks 0, 20, 16, 4):
 * 2 wavefronts. Only rows change, never which vec4 lane a store writes (rotating the lanes, `sw`,
 * lost on the H100 in session 16), so the global loads stay the same runs of 4·tk bytes.
 */

import type { U32Expr } from '../u32.js';

/** A row index with bits 1 and 2 swapped (WGSL): the warp of rows 0-3 stages rows 0, 1, 4, 5. */
export function spreadRow(rr: U32Expr): string {
  // WGSL takes no bitwise operator beside an arithmetic one unparenthesised.
  const r = `(${rr})`;
  return `((${r} & ~6u) | ((${r} & 2u) << 1u) | ((${r} & 4u) >> 1u))`;
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
