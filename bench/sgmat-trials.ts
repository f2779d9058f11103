/**
 * Bench-only trial forms (session 31, issue 11 gap 1): ks-sgmat on 16 subgroups (512 invocations), which the tuner does
 * not offer; monarch-goal times a planned one (bench/goal-families.ts isPlanned) after its float64 check, like any kernel.
 *
 * Why: 4096 -> 1024's untuned first factor K(4, 256, 1024, 1) sums in f32 on 8 subgroups of 64 x 32 (0.2137-0.2161 ms
 * on the H100) where its f16-sum twin on the same tile takes 0.1750. The f32 and f16 MMAs run at the same rate (session 30,
 * roofline mma-acc) and without MMAs both kernels take the same time (session 29), while session 18's forms without a
 * register prefetch (np) took both to 0.22. The reading left: the f32 form's ~144 registers a lane (64 of sums, 32 of
 * prefetch) leave one 8-warp workgroup an SM, where the f16 form (~112) fits two. 16 subgroups of the same 64 x 32 tile
 * put 16 warps on an SM in one workgroup, each with the same 64 registers of f32 sums and a smaller share of the staging
 * (chunks of 32 γ, so that 256 x 128 or 128 x 256 operands and 16 epilogue tiles fit 48 KiB). 8 x 2 (session 31's
 * confirm): n = 4096's first factor K(64, 64, 64, 1), whose b = 64 admits no wider grid, as 512 rows x 64 β.
 *
 * Session 31's call 1 (H100, bench/results/s31/call-1/perf, plan-s31a): f32 sums gained nothing at B = 16384 (4 x 4
 * 0.2158, 2 x 8 0.2117 against the default's 0.2144; their f16 twins 0.1739 / 0.1704): the occupancy reading is refuted.
 * 4 x 4 of 64 x 64 with f16 sums won (0.1377 against the square seed's 0.1485) and is a candidate and the seed since
 * (ks-sgmat.ts sixteenSquares); the other trials stay bench-only (the call's plan names them).
 */
import { isAmong } from '../src/codegen/wgsl/family.js';
import type { Schedule } from '../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../src/ir/ir.js';

/** The 16-subgroup grids tried: [`sg` along the rows, `sgc` along β]. */
export const SIXTEEN_SUBGROUPS: readonly (readonly [number, number])[] = [
  [4, 4],
  [2, 8],
  [8, 2],
];

/**
 * Whether `s` is a trial form for `op`: a ks-sgmat schedule on a 16-subgroup grid whose workgroup's β divide op's, and whose
 * tile and knobs on one of session 12's 8-subgroup grids (2 x 4 or 4 x 2) are a candidate (`candidates`: the family's for
 * op on the adapter), so that only the grid differs from a form the family offers.
 */
export function isSgmatTrial(s: Schedule, op: KsOp, candidates: readonly Schedule[]): boolean {
  if (s.family !== 'ks-sgmat' || !SIXTEEN_SUBGROUPS.some(([sg, sgc]) => s.sg === sg && s.sgc === sgc)) return false;
  const cols = s.cols as number;
  return op.b % (cols * (s.sgc as number)) === 0 && [{ ...s, sg: 2, sgc: 4 }, { ...s, sg: 4, sgc: 2 }].some((twin) => isAmong(twin, candidates));
}
