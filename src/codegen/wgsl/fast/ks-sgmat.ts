/**
 * `ks-sgmat`: K(a,b,c,d) on tensor cores through Dawn's `chromium-experimental-subgroup-matrix`
 * (f16 x f16 -> f32, 16x16x16 tiles), f16 storage only.
 *
 * Like ks-tiled, K(a,b,c,d) is a·d independent GEMMs Out[row, β] = Σ_γ W[α·d+δ, β, γ] ·
 * Src[row, α·c·d + γ·d + δ]. A workgroup owns `rows` batch rows × `cols` outputs β × `dtile`
 * consecutive δ of one α. Per chunk of `tk` γ it stages Src (as [δ][row][γ]) and W (as
 * [δ][β][γ], W's own layout) in workgroup memory, so every subgroup-matrix load there is a plain
 * strided 16x16 block whatever the op's stride d is. The workgroup is one subgroup (the builtins
 * need uniform offsets) holding (rows/16) × (cols/16) × dtile result tiles. The f32 results go
 * through workgroup memory once at the end, so the global store can be vectorised along the
 * contiguous dimension (β when d = 1, δ otherwise) and can follow the op's output map and bias.
 *
 * Session 10's knobs (candidates after all the others, never a default until timed on the GPU):
 *  - `epi`: the same f32 results, all of the subgroup's tiles staged in one round (TD × rows ×
 *    cols f32 in workgroup memory), one barrier, then the subgroup writes whole output rows (8
 *    bytes per invocation): 1 barrier instead of 2 per (i, j) tile position.
 *  - `acc16`: f16 result matrices (f16 x f16 -> f16, sgmat-results.ts): 4 registers per tile
 *    instead of 8, so up to 32 tiles (128 rows x 64 β) per subgroup. Where d = 1, the output map
 *    is the identity and there is no bias, a workgroup whose rows all lie below batch (a uniform
 *    test) stores each tile straight to the output (row stride = the output row length; an
 *    accumulate op's tiles start from the old output, loaded the same way); the last partial
 *    row tile goes a tile at a time through 512 bytes of f16; every workgroup of other ops
 *    stages the f16 tiles as `epi` does.
 *    Precision: the running sum is rounded to f16 after every 16-deep multiply, c / 16 times,
 *    besides the one rounding of the stored result that f32 accumulation has too: the relative
 *    error grows like u·√((c/16 + 1)/6) (u = 2⁻¹¹, round-to-nearest, sums of random sign).
 *    Simulated on the CPU (test/perf-kernels/ks-sgmat-acc16-precision.test.ts; f16 inputs,
 *    output rounding included) at c = 64, 256, 1024 (the first factors of Monarch n = 4096,
 *    1024 -> 4096 and 4096 -> 1024 with 4 blocks): 3.3e-4, 5.8e-4, 1.1e-3, against 2.0e-4 with
 *    f32 sums; an accumulator that truncated would give 1.0e-3, 3.5e-3, 1.3e-2. The tuner checks
 *    every candidate against float64 within the f16 contract (3e-3) before timing it, so a tuned
 *    f16 build accumulates in f16 only where that holds on its GPU (docs/numerics.md).
 *  - `gload` (with `acc16` or `epi`, d = 1): a workgroup of whole row tiles loads its left
 *    matrices straight from x (row-major, row stride = the input row length) and its right ones
 *    from W (column-major, stride c): no staging and, with acc16's direct stores, no barrier and
 *    no workgroup memory between the operands and the output; the last partial row tile takes
 *    the staged path, in chunks of 16 γ (a matrix load crossing x's end would read from offset
 *    0: Dawn's robustness). The bindings are then scalar f16 arrays (the builtins take arrays
 *    of scalars), and tk is the loop's unrolling.
 *  - `pad` 8 (staging chunks of 32 or 64 γ): staged rows tk + 8 halves apart. s9's
 *    roofline on the H200: 16x16 matrix loads from workgroup rows 64 halves apart ran 2.6x slower
 *    than 16 or 72 apart (bank conflicts); 8 more halves put the 8 rows of a load phase on
 *    distinct banks for tk 16, 32 and 64.
 *  - `stage` (with `acc16`): f16 results through the per-tile epilogue the f32 ones take (a
 *    16x16 f16 tile of workgroup memory, two barriers per tile, vec4 writes): f16 sums and
 *    nothing else changed, to tell the cost of f16 sums from that of direct stores.
 *
 * Session 11's knobs (the same rule: candidates after all the others, never a default untimed).
 * Session 10 timed the default at the same 0.16 ms on the H100 as on the H200 with 43% less
 * bandwidth: latency-bound, one 32-invocation workgroup per tile, W read from L2 once per tile.
 *  - `sg` (2 or 4): that many subgroups per workgroup, each its own `rows` slice of sg × rows
 *    batch rows, all of them multiplying the one staged W tile (W's global loads per MMA / sg)
 *    and staging the source together; `sgc` (2 or 4) likewise along β: sgc × cols β sharing
 *    one staged source tile (the source's loads from L2 per MMA / sgc where b > cols), with
 *    `sg` too a grid (sgid % sg, sgid / sg). Each subgroup takes its offsets from its index
 *    lid / 32 under `@diagnostic(off, chromium.subgroup_matrix_uniformity)`
 *    (sgmat-results.ts). The epilogues run as before, each subgroup through its own slice of
 *    workgroup memory, the writes spread over the whole workgroup. Not with `gload` (no staging
 *    to share). H100 (s11 calls 1-2, B = 16384): n = 4096's first factor (b = 64) gains nothing
 *    (acc16+stage sg 2 0.1533 vs 0.1539); the rectangular ones do with sg 2 × sgc 2 (1024 -> 4096
 *    0.0923 vs 0.0974 with db; 4096 -> 1024 below), their default since (`sharedDefault`).
 *  - `db`: double-buffered staging, chunk k0 / tk alternating between two halves of xs and ws.
 *    Chunk i+1 is stored (from the registers fetched while chunk i was multiplied) into the half
 *    chunk i−1 used, which every invocation left before chunk i's barrier: one barrier per chunk
 *    instead of two. Only where c spans two chunks or more; not with `gload`. On the H100 (s11
 *    call 1) db alone ran 19-39% slower than the default; `dbu` (with db, an even number of
 *    chunks) unrolls the loop by two so that each chunk's half is a constant (double-buffered-
 *    loop.ts), the offsets then constant expressions as without db: 4096 -> 1024's first factor
 *    with sg 2 × sgc 2, 0.2594 ms vs 0.2779 with db alone, 0.3015 the one-subgroup default.
 *  - `band` (f32 results, or acc16 with stage): the per-tile epilogue a band of 16 rows at a
 *    time: the subgroup's tiles of one row tile (all its β and δ) stored to workgroup rows of cols
 *    + 16 bytes (padded: the default's per-tile rounds stage 16 β, epi's unpadded 64-β rows put
 *    a store's 16 rows on one bank group), then written out in runs of cols: 2 barriers per
 *    16 rows instead of 2 per 16x16 tile (8 instead of 32 for a 64x64 tile). On the H100 (s11
 *    call 2) it lost wherever timed: n = 4096 acc16+stage 0.1633 vs 0.1539, f32 0.2037 vs
 *    0.1685, with sg/db 2-65% slower than without: the per-tile rounds' barriers are not what
 *    holds these kernels back. Left to the tuner for other GPUs.
 *
 * Session 12:
 *  - 8 subgroups (`sg` 2 × `sgc` 4, `sg` 4 × `sgc` 2: 128 x 128 of 64 x 32 or 32 x 64 subgroup
 *    tiles, half the accumulators of a 64 x 64 one per subgroup), plain and db + dbu, after
 *    session 11's candidates. H100 call 2 (B = 16384, f32 sums, tk 16, db + dbu): 2 x 4 of 64 x 32
 *    won on every wide first factor, the default there since (`sharedDefault`): 1024 -> 4096
 *    0.0835 vs 0.0884 (4 x 2 of 32 x 64 0.0864; 2 x 4 of 64 x 64, 128 x 256, 0.0915), 4096 -> 1024
 *    0.2538 vs 0.2594, n = 16384 0.1960 vs 0.2306. n = 4096 (b = 64): 4 x 2 of 32 x 32 f32 0.1772
 *    vs the one-subgroup default 0.1681; acc16 + stage 0.1556-0.1558 (s11's sg 2 form: 0.1536).
 * Timed and removed in session 12: `pd` (db + dbu with each chunk's global loads two chunks ahead
 * into a second register set): lost everywhere on the H100 (call 2: 0.0905 vs 0.0884, 0.2682 vs
 * 0.2594, n = 16384 0.2156 vs 0.1960 on 8 subgroups); and (call 1, bench/results/s12/call-1) `mc`, the
 * operand chunks staged as 16x16 matrix copies (subgroupMatrixLoad from x or W, subgroupMatrixStore
 * of the same matrix into xs or ws) instead of vec4 loads written back one f16 at a time. Every mc
 * schedule lost to its scalar-staged twin, 1.4-1.9x: 4096 -> 1024 0.4967 vs 0.2594, 1024 -> 4096
 * 0.1484 vs 0.0882, n = 4096 acc16+stage sg 2 0.2294 vs 0.1536, n = 16384 0.3228 vs 0.2311; with
 * acc16's direct stores 0.3390. Also measured there: chunks of 32 γ with 2 x 2 subgroups run 2x
 * slower than 16 (0.5226 vs 0.2594; 8 subgroups of 64 x 32 0.6185): 64 x 64 f32 accumulators
 * (128 registers a subgroup) leave no room for a second chunk's operands.
 *
 * Session 13:
 *  - `ku`: each staged chunk's 16-deep steps written out, every matrix load at a constant offset,
 *    instead of a WGSL loop over them (`kk`, a runtime value in each offset). Dawn's driver does not
 *    unroll such loops (session 12's `el` and `ku` on the f32 families), and every chunk longer than
 *    16 γ timed on the GPU ran far slower than 16 whatever else changed: 4096 -> 1024's first factor
 *    tk 64 + pad 8 1.3464 ms vs 0.3015 at tk 16 (H100 s10 call 2), tk 32 on 8 subgroups 0.6185 vs
 *    0.2538; n = 4096's tk 32 + pad 8 0.2172 vs 0.1682. ks-sgmat-strided, whose steps were always
 *    written out, runs its best schedules at tk 64. Per barrier a subgroup of 64 x 32 does
 *    (tk / 16) · 8 MMAs: 8 at tk 16 (K = 1024: 64 barriers and 64 global round trips per tile, the
 *    loads of the next chunk in flight behind only 8 MMAs), 32 at tk 64. With db a 128 x 128 tile
 *    of tk 32 + pad 8 takes 40 KiB of operands + 8 KiB of epilogue (the 48 KiB limit); tk 64 fits
 *    single-buffered only. `pad` 8 is offered at tk 16 too (rows 24 halves, 48 bytes apart).
 *    H100, s13 call 1 (B = 16384, bench/results/s13/call-1), on 8 subgroups of 64 x 32: ku alone
 *    took 4096 -> 1024's tk 32 db + dbu form from 0.6200 to 0.3989 ms, pad 8 on top to 0.2612, and
 *    tk 64 single-buffered with both to 0.2154, the best (tk 16 db + dbu: 0.2537; with ku 0.2348,
 *    with ku + pad 8 0.3610: padding 16-deep rows costs, padding 32- and 64-deep ones pays);
 *    1024 -> 4096 0.0675 vs 0.0837, n = 16384 0.1760 vs 0.1971. Wide first factors' default since
 *    (`sharedDefault`); n = 4096's (b = 64) keeps its form (its best there, acc16 + stage on 8
 *    subgroups with ku + pad 8 at tk 16, 0.1424 vs 0.1683, sums in f16: a tuner candidate).
 *
 * Session 18 (H100, call 2, B = 16384, bench/results/s18/call-2, plan.json there):
 *  - Timed and removed: `np`, the single-buffered written-out padded tilings without register
 *    prefetch of the next chunk (loads straight to workgroup memory before the chunk's barrier;
 *    code: commit 9bc6b90). It asked whether the f32-sum first factors lack residency (4096 ->
 *    1024's default holds ~144 registers, one 8-warp workgroup per SM; np frees the 32 prefetch
 *    registers). It lost or tied everywhere: 4096 -> 1024 0.2193 vs the default's 0.2159 (tk 32
 *    0.3306 vs 0.2539; the f16-sum seed 0.2162 vs 0.1748), 1024 -> 4096 0.0766 vs 0.0672,
 *    n = 16384 0.1838 vs 0.1753, n = 4096 0.1529 vs 0.1499. The register prefetch pays more than a
 *    second workgroup would; residency is not what the f32-sum forms lack.
 *  - Measured: f16 sums on 64 x 64 subgroup tiles (16 f16 result matrices, the registers of 8 f32
 *    ones) in chunks of 32, ku + pad 8: 4096 -> 1024 0.1697 on 4 x 2 subgroups (256 rows x 128 β),
 *    0.1704 on 2 x 4, against 0.1748 for the default's f16-sum twin (call 3: 0.1699 vs 0.1756): the
 *    tuner's seed there since (f16SumTwin); lost at 1024 -> 4096 and n = 16384 (deepWideTwin).
 *
 * Session 19 (H100, call 2, B = 16384, bench/results/s19/call-2, plan.json there). Counted per 16x16x16
 * MMA on 4096 -> 1024's f16-sum seed (one 256-invocation workgroup per SM): its staging stores (one
 * f16 per vec4 lane, 8 lanes per row, so a warp's store covers 4 rows 20 words apart: banks 0, 20, 8,
 * 28) take 3 wavefronts each, 4.5 per MMA, and its matrix loads 2 per MMA; s18's f16-sum timings of
 * that op fitted 0.058 ms + 0.0172 ms per wavefront per MMA. Timed and removed (code: commit 770114c):
 *  - `ro`, each warp staging rows 0, 1, 4, 5 of four (row bits 1 and 2 swapped in every staging pass's
 *    index: 2 wavefronts per store): lost everywhere, 4096 -> 1024 seed 0.2662 vs 0.1697 (f32 64 x 64
 *    tk 32 0.2834 vs 0.2199), 1024 -> 4096 0.0844-0.1477 vs 0.0658, n = 16384 0.1812 vs 0.1672.
 *  - 2 x 2 grids of 128 x 64 / 64 x 128 f16-sum subgroup tiles (1.5 load wavefronts per MMA, two
 *    128-invocation workgroups per SM): 4096 -> 1024 tk 16 0.1851, tk 32 0.2572 (with ro 0.3999-0.4731).
 *  The fit predicted 0.135-0.145 for both: refuted as stated. `ro` also changed each staging pass's
 *  row index (a bit swap of e / 8 instead of an offset from lid / 8), so call 3 (bench/results/s19/call-3)
 *  timed `rx`, ro's rows with the swap taken from lid once (constant pass offsets; code: commit f0864c5):
 *  lost everywhere too: 4096 -> 1024 seed 0.2472 vs 0.1696, f32 0.2658 vs 0.2194; 1024 -> 4096 0.0827 vs 0.0660;
 *  n = 16384 0.1788 vs 0.1671. Store bank conflicts are not what the first factor waits on (nor, s16, rotated lanes).
 *
 * Session 20 (H100, call 2, B = 16384, bench/results/s20/call-2, plan.json there), on the d = 4 strided factors that
 * ks-sgmat-strided serves (1024 -> 4096's K(1, 1024, 256, 4), 0.3378 ms there; 4096 -> 1024's K(1, 256, 256, 4), 0.1021),
 * where this family's 4 δ per workgroup stage 4δ x tk γ source runs and write cols x 4δ output runs (both contiguous) but
 * the one-subgroup default (16 x 64 x 4δ) had been the only form timed (2.32 / 0.64 ms):
 *  - grids of the existing candidates: 2 x 4 subgroups of 64 x 32 x 4δ with f16 sums (acc16 + stage, tk 16, ku) tied at
 *    1024 -> 4096 (0.3390 vs 0.3378) and lost at 4096 -> 1024 (0.1102 vs 0.1021); 2 x 2 of 32 x 32 x 4δ in f32 lost 2x
 *    (0.7291, 0.2194).
 *  - `sgd`, timed and removed (code: commit c82299f): one subgroup per δ holding 64 x 64 (or 64 x 32) of its δ in f32, the 4
 *    subgroups of a slice sharing its staged tiles and epilogue: 0.5 matrix loads per MMA instead of 1. Lost everywhere:
 *    1024 -> 4096 0.3628 at best (64 x 32 on 1 x 2 slices, tk 32, pad 8; 2 x 1 of 64 x 64 tk 16 0.3720 padded, 0.4168 not;
 *    f16 sums 0.3839), 4096 -> 1024 0.1176-0.1914; one 128-invocation slice 0.6164-0.7348 (at tk 32 its staging takes 64
 *    prefetch registers beside 128 of sums). Operand loads per MMA are not what the strided factor waits on, nor are its
 *    8-byte runs: contiguous runs with the dense first factor's load ratio run no faster than ks-sgmat-strided.
 *
 * Session 21 (H200, call 2, B = 16384, bench/results/s21/call-2, plan.json there), 4096 -> 1024's first factor K(4, 256, 1024, 1):
 *  - Its f16-sum seed's 64 x 64 subgroup tiles double-buffered (db + dbu: one barrier per chunk) lost everywhere: 4 x 2 subgroups
 *    in chunks of 16 0.2227 padded, 0.2352 not, 2 x 4 0.2327, 2 x 2 in chunks of 32 padded 0.3582, against the seed's 0.1703.
 *  - Probes (sgmat-probe.ts, each a stage left out): the seed without its operands' global loads 0.1417, without them and their
 *    workgroup stores 0.1441, without its epilogue 0.1545, without its matrix loads and MMAs 0.1801 (slower than the seed);
 *    the f32-sum default (0.2207) 0.1618 without staging, 0.1725 without MMAs, 0.1971 without its epilogue. The f16-sum
 *    first factor waits on its staged operands' global loads, not on the tensor cores or its workgroup stores.
 *
 * Tried and removed (session 25, H100, B = 16384, bench/results/s25/call-1, plan.json there; code: commit 49c4188): `xg`
 * (d = 1, written-out steps, several subgroups), the left matrices of a workgroup of whole row tiles loaded straight from x
 * (in the step that multiplies them, or a chunk ahead into matrix variables), only W staged, after those probes. At
 * 4096 -> 1024's first factor every xg form (xg 1 and 2, 12 of them) took 0.386-0.767 ms against 0.170 for the f16-sum
 * seed and 0.216 for the f32-sum default without it: 2.3x or more.
 *
 * Session 29 (H100, call 1, B = 16384, bench/results/s29/call-1/perf, bench/plan-s29a.json): why the f32-sum first factor of
 * 4096 -> 1024 (the untuned default) stays 1.25x its f16-sum twin on the same tile. Whole / without matrix loads and MMAs
 * (probe mma) / without the output stage (probe out): the default 0.2149 / 0.1706 / 0.1908, its acc16 + stage twin
 * 0.1745 / 0.1671 / 0.1611; 4 x 2 of 64 x 64 at tk 32, f32 0.2193 / 0.1847 / 0.1950, f16 (the seed) 0.1696 / 0.1810 /
 * 0.1517. Without MMAs the sum types are within 2%: the f32-accumulating MMAs cost 0.044 ms where the f16 ones cost 0.007,
 * and the f32 output stage 0.024 against 0.013; one 256-invocation workgroup an SM does not hide them behind the staging.
 * 32 x 32 subgroup tiles on 8 subgroups (f32) lost there: 0.2521 (2 x 4), 0.3148 (4 x 2).
 *
 * Tried and removed (session 30, H100, call 2, bench/results/s30/call-2/perf, plan-s30c.json there; code: commit dd148bb,
 * partly-pipelined-loop.ts): `pw`, the single-buffered written-out padded 8-subgroup forms in chunks of 32 or 64 with W's
 * chunk loaded in its own pass and only the source's fetched a chunk ahead, so that W's prefetch registers are not live
 * beside the sums (call A had found f32 and f16 result matrices at the same rate, roofline mma-acc). 4096 -> 1024's first
 * factor, B = 16384: the f32-sum default 0.2137, with pw 0.2353 (tk 32: 0.3486; 4 x 2 of 64 x 64: 0.2585); the f16-sum
 * twin 0.1756 against 0.2313; the square seed 0.1490 against 0.1695. B = 4096 0.0671 against 0.0712, 1024 -> 4096's first
 * factor 0.0668 against 0.0742, n = 16384 f16 0.1752 against 0.1783. Loading W in a pass of its own costs more than the
 * registers it frees.
 *
 * Applies only when the target has both 'shader-f16' and 'chromium-experimental-subgroup-matrix'
 * (candidates are empty otherwise: the op falls back to the other families), the input index map
 * is the identity, and b and c are multiples of 16.
 */
import type { KsOp } from '../../../ir/ir.js';
import { invariant } from '../../../util/assert.js';
import { keepsTheGrid } from '../defaults.js';
import { dividing, flag, highestScoring, knob, type KernelFamily } from '../family.js';
import { applyIndexMap, renderIndex, rowMajor } from '../index-map.js';
import type { EmittedKernel, Schedule, TargetLimits } from '../kernel.js';
import { div, mod, mul, sum, u, type KernelContext } from '../scaffold.js';
import { ksTileOrigin } from './ks-tile-origin.js';
import { doubleBufferedLoop } from './double-buffered-loop.js';
import { resultMatrix, resultRegisters, stagedStores, SUBGROUP_MATRIX_UNIFORMITY_OFF, tileLoads, tileStores, type PlacedTile, type ResultComponent } from './sgmat-results.js';
import { opOperands } from './operands.js';
import { decodeProbe, probedCopy, probeOf, unlessProbed } from './sgmat-probe.js';
import { cooperative, LANES, scalarAt, stagedLoop, staging, type StagedCopy, tiledKernel, type TiledKernelParts } from './wgsl-text.js';
import type { U32Expr } from '../u32.js';

export const SUBGROUP_MATRIX_FEATURE = 'chromium-experimental-subgroup-matrix';
/** The tile edge of the f16 -> f32 configuration every subgroup-matrix adapter here offers. */
export const TILE = 16;
/**
 * One subgroup per workgroup: the matrix builtins need workgroup-uniform offsets, so the tile a
 * subgroup works on must follow from the workgroup id alone (NVIDIA: subgroup size 32).
 */
export const SUBGROUP = 32;
/** Result tiles (16x16 f32, 8 registers per invocation each) one subgroup may hold. */
const MAX_ACCUMULATORS = 16;
/** The registers those tiles take: the budget f16 result tiles (4 registers each) share too. */
const ACCUMULATOR_REGISTERS = MAX_ACCUMULATORS * resultRegisters('f32');
/**
 * δ per workgroup. Measured on the H100 (Dawn/Vulkan, driver 580): schedules with 8 or 16 δ
 * produced wrong results (relative error ~0.9) while 1 and 4 matched the reference, so those
 * sizes are not offered. The index arithmetic is not the cause: run through the subgroup-matrix
 * emulation on SwiftShader (test/perf-kernels/sgmat-emulated.test.ts), 8 and 16 δ match the
 * float64 reference (relative error ~1e-7 in f32, within f16 rounding with f16 workgroup
 * arrays), as 1 and 4 do. So the H100 failure lies beyond the WGSL's semantics (Dawn's or the
 * driver's translation): to be rechecked on the GPU (the tuner checks every candidate against
 * the reference) before offering them.
 */
const DTILES = [1, 4];

export interface KsSgmatSchedule extends Schedule {
  readonly family: 'ks-sgmat';
  readonly rows: number;
  readonly cols: number;
  readonly dtile: number;
  readonly tk: number;
  // Optional flags (absent in every schedule stored before session 10; absent = off):
  // `acc16`, f16 result matrices (the f16 x f16 -> f16 configuration): half the accumulator
  // registers, so up to 32 result tiles per subgroup, stored straight to the output where they
  // can be and through the one-round staged epilogue (in f16) elsewhere (file comment);
  // `epi`, f32 results through the one-round epilogue: every result tile staged at once, one barrier;
  // `gload` (with acc16 or epi, d = 1), operands loaded straight from x and W in whole row tiles;
  // `pad` (a number: 8), staged rows of tk + pad γ; `stage` (with acc16), the per-tile staged
  // epilogue of f32 results instead, in f16: f16 sums and nothing else changed.
  // Session 11 (absent = off): `sg` (2 or 4) subgroups per workgroup along the rows and `sgc`
  // along β, sharing the staged tiles, each its own rows × cols; `db`, double-buffered staging
  // (one barrier per chunk), `dbu` its loop unrolled by two (constant halves); `band`, the
  // per-tile epilogue 16 rows at a time.
  // Session 13 (absent = off): `ku`, each staged chunk's 16-deep steps written out (file comment).
}

interface SgTiling {
  readonly rows: number;
  readonly cols: number;
  readonly dtile: number;
  readonly tk: number;
  readonly result: ResultComponent;
  /** Halves between the staged rows beyond their tk γ (0, or 8). */
  readonly pad: number;
  /** Every result tile staged at once (acc16 or epi), else one δ's tiles at a time. */
  readonly oneRound: boolean;
  /** f16 tiles stored straight to the output (acc16 where they are output blocks, unless `stage`). */
  readonly direct: boolean;
  /** Row blocks and β blocks of 16. */
  readonly mr: number;
  readonly nb: number;
  /**
   * Subgroups per workgroup along the rows (`sg`, else 1) and along β (`sgc`, else 1), and the
   * workgroup's batch rows (sg × rows) and β (sgc × cols).
   */
  readonly sg: number;
  readonly sgc: number;
  readonly wr: number;
  readonly wc: number;
  /** Double-buffered staging (`db`). */
  readonly db: boolean;
  readonly sharedBytes: number;
}

function sgTiling(s: KsSgmatSchedule, op: KsOp): SgTiling {
  const { rows, cols, dtile, tk } = s;
  const result: ResultComponent = s.acc16 === true ? 'f16' : 'f32';
  const stage = s.acc16 === true && s.stage === true;
  const oneRound = (s.acc16 === true && !stage) || s.epi === true;
  // xs and ws in f16 (chunks of 16 γ with gload), plus the epilogue's staging: one 16x16 tile
  // per δ (f32; f16 where the tiles are stored direct), or (oneRound) every result tile.
  const direct = result === 'f16' && tilesAreOutputBlocks(op) && !stage;
  const band = s.band === true;
  const staged = band
    ? (result === 'f16' ? 2 : 4) * dtile * TILE * bandStride(cols, result)
    : direct || stage ? 2 * dtile * TILE * TILE : oneRound ? (result === 'f16' ? 2 : 4) * dtile * rows * cols : 4 * dtile * TILE * TILE;
  const pad = typeof s.pad === 'number' ? s.pad : 0;
  const sg = typeof s.sg === 'number' ? s.sg : 1;
  const sgc = typeof s.sgc === 'number' ? s.sgc : 1;
  const db = s.db === true;
  // Each subgroup stages its own epilogue tiles; the operand tiles (sg × rows source rows, sgc ×
  // cols W rows) are shared, twice over when double-buffered.
  const sharedBytes = 2 * dtile * ((s.gload === true ? TILE : tk) + pad) * (sg * rows + sgc * cols) * (db ? 2 : 1) + staged * sg * sgc;
  return { rows, cols, dtile, tk, result, oneRound, direct, pad, mr: rows / TILE, nb: cols / TILE, sg, sgc, wr: sg * rows, wc: sgc * cols, db, sharedBytes };
}

/** `band`'s staged rows: cols plus 16 bytes of padding (the 16 rows of a matrix store then start on 8 different banks). */
function bandStride(cols: number, result: ResultComponent): number {
  return cols + (result === 'f16' ? 8 : 4);
}

/**
 * Whether op's 16x16 result tiles (rows × β at one δ) are row-major blocks of its output, which
 * f16 ones can then be stored to straight: d = 1 (β contiguous), the identity output map, no bias.
 */
function tilesAreOutputBlocks(op: KsOp): boolean {
  return op.d === 1 && op.output.steps.length === 0 && op.bias === undefined;
}

/** Whether the target may run f16 result matrices (sgmat-results.ts: TargetLimits lists no configurations). */
export function hasF16Results(limits: TargetLimits): boolean {
  return hasSubgroupMatrix(limits);
}

export function hasSubgroupMatrix(limits: TargetLimits): boolean {
  return limits.features.includes('shader-f16') && limits.features.includes(SUBGROUP_MATRIX_FEATURE);
}

function applies(op: KsOp, limits: TargetLimits): boolean {
  return hasSubgroupMatrix(limits) && op.input.steps.length === 0 && op.b % TILE === 0 && op.c % TILE === 0;
}

function valid(op: KsOp, t: SgTiling, limits: TargetLimits): boolean {
  return op.c % t.tk === 0 && op.b % t.wc === 0 && SUBGROUP * t.sg * t.sgc <= limits.maxWorkgroupSize && sgmatTilingFits(op, t, t.mr * t.nb * t.dtile * resultRegisters(t.result) <= ACCUMULATOR_REGISTERS, limits);
}

/** The sizes a subgroup-matrix ks tiling needs, shared by ks-sgmat and ks-sgmat-strided. */
export interface SgmatTileSizes {
  readonly cols: number;
  readonly dtile: number;
  readonly mr: number;
  readonly nb: number;
  readonly sharedBytes: number;
}

/**
 * Whether a tiling cuts op into whole 16x16 tiles that one subgroup can hold (`accumulatorsFit`:
 * its result tiles within the family's register budget) in the target's workgroup storage.
 */
export function sgmatTilingFits(op: KsOp, t: SgmatTileSizes, accumulatorsFit: boolean, limits: TargetLimits): boolean {
  return (
    Number.isInteger(t.mr) &&
    Number.isInteger(t.nb) &&
    op.b % t.cols === 0 &&
    op.d % t.dtile === 0 &&
    accumulatorsFit &&
    SUBGROUP <= limits.maxWorkgroupSize &&
    t.sharedBytes <= limits.maxWorkgroupStorageBytes
  );
}

/**
 * The kernel of ctx's op: one subgroup per workgroup (the matrix builtins' uniform offsets; more
 * only where each takes its offsets from lid / 32 under the uniformity diagnostic), f16 storage,
 * `rowsPerWorkgroup` batch rows and `workgroupsPerRowTile` workgroups per row tile.
 */
export function sgmatKernel(
  ctx: KernelContext,
  schedule: Schedule,
  k: Pick<TiledKernelParts, 'views' | 'workgroupVars' | 'body' | 'rowsPerWorkgroup' | 'workgroupsPerRowTile'>,
  subgroups = 1,
): EmittedKernel {
  return tiledKernel({
    ...k,
    entryPoint: ctx.entryPoint,
    storage: 'f16',
    threads: SUBGROUP * subgroups,
    schedule,
    ops: [ctx.opIndex],
    extraEnables: ['chromium_experimental_subgroup_matrix'],
  });
}

/** The valid tilings of `sizes` batch rows × `sizes` β per workgroup, with the flags `knobs` (none: every schedule stored before session 10). */
function tilings(op: KsOp, limits: TargetLimits, sizes: readonly number[], knobs: { readonly acc16?: true; readonly epi?: true }): KsSgmatSchedule[] {
  const out: KsSgmatSchedule[] = [];
  for (const dtile of dividing(op.d, DTILES))
    for (const rows of sizes)
      for (const cols of dividing(op.b, sizes))
        for (const tk of dividing(op.c, [16, 32, 64])) {
          const s: KsSgmatSchedule = { family: 'ks-sgmat', rows, cols, dtile, tk, ...knobs };
          if (valid(op, sgTiling(s, op), limits)) out.push(s);
        }
  return out;
}

/** The subgroup grids offered: [`sg` along the rows, `sgc` along β] (1: the knob absent). */
const SUBGROUP_GRIDS: readonly (readonly [number, number])[] = [[2, 1], [4, 1], [1, 2], [1, 4], [2, 2]];

/** Rows and β per workgroup; f16 results also fit 128 (32 tiles in the register budget). */
const SIZES = [16, 32, 64];
const SIZES_F16 = [...SIZES, 128];

/**
 * Every schedule: the f32 per-tile-epilogue ones first (in their stored order), then the same
 * tilings with the one-round epilogue (`epi`), then f16 results (`acc16`), which also fit 128
 * rows or β (32 tiles in the register budget), then the epi and acc16 ones again with `gload`
 * where d = 1, then every tiling of tk 32 or 64 but gload's with `pad` 8, then the acc16 ones with
 * `stage`, then (session 11) the f32 and stage tilings of 32 or 64 rows and β with 2 or 4 subgroups
 * (`sg` 2, 4; `sgc` 2, 4; both 2), then those and the grouped ones with `db` where c spans two
 * chunks or more, the doubled ones of an even number of chunks with `dbu`, then the plain 32/64,
 * grouped and dbu ones with `band`, then (session 12) the 32/64 tilings on 8 subgroups (sg 2 ×
 * sgc 4, sg 4 × sgc 2), plain and db + dbu, then (session 13) with `ku` the one-subgroup plain and
 * stage tilings of tk 32 or 64 and every grouped, dbu and 8-subgroup one, then those again with
 * `pad` 8 where they fit, then the square workgroup tiles of f16 sums (session 31's on 16 subgroups,
 * sixteenSquares, then session 28's on 8, squareTiles). The new knobs come last; the default of wide
 * d = 1 ops takes some of them (`sharedDefault`, timed on the H100).
 */
function candidates(op: KsOp, limits: TargetLimits): KsSgmatSchedule[] {
  if (!applies(op, limits)) return [];
  const acc16 = hasF16Results(limits) ? tilings(op, limits, SIZES_F16, { acc16: true }) : [];
  const epi = tilings(op, limits, SIZES, { epi: true });
  const gload = op.d === 1 ? [...epi, ...acc16].map((s): KsSgmatSchedule => ({ ...s, gload: true })) : [];
  const measured = tilings(op, limits, SIZES, {});
  const padded = [...measured, ...epi, ...acc16].filter((s) => s.tk >= 32).map((s): KsSgmatSchedule => ({ ...s, pad: 8 })).filter((s) => valid(op, sgTiling(s, op), limits));
  const staged = acc16.map((s): KsSgmatSchedule => ({ ...s, stage: true }));
  const fits = (s: KsSgmatSchedule) => valid(op, sgTiling(s, op), limits);
  // Subgroup tiles of 32 or 64 rows and β (16 leave a subgroup too little to multiply per
  // staged chunk); not acc16's direct stores: they lost to the staged epilogue on the H100 (session 10).
  const shared = [...measured, ...staged].filter(tile32or64);
  const grouped = gridded(SUBGROUP_GRIDS, shared, fits);
  const doubled = [...measured, ...staged, ...grouped].filter((s) => op.c / s.tk >= 2).map((s): KsSgmatSchedule => ({ ...s, db: true })).filter(fits);
  const unrolled = doubled.filter((s) => (op.c / s.tk) % 2 === 0).map((s): KsSgmatSchedule => ({ ...s, dbu: true }));
  // Not db's runtime halves (slower than the default on the H100: s11 call 1).
  const banded = [...shared, ...grouped, ...unrolled].map((s): KsSgmatSchedule => ({ ...s, band: true })).filter(fits);
  const eight = withDbu(op, gridded(EIGHT_SUBGROUPS, shared, fits)).filter(fits);
  // Session 13: the staged tilings with their steps written out (one subgroup's where a chunk
  // has two steps or more; not db's runtime halves), then the same with rows padded by 8 halves.
  const written = [...[...measured, ...staged].filter((s) => s.tk > TILE), ...grouped, ...unrolled, ...eight].map((s): KsSgmatSchedule => ({ ...s, ku: true }));
  const writtenPadded = written.map((s): KsSgmatSchedule => ({ ...s, pad: 8 })).filter(fits);
  return [...measured, ...epi, ...acc16, ...gload, ...padded, ...staged, ...grouped, ...doubled, ...unrolled, ...banded, ...eight, ...written, ...writtenPadded, ...sixteenSquares(staged, fits), ...squareTiles(staged, fits)];
}

/**
 * Session 28: square workgroup tiles of 8 subgroups with f16 sums (`acc16` + `stage`), 64 x 128 on 4 x 2 or 128 x 64 on
 * 2 x 4 subgroups (32 result matrices each, the registers of 16 f32 ones), so that where b ≥ 256 one workgroup covers
 * 256 β (4096 -> 1024's first factor: all of a block's), its source rows staged once per block instead of twice (the
 * 4 x 2 of 64 x 64 seed covers 128 β: 256 MiB through L2 instead of 384 there), and each 16-deep step loads 12 matrices
 * for 32 MMAs (0.375 per MMA; 0.5 on 64 x 64). Steps written out (`ku`), chunks of 32 γ or more, rows padded by 8
 * halves. H100, session 28 call A (bench/results/s28/call-2/perf, plan-s28a, B = 16384), 4096 -> 1024's K(4, 256, 1024, 1):
 * 128 x 64 on 2 x 4 0.1488 ms, 64 x 128 on 4 x 2 0.1513, against 0.1703 for f16SumTwin's 4 x 2 of 64 x 64 (squareTwin
 * seeds the first). Timed there and not offered: the same tiles unpadded (tk 32: 0.2005, 0.2052) or in chunks of 16
 * (0.1948, 0.2024), and with acc16's direct stores (0.2018-0.2560).
 */
function squareTiles(staged: readonly KsSgmatSchedule[], fits: (s: KsSgmatSchedule) => boolean): KsSgmatSchedule[] {
  const halfSquare = staged.filter((s) => s.tk >= 32 && ((s.rows === 64 && s.cols === 128) || (s.rows === 128 && s.cols === 64)));
  return gridded(EIGHT_SUBGROUPS, halfSquare, fits)
    .filter((s) => Number(s.sg) * s.rows === Number(s.sgc) * s.cols)
    .map((s): KsSgmatSchedule => ({ ...s, ku: true, pad: 8 }))
    .filter(fits);
}

/**
 * Session 31: the square workgroup tile (256 rows x 256 β) on 16 subgroups (512 invocations) of 64 x 64 with f16 sums
 * (`acc16` + `stage`; 16 result matrices each, the registers of 8 f32 ones), steps written out, padded chunks of 32 γ
 * (40 KiB staged + 8 KiB of epilogue tiles: 48 KiB): the source rows staged once per block of 256 β as squareTiles' 8
 * subgroups do, with 16 warps to hide each other's staging. H100, session 31 call 1 (bench/results/s31/call-1/perf,
 * plan-s31a there), 4096 -> 1024's K(4, 256, 1024, 1): B = 16384 0.1377 ms against 0.1485 for the 8-subgroup square seed
 * (chain with the d = 4 seed 0.2195); B = 4096 (64 workgroups) 0.0677 against 0.0772 (16 subgroups of 64 x 32: 0.0500).
 * Timed there as bench-only trials and not offered: f32 sums on 16 subgroups (4 x 4 or 2 x 8 of 64 x 32 in chunks of
 * 32: 0.2158 / 0.2117 against the default's 0.2144 at B = 16384; 4 x 4 of 32 x 32 0.2753; chunks of 16 double-buffered
 * 0.2329), so 16 warps an SM do not remove the f32 sums' cost (their f16 twins 0.1739 / 0.1704). Offered wherever b is
 * a multiple of 256 (1024 -> 4096's K(4, 256, 256, 1) too, untimed there); seeded by squareTwin.
 */
function sixteenSquares(staged: readonly KsSgmatSchedule[], fits: (s: KsSgmatSchedule) => boolean): KsSgmatSchedule[] {
  return staged
    .filter((s) => s.tk === 32 && s.rows === 64 && s.cols === 64)
    .map((s): KsSgmatSchedule => ({ ...s, sg: 4, sgc: 4, ku: true, pad: 8 }))
    .filter(fits);
}

/** Subgroup tiles of 32 or 64 rows and β. */
const tile32or64 = (s: KsSgmatSchedule): boolean => (s.rows === 32 || s.rows === 64) && (s.cols === 32 || s.cols === 64);

/**
 * Session 12's 8-subgroup grids (256 invocations; 128 x 128 of 32 x 64 or 64 x 32 subgroup
 * tiles), plain and db + dbu where the chunks are even, after session 11's candidates.
 */
const EIGHT_SUBGROUPS: readonly (readonly [number, number])[] = [[2, 4], [4, 2]];

/** `base` on each subgroup grid [sg, sgc] (1: the knob absent) that fits. */
function gridded(grids: readonly (readonly [number, number])[], base: readonly KsSgmatSchedule[], fits: (s: KsSgmatSchedule) => boolean): KsSgmatSchedule[] {
  return grids.flatMap(([sg, sgc]) => base.map((s): KsSgmatSchedule => ({ ...s, ...(sg > 1 ? { sg } : {}), ...(sgc > 1 ? { sgc } : {}) }))).filter(fits);
}

/** `list`, then its schedules of an even number of chunks with db + dbu. */
function withDbu(op: KsOp, list: readonly KsSgmatSchedule[]): KsSgmatSchedule[] {
  return [...list, ...list.filter((s) => (op.c / s.tk) % 2 === 0).map((s): KsSgmatSchedule => ({ ...s, db: true, dbu: true }))];
}

/**
 * Default: the most result tiles per subgroup (operand reuse), with at least 4 δ per workgroup
 * when d > 1 (8-byte stores along δ), chunks of 16 γ (best measured on the H100: 64x64 tiles,
 * tk 16, for Monarch's first factor and for dense); for wide d = 1 ops, 8 subgroups of 64 x 32 in
 * written-out chunks of 64 γ, else of 16 double-buffered (or 2 x 2 of 64 x 64 where 256
 * invocations are not allowed) (`sharedDefault`).
 */
function defaultSchedule(op: KsOp, limits: TargetLimits): KsSgmatSchedule {
  const score = (s: KsSgmatSchedule): number => {
    const t = sgTiling(s, op);
    const dOk = op.d === 1 || t.dtile >= 4 ? 1000 : 0;
    return dOk + t.mr * t.nb * 20 + (t.tk === 16 ? 10 : 0) + t.cols / 64;
  };
  const measured = applies(op, limits) ? tilings(op, limits, SIZES, {}) : [];
  const best = highestScoring('ks-sgmat', `K(${op.a},${op.b},${op.c},${op.d})`, measured, score);
  return sharedDefault(op, best, limits) ?? narrowDefault(op, best, limits) ?? best;
}

/**
 * d = 1 ops of 64 β per block (b = 64: Monarch n = 4096's first factor K(64, 64, 64, 1)): 8
 * subgroups of 64 x 32 (4 along the rows, 2 along β: 256 rows x 64 β per workgroup) in chunks of
 * 16 γ, written out, rows padded by 8 halves, f32 sums; H100, session 16 call 2
 * (bench/results/s16/call-2, plan-s16b entry 8, B = 16384): 0.1492 ms vs 0.1674 for the
 * one-subgroup 64 x 64 tile (its f16-sum twin 0.1423, the tuner's: f16SumTwin). Other ops keep
 * their default (not measured).
 */
function narrowDefault(op: KsOp, best: KsSgmatSchedule, limits: TargetLimits): KsSgmatSchedule | undefined {
  const eight: KsSgmatSchedule = { ...best, cols: 32, sg: 4, sgc: 2, ku: true, pad: 8 };
  const oneTile = best.rows === 64 && best.cols === 64 && best.tk === TILE && best.sg === undefined;
  return op.d === 1 && op.b === 64 && oneTile && valid(op, sgTiling(eight, op), limits) ? eight : undefined;
}

/**
 * The tuner's seed with f16 running sums: op's default with `acc16` + `stage` (f16 sums through the
 * same per-tile epilogue), where the target offers f16 results and the default has f32 per-tile
 * results; undefined otherwise. Not a default: untuned f16 builds sum in f32 (docs/numerics.md),
 * and the error grows with c (1.2e-3 at c = 1024 on the H100, within the 3e-3 f16 contract the
 * tuner checks). H100, session 16 calls 1-2: 4096 -> 1024's first factor 0.1740-0.1762 ms vs
 * 0.2153-0.2167, n = 4096's (the 8-subgroup default's twin) 0.1423 vs 0.1492.
 * Where the default is the wide form in chunks of 64 and c ≥ 1024 (4096 -> 1024's K(4, 256, 1024, 1)),
 * 64 x 64 subgroup tiles on 4 x 2 subgroups in chunks of 32 instead (deepWideTwin).
 */
export function f16SumTwin(op: KsOp, limits: TargetLimits): KsSgmatSchedule | undefined {
  if (!applies(op, limits) || !hasF16Results(limits)) return undefined;
  const d = defaultSchedule(op, limits);
  if (d.epi !== undefined || d.band !== undefined || d.acc16 !== undefined) return undefined;
  const twin: KsSgmatSchedule = { ...d, acc16: true, stage: true };
  return deepWideTwin(op, twin, limits) ?? (valid(op, sgTiling(twin, op), limits) ? twin : undefined);
}

/**
 * `twin` (the wide default's f16-sum twin: 8 subgroups of 64 x 32 in chunks of 64) with 64 x 64
 * subgroup tiles on 4 x 2 subgroups (256 rows x 128 β) in chunks of 32, where c ≥ 1024 and it fits.
 * Sixteen f16 result matrices take the registers of 8 f32 ones, and each 16-deep step loads 4 left
 * and 4 right matrices for 16 MMAs (0.5 per MMA, 0.75 on 64 x 32). H100, session 18 call 2
 * (bench/results/s18/call-2, B = 16384): 4096 -> 1024 0.1697 ms vs 0.1748 for `twin` (2 x 4 of 64 x 64:
 * 0.1704; the f32-sum default 0.2159), error 1.2e-3; call 3 (bench/results/s18/call-3) the same, 0.1699 vs
 * 0.1756. At the shallower wide ops it lost to `twin`, which they keep: 1024 -> 4096 (c = 256) 0.0759 vs
 * 0.0657, n = 16384 (c = 128, B = 4096) 0.1777 vs 0.1675. Also lost there (call 3): 2 x 2 of 64 x 64 in chunks
 * of 64 (half the barriers; 0.2455, 0.0931, 0.2210), and at 4096 -> 1024 rows without pad 0.2472 (tk 16: 0.1863).
 */
function deepWideTwin(op: KsOp, twin: KsSgmatSchedule, limits: TargetLimits): KsSgmatSchedule | undefined {
  if (op.c < 1024 || twin.tk !== 64 || twin.sg !== 2 || twin.sgc !== 4 || twin.cols !== 32) return undefined;
  const wide: KsSgmatSchedule = { ...twin, cols: 64, tk: 32, sg: 4, sgc: 2 };
  return valid(op, sgTiling(wide, op), limits) ? wide : undefined;
}

/**
 * The tuner's second f16-sum seed of deep wide first factors (c ≥ 1024, b a multiple of 256: 4096 -> 1024's
 * K(4, 256, 1024, 1)), beside f16SumTwin: the square tile (squareTiles) of 128 x 64 on 2 x 4 subgroups in padded chunks of
 * 32. H100, session 28 call A (bench/results/s28/call-2/perf, plan-s28a/b): B = 16384 (256 workgroups) 0.1488 ms against
 * 0.1703 for f16SumTwin's form (the chain with the tuned strided factor 0.2301, session 27's tuned chain 0.2571); B = 4096
 * (64 workgroups for 132 SMs) 0.0783 against 0.0536. So where the batch is known it is seeded only if its grid keeps
 * SEED_MIN_WORKGROUPS (defaults.ts keepsTheGrid); the tuner times it beside the other seeds at that batch.
 * Since session 31 the same 256 x 256 workgroup tile on 16 subgroups of 64 x 64 (sixteenSquares; 0.1377 against 0.1485
 * at B = 16384, H100 call 1) where 512 invocations and its 48 KiB are allowed, else the 8-subgroup one.
 */
export function squareTwin(op: KsOp, limits: TargetLimits, batch?: number): KsSgmatSchedule | undefined {
  if (!applies(op, limits) || !hasF16Results(limits) || op.d !== 1 || op.c < 1024) return undefined;
  const eight: KsSgmatSchedule = { family: 'ks-sgmat', rows: 128, cols: 64, dtile: 1, tk: 32, acc16: true, stage: true, sg: 2, sgc: 4, ku: true, pad: 8 };
  const sixteen: KsSgmatSchedule = { ...eight, rows: 64, sg: 4, sgc: 4 };
  const square = [sixteen, eight].find((s) => valid(op, sgTiling(s, op), limits));
  if (square === undefined) return undefined;
  const t = sgTiling(square, op);
  return batch === undefined || keepsTheGrid({ rows: t.wr, perRowTile: op.a * (op.b / t.wc) }, batch) ? square : undefined;
}

/**
 * Wide d = 1 ops (several β tiles share each source row: b ≥ 128) whose reduction spans an even
 * number of 16-deep chunks: 64 x 32 subgroup tiles of 16 γ on a 2 x 4 grid of subgroups (128 rows
 * x 128 β per workgroup, 256 invocations), double-buffered with constant halves (`db` + `dbu`),
 * where it won on the H100 (session 12 call 2, f32 sums, B = 16384): Monarch 1024 -> 4096's
 * K(4, 256, 256, 1) 0.0835 ms vs 0.0884 for 2 x 2 of 64 x 64, 4096 -> 1024's K(4, 256, 1024, 1)
 * 0.2594 -> 0.2538, n = 16384's K(128, 128, 128, 1) 0.1960 vs 0.2306 for the one-subgroup
 * default. Where 256 invocations are not allowed, session 11's 2 x 2 grid of the 64 x 64 tiling
 * (128 invocations) for the deep ones (c ≥ 256: 4096 -> 1024 0.2594 vs 0.3015, 1024 -> 4096
 * 0.0923 vs 0.0974; at c = 128 it lost, 0.2552 vs 0.2311). Not n = 4096's K(64, 64, 64, 1)
 * (b = 64: 8 subgroups of 32 x 32 0.1772 vs 0.1681).
 * Since session 13, where c is a multiple of 64 and 44 KiB of workgroup memory are allowed, the same
 * grid in chunks of 64 γ, single-buffered, each chunk's 4 steps written out (`ku`) and rows padded
 * by 8 halves (H100, s13 call 1, bench/results/s13/call-1, B = 16384): 4096 -> 1024 0.2154 ms vs
 * 0.2537 for the tk 16 db + dbu form (chunks of 32 db + dbu + ku + pad 0.2612, without pad 0.3989,
 * without ku 0.6200: the loop over the steps was what made long chunks lose), 1024 -> 4096 0.0675
 * vs 0.0837, n = 16384 (B = 4096) 0.1760 vs 0.1971.
 */
function sharedDefault(op: KsOp, best: KsSgmatSchedule, limits: TargetLimits): KsSgmatSchedule | undefined {
  const chunks = op.c / TILE;
  if (op.d !== 1 || op.b < 128 || chunks % 2 !== 0 || best.rows !== 64 || best.cols !== 64 || best.tk !== TILE) return undefined;
  const fits = (s: KsSgmatSchedule) => valid(op, sgTiling(s, op), limits);
  const long: KsSgmatSchedule = { ...best, cols: 32, tk: 64, sg: 2, sgc: 4, ku: true, pad: 8 };
  if (op.c % 64 === 0 && fits(long)) return long;
  const eight: KsSgmatSchedule = { ...best, cols: 32, sg: 2, sgc: 4, db: true, dbu: true };
  if (fits(eight)) return eight;
  const four: KsSgmatSchedule = { ...best, sg: 2, sgc: 2, db: true, dbu: true };
  return op.c >= 256 && fits(four) ? four : undefined;
}

function emit(op: KsOp, schedule: KsSgmatSchedule, ctx: KernelContext): EmittedKernel {
  invariant(ctx.storage === 'f16', 'ks-sgmat needs f16 storage');
  invariant(op.input.steps.length === 0 && op.b % TILE === 0 && op.c % TILE === 0, 'ks-sgmat: op shape not supported');
  const t = sgTiling(schedule, op);
  const { rows: R, cols: TB, dtile: TD, tk: TK, mr: MR, nb: NB, sg: SGR, sgc: SGC, wr: WR, wc: WC, db } = t;
  const SG = SGR * SGC;
  const T = SUBGROUP * SG;
  // Several subgroups: subgroup `sgid` owns rows sgr·R.. of the workgroup's WR and β sgb·TB.. of
  // its WC (sgr = sgid % sg, sgb = sgid / sg; just sgid where the other count is 1); its offsets
  // into the shared tiles and its own epilogue slices follow from them (uniform within it only).
  const multi = SG > 1;
  const rowSub = SGR === 1 ? undefined : SGC === 1 ? 'sgid' : 'sgr';
  const colSub = SGC === 1 ? undefined : SGR === 1 ? 'sgid' : 'sgb';
  const subOf = (sub: string | undefined, k: number) => (sub === undefined ? undefined : mul(sub, k));
  const { ep, n, inSize, outSize, wOff, biasOff } = opOperands(op, ctx);
  const { a, b, c, d } = op;
  // Vector views: along γ for the source when d = 1, along δ when d > 1; W along γ; the output
  // along its contiguous dimension when the output map is the identity.
  const alongDelta = d > 1;
  const identityOut = op.output.steps.length === 0;
  // acc16: f16 result tiles go straight to the output where each is a row-major 16x16 block of
  // it (d = 1: β contiguous; the identity output map; no bias to add), through a scalar f16 view
  // (the matrix builtins take arrays of scalars).
  const direct = t.direct;
  // gload: whole row tiles read their left (x) and right (W) matrices straight from the buffers.
  const gload = schedule.gload === true;
  invariant(!gload || (d === 1 && (t.result === 'f16' || t.oneRound)), 'ks-sgmat: gload needs d = 1 and acc16 or epi');
  invariant(!gload || (!multi && !db), 'ks-sgmat: gload stages nothing to share (sg) or double-buffer (db)');
  invariant(schedule.dbu !== true || (db && (c / TK) % 2 === 0), 'ks-sgmat: dbu needs db and an even number of chunks');
  invariant(!gload || schedule.ku !== true, 'ks-sgmat: gload writes its steps out already (tk is its unrolling)');
  // A bench-only probe leaves one stage out of every dispatch (sgmat-probe.ts); gload stages nothing to probe.
  const probe = probeOf(schedule);
  invariant(probe === undefined || !gload, 'ks-sgmat: probes are for the staged kernels (not gload)');
  const views = {
    src: !gload && inSize % 4 === 0 && (alongDelta ? TD % 4 === 0 && d % 4 === 0 : c % 4 === 0),
    params: !gload && wOff % 4 === 0 && c % 4 === 0,
    dst: !direct && identityOut && outSize % 4 === 0 && (alongDelta ? TD % 4 === 0 && d % 4 === 0 : TB % 4 === 0),
  };
  const nbt = b / WC;
  const ndt = d / TD;
  const perRowTile = a * ndt * nbt;
  const xs = `${ep}_xs`;
  const ws = `${ep}_ws`;
  const cs = `${ep}_cs`;

  // Staging of Src into xs[dd][r][k] and of W into ws[dd][bb][k] (f16; W's rows are contiguous
  // along γ), software-pipelined: the next chunk is fetched while this one is multiplied. Chunks
  // of tk γ, or with gload (whose staged path serves only a batch's last row tile) of 16, the
  // least workgroup memory.
  const SK = gload ? TILE : TK;
  // Rows of SK γ, `pad` more apart (pad 8: the 16x16 loads' rows fall on distinct banks).
  const SP = SK + t.pad;
  // db: the chunk's half of xs and ws, `buf` (0 or 1, from the loop counter) times one tile.
  const XS = TD * WR * SP;
  const WS = TD * WC * SP;
  const half = (size: number) => (db ? mul('buf', size) : undefined);
  const xsAt = (dd: U32Expr, r: U32Expr, k: U32Expr) => `${xs}[${sum(half(XS), mul(sum(mul(dd, WR), r), SP), k)}]`;
  const srcAt = (k0: U32Expr, k: U32Expr, dd: U32Expr) => sum(mul('min(row0 + r, batch - 1u)', inSize), mul('alpha', c * d), mul(sum(k0, k), d), 'delta0', dd);
  const srcCopy: StagedCopy = probedCopy(
    views.src && !alongDelta
      ? {
          count: (WR * SK) / 4,
          register: 'vec4<f16>',
          item: () => [`let kv = ${mod('e', SK / 4)};`, `let r = ${div('e', SK / 4)};`],
          load: (v, k0) => [`${v} = ${n.src}[${div(srcAt(k0, 'kv * 4u', u(0)), 4)}];`],
          store: (v) => LANES.map((l, q) => `${xsAt(u(0), 'r', sum('kv * 4u', u(q)))} = ${v}.${l};`),
        }
      : views.src
        ? {
            count: (TD * WR * SK) / 4,
            register: 'vec4<f16>',
            item: () => [`let dv = ${mod('e', TD / 4)};`, `let k = ${mod(div('e', TD / 4), SK)};`, `let r = ${div('e', (TD / 4) * SK)};`],
            load: (v, k0) => [`${v} = ${n.src}[${div(srcAt(k0, 'k', 'dv * 4u'), 4)}];`],
            store: (v) => LANES.map((l, q) => `${xsAt(sum('dv * 4u', u(q)), 'r', 'k')} = ${v}.${l};`),
          }
        : {
            count: TD * WR * SK,
            register: 'f16',
            item: () => [`let dd = ${mod('e', TD)};`, `let k = ${mod(div('e', TD), SK)};`, `let r = ${div('e', TD * SK)};`],
            load: (v, k0) => [`${v} = ${n.src}[${srcAt(k0, 'k', 'dd')}];`],
            store: (v) => [`${xsAt('dd', 'r', 'k')} = ${v};`],
          },
    probe,
  );
  const wsAt = (dd: U32Expr, bb: U32Expr, k: U32Expr) => `${ws}[${sum(half(WS), mul(sum(mul(dd, WC), bb), SP), k)}]`;
  const wRow = sum(u(wOff), mul(sum(mul(sum(mul('alpha', d), 'delta0', 'dd'), b), 'beta0', 'bb'), c));
  const wCopy: StagedCopy = probedCopy(
    views.params
      ? {
          count: (TD * WC * SK) / 4,
          register: 'vec4<f16>',
          item: () => [`let kv = ${mod('e', SK / 4)};`, `let bb = ${mod(div('e', SK / 4), WC)};`, `let dd = ${div('e', (SK / 4) * WC)};`],
          load: (v, k0) => [`${v} = ${n.params}[${div(sum(wRow, k0, 'kv * 4u'), 4)}];`],
          store: (v) => LANES.map((l, q) => `${wsAt('dd', 'bb', sum('kv * 4u', u(q)))} = ${v}.${l};`),
        }
      : {
          count: TD * WC * SK,
          register: 'f16',
          item: () => [`let k = ${mod('e', SK)};`, `let bb = ${mod(div('e', SK), WC)};`, `let dd = ${div('e', SK * WC)};`],
          load: (v, k0) => [`${v} = ${n.params}[${sum(wRow, k0, 'k')}];`],
          store: (v) => [`${wsAt('dd', 'bb', 'k')} = ${v};`],
        },
    probe,
  );

  // The subgroup's tiles: acc(dd, i, j) is rows i·16.., β j·16.., δ delta0 + dd. Every offset
  // below depends only on constants and the uniform loop counter, as the builtins require.
  const left = `subgroup_matrix_left<f16, ${TILE}, ${TILE}>`;
  const right = `subgroup_matrix_right<f16, ${TILE}, ${TILE}>`;
  const result = resultMatrix(t.result);
  const acc = (dd: number, i: number, j: number) => `acc_${dd}_${i}_${j}`;
  // A matrix's offset in a staged tile: `at` + kk (the loop's counter, or with `ku` the step's
  // constant), plus the chunk's half (db) and the subgroup's rows or β (`sub`).
  const operandAt = (size: number, sub: U32Expr | undefined, at: number, kk: number | undefined): U32Expr =>
    kk !== undefined ? sum(half(size), sub, u(at + kk)) : multi || db ? sum(half(size), sub, u(at), 'kk') : `${u(at)} + kk`;
  // One 16-deep step of the chunk: every δ's left and right matrices, then their MMAs.
  const step = (kk: number | undefined): string[] =>
    Array.from({ length: TD }, (_, dd) => [
      ...Array.from({ length: MR }, (_, i) => `  let l${dd}_${i} = subgroupMatrixLoad<${left}, row_major>(&${xs}, ${operandAt(XS, subOf(rowSub, R * SP), (dd * WR + i * TILE) * SP, kk)}, ${u(SP)});`),
      // W block (k, β) sits at ws[dd][β][k]: column-major with stride tk.
      ...Array.from({ length: NB }, (_, j) => `  let r${dd}_${j} = subgroupMatrixLoad<${right}, col_major>(&${ws}, ${operandAt(WS, subOf(colSub, TB * SP), (dd * WC + j * TILE) * SP, kk)}, ${u(SP)});`),
      ...Array.from({ length: MR }, (_, i) => Array.from({ length: NB }, (_, j) => `  ${acc(dd, i, j)} = subgroupMatrixMultiplyAccumulate(l${dd}_${i}, r${dd}_${j}, ${acc(dd, i, j)});`)).flat(),
    ]).flat();
  // `ku`: each step written out in a block of its own (constant offsets: Dawn's driver does not
  // unroll the WGSL loop), else a loop over the chunk's steps.
  const written = schedule.ku === true;
  const compute: string[] = unlessProbed(probe, 'mma', written
    ? Array.from({ length: SK / TILE }, (_, ks) => ['{', ...step(ks * TILE), '}']).flat()
    : [`for (var kk = 0u; kk < ${u(SK)}; kk += ${u(TILE)}) {`, ...step(undefined), '}']);

  // Epilogue, one (i, j) tile position at a time: the TD result tiles go to cs[dd][r][bb]
  // (f32), then the subgroup writes them out along the contiguous output dimension (β when
  // d = 1, δ otherwise), 4 at a time when the output map is the identity.
  const logicalOut = rowMajor([{ name: 'alpha', size: a }, { name: 'beta', size: b }, { name: 'delta', size: d }]);
  const outIndex = renderIndex(applyIndexMap(op.output, logicalOut));
  const biasIndex = renderIndex(logicalOut); // the bias is read at the LOGICAL output index (ir.ts)
  const vw = views.dst ? 4 : 1;
  const perTile = TD * TILE * TILE;
  const decomposeItem = alongDelta
    ? [`let dd = ${mul(mod('e', TD / vw), vw)};`, `let bb = ${mod(div('e', TD / vw), TILE)};`, `let r = ${div('e', (TD / vw) * TILE)};`]
    : [`let bb = ${mul(mod('e', TILE / vw), vw)};`, `let dd = 0u;`, `let r = ${div('e', TILE / vw)};`];
  const csStep = alongDelta ? TILE * TILE : 1;
  // Several subgroups: the per-tile epilogue's items are spread over the workgroup; item f
  // belongs to subgroup sgi's slice of cs (perTile each), rows and β.
  const slice = multi ? mul('sgi', perTile) : undefined;
  const sliceRows = SGR === 1 ? undefined : mul(SGC === 1 ? 'sgi' : mod('sgi', SGR), R);
  const sliceCols = SGC === 1 ? undefined : mul(SGR === 1 ? 'sgi' : div('sgi', SGR), TB);
  const lane = (q: number, staged = `${cs}[${sum(slice, mul(sum(mul('dd', TILE), 'r'), TILE), 'bb', u(q * csStep))}]`) => {
    const lines = [`var v${q} = ${staged};`];
    if (biasOff !== undefined) {
      const bi = sum(biasIndex, u(alongDelta ? q : q * d));
      lines.push(`v${q} += f32(${scalarAt(n.params, views.params, sum(u(biasOff), bi))});`);
    }
    return lines;
  };
  const storeBody = (read?: (q: number) => string): string[] => views.dst
    ? [
        ...[0, 1, 2, 3].flatMap((q) => lane(q, read?.(q))),
        `let at = ${div(sum(mul('row', outSize), outIndex), 4)};`,
        `var v = vec4<f32>(v0, v1, v2, v3);`,
        ...(op.accumulate ? [`v += vec4<f32>(${n.dst}[at]);`] : []),
        `${n.dst}[at] = vec4<f16>(v);`,
      ]
    : [
        ...lane(0, read?.(0)),
        `let at = ${sum(mul('row', outSize), outIndex)};`,
        ...(op.accumulate ? [`v0 += f32(${n.dst}[at]);`] : []),
        `${n.dst}[at] = f16(v0);`,
      ];
  // The `count` items of each subgroup's slice (`item`, over e), by the workgroup's T invocations:
  // unrolled passes, or (`loop`) a WGSL loop.
  const spread = (count: number, item: readonly string[], loop: boolean): string[] => {
    const all = multi ? [`let sgi = ${div('f', count)};`, `let e = ${mod('f', count)};`, ...item] : item;
    const v = multi ? 'f' : 'e';
    return loop ? [`for (var ${v} = lid; ${v} < ${u(SG * count)}; ${v} += ${u(T)}) {`, ...all.map((l) => `  ${l}`), '}'] : cooperative(SG * count, T, v, all);
  };
  // `read` (f16 tiles: converted) and `loop` (a WGSL loop rather than unrolled passes) serve the
  // direct kernels' last row tile.
  const perTileRounds = (read?: (q: number) => string, loop = false): string[] => {
    const lines: string[] = [];
    for (let i = 0; i < MR; i++)
      for (let j = 0; j < NB; j++) {
        for (let dd = 0; dd < TD; dd++) lines.push(`subgroupMatrixStore<row_major>(&${cs}, ${sum(multi ? mul('sgid', perTile) : undefined, u(dd * TILE * TILE))}, ${acc(dd, i, j)}, ${u(TILE)});`);
        const item = [
          ...decomposeItem,
          `if (${sum('row0', sliceRows, u(i * TILE), 'r')} < batch) {`,
          `  let row = ${sum('row0', sliceRows, u(i * TILE), 'r')};`,
          `  let beta = ${sum('beta0', sliceCols, u(j * TILE), 'bb')};`,
          `  let delta = delta0 + dd;`,
          ...storeBody(read).map((l) => `  ${l}`),
          `}`,
        ];
        lines.push(`workgroupBarrier();`, ...spread(perTile / vw, item, loop), `workgroupBarrier();`);
      }
    return lines;
  };
  const f16Read = (q: number) => `f32(${cs}[${sum(slice, mul(sum(mul('dd', TILE), 'r'), TILE), 'bb', u(q * csStep))}])`;
  // band: one band of 16 rows (all of the subgroup's β and δ) per round, staged with padded rows
  // (cs[dd][r][bb], row stride CSP), written along the contiguous dimension in whole runs of cols.
  const CSP = bandStride(TB, t.result);
  const perBand = TD * TILE * CSP;
  const bandRead = (q: number) => {
    const v = `${cs}[${sum(multi ? mul('sgi', perBand) : undefined, mul(sum(mul('dd', TILE), 'r'), CSP), 'bb', u(alongDelta ? q * TILE * CSP : q))}]`;
    return t.result === 'f16' ? `f32(${v})` : v;
  };
  const bandItem = alongDelta
    ? [`let dd = ${mul(mod('e', TD / vw), vw)};`, `let bb = ${mod(div('e', TD / vw), TB)};`, `let r = ${div('e', (TD / vw) * TB)};`]
    : [`let bb = ${mul(mod('e', TB / vw), vw)};`, `let dd = 0u;`, `let r = ${div('e', TB / vw)};`];
  const bandRounds = (): string[] =>
    Array.from({ length: MR }, (_, i) => [
      ...Array.from({ length: TD }, (_, dd) => Array.from({ length: NB }, (_, j) => `subgroupMatrixStore<row_major>(&${cs}, ${sum(multi ? mul('sgid', perBand) : undefined, u(dd * TILE * CSP + j * TILE))}, ${acc(dd, i, j)}, ${u(CSP)});`)).flat(),
      'workgroupBarrier();',
      ...spread((TD * TILE * TB) / vw, [
        ...bandItem,
        `if (${sum('row0', sliceRows, u(i * TILE), 'r')} < batch) {`,
        `  let row = ${sum('row0', sliceRows, u(i * TILE), 'r')};`,
        `  let beta = ${sum('beta0', sliceCols, 'bb')};`,
        `  let delta = delta0 + dd;`,
        ...storeBody(bandRead).map((l) => `  ${l}`),
        `}`,
      ], false),
      'workgroupBarrier();',
    ]).flat();
  const band = schedule.band === true;
  invariant(!band || (!t.oneRound && !direct && !gload), 'ks-sgmat: band is for the per-tile epilogue (f32 results, or acc16 with stage)');
  const epilogue = band ? bandRounds() : t.result === 'f16' ? perTileRounds(f16Read) : perTileRounds();

  // acc16 / epi: every result tile at once, staged as cs[dd][r][bb] (TD × WR × WC, row stride
  // WC; each subgroup its rows and β of it), one barrier, then the workgroup writes whole output
  // rows along the contiguous dimension.
  const tiles = Array.from({ length: TD }, (_, dd) => Array.from({ length: MR }, (_, i) => Array.from({ length: NB }, (_, j) => [dd, i, j] as const))).flat(2);
  const placed = (at: (dd: number, i: number, j: number) => U32Expr): PlacedTile[] => tiles.map(([dd, i, j]) => ({ name: acc(dd, i, j), offset: at(dd, i, j) }));
  const csRead = (q: number) => {
    const v = `${cs}[${sum(mul(sum(mul('dd', WR), 'r'), WC), 'bb', u(alongDelta ? q * WR * WC : q))}]`;
    return t.result === 'f16' ? `f32(${v})` : v;
  };
  const rowItem = alongDelta
    ? [`let dd = ${mul(mod('e', TD / vw), vw)};`, `let bb = ${mod(div('e', TD / vw), WC)};`, `let r = ${div('e', (TD / vw) * WC)};`]
    : [`let bb = ${mul(mod('e', WC / vw), vw)};`, `let dd = 0u;`, `let r = ${div('e', WC / vw)};`];
  const writeItem = [
    ...rowItem,
    `if (${sum('row0', 'r')} < batch) {`,
    `  let row = ${sum('row0', 'r')};`,
    `  let beta = ${sum('beta0', 'bb')};`,
    `  let delta = delta0 + dd;`,
    ...storeBody(csRead).map((l) => `  ${l}`),
    `}`,
  ];
  const writeRows = cooperative((TD * WR * WC) / vw, T, 'e', writeItem);
  const stagedOnce = stagedStores(cs, placed((dd, i, j) => sum(subOf(rowSub, R * WC), subOf(colSub, TB), u((dd * WR + i * TILE) * WC + j * TILE))), WC, writeRows);
  // direct (d = 1, so δ = 0): tile (i, j) starts at output row row0 + 16·i, column α·b + β0 + 16·j.
  // The workgroup's rows are all below batch (a uniform test), so every store is inside dst.
  const outTile = placed((_dd, i, j) => sum(mul(sum('row0', subOf(rowSub, R), u(i * TILE)), outSize), mul('alpha', b), 'beta0', subOf(colSub, TB), u(j * TILE)));
  const inside = `${sum('row0', u(WR))} <= batch`;
  const indent = (ls: readonly string[]) => ls.map((l) => `  ${l}`);
  // A direct kernel's last row tile (the only one it stages) goes a tile at a time through a
  // 16x16 f16 cs: 512 bytes instead of rows × cols, for the residency of every other workgroup.
  const lastRowTile = perTileRounds(f16Read, true);
  const oneRound = direct ? [`if (${inside}) {`, ...indent(tileStores(n.dst, outTile, u(outSize))), '} else {', ...indent(lastRowTile), '}'] : stagedOnce;
  // An accumulate op's direct tiles start from the old output (result matrices load too); the
  // staged path adds it as it writes.
  const accInit = direct && op.accumulate ? [`if (${inside}) {`, ...indent(tileLoads(n.dst, 'f16', outTile, u(outSize))), '}'] : [];

  // gload (d = 1): in a workgroup of whole row tiles, tile (i, j)'s operands of γ k0.. are the
  // row-major 16x16 block of x at row row0 + 16·i, column α·c + k0 (row stride inSize) and the
  // column-major block of W at row α·b + β0 + 16·j, column k0 (column stride c): no staging, no
  // barrier. tk is then the loop's unrolling. Other workgroups take the staged path.
  const gloadLoop = [`for (var k0 = 0u; k0 < ${u(c)}; k0 += ${u(TK)}) {`];
  // Each unrolled 16-γ step names its own operands (l<step>_<i>, r<step>_<j>): one scope.
  for (let kk = 0; kk < TK; kk += TILE) {
    const ks = kk / TILE;
    for (let i = 0; i < MR; i++) gloadLoop.push(`  let l${ks}_${i} = subgroupMatrixLoad<${left}, row_major>(&${n.src}, ${sum(mul(sum('row0', u(i * TILE)), inSize), mul('alpha', c), 'k0', u(kk))}, ${u(inSize)});`);
    for (let j = 0; j < NB; j++) gloadLoop.push(`  let r${ks}_${j} = subgroupMatrixLoad<${right}, col_major>(&${n.params}, ${sum(u(wOff), mul(sum(mul('alpha', b), 'beta0', u(j * TILE)), c), 'k0', u(kk))}, ${u(c)});`);
    for (let i = 0; i < MR; i++) for (let j = 0; j < NB; j++) gloadLoop.push(`  ${acc(0, i, j)} = subgroupMatrixMultiplyAccumulate(l${ks}_${i}, r${ks}_${j}, ${acc(0, i, j)});`);
  }
  gloadLoop.push('}');
  const stagingCopies = staging('pf', T, [srcCopy, wCopy]);
  const reduction = db ? doubleBufferedLoop(stagingCopies, c, SK, compute, schedule.dbu === true) : stagedLoop(stagingCopies, c, SK, true, compute);
  const stagedPath = [...reduction, ...(direct ? lastRowTile : t.oneRound ? stagedOnce : epilogue)];
  const mainPath = gload
    ? [
        `if (${inside}) {`,
        ...indent(direct && op.accumulate ? tileLoads(n.dst, 'f16', outTile, u(outSize)) : []),
        ...indent(gloadLoop),
        ...indent(direct ? tileStores(n.dst, outTile, u(outSize)) : t.oneRound ? stagedOnce : epilogue),
        '} else {',
        ...indent(stagedPath),
        '}',
      ]
    : [...accInit, ...reduction, ...unlessProbed(probe, 'out', t.oneRound ? oneRound : epilogue)];

  const inner = [
    ...Array.from({ length: TD }, (_, dd) => Array.from({ length: MR }, (_, i) => Array.from({ length: NB }, (_, j) => `var ${acc(dd, i, j)} = ${result}();`))).flat(2),
    ...mainPath,
  ];
  const body = [
    ...ksTileOrigin({ perRowTile, rows: WR, cols: WC, dtile: TD, nbt, ndt, fastest: 'beta' }),
    // sg > 1: offsets from the subgroup's index, uniform within it (file comment).
    ...(multi ? [`${SUBGROUP_MATRIX_UNIFORMITY_OFF} {`, ...indent([`let sgid = ${div('lid', SUBGROUP)};`, ...(rowSub === 'sgr' ? [`let sgr = ${mod('sgid', SGR)};`, `let sgb = ${div('sgid', SGR)};`] : []), ...inner]), '}'] : inner),
  ];
  return sgmatKernel(ctx, schedule, {
    views,
    workgroupVars: [
      `var<workgroup> ${xs}: array<f16, ${(db ? 2 : 1) * XS}>;`,
      `var<workgroup> ${ws}: array<f16, ${(db ? 2 : 1) * WS}>;`,
      band ? `var<workgroup> ${cs}: array<${t.result}, ${SG * perBand}>;` : direct || (t.result === 'f16' && !t.oneRound) ? `var<workgroup> ${cs}: array<f16, ${SG * perTile}>;` : t.oneRound ? `var<workgroup> ${cs}: array<${t.result}, ${TD * WR * WC}>;` : `var<workgroup> ${cs}: array<f32, ${SG * perTile}>;`,
    ],
    body,
    rowsPerWorkgroup: WR,
    workgroupsPerRowTile: perRowTile,
  }, SG);
}

export const ksSgmat: KernelFamily<'ks', KsSgmatSchedule> = {
  name: 'ks-sgmat',
  opKind: 'ks',
  defaultSchedule,
  candidates,
  decode: (s: Schedule) => ({
    family: 'ks-sgmat',
    rows: knob(s, 'rows'),
    cols: knob(s, 'cols'),
    dtile: knob(s, 'dtile'),
    tk: knob(s, 'tk'),
    ...(s.acc16 === undefined ? {} : { acc16: flag(s, 'acc16') }),
    ...(s.epi === undefined ? {} : { epi: flag(s, 'epi') }),
    ...(s.gload === undefined ? {} : { gload: flag(s, 'gload') }),
    ...(s.pad === undefined ? {} : { pad: knob(s, 'pad', 0) }),
    ...(s.stage === undefined ? {} : { stage: flag(s, 'stage') }),
    ...(s.sg === undefined ? {} : { sg: knob(s, 'sg') }),
    ...(s.sgc === undefined ? {} : { sgc: knob(s, 'sgc') }),
    ...(s.db === undefined ? {} : { db: flag(s, 'db') }),
    ...(s.dbu === undefined ? {} : { dbu: flag(s, 'dbu') }),
    ...(s.band === undefined ? {} : { band: flag(s, 'band') }),
    ...(s.ku === undefined ? {} : { ku: flag(s, 'ku') }),
    ...decodeProbe(s),
  }),
  emit,
};
