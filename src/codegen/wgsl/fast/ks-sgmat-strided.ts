/**
 * `ks-sgmat-strided`: K(a,b,c,d) on tensor cores (subgroup-matrix f16 x f16 -> f32, 16x16x16),
 * f16 storage only, with several subgroups per workgroup sharing one staged source tile, W held
 * by each subgroup and batch rows streamed past it. Written for the strided factor (d > 1,
 * Monarch's second), it serves the contiguous one (d = 1, Monarch's first factor, dense layers)
 * too; the family keeps its name (tuning databases store it).
 *
 * For each δ it is the GEMM Out[row, β] = Σ_γ W[α·d+δ, β, γ] · Src[row, α·c·d + γ·d + δ]. When
 * d > 1 the reduction γ runs with stride d in the source and the output's contiguous dimension is
 * δ, so neither operand nor result can be moved by the matrix builtins in place; when d = 1 both
 * are contiguous along γ and β, but the 16x16 tiles still go through workgroup memory so that
 * global memory is read and written in vec4 runs. The kernel is laid out for the H200's occupancy
 * and memory system:
 *
 * - A workgroup owns `dtile` (TD) consecutive δ × `cols` (TB) β of one α and `rows` = `rg` ·
 *   `mr`·16 × `chunks` batch rows. It has S = TD · (TB / `sb`) · `rg` subgroups of 32; subgroup s
 *   works on δ slot s % TD, β group (s / TD) % (TB / sb) (`sb` β) and row group s / (TD·TB/sb)
 *   (`mr`·16 rows of each row chunk), so all S subgroups share one staged source tile. Row groups
 *   (`rg`; absent = 1 in session 6's schedules) give a workgroup its subgroups when d = 1 (TD is
 *   1 there), and share the staged W (below) when d > 1.
 * - The subgroup's W fragments (all γ × its `sb` β of its δ) are loaded from the parameter
 *   buffer by the matrix loads in place (col_major, stride c: W[δ] is β x γ row-major): with
 *   `wres` once per workgroup, held in registers across every row chunk (the weight tile is read
 *   once per `rows` rows: 64 rows -> a quarter of the source's bytes for Monarch n = 4096, from
 *   L2); without, per row chunk and γ chunk (fewer registers, more workgroups per SM; the row
 *   groups' loads of the same fragments then meet in L1). With `wstage`, W's γ chunk (TD δ × TB β
 *   × `tk` γ, vec4 loads along γ) is staged in workgroup memory beside the source's and fetched
 *   ahead with it: the row groups read one copy, and a subgroup's right matrices come from
 *   workgroup memory like its left ones, so it can hold more β (`sb` 64) and rows (`mr` 4: a
 *   64 x 64 warp tile, 16 accumulators) than beside resident W (at most 16 W fragments: 1 β tile
 *   when c = 256). When d = 1 that is a tiled GEMM, for large c (1024) where W cannot stay
 *   resident. All of W at once would cost TD·TB·c·2 bytes (128 KiB for TD = 16 at n = 4096).
 * - The source is staged per row chunk (`rg`·`mr`·16 rows) and γ chunk (`tk`) as xs[δ][row][γ],
 *   fetched one chunk ahead into registers while the current one is multiplied. When d > 1 the
 *   global reads are vec4 runs along δ, TD·2 bytes long (32 bytes, one sector, at TD = 16; the
 *   whole contiguous row chunk when TD = d), and δ planes are padded so the four δ of one vec4,
 *   written by the invocations of a warp in rotated order ((q + dv) mod 4), land in distinct
 *   banks. When d = 1 they are vec4 runs along γ, `tk`·2 bytes of each row. Rows are padded by 8
 *   halves (16 bytes) so the 8 rows of a 16x16 matrix load hit distinct banks.
 * - Results leave through workgroup memory, one 16x16 f32 tile per subgroup per round (slots
 *   padded against bank conflicts, read back in rotated order), so the destination is written in
 *   vec4 runs along its contiguous dimension (δ when d > 1, β when d = 1) with the bias (read at
 *   the logical output index) and the old destination when the op accumulates.
 * - With `acc16` (d > 1) the result matrices are f16 (the f16 x f16 -> f16 configuration; the
 *   running sum is rounded to f16 after every 16-deep multiply, which the tuner's float64 check
 *   holds to the f16 contract): half the accumulator registers, f16 slots (half the bytes, so
 *   twice the tiles per epilogue round in the same memory) written out unconverted unless a bias
 *   or the old destination is added. With `ds` (f16 or f32 results) a subgroup takes ds δ: the runs along
 *   δ stay `dtile` long (32 bytes at 16 δ) with dtile / ds subgroups per β group.
 *
 * Tried and removed (session 12, H100, B = 16384, bench/results/s12/call-1): the interleave-expanded
 * form for small d, one GEMM per α over W spread on its δ diagonal (E[γ·d+δ', β·d+δ] = W[α·d+δ, β, γ]
 * if δ' = δ), so left matrices are 16 consecutive inputs and result tiles 16 consecutive outputs
 * (f16 tiles stored straight to the output; no staging of δ planes, no re-interleaving epilogue)
 * at d times the MMAs. Best 1.030 ms for 1024 -> 4096's K(1, 1024, 256, 4) (64x64 warp tiles, 2 x 2
 * subgroups, f16 results) against this form's 0.3935, and 0.430 for 4096 -> 1024's K(1, 256, 256, 4)
 * against 0.1164; left matrices straight from the source (no staging) 1.81-2.40, double-buffered
 * staging 1.12-1.59. 137 GFLOP issued in 1.03 ms is 133 TFLOP/s, the rate ks-sgmat's GEMMs run at
 * through Dawn: the MMAs themselves, not the interleave, bound these kernels, so multiplying them by
 * d cannot win (code: commit 9634697).
 *
 * Subgroups: the matrix builtins need subgroup-uniform control flow and subgroup-uniform pointer,
 * offset and stride arguments (the gpuweb proposal "Subgroup Matrix", proposals/subgroup-matrix.md,
 * copied from Dawn's docs/dawn/features/subgroup_matrix.md, section "Uniformity"), but WGSL has
 * no subgroup-uniformity analysis: Dawn checks them with the workgroup-uniformity analysis and
 * reports violations through the diagnostic `chromium.subgroup_matrix_uniformity` (default
 * error; the rule name Dawn's Tint lists, and which ONNX Runtime's and llama.cpp's WebGPU
 * subgroup-matrix kernels turn off). The body therefore runs under
 * `@diagnostic(off, chromium.subgroup_matrix_uniformity)`, and each subgroup takes its tile from
 * its index `lid / 32`, uniform within the subgroup: Dawn creates subgroup-matrix pipelines with
 * full subgroups and NVIDIA's subgroups (32 wide) are consecutive local invocation indices.
 * (`@builtin(subgroup_id)` would not need the second assumption, but would need 'subgroups'.)
 *
 * Applies when the target has 'shader-f16' and 'chromium-experimental-subgroup-matrix' (no
 * candidates otherwise: the op falls back), the input map is the identity and b and c are
 * multiples of 16. Untuned builds use it for strided factors only (defaults.ts); for d = 1 the
 * tuner finds it.
 */
import type { KsOp } from '../../../ir/ir.js';
import { invariant } from '../../../util/assert.js';
import { forTheGrid, type SeedGrid } from '../defaults.js';
import { dividing, flag, highestScoring, isAmong, knob, type KernelFamily } from '../family.js';
import { applyIndexMap, renderIndex, rowMajor } from '../index-map.js';
import type { EmittedKernel, Schedule, TargetLimits } from '../kernel.js';
import { div, mod, mul, sum, u, type KernelContext } from '../scaffold.js';
import { hasF16Results, SUBGROUP, TILE } from './ks-sgmat.js';
import { resultMatrix, SUBGROUP_MATRIX_UNIFORMITY_OFF } from './sgmat-results.js';
import { decodeProbe, probedCopy, probeOf, unlessProbed } from './sgmat-probe.js';
import { stridedSgmatApplies, tiling, valid, type KsSgmatStridedSchedule } from './ks-sgmat-strided-layout.js';
import { ksTileOrigin } from './ks-tile-origin.js';
import { opOperands } from './operands.js';
import { rotateBy, rotatedLanes, rotatedStores } from './rotated-lanes.js';
import { cooperative, scalarAt, staging, tiledKernel, type StagedCopy } from './wgsl-text.js';
import type { U32Expr } from '../u32.js';

export { stridedSgmatApplies, stridedSgmatLayout, type KsSgmatStridedSchedule } from './ks-sgmat-strided-layout.js';


/** Where W comes from: resident (`wres`), read in place per γ chunk, or staged (`wstage`; absent in session 6's form). */
interface WeightSource {
  readonly wres: boolean;
  readonly wstage?: boolean;
}

/** Every valid schedule of `dtiles` × `rgs` × β tiles × `mrs` × row chunks × γ chunks × `weights`, in that order, each with the knobs `extra`. */
function enumerate(
  op: KsOp,
  limits: TargetLimits,
  dtiles: readonly number[],
  rgs: readonly (number | undefined)[],
  mrs: readonly number[],
  weights: readonly WeightSource[],
  extra: { readonly acc16?: true; readonly ds?: number; readonly bp?: true } = {},
): KsSgmatStridedSchedule[] {
  const out: KsSgmatStridedSchedule[] = [];
  for (const dtile of dtiles)
    for (const rg of rgs)
      for (const cols of dividing(op.b, [16, 32, 64, 128, 256]))
        for (const sb of dividing(cols, [16, 32, 64]))
          for (const mr of mrs)
            for (const chunks of [1, 2, 4, 8])
              for (const tk of dividing(op.c, [16, 32, 64, 128, 256]))
                for (const { wres, wstage } of weights) {
                  const s: KsSgmatStridedSchedule = {
                    family: 'ks-sgmat-strided', dtile, cols, sb, mr, ...(rg === undefined ? {} : { rg }), chunks, tk, wres, ...(wstage === undefined ? {} : { wstage }), ...extra,
                  };
                  if (valid(op, tiling(op, s), limits)) out.push(s);
                }
  return out;
}

/**
 * The schedule space. Session 6's schedules (d > 1, W resident or read in place where resident W does not fit, 1 or 2 row
 * tiles per subgroup) come first, in their order and with the knobs tuning databases stored them
 * with. Every other schedule also carries `rg` (row groups) and `wstage` (W staged per γ chunk in
 * workgroup memory) and may give a subgroup 4 row tiles (a 64-row warp tile: 4 left and up to 4
 * right matrices per 16 multiply-adds when W is not resident):
 * - d = 1: W resident, in place or staged, 1 to 8 row groups (with one δ, row groups give the
 *   workgroup its subgroups), then all of them again with swizzled lanes (`sw`);
 * - d > 1: W staged (TD planes of TB β × tk γ), 1, 2 or 4 row groups: a subgroup then reads its
 *   right matrices from workgroup memory like its left ones, and row groups share them.
 * Then (d > 1), session 6's form with `et` 2, 4 or 8 result tiles per epilogue round where the
 * workgroup memory holds their slots: fewer barriers per row chunk (epilogueTiles).
 * Last (d > 1, where the target offers f16 results), `acc16`: session 6's form and the staged-W
 * schedules (1 or 2 row groups, 32- or 64-row warp tiles) with f16 result matrices, then
 * session 6's form with 8 δ or more per workgroup taken 2 or 4 δ per subgroup (`ds`: long runs
 * along δ with fewer subgroups, so fewer registers per SM), each with one tile per epilogue round and with the most
 * that fit (2 to 16: all of a subgroup's tiles in one round where they fit). Half the
 * accumulator registers admit 64-row warp tiles (`mr` 4) beside resident W, and f16 slots twice
 * the tiles per round in the same workgroup memory.
 * Then (d > 1) session 6's form with 8 δ or more per workgroup taken 2 or 4 δ per subgroup
 * (`ds`) and f32 results: 32-byte runs along δ (16 δ) with the subgroups, resident W and
 * accumulators of 8 δ, so long runs without acc16's f16 sums.
 * Then session 6's form, the f16-result schedules and ds with f32 results again with swizzled
 * lanes (`sw`: no vector indexed by a runtime lane, which f16 vectors suffer most from), then
 * the `et` schedules with them, then session 6's form with sw and 16 row chunks, and those of
 * them with 16-row warp tiles with 32 row chunks.
 * Then (d > 1), session 6's form, its sw twins and its 16- and 32-row-chunk forms with `pd` 2, the
 * source loads two γ chunks ahead, where a row chunk has an even number of γ chunks; then the same
 * with `db`, the source in two buffers (one barrier per γ chunk), where both fit. Last (d > 1, where
 * the target offers f16 results), session 6's form with acc16 at 16 row chunks with sw and, with
 * 16-row warp tiles, 32, each with its fewest-rounds twin (the tuner's f16-sum seeds among them).
 * After everything, where d ≤ 4 (OVERLAP_MAX_D: it lost or tied at 16 δ), the 16- and 32-row-chunk forms (sw, pd 2 and
 * acc16 ones: the defaults among them) with `ow`, their last epilogue round written out during the next row chunk
 * (overlappedWriteOut in ks-sgmat-strided-layout.ts), then, at d = 4, the neighbours of the 64-row f16-sum ow form that
 * have no twin without ow: at 8 and 32 row chunks (the d = 4 seeds, overlappedD4Twins) and loading two γ chunks ahead
 * (pd 2). A reading, not measured: where the epilogue is short (n = 4096's 16-row tiles) the deferred writes cost the
 * next chunk more than they overlap; with 64-row tiles (d = 4) there is more to overlap.
 * Then, with 16 δ or more per workgroup, f32 sums and two β groups or more, session 6's form at 16 and 32 row chunks with
 * sw and the β groups in turn at the epilogue's slots (`bp`, betaGroupTurns in ks-sgmat-strided-layout.ts) where it does
 * not fit without them (Monarch n = 4096 with 16 blocks: 16 δ × 32 β, γ chunks of 32, the f32-sum twin of session 26's
 * tuned winner).
 * Last of all, where a workgroup takes 16 δ or more (PAIRED_ITEMS_MIN_DTILE), the long-row forms (16 and 32 row chunks,
 * with pd 2 or not, acc16 or not, and the bp forms) with 2 β per write-out item (`ob` 2, outputBetas in ks-sgmat-strided-layout.ts: the
 * output stage's per-store place, row, bounds test and δ shared by two stores); the defaults of 16 δ are such a form
 * (pairedItemsTwin), and so the f16-sum seeds built from them.
 *
 * Tried and removed (session 14, H200, B = 16384, bench/results/s14/call-1, plan bench/results/
 * s14/call-1/plan.json; code: commit 6247072): `mt`, the source moved by matrix copies (one
 * row-major matrix load from the source and one column-major matrix store into workgroup memory
 * per 16 rows x 16 δ) instead of vector loads and scalar transposing stores: n = 4096's strided
 * factor 0.3158-0.7261 ms against the default's 0.2368 (the default with mt 0.4788), n = 16384's
 * 0.6545-0.9279 against 0.4139. And `ku` for the staged-W schedules (their γ chunks written out
 * instead of a WGSL loop): 1024 -> 4096's d = 4 factor 0.5589-0.8855 against the default's 0.3579,
 * 4096 -> 1024's 0.2540-0.2595 against 0.1028, as slow as the looped forms (session 12, H100):
 * the staged-W forms lose for other reasons than their loop.
 * Tried and removed (session 17, H100, B = 16384, bench/results/s17/call-2, plan.json there; code:
 * commit 94d8ea1): the staged-W schedules of strided factors with swizzled lanes (`sw`), built on
 * the reading that resident W, not the stride, made this family slow (on the contiguous factor, no
 * stride, W staged + sw took 0.1605 ms against 0.2382 resident, ks-sgmat 0.1494). On strided factors
 * every such form lost by 15% or more: n = 4096 0.2975-0.4619 against the default's 0.2420 (the first
 * factor's 64 x 32 warp tile on 8 δ 0.3364, one row chunk per workgroup 0.3420, without sw 0.4046),
 * n = 16384 0.5266-0.7060 against 0.4108, 1024 -> 4096 0.4143 against 0.3390, 4096 -> 1024 0.1176
 * against 0.1017. W read in place instead of resident (`wres` false) lost 1.9-4.7x in the same call.
 * Removed from the d > 1 space in session 18 (about half of it at n = 4096): W read in place
 * (`wres` false, no `wstage`) wherever a W-resident schedule of the same δ per workgroup fits. It
 * was slower than resident W at every strided op of every call that timed it, H100 and H200 (the
 * best in-place schedule against the best resident one of the same call: n = 4096 0.4681 vs 0.2361
 * (s17 call 2), 0.5635 vs 0.3055 (s10); n = 16384 1.0042 vs 0.3933; 1024 -> 4096 1.5811 vs 0.3390;
 * 4096 -> 1024 0.4014 vs 0.1017; sessions 10, 12, 14, 16, 17). It stays where W cannot stay
 * resident (c ≥ 512: the default there, never timed against another form) and for d = 1. A tuning
 * entry naming a removed one is no longer valid: a build reports it unusable (`unusableTuning`)
 * and takes the default, and `monc tune` drops it from the database it rewrites.
 * Tried and removed (session 18, H100, B = 16384, bench/results/s18/call-3, plan.json there; code:
 * commit 940510b): `tr`, the strided source staged as 4 γ × 4 δ blocks of one row transposed in
 * registers (an array of four vec4 per item) and written as 8-byte runs of 4 γ per δ plane, the
 * first factor's store shape, instead of 16 scalar stores to 16 rows per invocation and chunk:
 * the one count (4 staging stores per MMA against 0.6-2.5) that set the strided factor apart from
 * the first besides residency. It lost or tied everywhere: n = 4096 0.2654 vs 0.2426 (the f16-sum
 * seed 0.2085 vs 0.2103), n = 16384 0.4249 vs 0.4121, 1024 -> 4096 0.6023 vs 0.3390, 4096 -> 1024
 * 0.1713 vs 0.1020.
 * Tried and removed (session 19, H100, B = 16384, bench/results/s19/call-2, plan.json there; code:
 * commit 65c1c9e): `bp`, the β groups taking the epilogue's slots in turn (slots for one β group,
 * twice the epilogue's barriers), which admitted 64 β per workgroup as two 32-β subgroups per δ
 * with 32-row warp tiles (1024 invocations, 64 registers at most: about 104 wanted): n = 4096 0.2463
 * (16 row chunks), 0.3066 (8), 0.4260 (8, no sw) vs the default's 0.2361; n = 16384 0.4308 vs 0.3958;
 * 1024 -> 4096 1.0859 vs 0.3410. The same 64 β with 16-row warp tiles, which fit without bp, won
 * (readOnceTwin): reading the source once pays, bp's barriers and registers did not. bp is back since session 27, offered
 * only where the form does not fit without it (betaGroupTurns; timed in session 27 call 1, never the fastest form there).
 * Tried and removed (session 20, H100, B = 16384, bench/results/s20/call-2, plan.json there; code: commit
 * a2b1368): `ov`, the f16 result slots (acc16) overlaid on the staged source in one workgroup array (the
 * larger of the two, not their sum), so n = 4096's read-once form could stage whole-γ chunks (tk 64) and
 * move its tiles in one round: 4 barriers per row chunk instead of 10. Whole-γ chunks lost badly (0.3059
 * ms, one round; 0.3072, two) against the f32-sum default's 0.2057 and acc16 alone's 0.1958 (4 vec4 prefetch
 * registers more per invocation at 1024 invocations); tk 32 in one round 0.1944 against its twin without ov
 * 0.1980 (noise level); n = 16384 0.3809-0.4607 against acc16 alone's 0.3777. The barriers per row chunk
 * are not this factor's bound. The 8-δ read-once forms (512 invocations, f32 sums) lost too: 0.2450-0.3209.
 */
function candidates(op: KsOp, limits: TargetLimits): KsSgmatStridedSchedule[] {
  if (!stridedSgmatApplies(op, limits)) return [];
  const staged = { wres: false, wstage: true };
  if (op.d === 1) {
    const contiguousForms = enumerate(op, limits, [1], [1, 2, 4, 8], [1, 2, 4], [{ wres: false, wstage: false }, { wres: true, wstage: false }, staged]);
    return [...contiguousForms, ...swizzled(op, contiguousForms, limits)];
  }
  const dtiles = dividing(op.d, [2, 4, 8, 16, 32]);
  // W read in place only where it must be (session 18: it lost to resident W at every d > 1 op timed).
  const weights = [{ wres: false }, { wres: true }];
  const measuredForm = inPlaceWhereNeeded(enumerate(op, limits, dtiles, [undefined], [1, 2], weights));
  const fewerRounds = measuredForm.flatMap((s) => [2, 4, 8].map((et): KsSgmatStridedSchedule => ({ ...s, et }))).filter((s) => valid(op, tiling(op, s), limits));
  const stagedForm = enumerate(op, limits, dtiles, [1, 2, 4], [1, 2, 4], [staged]);
  const f16 = { acc16: true } as const;
  const longRuns = dtiles.filter((td) => td >= 8);
  const f16Measured = hasF16Results(limits) ? inPlaceWhereNeeded(enumerate(op, limits, dtiles, [undefined], [1, 2, 4], weights, f16)) : [];
  const f16Results = hasF16Results(limits)
    ? [
        ...f16Measured,
        ...enumerate(op, limits, dtiles, [1, 2], [2, 4], [staged], f16),
        ...[2, 4].flatMap((ds) => inPlaceWhereNeeded(enumerate(op, limits, longRuns, [undefined], [1, 2], weights, { ...f16, ds }))),
      ]
    : [];
  // Long runs along δ with f32 results: 8 δ or more per workgroup taken 2 or 4 δ per subgroup,
  // without acc16 (whose f16 sums cost more than the long runs gained in session 10).
  const longRunsF32 = [2, 4].flatMap((ds) => inPlaceWhereNeeded(enumerate(op, limits, longRuns, [undefined], [1, 2], weights, { ds })));
  // 16 row chunks (twice the rows per W fetch and per workgroup start) of session 6's form with
  // sw: 8 chunks beat 4 by 11% at n = 4096 with 16 δ × 32 β (session 11, H100).
  const longerRows = swizzled(op, measuredForm.filter((s) => s.chunks === 8).map((s) => ({ ...s, chunks: 16 })), limits);
  // 32 row chunks of those with 16-row warp tiles (256 rows per workgroup at 16): half the
  // workgroup starts again (n = 4096's read-once form, session 19 call 2: 16 chunks 0.2157 ms, 8 0.2459).
  const longestRows = longerRows.filter((s) => s.mr === 1).map((s) => ({ ...s, chunks: 32 }));
  // Two γ chunks of source loads in flight: twice the bytes one 512-invocation workgroup per SM
  // keeps in flight, at the same workgroup memory (session 10 measured pd before sw, when the
  // rotated vec4s it doubles went through thread-local memory).
  const deeperPrefetch = [...measuredForm, ...swizzled(op, measuredForm, limits), ...longerRows, ...longestRows].map((s): KsSgmatStridedSchedule => ({ ...s, pd: 2 })).filter((s) => valid(op, tiling(op, s), limits));
  const f16Rounds = f16Results.flatMap((s) => [s, ...fewestRounds(op, s, limits)]);
  // Two source buffers: the multiply-adds of one γ chunk and the stores of the next between the
  // same two barriers. One 512-invocation workgroup per SM passes 14 barriers per row chunk at
  // n = 4096 with about one multiply-add per subgroup between two (bench/occupancy.ts).
  const twoBuffers = [...measuredForm, ...swizzled(op, measuredForm, limits), ...longerRows].map((s): KsSgmatStridedSchedule => ({ ...s, db: true })).filter((s) => valid(op, tiling(op, s), limits));
  // Session 6's form with f16 results (which stop at 8 row chunks) at 16 row chunks with sw, and those
  // with 16-row warp tiles at 32, as longerRows and longestRows, each with its fewest-rounds twin: the
  // tuner's f16-sum seeds (stridedF16SumTwins: n = 4096's read-once default with acc16 at 16 and 32 row chunks, n = 16384's 64-β form).
  const f16Longer = swizzled(op, f16Measured.filter((s) => s.chunks === 8).map((s) => ({ ...s, chunks: 16 })), limits);
  const f16Longest = f16Longer.filter((s) => s.mr === 1).map((s) => ({ ...s, chunks: 32 }));
  const longRowsF16 = [...f16Longer, ...f16Longest].flatMap((s) => [s, ...fewestRounds(op, s, limits)]);
  // Last (d ≤ 4): the long-row forms (the defaults and the f16-sum seeds among them) with the last epilogue round written
  // out during the next row chunk (ow), which won at d = 4 and lost or tied at n = 4096 and n = 16384 (16 δ; OVERLAP_MAX_D).
  const longRowForms = [...longerRows, ...longestRows, ...deeperPrefetch.filter((s) => s.chunks >= 16), ...longRowsF16];
  const overlapped = op.d <= OVERLAP_MAX_D ? longRowForms.map((s): KsSgmatStridedSchedule => ({ ...s, ow: true })).filter((s) => valid(op, tiling(op, s), limits)) : [];
  // d = 4: the 64-row f16-sum overlapped forms at 8 and 32 row chunks (the d = 4 seeds among them, overlappedD4Twins) and
  // loading two γ chunks ahead (pd 2): the seed's neighbours (session 22), with no twin without ow.
  const d4Neighbours = op.d === 4 ? overlapped.filter((s) => s.mr === 4 && s.acc16 === true).flatMap((s): KsSgmatStridedSchedule[] => [{ ...s, chunks: 8 }, { ...s, chunks: 32 }, { ...s, pd: 2 }]).filter((s) => valid(op, tiling(op, s), limits)) : [];
  // Then, with 16 δ or more per workgroup, the β groups in turn at the epilogue's slots (bp) where the form does not fit
  // without them: session 6's form with f32 sums, resident W and sw at 16 and 32 row chunks (betaGroupTurns).
  const inTurns = swizzled(op, enumerate(op, limits, dtiles.filter((td) => td >= PAIRED_ITEMS_MIN_DTILE), [undefined], [1, 2], [{ wres: true }], { bp: true }).filter((s) => s.chunks === 8), limits)
    .flatMap((s) => [16, 32].map((chunks): KsSgmatStridedSchedule => ({ ...s, chunks })))
    .filter(({ bp: _, ...plain }) => !valid(op, tiling(op, plain), limits));
  // After everything: the long-row forms of 16 δ or more per workgroup (the defaults and the f16-sum seeds among them) with
  // 2 β per write-out item (ob: the output stage's per-store work shared by two stores; PAIRED_ITEMS_MIN_DTILE).
  const widerItems = [...longRowForms, ...inTurns].filter((s) => s.dtile >= PAIRED_ITEMS_MIN_DTILE).map((s): KsSgmatStridedSchedule => ({ ...s, ob: 2 })).filter((s) => valid(op, tiling(op, s), limits));
  return [...measuredForm, ...stagedForm, ...fewerRounds, ...f16Rounds, ...longRunsF32, ...swizzled(op, [...measuredForm, ...f16Rounds, ...longRunsF32], limits), ...swizzled(op, fewerRounds, limits), ...longerRows, ...longestRows, ...deeperPrefetch, ...twoBuffers, ...longRowsF16, ...overlapped, ...d4Neighbours, ...inTurns, ...widerItems];
}

/**
 * `ow` (overlapped write-out) is offered where d ≤ 4 only. H100, B = 16384, each against its twin without ow: at d = 4
 * it won (session 22 call 1: 1024 -> 4096's 64-row f16-sum form 0.2830 vs 0.3333 ms, the f32-sum default 0.3327 vs
 * 0.3397, 4096 -> 1024's default 0.1005 vs 0.1016, again in session 29 call 1: 0.1014 vs 0.1020 and 0.3336 vs 0.3407,
 * under the 3% a default needs; session 25 call 1, bench/results/s25/call-1: the d = 4 seeds, all ow,
 * 0.2807 and 0.0927 the bests there); at n = 4096 and n = 16384 (16 δ per workgroup) it lost or tied in session 22 call 1
 * (the defaults 0.2214 vs 0.2150 and 0.3991 vs 0.3951, the f16-sum seeds 0.2080 vs 0.2061, 0.1984 vs 0.1959 and 0.3599 vs
 * 0.3528; one round 0.2097 vs 0.1896), so those twins only lengthened the search (4% of its candidates).
 */
const OVERLAP_MAX_D = 4;

/**
 * `ob` 2 (two β per write-out item) is offered where a workgroup takes 16 δ or more: a warp's 32 items are then 4 δ runs
 * (or more) × 8 β pairs of one β group, one wavefront per slot read (the bank comment of outputBetas). H100, session 25
 * call 1 (bench/results/s25/call-1, B = 16384), n = 4096's strided factor (16 δ): the f16-sum forms (et 2) with ob 2
 * 0.1741 vs 0.1894 ms at 32 row chunks and 0.1845 vs 0.2004 at 16, the f32-sum default 0.2062 vs 0.2156; ob 4 (two
 * wavefronts) 0.1870, 0.1964 and 0.2196. At d = 4 (4 δ: one run, two wavefronts) ob lost: 1024 -> 4096 0.2981-0.2993 vs
 * 0.2807-0.2845 (ob 4 0.3378-0.3414), 4096 -> 1024 0.0949 vs 0.0927 (ob 4 0.1053), with pd 2 0.1025 vs 0.1019 (ob 4
 * 0.1118). So ob 4 is not offered, and the defaults of 16 δ take ob 2 (pairedItemsTwin).
 */
const PAIRED_ITEMS_MIN_DTILE = 16;

/**
 * `forms` less those reading W in place (`wres` false, no `wstage`) at a δ per workgroup where a
 * W-resident one of the list fits: in place stays only where W is too large to stay (c ≥ 512).
 */
function inPlaceWhereNeeded(forms: readonly KsSgmatStridedSchedule[]): KsSgmatStridedSchedule[] {
  const residentAt = new Set(forms.filter((s) => s.wres).map((s) => s.dtile));
  return forms.filter((s) => s.wres || s.wstage === true || !residentAt.has(s.dtile));
}

/** `forms` with swizzled lanes (`sw`), where their staging or epilogue moves vec4 runs. */
function swizzled(op: KsOp, forms: readonly KsSgmatStridedSchedule[], limits: TargetLimits): KsSgmatStridedSchedule[] {
  return forms.map((s): KsSgmatStridedSchedule => ({ ...s, sw: true })).filter((s) => valid(op, tiling(op, s), limits));
}

/** `s` with the most epilogue tiles per round (2 or more) whose slots fit, if any. */
function fewestRounds(op: KsOp, s: KsSgmatStridedSchedule, limits: TargetLimits): KsSgmatStridedSchedule[] {
  const tiles = s.mr * (s.sb / TILE);
  const et = [16, 8, 4, 2].find((e) => e <= tiles && valid(op, tiling(op, { ...s, et: e }), limits));
  return et === undefined ? [] : [{ ...s, et }];
}

/**
 * Default when d > 1: the shape of the measured bests on the H200 (session 6, 41 sampled schedules per
 * Monarch strided factor, f16, B = 16384, bench/results/s6/call3): runs of 8 δ (all δ when d < 8),
 * 16 subgroups (512 invocations), 32-row matrix chunks (`mr` 2), W resident in registers, 4 row
 * chunks at 8 δ and 8 at 4 δ (fewer accumulators per subgroup), then the longest γ chunks that
 * fit (32 at 8 δ, 64 at 4 δ), then the least workgroup storage. Measured: n = 4096 0.291 ms (the
 * former default, 16 δ × 64 β, one 16-row chunk: 0.317); 1024->4096 0.474, 4096->1024 0.132 with
 * γ chunks of 32, and 0.399 and 0.114 with 64 (session 7, bench/results/s7/call3: 22-23
 * schedules per factor). Session 6's form first (the schedules with rg and wstage are not
 * measured yet). Since session 11 with swizzled lanes where the lanes rotate (withSwizzledLanes),
 * and for 16 δ or more (n = 4096; n = 16384 since session 14: 0.4139 vs 0.4732 on the H200) 16 δ × 32 β,
 * 32-row matrix chunks, 8 row chunks, γ chunks of 16 (the longest that fit beside them): 0.2421 ms
 * on the H100 where the 8-δ form took 0.2676 (bench/results/s11/call-2). The source is then read by two workgroups
 * (32 of 64 β each), in 32-byte runs where 8 δ read 16-byte ones.
 * Since session 12, 4 δ (d = 4) take 16 row chunks with swizzled lanes (longerRowsTwin); since
 * session 18, so do the 16-δ forms (n = 4096, n = 16384: H100 figures in the body below). That
 * move is a heuristic for every op with d ≥ 16 and β in 32s: it was timed only on K(1, 64, 64, 64)
 * and K(1, 128, 128, 128) (review s18, 7). Since session 19, where 16 δ × every β fit as 32-β
 * subgroups (b = 64: n = 4096), a workgroup takes every β with one row tile per subgroup
 * (readOnceTwin). Since session 25, with 16 δ or more, two β per write-out item (pairedItemsTwin). Since session
 * 26, one subgroup per δ where resident W made it two (oneSubgroupPerDeltaTwin: c = 256; at c ≥ 512 W is not resident),
 * and since session 27 there 8 δ × 64 β in 32-row warp tiles instead (halfRunsWideTwin).
 * When d = 1 (untuned builds take ks-sgmat there; this is the tuner's seed): the same
 * per-subgroup work (32 rows × 32 β, W resident where it fits, else staged) with 8 subgroups
 * over 64 β and 4 row groups, 4 row chunks, γ chunks of 64 (whole rows of Monarch n = 4096's
 * blocks).
 */
function defaultSchedule(op: KsOp, limits: TargetLimits): KsSgmatStridedSchedule {
  const s = sixteenDeltaDefault(op, limits);
  return op.d > 1 ? halfRunsWideTwin(op, s, limits) : s;
}

/** The default before halfRunsWideTwin (the 16-δ shapes, which the tuner's f16-sum seeds are built from). */
function sixteenDeltaDefault(op: KsOp, limits: TargetLimits): KsSgmatStridedSchedule {
  const s = measuredShape(op, limits);
  return op.d > 1 ? pairedItemsTwin(op, oneSubgroupPerDeltaTwin(op, readOnceTwin(op, s, limits), limits), limits) : s;
}

/**
 * Where the default takes one 16-β subgroup per δ (c = 256, oneSubgroupPerDeltaTwin), `s` as 8 δ × 64 β: four 16-β
 * subgroups per δ (32 subgroups, 1024 invocations) in 32-row warp tiles (mr 2), 8 row chunks (256 rows per workgroup,
 * as `s`), γ chunks of 16 loaded two ahead (pd 2), swizzled lanes, f32 sums, where that is a candidate. Each staged source tile then feeds four
 * subgroups where it fed one, and the source is read by 8 workgroups per row chunk (in 16-byte runs along δ) where
 * 16 read it. H100, session 27 call 1 (bench/results/s27/call-1/perf, plan-s27a), B = 16384, Monarch n = 4096 with 16
 * blocks' K(1, 256, 256, 16): 0.6851 ms against 0.8348 for `s` (-18%); the best other f32-sum forms 0.7298 (16 δ × 32
 * β with the β groups in turn at the slots, bp, 32 row chunks) and 0.7826 (`s` at 32 row chunks, γ chunks of 32); B = 4096
 * (call 2, bench/results/s27/call-2): 0.1823 against 0.2246 (its twin with pd 2: 0.1603); through the CLI at B = 16384 the
 * map untuned 0.9321 ms, tuned 0.7690 (1.21x; 1.28x with `s`; both without pd 2). Call 3 (bench/results/s27/call-3/perf,
 * plan-s27d), this form without pd 2 / with pd 2 / `s`: B = 16384 n = 4096 with 16 blocks 0.6858 / 0.5988 / 0.8353; B =
 * 4096 8192 with 32 blocks 0.3669 / 0.3259 / 0.4864, 4096 -> 16384 with 16 0.6479 / 0.5728 / 0.8144, 16384 with 64 0.8071
 * / 0.7377 / 1.0861 (call 2, n = 4096 with 16: 0.1823 / 0.1603 / 0.2246): pd 2 the fastest at every c = 256 shape timed.
 */
function halfRunsWideTwin(op: KsOp, s: KsSgmatStridedSchedule, limits: TargetLimits): KsSgmatStridedSchedule {
  const twin: KsSgmatStridedSchedule = { family: 'ks-sgmat-strided', dtile: 8, cols: 64, sb: 16, mr: 2, chunks: 8, tk: 16, wres: true, sw: true, pd: 2 };
  return s.dtile === 16 && s.cols === 16 && s.sb === 16 && s.mr === 1 && isAmong(twin, candidates(op, limits)) ? twin : s;
}

/**
 * With 16 δ × 32 β per workgroup in 16-β subgroups (two per δ: 32 subgroups, 1024 invocations), `s` with 16 β (one
 * subgroup per δ, 512 invocations, as every other 16-δ default), where that is valid. The 32-β form is taken where W
 * resident in registers holds only 16 β per subgroup (c = 256: Monarch n = 4096 with 16 blocks, K(1, 256, 256, 16); also
 * 8192 with 32, 16384 with 64, 4096 <-> 16384 with 16, untimed; at c ≥ 512 W is not resident and subgroups take 32 β),
 * and it was the slowest 16-δ form timed there: H100, session 25 call 5 (bench/results/s25/call-5/cli), B = 16384, with
 * f16 sums 16 β 0.7841 ms vs 32 β 0.8483 at 16 row chunks, 0.7506 vs 0.8203 at 32 (the tuned form); 16 β in 32-row warp
 * tiles 0.8523; session 26 call 1 (bench/results/s26/call-1/cli-wide): f32 sums at 16 β and 32 row chunks 0.8007 ms against
 * the 32-β default's 0.9698 (16 row chunks). The default keeps 16 row chunks (256 rows per workgroup: at B = 4096, 32 would
 * leave 128 workgroups for 132 SMs); the tuner's f16-sum seeds built from it take 16 and 32 (stridedF16SumTwins).
 */
function oneSubgroupPerDeltaTwin(op: KsOp, s: KsSgmatStridedSchedule, limits: TargetLimits): KsSgmatStridedSchedule {
  const twin: KsSgmatStridedSchedule = { ...s, cols: 16 };
  return s.dtile >= 16 && s.cols === 32 && s.sb === 16 && valid(op, tiling(op, twin), limits) ? twin : s;
}

/**
 * With 16 δ or more per workgroup, `s` with two β per write-out item (ob 2) where that twin is a candidate (the long-row
 * forms: PAIRED_ITEMS_MIN_DTILE). That is the default of every strided factor whose default takes 16 δ (d a multiple
 * of 16 and β in 32s, measuredShape: Monarch with 16, 32, 48, ... blocks, n = 1024 to 16384 among them, and 1024 -> 4096
 * or 4096 -> 1024 with 16 blocks), so every untuned tensor-core build of one. Timed against its twin only at n = 4096 (H100, session 25 call 1: 0.2062 ms vs
 * 0.2156). Run with it in call 2's sweep (bench/results/s25/call-2, no twin without it beside): 16 δ × 32 β in 32-row
 * tiles at n = 16384 (B = 4096, 0.3877 ms; call 1's default without ob 0.3960, another call) and 1024 -> 1024 with 32
 * blocks (0.0860). Never run: the two 16-β subgroups per δ (sb 16, 16-row tiles) it takes at n = 4096 with 16 blocks (b =
 * 256). Taken there by the bank reading (outputBetas: each warp's items one β group), not by a measurement.
 */
function pairedItemsTwin(op: KsOp, s: KsSgmatStridedSchedule, limits: TargetLimits): KsSgmatStridedSchedule {
  const twin: KsSgmatStridedSchedule = { ...s, ob: 2 };
  return s.dtile >= PAIRED_ITEMS_MIN_DTILE && isAmong(twin, candidates(op, limits)) ? twin : s;
}

/**
 * With 16 δ or more per workgroup in 32-β subgroups, `s` with every β of op in one workgroup (two
 * subgroups per δ when b = 64: 1024 invocations) and one row tile per subgroup (`mr` 1: the 32 f32
 * slots fit beside the staged source), where that is valid: the source, which 32-β workgroups
 * stage once per 32 β, is then read and staged once (32 KiB per 256 MMAs, the first factor's,
 * against 64 KiB). H100, session 19 call 2 (bench/results/s19/call-2, plan-s19c), B = 16384, n =
 * 4096's K(1, 64, 64, 64): 0.2157 ms against the 32-β default's 0.2361 (f32 sums), the 32-β
 * form with one row tile per subgroup 0.3062, 8 row chunks 0.2459; 32 row chunks (512 rows per
 * workgroup, call 3, bench/results/s19/call-3) 0.2064 vs 0.2154 ms (-4.2%; the 32-β default 0.2353) against 16, but the default
 * cannot know the batch: at B = 4096, 512 rows per workgroup leave 32 workgroups for 132 SMs and the factor took 0.1805 against
 * 0.1027 at 16 (session 20 calls 1 and 3 against session 19 call 3), so the default keeps 16 and the tuner, which times at the
 * user's batch, is seeded with both (stridedF16SumTwins). A heuristic where b ≤ 64
 * elsewhere: timed on n = 4096 only; n = 16384 (b = 128) keeps 32 β. Only where op has 4 or more δ groups (d ≥ 4 · dtile, as
 * n = 4096's 64 δ): the twin halves the workgroups of a row tile, and with 512 rows each d = 16 would leave 32 workgroups of
 * 1024 invocations at B = 16384 for 132 SMs (review s19 4).
 */
function readOnceTwin(op: KsOp, s: KsSgmatStridedSchedule, limits: TargetLimits): KsSgmatStridedSchedule {
  const twin: KsSgmatStridedSchedule = { ...s, cols: op.b, mr: 1, chunks: 16 };
  return s.dtile >= 16 && op.d >= 4 * s.dtile && s.sb === 32 && s.cols < op.b && valid(op, tiling(op, twin), limits) ? twin : s;
}

/** The default before readOnceTwin: the shape of the measured bests (defaultSchedule). */
function measuredShape(op: KsOp, limits: TargetLimits): KsSgmatStridedSchedule {
  const what = `K(${op.a},${op.b},${op.c},${op.d})`;
  if (op.d === 1) {
    const contiguousScore = (s: KsSgmatStridedSchedule): number => {
      const t = tiling(op, s);
      return (
        (t.wres ? 1e6 : t.wstage ? 5e5 : 0) +
        (t.sb === 32 ? 2e5 : t.sb * 1000) +
        (t.tb === 64 ? 1e5 : t.tb * 100) +
        (t.subgroups === 8 ? 5e4 : t.subgroups * 1000) +
        (t.mr === 2 ? 2000 : 0) +
        (t.chunks === 4 ? 500 : t.chunks * 50) +
        (t.tk === 64 ? 200 : t.tk) -
        t.sharedBytes / 1024
      );
    };
    // The plain form stays the seed here (its sw twin, one knob away, is the tuner's first climb).
    return highestScoring('ks-sgmat-strided', what, candidates(op, limits).filter((s) => s.sw === undefined), contiguousScore);
  }
  // 16 δ or more and β in 32s (Monarch n = 4096 and n = 16384): 16 δ (32-byte runs) × 32 β, 8 row
  // chunks (session 11, H100: 0.2421 ms vs 0.2676 for the 8-δ form below, both sw; session 14, H200,
  // bench/results/s14/call-1: n = 16384's K(1, 128, 128, 128) 0.4139 vs 0.4732 for the 8-δ form).
  const runs32 = op.d >= 16 && op.b % 32 === 0;
  const td = runs32 ? 16 : Math.min(8, op.d);
  const chunks = runs32 ? 8 : td >= 8 ? 4 : 8;
  const score = (s: KsSgmatStridedSchedule): number => {
    const t = tiling(op, s);
    return (
      (t.td === td ? 1e7 : t.td * 1e5) +
      (t.wres ? 1e6 : 0) +
      (t.extended ? 0 : 5e5) + // session 6's form (measured) before staged W (not yet)
      (runs32 ? (t.tb === 32 ? 1e5 : 0) : t.tb * 100) +
      (t.subgroups === 16 ? 5e4 : t.subgroups * 1000) +
      (t.mr === 2 ? 2000 : 0) +
      (t.chunks === chunks ? 500 : t.chunks * 50) +
      (t.tk / 256) * 40 -
      t.sharedBytes / 65536
    );
  };
  // f16 results (acc16) lost on the H100, ds with f32 results did not win (session 11): never a default.
  const best = highestScoring('ks-sgmat-strided', what, candidates(op, limits).filter((s) => s.acc16 === undefined && s.ds === undefined && s.sw === undefined), score);
  // 16 row chunks: the d = 4 defaults (longerRowsTwin), and 16 δ (H100, session 18, B = 16384:
  // n = 4096's K(1, 64, 64, 64) 0.2355 ms vs 0.2426 with 8 chunks, call 3, bench/results/s18/call-3;
  // n = 16384's K(1, 128, 128, 128), B = 4096, 0.3958 vs 0.4125, call 4, bench/results/s18/call-4).
  const longRows = td === 4 || runs32 ? longerRowsTwin(op, best, limits) : undefined;
  if (longRows === undefined) return withSwizzledLanes(op, best, limits);
  return td === 4 ? shorterChunksTwin(op, longRows, limits) : longRows;
}

/**
 * The tuner's seeds with f16 running sums for a strided factor (d > 1): op's default with `acc16` (f16
 * result matrices) and 64 β per workgroup as two 32-β subgroups per δ where that is a candidate (n =
 * 16384), else the default with acc16 alone (n = 4096, whose default already takes every β), and where
 * that twin has one row tile per subgroup, its twin with twice the row chunks, which pays at large
 * batches only (the tuner times both at the user's batch), each with its fewest-rounds twin where the default has 16 δ or
 * more (et 2 at n = 4096; session 25); for d = 4 the 64-row overlapped form below
 * (overlappedD4Twins, two); none where no twin is a candidate or the target offers no f16 results (d = 1).
 * Not a default: untuned f16 builds sum in f32 (docs/numerics.md).
 * H100, session 20 call 2 (bench/results/s20/call-2, its plan.json), B = 16384: n = 4096's K(1, 64, 64, 64)
 * at 32 row chunks 0.1958 ms against the f32-sum default's 0.2057 (session 17's seed, one 64-β subgroup per δ at 8
 * row chunks, took 0.2102 in session 17 call 4); n = 16384's K(1, 128, 128, 128) (B = 4096) 0.3504
 * against 0.3961 (the default with acc16 alone 0.3777). Errors 3.3e-4 and 4.4e-4; the float64 check
 * gates it on other GPUs (ks-sgmat's f16SumTwin is the first factor's).
 * The d = 4 defaults' f16-sum forms without pd (H200, session 21 call 2, bench/results/s21/call-2), against the default's
 * 0.3507 / 0.1022 ms (1024 -> 4096's K(1, 1024, 256, 4) / 4096 -> 1024's K(1, 256, 256, 4)): acc16 0.4001 / 0.1161, with
 * et 2 0.3998 / 0.1161, 64-row tiles (mr 4) with et 2 0.3468 (-1.1%, one call) / 0.1836 (+80%). The same 64-row form with
 * its last epilogue round written out during the next row chunk (`ow`), at 8 and 32 row chunks, is the d = 4 seeds (overlappedD4Twins).
 */
export function stridedF16SumTwins(op: KsOp, limits: TargetLimits, batch?: number): readonly KsSgmatStridedSchedule[] {
  if (op.d === 1 || !hasF16Results(limits) || !stridedSgmatApplies(op, limits)) return [];
  const d = sixteenDeltaDefault(op, limits);
  const all = candidates(op, limits);
  if (op.d === 4) {
    const seeds = overlappedD4Twins(d).filter((s) => isAmong(s, all));
    // Where the batch is known, the one whose grid fits it (REV s23 3: at 4096 -> 1024 the 32-chunk seed took a slot and
    // lost by 2.8x); else both.
    const fitting = batch === undefined ? undefined : forTheGrid(seeds, (s) => stridedGrid(op, s), batch);
    return fitting === undefined ? seeds : [fitting];
  }
  const wide: KsSgmatStridedSchedule = { ...d, cols: 64, sb: 32, acc16: true };
  const twin = [...(d.cols < 64 ? [wide] : []), { ...d, acc16: true }].find((s) => isAmong(s, all));
  if (twin === undefined) return [];
  // Twice the rows per workgroup for large batches (the read-once default's 32-row-chunk twin, session 20 call 2: 0.1958).
  const longRows: KsSgmatStridedSchedule = { ...twin, chunks: 2 * twin.chunks };
  const twins = twin.mr === 1 && isAmong(longRows, all) ? [twin, longRows] : [twin];
  // With 16 δ or more, each with its fewest-rounds twin too (all of a subgroup's tiles in one epilogue round where the
  // slots fit: et 2 at n = 4096): H100, session 25 call 1 (bench/results/s25/call-1), n = 4096, with ob 2, 0.1741 ms at 32
  // row chunks and 0.1845 at 16, where call 2's sweep, which timed the seeds without et, took 0.1828-0.1840 and 0.1904.
  // Where the default takes one 16-β subgroup per δ (c = 256, oneSubgroupPerDeltaTwin), also two of them with γ chunks of
  // 32 at 32 row chunks: H100, session 26 call 2 (bench/results/s26/call-2/cli-wide), n = 4096 with 16 blocks, 0.6101 ms,
  // the tuned winner there (a neighbour of the seeds: 0.7519 at 16 β), against 0.7545 for 16 β and tk 16.
  // And (first) two of them in 32-row warp tiles at the default's 16 row chunks and γ chunks of 16: session 27 call 1
  // (bench/results/s27/call-1/perf, plan-s27a), same shape, 0.5486 ms against 0.6122 for the form above in the same call.
  const twoPerDelta: KsSgmatStridedSchedule = { ...twin, cols: 2 * twin.cols, chunks: 32, tk: 32 };
  const twoPerDeltaTall: KsSgmatStridedSchedule = { ...twin, cols: 2 * twin.cols, mr: 2 };
  const wider = d.cols === 16 && d.sb === 16 ? [twoPerDeltaTall, twoPerDelta].filter((s) => isAmong(s, all)) : [];
  return d.dtile >= 16 ? [...twins, ...wider].flatMap((s) => [s, ...fewestRounds(op, s, limits).filter((t) => isAmong(t, all))]) : twins;
}

/**
 * The d = 4 seeds with f16 sums (d = 4: Monarch with 4 blocks, whose default takes all 4 δ): the default `d` (γ chunks of 32,
 * swizzled lanes) with 64-row warp tiles (`mr` 4, beside resident W only with f16 result matrices), loads one chunk ahead
 * (no pd), its 4 tiles in 2 epilogue rounds of 2 (et 2), the second written out during the next row chunk (ow), at 8 and at
 * 32 row chunks (512 and 2048 rows per workgroup). Which wins follows the grid: the tuner, which knows the user's
 * batch, is seeded with the one whose grid fits it (forTheGrid), else with both. H100, B = 16384, 1024 -> 4096's K(1, 1024, 256, 4) (256 β tiles): session 22 call 1
 * (bench/results/s22/call-1, plan bench/plan-s22b.json) 0.2830 ms at 16 row chunks against 0.3333 without ow and the f32-sum
 * default's 0.3397 (-17%); call 2 (bench/results/s22/call-2, plan bench/plan-s22b2.json) 0.2831 at 32, 0.2855 at 16, 0.3000
 * at 8. 4096 -> 1024's K(1, 256, 256, 4) (64 β tiles, a quarter of the workgroups): 0.0935 at 8 against the default's
 * 0.1020, 0.1516 at 16 (call 2). Errors 6.0e-4 and 6.1e-4 (the float64 check gates them).
 */
function overlappedD4Twins(d: KsSgmatStridedSchedule): KsSgmatStridedSchedule[] {
  const { pd: _, ...onceAhead } = d;
  return [8, 32].map((chunks) => ({ ...onceAhead, mr: 4, chunks, acc16: true, et: 2, ow: true }));
}

/** A ks-sgmat-strided seed's grid (defaults.ts forTheGrid): its row tiles' workgroups, one per α, β tile and δ tile. */
function stridedGrid(op: KsOp, s: KsSgmatStridedSchedule): SeedGrid {
  const t = tiling(op, s);
  return { rows: t.rows, perRowTile: op.a * (op.b / t.tb) * (op.d / t.td) };
}

/**
 * The 16-row-chunk d = 4 form in γ chunks of 32 loaded two chunks ahead (pd 2): each chunk's
 * loads then have two multiply phases to arrive, where chunks of 64 have one (pd 2 at tk 64 lost:
 * H100, session 16 call 1, 0.4714 vs 0.3515 and 0.1356 vs 0.1053). H100, session 16 calls 1-2
 * (bench/results/s16/call-1, call-2; plan-s15b, plan-s16b), B = 16384: 1024 -> 4096's
 * K(1, 1024, 256, 4) 0.3413 then 0.3385 ms vs 0.3515 then 0.3489 for tk 64, 4096 -> 1024's
 * K(1, 256, 256, 4) 0.1021 vs 0.1043 (call 2).
 */
function shorterChunksTwin(op: KsOp, s: KsSgmatStridedSchedule, limits: TargetLimits): KsSgmatStridedSchedule {
  const twin: KsSgmatStridedSchedule = { ...s, tk: 32, pd: 2 };
  return valid(op, tiling(op, twin), limits) ? twin : s;
}

/**
 * With 4 δ per workgroup (d = 4: Monarch 1024 -> 4096 and 4096 -> 1024 with 4 blocks), `s` with
 * 16 row chunks (512 rows per workgroup, each fetch of W serving twice the rows), which the space
 * offers with swizzled lanes only (`longerRows`; sw alone changed nothing there: 0.3996 vs 0.3932,
 * session 11): H100, session 12 call 2 (bench/results/s12/call-2), B = 16384, K(1, 1024, 256, 4)
 * 0.3501 ms vs 0.3926 with 8 chunks, K(1, 256, 256, 4) 0.1042 vs 0.1162. At small batches it
 * leaves fewer workgroups than 8 chunks (the tuner's to weigh).
 */
function longerRowsTwin(op: KsOp, s: KsSgmatStridedSchedule, limits: TargetLimits): KsSgmatStridedSchedule | undefined {
  const twin: KsSgmatStridedSchedule = { ...s, chunks: 16, sw: true };
  return s.chunks === 8 && valid(op, tiling(op, twin), limits) ? twin : undefined;
}

/**
 * `s` (d > 1) with swizzled lanes (`sw`) where its lanes rotate by a runtime value: two or more
 * vec4 runs along δ per (row, γ) (8 δ or more). Measured on an H100 (session 11,
 * bench/results/s11/call-1): n = 4096's strided factor 0.2686 ms with sw vs 0.3034 without
 * (session 10's best form 0.2662 vs 0.2968), n = 16384's 0.4776 vs 0.5346, the d = 1 form 0.2168
 * vs 0.2398; with one run (4 δ: the rotation is the constant 0) 0.3996 vs 0.3932 and 0.1176 vs
 * 0.1165, so those keep the plain form.
 */
function withSwizzledLanes(op: KsOp, s: KsSgmatStridedSchedule, limits: TargetLimits): KsSgmatStridedSchedule {
  const t = tiling(op, s);
  const rotates = t.sv === 4 && t.td / t.sv >= 2;
  const sw: KsSgmatStridedSchedule = { ...s, sw: true };
  return rotates && valid(op, tiling(op, sw), limits) ? sw : s;
}

const LEFT = `subgroup_matrix_left<f16, ${TILE}, ${TILE}>`;
const RIGHT = `subgroup_matrix_right<f16, ${TILE}, ${TILE}>`;

function emit(op: KsOp, schedule: KsSgmatStridedSchedule, ctx: KernelContext): EmittedKernel {
  invariant(ctx.storage === 'f16', 'ks-sgmat-strided needs f16 storage');
  invariant(op.input.steps.length === 0 && op.b % TILE === 0 && op.c % TILE === 0, 'ks-sgmat-strided: op shape not supported');
  const t = tiling(op, schedule);
  const { td: TD, tb: TB, sb: SB, mr: MR, rg: RG, chunks: CH, tk: TK, tkp: TKP, plane: PS, slot: SLOT, rt: RT, rc: RC, groups: G, slots: SL, threads: T, sv, contiguous, et: ET, ds: DS, ob: OB, acc16 } = t;
  // δ slots of subgroups (TD when each subgroup takes one δ); subgroup sg's e-th δ is sd + e·TDS.
  const TDS = TD / DS;
  const result = resultMatrix(acc16 ? 'f16' : 'f32');
  const { ep, n, inSize, outSize, wOff, biasOff } = opOperands(op, ctx);
  // Every W tile the matrix loads read in place then starts on a 16-byte boundary (c and the tile
  // offsets are multiples of 16 halves), as the tiles in workgroup memory do: Vulkan's
  // cooperative-matrix loads require aligned pointers. Parameter tensors start on 16 bytes
  // (src/manifest/program.ts PARAM_ALIGN); a weight slice inside a tensor might not, and fails here (the
  // tuner then rejects the schedule).
  invariant(wOff % 8 === 0, `ks-sgmat-strided: the weight tensor starts at element ${wOff}, not a multiple of 8 (16 bytes)`);
  const { a, b, c, d } = op;
  invariant(!(t.wres && t.wstage), 'ks-sgmat-strided: W is either resident or staged');
  const identityOut = op.output.steps.length === 0;
  // The matrix loads read W in place: params stays a plain f16 array, unless W is staged (vec4
  // loads along γ: c and wOff are multiples of 4). src and dst are vec4 along their contiguous
  // dimension when they can be (δ, or γ and β when d = 1).
  const views = {
    params: t.wstage,
    src: sv === 4 && inSize % 4 === 0,
    dst: identityOut && outSize % 4 === 0 && (contiguous || (d % 4 === 0 && TD % 4 === 0)),
  };
  const vs = views.src ? 4 : 1;
  const nk = c / TK;
  // A bench-only probe leaves one stage out of every dispatch (sgmat-probe.ts).
  const probe = probeOf(schedule);
  const xs = `${ep}_xs`;
  const os = `${ep}_os`;

  // Source chunk (rows rb.., γ k0..k0+TK) -> xs[dd][r][k] of buffer `buf` (db: two, TD·PS halves
  // apart); item e: the vector axis fastest (δ runs, or γ when d = 1), then γ, then row.
  const bufferAt = (buf: number) => (buf > 0 ? u(buf * TD * PS) : undefined);
  const xsAt = (dd: U32Expr, r: U32Expr, k: U32Expr, buf: number) => `${xs}[${sum(bufferAt(buf), mul(dd, PS), mul(r, TKP), k)}]`;
  const srcAt = (k0: U32Expr, dd: U32Expr) => sum(mul('min(rb + r, batch - 1u)', inSize), mul('alpha', c * d), mul(sum(k0, 'k'), d), 'delta0', dd);
  const item = () => [`let dv = ${mod('e', TD / vs)};`, `let k = ${mod(div('e', TD / vs), TK)};`, `let r = ${div('e', (TD / vs) * TK)};`];
  const sourceOf = (buf: number): StagedCopy =>
    views.src && contiguous
      ? {
          count: (RC * TK) / 4,
          register: 'vec4<f16>',
          item: () => [`let kv = ${mod('e', TK / 4)};`, `let k = kv * 4u;`, `let r = ${div('e', TK / 4)};`],
          load: (v, k0) => [`${v} = ${n.src}[${div(srcAt(k0, u(0)), 4)}];`],
          // Rotated lanes, as along δ: invocation kv writes γ 4·kv + (q + kv) mod 4 at step q.
          store: (v) => rotatedStores(t.sw, 'kv', v, (qq) => xsAt(u(0), 'r', `k + ${qq}`, buf)),
        }
      : views.src
        ? {
            count: (RC * TK * TD) / 4,
            register: 'vec4<f16>',
            item,
            load: (v, k0) => [`${v} = ${n.src}[${div(srcAt(k0, 'dv * 4u'), 4)}];`],
            // Rotated lanes: invocation dv writes δ 4·dv + (q + dv) mod 4 at step q (bank spread).
            store: (v) => rotatedStores(t.sw, 'dv', v, (qq) => xsAt(`dv * 4u + ${qq}`, 'r', 'k', buf)),
          }
        : {
            count: RC * TK * TD,
            register: 'f16',
            item,
            load: (v, k0) => [`${v} = ${n.src}[${srcAt(k0, 'dv')}];`],
            store: (v) => [`${xsAt('dv', 'r', 'k', buf)} = ${v};`],
          };
  // A probe (sgmat-probe.ts) may leave the loads or the stores out.
  const sourceCopy = (buf: number): StagedCopy => probedCopy(sourceOf(buf), probe);
  // W's γ chunk for the workgroup's TD δ × TB β -> ws[dd][bb][k] (W's own layout), rows padded
  // as xs's; item e: γ fastest (vec4 runs along W's rows), then β, then δ.
  const ws = `${ep}_ws`;
  const WPS = TB * TKP;
  const wRow = sum(u(wOff), mul(sum(mul(sum(mul('alpha', d), 'delta0', 'dd'), b), 'beta0', 'bb'), c));
  const wsAt = (k: U32Expr) => `${ws}[${sum(mul('dd', WPS), mul('bb', TKP), k)}]`;
  const wCopy: StagedCopy = probedCopy({
    count: (TD * TB * TK) / 4,
    register: 'vec4<f16>',
    item: () => [`let kv = ${mod('e', TK / 4)};`, `let k = kv * 4u;`, `let bb = ${mod(div('e', TK / 4), TB)};`, `let dd = ${mod(div('e', (TK / 4) * TB), TD)};`],
    load: (v, k0) => [`${v} = ${n.params}[${div(sum(wRow, k0, 'k'), 4)}];`],
    store: (v) => rotatedStores(t.sw, 'kv', v, (qq) => wsAt(`k + ${qq}`)),
  }, probe);
  const copies = t.wstage ? [sourceCopy(0), wCopy] : [sourceCopy(0)];
  // One register set per γ chunk in flight (pd); chunk kc of a row chunk uses set kc mod pd.
  const stages = [staging('pf', T, copies), ...(t.pd === 2 ? [staging('pg', T, copies)] : [])];
  const stage = stages[0];
  // db: the same registers stashed into the second buffer (odd γ chunks).
  const intoSecond = staging('pf', T, [sourceCopy(1)]);
  const fetch = (rb: U32Expr, k0: U32Expr, set = 0) => ['{', `  let rb = ${rb};`, ...stages[set].fetch(k0).map((l) => `  ${l}`), '}'];

  // The subgroup's place: δ slot sd (and sd + e·TDS, e < ds), β group sg / TDS (mod G with row
  // groups), row group sr; the W rows of its first δ start at wbase, of its e-th e·TDS·b·c later.
  // Matrix names carry e only when ds > 1 (the kernels before the knob keep their text).
  const tag = (e: number) => (DS === 1 ? '' : `${e}_`);
  const deltaSlot = (e: number): U32Expr => sum('sd', u(e * TDS));
  const wLoad = (k: U32Expr, j: number, e: number) => `subgroupMatrixLoad<${RIGHT}, col_major>(&${n.params}, ${sum('wbase', k, u(j * TILE * c + e * TDS * b * c))}, ${u(c)})`;
  const w = (e: number, kg: number, j: number) => `w_${tag(e)}${kg}_${j}`;
  const acc = (e: number, i: number, j: number) => `acc_${tag(e)}${i}_${j}`;
  const NB = SB / TILE;
  const deltas = Array.from({ length: DS }, (_, e) => e);
  // Declared once (with the initializer: the matrix types' zero value), zeroed at each row chunk.
  const accs = deltas.flatMap((e) => Array.from({ length: MR }, (_, i) => Array.from({ length: NB }, (_, j) => acc(e, i, j))).flat());
  // The epilogue slots' element type: the result matrices' component type.
  const osType = acc16 ? 'f16' : 'f32';
  const resident = t.wres ? deltas.flatMap((e) => Array.from({ length: c / TILE }, (_, kg) => Array.from({ length: NB }, (_, j) => `let ${w(e, kg, j)} = ${wLoad(u(kg * TILE), j, e)};`)).flat()) : [];
  const betaGroup = RG > 1 ? mod(div('sg', TDS), G) : div('sg', TDS);
  const rowGroup = [...(RG > 1 ? [`let sr = ${div('sg', TDS * G)};`] : []), ...(t.wstage ? [`let sb0 = ${mul(betaGroup, SB)};`] : [])];
  const leftRow = (i: number) => sum(RG > 1 ? mul('sr', RT * TKP) : undefined, u(i * TILE * TKP));

  // The multiply-adds of the γ chunk at k0 (a constant, or the loop's `k0`; kc: its index when constant).
  const multiply = (k0: U32Expr, kc: number | undefined): string[] => {
    const mma: string[] = [];
    for (let ks = 0; ks < TK / TILE; ks++) {
      const kg = kc === undefined ? -1 : (kc * TK) / TILE + ks;
      for (const e of deltas) {
        const left = (i: number) => `l${tag(e)}${i}_${ks}`;
        for (let i = 0; i < MR; i++) mma.push(`let ${left(i)} = subgroupMatrixLoad<${LEFT}, row_major>(&${xs}, ${sum(mul(deltaSlot(e), PS), leftRow(i), u(ks * TILE + (t.db ? ((kc ?? 0) % 2) * TD * PS : 0)))}, ${u(TKP)});`);
        for (let j = 0; j < NB; j++) {
          const right = t.wres ? w(e, kg, j) : `r${tag(e)}${j}_${ks}`;
          // Staged W: the block (γ, β) of δ slot sd sits at ws[sd][β][γ], column-major with stride TKP.
          if (t.wstage) mma.push(`let ${right} = subgroupMatrixLoad<${RIGHT}, col_major>(&${ws}, ${sum(mul(deltaSlot(e), WPS), mul('sb0', TKP), u(j * TILE * TKP + ks * TILE))}, ${u(TKP)});`);
          else if (!t.wres) mma.push(`let ${right} = ${wLoad(sum(k0, u(ks * TILE)), j, e)};`);
          for (let i = 0; i < MR; i++) mma.push(`${acc(e, i, j)} = subgroupMatrixMultiplyAccumulate(${left(i)}, ${right}, ${acc(e, i, j)});`);
        }
      }
    }
    return unlessProbed(probe, 'mma', mma);
  };
  const nextRowChunkAt = (k0: number, set: number) => [`if (ch + 1u < ${u(CH)} && r0 + ${u(RC)} < batch) {`, ...fetch(sum('r0', u(RC)), u(k0), set).map((l) => `  ${l}`), '}'];
  const nextRowChunk = nextRowChunkAt(0, 0);
  // One γ chunk of the row chunk: stash, barrier, prefetch the chunk pd ahead (into the set just
  // stashed), multiply.
  const gammaChunk = (kc: number): string[] => {
    const set = kc % t.pd;
    const ahead = kc + t.pd;
    const next = ahead < nk ? fetch('r0', u(ahead * TK), set) : nextRowChunkAt((ahead - nk) * TK, set);
    const mma = multiply(u(kc * TK), kc);
    return [...stages[set].stash(u(kc * TK)), 'workgroupBarrier();', ...next, ...deferredWrites(kc), '{', ...mma.map((l) => `  ${l}`), '}', ...(kc + 1 < nk ? ['workgroupBarrier();'] : [])];
  };
  // db: multiply chunk kc (its buffer kc mod 2, stashed before the last barrier), stash the next
  // chunk (in the registers; after the last chunk the next row chunk's first) into the other
  // buffer, load the chunk after it, one barrier. After the last chunk the epilogue's barriers
  // stand in for it (it writes only the result slots).
  const bufferedChunk = (kc: number): string[] => {
    const next = kc + 2 < nk ? fetch('r0', u((kc + 2) * TK)) : nextRowChunkAt((kc + 2 - nk) * TK, 0);
    const mma = multiply(u(kc * TK), kc);
    return ['{', ...mma.map((l) => `  ${l}`), '}', ...(kc % 2 === 0 ? intoSecond : stage).stash(u(((kc + 1) % nk) * TK)), ...next, ...(kc + 1 < nk ? ['workgroupBarrier();'] : [])];
  };
  // db's first row chunk: its chunk 0 in the first buffer, chunk 1 in the registers.
  const bufferedStart = [...fetch('row0', u(0)), ...stage.stash(u(0)), ...fetch('row0', u(TK)), 'workgroupBarrier();'];
  // Without resident W (whose registers need constant γ tiles) the schedules with rg and wstage
  // run the γ chunks as a loop: c / tk bodies unrolled made kernels of up to 650 kB of WGSL at
  // c = 1024 (session 6's schedules keep their unrolled code; written out, `ku`, they were no
  // faster: session 14).
  const looped = t.extended && !t.wres;
  const gammaLoop = [
    `for (var kc = 0u; kc < ${u(nk)}; kc++) {`,
    ...[
      `let k0 = ${mul('kc', TK)};`,
      ...stage.stash('k0'),
      'workgroupBarrier();',
      `if (kc + 1u < ${u(nk)}) {`,
      ...fetch('r0', sum('k0', u(TK))).map((l) => `  ${l}`),
      '} else {',
      ...nextRowChunk.map((l) => `  ${l}`),
      '}',
      '{',
      ...multiply('k0', undefined).map((l) => `  ${l}`),
      '}',
      'workgroupBarrier();',
    ].map((l) => `  ${l}`),
    '}',
  ];

  // Epilogue tile (i, j): every subgroup's tile (i, j) into its slot, then the workgroup writes
  // rg × 16 rows × G·16 β × TD δ along the contiguous dimension. The barrier after the last mma
  // is the first round's. Item e: the vector axis fastest (δ runs dv, or β runs bv when d = 1),
  // then (when d > 1) β in the tile bb, β group g, row r, row group sr; lanes read in rotated order.
  const logicalOut = rowMajor([{ name: 'alpha', size: a }, { name: 'beta', size: b }, { name: 'delta', size: d }]);
  const outIndex = renderIndex(applyIndexMap(op.output, logicalOut));
  const biasIndex = renderIndex(logicalOut); // the bias is read at the LOGICAL output index (ir.ts)
  const vw = views.dst ? 4 : 1;
  const runs = (contiguous ? TILE : TD) / vw;
  // bp: the β groups take the slots in turn (TURNS passes of SLP slots each, β group p in pass p).
  const TURNS = t.bp ? G : 1;
  const SLP = SL / TURNS;
  // Write-out items per row: with ob > 1 (d > 1) each takes OB consecutive β of its δ run.
  const perRow = runs * (contiguous ? 1 : TILE / OB) * (G / TURNS);
  const slotOf = sum(RG > 1 ? mul('sr', TD * G) : undefined, t.bp ? undefined : mul('g', TD));
  // `base`: the first slot of the round's tile q (q · S slots in; none in a round of one tile).
  const osAt = (lane: U32Expr, base: number) =>
    contiguous
      ? `${os}[${sum(base > 0 ? u(base * SLOT) : undefined, mul(slotOf, SLOT), mul('r', TILE), mul('bv', vw), lane)}]`
      : `${os}[${sum(base > 0 ? u(base * SLOT) : undefined, mul(sum(slotOf, mul('dv', vw), lane), SLOT), mul('r', TILE), 'bb')}]`;
  // ob > 1: the item's first β in the tile is bq · OB (its β bb are set per store, betasOfItem). bp: pass p writes β group p.
  const place = (p: number) =>
    contiguous
      ? [`let bv = ${mod('e', runs)};`, `let g = ${mod(div('e', runs), G)};`, `let bb = ${mul('bv', vw)};`]
      : [`let dv = ${mod('e', runs)};`, `let ${OB > 1 ? 'bq' : 'bb'} = ${mod(div('e', runs), TILE / OB)};`, `let g = ${t.bp ? u(p) : mod(div('e', perRow / G), G)};`];
  const rotation = contiguous ? 'e / 8u' : 'dv';
  const bias = (q: number) => (biasOff === undefined ? [] : [scalarAt(n.params, views.params, sum(u(biasOff), biasIndex, u(q)))]);
  // f16 slots go to the destination as they are unless a bias or the old destination is added
  // (in f32, as from f32 slots).
  const plain = acc16 && biasOff === undefined && !op.accumulate;
  const slotValue = (at: string) => (acc16 && !plain ? `f32(${at})` : at);
  const write = (base: number) =>
    views.dst
      ? [
          ...(t.sw
            ? // Swizzled lanes: lane (q + rot) mod 4 read at step q into lane q, then rotated into place.
              [
                `let u = vec4<${plain ? 'f16' : 'f32'}>(${[0, 1, 2, 3].map((q) => slotValue(osAt(`((${q}u + ${rotation}) & 3u)`, base))).join(', ')});`,
                ...rotateBy('u', rotation, false, 'v', 'var'),
              ]
            : [`var v = vec4<${plain ? 'f16' : 'f32'}>();`, ...rotatedLanes(rotation, `v[qq] = ${slotValue(osAt('qq', base))};`)]),
          ...(biasOff === undefined ? [] : [`v += vec4<f32>(${[0, 1, 2, 3].map((q) => `f32(${bias(q)[0]})`).join(', ')});`]),
          `let at = ${div(sum(mul('row', outSize), outIndex), 4)};`,
          ...(op.accumulate ? [`v += vec4<f32>(${n.dst}[at]);`] : []),
          `${n.dst}[at] = ${plain ? 'v' : 'vec4<f16>(v)'};`,
        ]
      : [
          `var v = ${slotValue(osAt(u(0), base))};`,
          ...(biasOff === undefined ? [] : [`v += f32(${bias(0)[0]});`]),
          `let at = ${sum(mul('row', outSize), outIndex)};`,
          ...(op.accumulate ? [`v += f32(${n.dst}[at]);`] : []),
          `${n.dst}[at] = ${plain ? 'v' : 'f16(v)'};`,
        ];
  const tiles: [number, number][] = [];
  for (let i = 0; i < MR; i++) for (let j = 0; j < NB; j++) tiles.push([i, j]);
  // Rounds of ET tiles: each subgroup stores its tiles of the round in slots q·SL + its slot (sg;
  // with ds > 1 vslot + e·TDS, the slot a one-δ subgroup of that δ would have), one barrier, the
  // workgroup writes them out tile by tile, one barrier (none after the last round). With bp each
  // round is TURNS passes: the subgroups of β group p alone store (into slots q·SLP + sd), then the
  // workgroup writes β group p's tiles.
  const rounds = Array.from({ length: tiles.length / ET }, (_, ri) => tiles.slice(ri * ET, (ri + 1) * ET));
  const slotOfSubgroup = (e: number): U32Expr => (t.bp ? 'sd' : DS === 1 ? 'sg' : sum('vslot', u(e * TDS)));
  const stores = (round: readonly [number, number][]) =>
    round.flatMap(([i, j], q) => deltas.map((e) => `subgroupMatrixStore<row_major>(&${os}, ${sum(q > 0 ? u(q * SLP * SLOT) : undefined, mul(slotOfSubgroup(e), SLOT))}, ${acc(e, i, j)}, ${u(TILE)});`));
  // bp: only β group p's subgroups store in pass p (a condition uniform in each subgroup).
  const storeRound = (round: readonly [number, number][], p = 0) => (t.bp ? [`if (${betaGroup} == ${u(p)}) {`, ...stores(round).map((l) => `  ${l}`), '}'] : stores(round));
  const delta = `let delta = ${contiguous ? 'delta0' : sum('delta0', mul('dv', vw))};`;
  const store = (j: number, q: number) => [`let beta = ${sum('beta0', mul('g', SB), u(j * TILE), 'bb')};`, ...write(q * SLP)];
  // ob > 1: the item's OB stores, β bq · OB + k each, after its row, bounds test and δ; ob 1: β, then δ
  // (the text of every kernel before the knob).
  const betasOfItem = (j: number, q: number) =>
    OB > 1
      ? [delta, ...Array.from({ length: OB }, (_, k) => ['{', `  let bb = ${sum(mul('bq', OB), k > 0 ? u(k) : undefined)};`, ...store(j, q).map((l) => `  ${l}`), '}']).flat()]
      : [store(j, q)[0], delta, ...store(j, q).slice(1)];
  // The workgroup's write-out of round tile q (the subgroups' tile (i, j)) for the row chunk at `rows`.
  const writeTile = ([i, j]: readonly [number, number], q: number, rows: U32Expr, p = 0) =>
    cooperative((SLP * TILE * TILE) / vw / OB, T, 'e', [
      ...place(p),
      // Without row groups e / perRow < 16 already.
      `let r = ${RG > 1 ? mod(div('e', perRow), TILE) : div('e', perRow)};`,
      ...(RG > 1 ? [`let sr = ${div('e', perRow * TILE)};`] : []),
      `let row = ${sum(rows, RG > 1 ? mul('sr', RT) : undefined, u(i * TILE), 'r')};`,
      `if (row < batch) {`,
      ...betasOfItem(j, q).map((l) => `  ${l}`),
      `}`,
    ]);
  const passes = rounds.flatMap((round) => Array.from({ length: TURNS }, (_, p) => ({ round, p })));
  const epilogue = passes.flatMap(({ round, p }, pi) => [
    ...storeRound(round, p),
    'workgroupBarrier();',
    ...round.flatMap((tile, q) => writeTile(tile, q, 'r0', p)),
    ...(pi + 1 < passes.length ? ['workgroupBarrier();'] : []),
  ]);
  // ow: every round but the last as above, then the last round's stores only (after the last γ
  // chunk's multiply-adds: the slots' readers, the previous row chunk's deferred tiles, finished
  // before the barrier that ends γ chunk nk − 2). A barrier follows where no round precedes it:
  // the next row chunk's stores into the staged source wait for every subgroup's multiply-adds.
  const lastRound = rounds[rounds.length - 1];
  const out = (lines: readonly string[]) => unlessProbed(probe, 'out', lines);
  const overlappedEpilogue = [
    ...rounds.slice(0, -1).flatMap((round) => [...out(storeRound(round)), 'workgroupBarrier();', ...out(round.flatMap((tile, q) => writeTile(tile, q, 'r0'))), 'workgroupBarrier();']),
    ...out(storeRound(lastRound)),
    ...(rounds.length === 1 ? ['workgroupBarrier();'] : []),
  ];
  // The γ phase (of the first nk − 1) that writes out the last round's tile q, spread evenly.
  const phaseOf = (q: number) => Math.floor((q * (nk - 1)) / lastRound.length);
  // ow, in γ phase kc of row chunk ch > 0: the previous row chunk's tiles of that phase.
  const deferredWrites = (kc: number): string[] => {
    const mine = lastRound.flatMap((tile, q) => (phaseOf(q) === kc ? writeTile(tile, q, 'rp') : []));
    return t.ow && mine.length > 0 ? [`if (ch > 0u) {`, `  let rp = r0 - ${u(RC)};`, ...out(mine).map((l) => `  ${l}`), '}'] : [];
  };
  // ow, after the loop: the last row chunk's tiles (its rows start at rp).
  const lastWrites = t.ow
    ? ['workgroupBarrier();', '{', `  let rp = ${sum('row0', mul(`min(${u(CH - 1)}, (batch - 1u - row0) / ${u(RC)})`, RC))};`, ...out(lastRound.flatMap((tile, q) => writeTile(tile, q, 'rp'))).map((l) => `  ${l}`), '}']
    : [];

  const body = [
    ...ksTileOrigin({ perRowTile: a * (b / TB) * (d / TD), rows: t.rows, cols: TB, dtile: TD, nbt: b / TB, ndt: d / TD, fastest: 'delta' }),
    `${SUBGROUP_MATRIX_UNIFORMITY_OFF} {`,
    ...[
      `let sg = ${div('lid', SUBGROUP)};`,
      `let sd = ${mod('sg', TDS)};`,
      ...(DS === 1 ? [] : [`let vslot = ${sum(mul(div('sg', TDS), TD), 'sd')};`]),
      ...rowGroup,
      ...(t.wstage ? [] : [`let wbase = ${sum(u(wOff), mul(sum(mul(sum(mul('alpha', d), 'delta0', 'sd'), b), 'beta0', mul(betaGroup, SB)), c))};`]),
      ...resident,
      ...accs.map((a) => `var ${a} = ${result}();`),
      ...stages.flatMap((st) => st.registers),
      ...(t.db ? bufferedStart : stages.flatMap((_, set) => fetch('row0', u(set * TK), set))),
      `for (var ch = 0u; ch < ${u(CH)}; ch++) {`,
      ...[
        `let r0 = ${sum('row0', mul('ch', RC))};`,
        'if (r0 >= batch) { break; }',
        ...accs.map((a) => `${a} = ${result}();`),
        ...(looped ? gammaLoop : Array.from({ length: nk }, (_, kc) => (t.db ? bufferedChunk(kc) : gammaChunk(kc))).flat()),
        ...(t.ow ? overlappedEpilogue : probe === 'out' ? [...unlessProbed(probe, 'out', epilogue), 'workgroupBarrier();'] : epilogue),
      ].map((l) => `  ${l}`),
      '}',
      ...lastWrites,
    ].map((l) => `  ${l}`),
    '}',
  ];
  return tiledKernel({
    entryPoint: ep,
    storage: 'f16',
    views,
    workgroupVars: [`var<workgroup> ${xs}: array<f16, ${TD * PS * (t.db ? 2 : 1)}>;`, ...(t.wstage ? [`var<workgroup> ${ws}: array<f16, ${TD * WPS}>;`] : []), `var<workgroup> ${os}: array<${osType}, ${SLP * SLOT * ET}>;`],
    threads: T,
    body,
    rowsPerWorkgroup: t.rows,
    workgroupsPerRowTile: a * (b / TB) * (d / TD),
    schedule,
    ops: [ctx.opIndex],
    extraEnables: ['chromium_experimental_subgroup_matrix'],
  });
}

export const ksSgmatStrided: KernelFamily<'ks', KsSgmatStridedSchedule> = {
  name: 'ks-sgmat-strided',
  opKind: 'ks',
  defaultSchedule,
  candidates,
  decode: (s: Schedule) => ({
    family: 'ks-sgmat-strided',
    dtile: knob(s, 'dtile'),
    cols: knob(s, 'cols'),
    sb: knob(s, 'sb'),
    mr: knob(s, 'mr'),
    ...(s.rg === undefined ? {} : { rg: knob(s, 'rg') }),
    chunks: knob(s, 'chunks'),
    tk: knob(s, 'tk'),
    wres: flag(s, 'wres'),
    ...(s.wstage === undefined ? {} : { wstage: flag(s, 'wstage') }),
    ...(s.et === undefined ? {} : { et: knob(s, 'et') }),
    ...(s.acc16 === undefined ? {} : { acc16: flag(s, 'acc16') }),
    ...(s.ds === undefined ? {} : { ds: knob(s, 'ds') }),
    ...(s.pd === undefined ? {} : { pd: knob(s, 'pd') }),
    ...(s.sw === undefined ? {} : { sw: flag(s, 'sw') }),
    ...(s.db === undefined ? {} : { db: flag(s, 'db') }),
    ...(s.ow === undefined ? {} : { ow: flag(s, 'ow') }),
    ...(s.ob === undefined ? {} : { ob: knob(s, 'ob') }),
    ...(s.bp === undefined ? {} : { bp: flag(s, 'bp') }),
    ...decodeProbe(s),
  }),
  emit,
};
