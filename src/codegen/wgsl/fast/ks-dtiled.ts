/**
 * `ks-dtiled`: the strided factor K(a,b,c,d), d a multiple of 4 (Monarch's second factor), as
 * `dtile` interleaved GEMMs with ks-tiled's register tiling.
 *
 * For a group (α, δ): Out[row, β] = Σ_γ W[α·d+δ, β, γ] · Src[row, α·c·d + γ·d + δ]. A workgroup
 * owns `rows` batch rows × `cols` β × `dtile` consecutive δ of one α and walks γ in chunks of
 * `tk`. Each invocation computes ONE δ with an `rr` × `rb` register tile (rows × β, vec4 over β),
 * as ks-tiled does for d = 1 (ks-dvec instead gives each invocation 4 δ and a 4x smaller tile per
 * GEMM, so it reads more workgroup memory per multiply-add). δ is the fastest invocation index:
 * - the staging reads Src as vec4 runs along δ (the `dtile` δ of one row and γ are contiguous);
 * - workgroup memory holds [γ][rows/4][δ] and [γ][β/4][δ] vec4s, so the invocations of a
 *   quarter-warp (8 neighbouring δ) read 8 consecutive vec4s: no bank conflicts;
 * - the results of neighbouring invocations are neighbouring δ: stores coalesce into runs of
 *   `dtile` elements.
 * Weights are read as vec4 runs along γ when aligned.
 *
 * With `bcast` (session 10) the invocations of a warp share one δ instead, ordered as ks-tiled
 * orders them (β tiles fastest, then rows), so each operand read of the inner loop is 4-8
 * neighbouring vec4s that most lanes share (4 shared-memory wavefronts per warp per γ against 10).
 * The staging folds the stride into its stores: workgroup memory holds [γ][δ][rows + 4] and
 * [γ][δ][β + 4] (+ 4 per γ plane of W), the padding placing the lanes of each staging store in
 * distinct banks. A thread's rows and β are interleaved by vec4 (rows tr, tr + rows/rr, ... in
 * fours) so a warp's reads are contiguous. Results leave through workgroup memory, one register
 * row per round, so the stores stay runs of `dtile` δ (each invocation's own results are d apart).
 *
 * With `pl` (session 11; the δ-fastest form, whose epilogue stores straight from registers) the
 * staged tiles are arrays of γ planes, array<array<vec4<f32>, lines / 4 · dtile>, planes>, so the
 * run-time clamp WebGPU puts on every workgroup index falls on the loop-invariant line index and
 * the plane γ (a constant once unrolled) instead of on k·plane + line for each operand read
 * (ks-tiled's `pl`). Session 12 offers it with `bcast` too: there a plane is bcastLayout's γ plane
 * (the same words and banks as the flat array), and the epilogue, which views the arrays as
 * [ρ][δ][β], splits its flat index into plane and line (divisions by a constant, outside the loop).
 *
 * With `pad` (session 14; the δ-fastest form) each line group of the staged tiles (one vec4 of 4
 * rows or β for each of the `dtile` δ) is one vec4 longer and each γ plane an odd number of
 * vec4s. Unpadded, the staging's scalar stores conflict: a warp stores 16 rows × 2 δ-vec4 of the
 * source (its lanes' words 32 apart for rows 4 apart: 4-way) and 16 β × 2 γ vec4 of the weights
 * (8-way: the β 4 apart and both γ planes meet in 4 banks), 96 shared-memory wavefronts per warp
 * and chunk of 8 γ where the inner loop reads 80; with one 512-invocation workgroup per SM those
 * stores run between two barriers with nothing to overlap them. Padded they take 16. The inner
 * loop's reads (8 neighbouring δ per quarter-warp) stay within one line group: conflict-free.
 *
 * Session 15's warp tiles (`dw`, `bw`: 2 δ × 4 β tiles × 4 row tiles per warp read 4 shared-memory
 * wavefronts per γ where 8 δ × 4 β tiles read 10) and staged epilogue (`se`; `sv`, its stores as
 * vec4s) lost every case timed and left the candidates in session 16 (code at 5fcb1d8; H100, s16
 * call 1, bench/results/s16/call-1: n=4096 the default 0.3789 ms, 8 δ × 2 β 0.3824, 2 × 4 with se
 * 0.4083, with se sv 0.4112, se alone 0.4231, 2 × 4 alone 0.7540; n=16384 0.6718 against
 * 0.6767-1.0276): the wavefronts are not what the strided factor waits for.
 *
 * Session 16's row tiles per workgroup (ks-tiled's `rt`: a tile's first loads and epilogue under
 * its neighbour's work, where one 512-invocation workgroup per SM overlaps nothing) lost here too
 * (H100, s16 call 2: n=4096 0.3809 vs rt 4 0.3998, rt 2 0.4079; n=16384 0.6721 vs 0.6698, 0.6762;
 * 32 rows, two workgroups per SM, 0.4525 and 0.7909) and left with the call (code at 0791030).
 *
 * Session 17 asked whether the strided factor (0.38 ms at n=4096 where the first factor takes 0.27 on
 * the same GEMM shapes) waits on its global access, 32-byte runs (8 δ × f32) at stride d per (row, γ),
 * and none of its forms won (H100, s17 call 2, bench/results/s17/call-2; the default 0.3813 ms at
 * n=4096, 0.6768 at n=16384): the source staged γ before rows (`gs`) 0.4208 / 0.6816, workgroups
 * δ tile fastest (`df`, n=16384 only) 0.6766, both 0.6796 (code at 4b43a5f); 16 δ a workgroup
 * (64-byte runs) 64 × 32 β chunks of 4 padded 0.4251 (its 8-δ control, 64 × 32 × 8 δ, 0.4543 / 0.8020),
 * chunks of 8 unpadded 0.5428 / 1.0148, 32 × 64 0.5943 / 1.0651; 32 δ (128-byte runs, 32 × 32)
 * 0.5293 / 1.0034; 128 × 32 × 8 δ 0.4669 / 0.8445; 8x4 tiles at 1024 invocations 0.4220 / 0.7944.
 * Only the default keeps all three of 64 rows, 64 β (at n=4096 all of them: each source element
 * read once) and padded 8x8 tiles at 512 invocations; each form that gave one up lost, whatever its runs.
 * The runs as pure copies (bench/roofline.ts `runs`, H100, s17 call 3: 256 MiB in and out) take 0.2418
 * ms at 32 bytes, 0.2300 at 64, 0.2075 at 128 and 0.1959 as whole 256-byte rows: the stride puts this
 * factor's floor 0.046 ms above the first factor's, a third of the gap between them; the rest is the
 * kernel (0.381 is 1.57x its floor where the first factor's 0.265 is 1.35x).
 *
 * Session 19 counted n = 16384's default (K(1,128,128,128), B = 4096) per invocation: 8192 FMA, 512
 * vec4 shared loads, 256 scalar shared stores, 64 vec4 global loads, 32 barriers, 64 scalar stores:
 * the first factor's mix (ks-tiled 128 × 128, chunks of 16) but for twice the global loads and
 * barriers per FMA. Its 8 δ of 64 × 64 (the most outputs 512 invocations hold) read 4 KiB from L2
 * per γ where the first factor's two 128 × 128 workgroups read 2, as 1024 runs of 32 bytes per
 * chunk, half of them the weights'. The weights' run is the one the tile does not fix, so `wr`
 * fetched them as runs of two chunks (64 bytes) at every other chunk into twice the prefetch
 * registers, each chunk storing its half (code at 3be1157, paired-runs.ts). It lost everywhere
 * (H100, s19 call 2, bench/results/s19/call-2): n=16384 the default 0.6765 ms, wr 0.8979, unpipelined
 * 0.8220, unpipelined with wr 0.8041; n=4096 0.3813, 0.5037, 0.4533, 0.4483; 16 δ × 64 rows × 32 β,
 * chunks of 4, 0.7673 / 0.4239, with wr 0.8125 / 0.4458. Fewer weight runs gained 1-2% only where
 * no prefetch registers were added (unpipelined), against 19-22% that unpipelining itself costs: the
 * registers of 512 invocations, not the runs, bound this kernel's staging. `lw` then freed 8 of the
 * default's registers the other way (only the source fetched a chunk ahead, the weights loaded where
 * their chunk is stored; code at c39c819), and without ku as well: neither won (H100, s19 call 3,
 * bench/results/s19/call-3): n=16384 the default 0.6760 ms, lw 0.7268, without ku 0.7068, both
 * 0.7501; n=4096 0.3805, 0.3805, 0.3939, 0.3985. lw left with the call.
 *
 * Session 20 gave the default's registers more room: 384-invocation workgroups (cap 170 registers a
 * thread instead of 128), 48 rows × 64 β × 8 δ with the same 8x8 tiles, or 72 rows of 12x8 tiles (96
 * accumulators: 36,864 a SM against 32,768, 5.6% fewer operand floats per output). Both lost by far,
 * at chunks of 8 and of 4 (H100, s20 call 2, bench/results/s20/call-2): n=4096 the default 0.3784 ms,
 * 48 rows 0.4940, 72 rows 0.4152 / 0.5157 (chunks of 4), the default at chunks of 4 0.4048; n=16384
 * 0.6769, 0.8414, 0.8755 / 0.9453, 0.7311 (code at 6a0a88a). 48 rows stage 17% more operand bytes per
 * output yet took 30% longer, where session 17's 64 × 32 × 8 δ (1.5x the bytes, 16 warps) took 1.19x;
 * and 72 rows lost with fewer bytes: neither the register cap nor the operand bytes alone bound this
 * kernel; it wants its 16 warps a SM (12 lost), and halving the chunk (twice the barriers) costs 7-8%.
 *
 * Session 21 (H200, s21 call 2, bench/results/s21/call-2) staged the chunks as transposed 4x4 blocks
 * (`tv`: 4 vec4 runs into a mat4x4, its transpose stored as 4 vec4s, a quarter of the staging's
 * shared-memory stores for the same prefetch registers; code at dfc0452) and tried 4 δ a workgroup
 * at the default's staged bytes per output (64 × 64 × 4 δ, two 256-invocation workgroups a SM) and
 * at the first factor's (128 × 64 × 4 δ, 512): all lost. n=4096: the default 0.3863 ms, tv 0.4048,
 * bcast 0.4180, bcast with tv 0.4264; 64 × 64 × 4 δ 0.4964 (tv 0.5175, bcast tv 0.5538), chunks of
 * 16 0.5604 (tv 0.5801); 128 × 64 × 4 δ 0.5848 (tv 0.5927), chunks of 16 unpadded 0.5890. n=16384:
 * 0.6759, tv 0.6964, bcast 0.6992, bcast tv 0.6928; 4 δ 0.8470-1.0060. With 4 δ each (row, γ) run
 * is 16 bytes, half a sector, so each source sector likely crosses from L2 twice; whatever the
 * cause, two workgroups a SM did not buy it back. The probes (sgmat-probe.ts: one stage left out of
 * every dispatch) of the default: n=4096 without the multiply-adds 0.2804, without the staging
 * 0.3030, without the epilogue 0.3112, without the global loads alone 0.3154; n=16384 0.4738,
 * 0.5024, 0.6263, 0.5360. At n=4096 each is 19-27% of the time and the three disjoint ones
 * (multiply-adds, staging, epilogue) save 68% together, which suggests a SM's one workgroup runs
 * its stages one after another rather than under each other (the first factor's four workgroups a
 * SM can overlap theirs); there the epilogue, after only 8 chunks, costs about what the staging does.
 *
 * Session 22 asked whether the stages run one after another because a SM's one workgroup passes
 * two barriers a chunk. `db` staged the padded planed tiles twice over, one barrier a chunk (the
 * loop unrolled by two, double-buffered-loop.ts, so each copy's planes are constants), letting a
 * warp store the next chunk while slower warps still multiply the current one; two padded copies
 * fit 48 KiB only with chunks of 4 (37,120 bytes), so `pd` 2 gave each unrolled half its own
 * prefetch registers, fetching the chunk two ahead (8 γ of multiply-adds to land in, as the
 * default's chunks of 8 have). `wq` made a warp 8 δ × 2 β tiles × 2 row tiles instead of 8 δ × 4
 * β tiles: 16 + 16 distinct operand vec4s a γ where 8 + 32. All lost or tied (H100, s22 call 1,
 * bench/results/s22/call-1, plan bench/plan-s22a.json; code at 0948645). n=4096: the default
 * 0.3794 ms, wq 0.3836; chunks of 4 0.4037, db 0.4067, db pd 2 0.4094, db pd 2 wq 0.4145, db wq
 * 0.3873. n=16384: 0.6751, wq 0.6745; 0.7289, 0.7396, 0.7160, 0.7353, 0.7529. One barrier a chunk
 * never made up for the chunks of 4 it needs: at best (db pd 2, n=16384) 0.0129 ms of the 0.0538
 * that halving the chunk costs, and at n=4096 db and db pd 2 ran slower than chunks of 4 alone (db
 * wq, nearest the default there, was the slowest at n=16384); wq's fewer wavefronts changed nothing,
 * as session 15 found of its warp tiles. The probes of db pd 2 (n=4096 without the global loads
 * 0.3118, without the epilogue 0.3437, without the multiply-adds 0.5583; n=16384 0.5258, 0.6684,
 * 1.0108) ran SLOWER without the multiply-adds than whole (0.4094, 0.7160): the loop left with its
 * loads, stores and one barrier a chunk took longer than with the multiply-adds between them, so
 * under db these probes do not split the time into stages (a probe indicates, sgmat-probe.ts).
 * db, pd and wq left with the call.
 *
 * With `el` (session 12, bcast) each epilogue round stores its results in a WGSL loop over the
 * workgroup's passes (constant trip count) rather than in unrolled passes: the rounds times the
 * passes were most of a bcast kernel's text (rr rounds of rows·cols·dtile / (rr·threads) passes:
 * 64 blocks for the portable d = 4 default), which kept the untuned d = 4 factors on ks-dvec.
 *
 * Session 30 gave n = 16384's strided factor (b = 128) all 128 β in one workgroup, 32 rows × 128 β × 8 δ (pl, ku, pad), so
 * each source chunk is staged by one workgroup where the default's 64 β stage it twice: 0.8027 ms against 0.6768 (H100,
 * s30 call A, bench/results/s30/call-1/perf2): W's staging for 128 β costs more than the source's saves, as in session 17.
 *
 * With `wres` (session 28, ks-dtiled-wres.ts) W stays in registers and the workgroup streams its
 * rows through workgroup memory in chunks of `rr`: a tuner candidate (after every other form), never
 * a default until measured.
 */
import type { KsOp } from '../../../ir/ir.js';
import { invariant } from '../../../util/assert.js';
import { forTheGrid, KS_DTILED_SHAPES, shapeDistance } from '../defaults.js';
import { dividing, flag, highestScoring, isAmong, knob, presentFlags, type KernelFamily } from '../family.js';
import type { EmittedKernel, Schedule, TargetLimits } from '../kernel.js';
import { div, mod, mul, sum, u, type KernelContext } from '../scaffold.js';
import { ksTileOrigin } from './ks-tile-origin.js';
import { registerTileKnobs, type RegisterTileKnobs } from './register-tile-knobs.js';
import { chunkSteps, stagedSum, vec4Accumulators } from './staged-sum.js';
import { cooperative, epilogueWrite, LANES, scalarAt, staging, toF32, type StagedCopy, tiledKernel } from './wgsl-text.js';
import { opOperands } from './operands.js';
import { decodeProbe, probedCopy, probeOf, unlessProbed } from './sgmat-probe.js';
import { emitWres, wresShapes, wresThreads } from './ks-dtiled-wres.js';
import type { U32Expr } from '../u32.js';

export interface KsDtiledSchedule extends Schedule, RegisterTileKnobs {
  readonly family: 'ks-dtiled';
  /** Fetch the next reduction chunk into registers while multiplying the current one. */
  readonly pipeline: boolean;
  // Optional: `bcast` (a flag; absent = off, what every schedule before it had): one δ per warp,
  // δ-major staged tiles and a staged epilogue (above). With bcast where d = dtile = 4, `grun`
  // (a flag): the staging reads each row's γ chunk as one run (below). With bcast, `er` (1 or 2;
  // absent = 1): register rows per epilogue round, the second staged in the weights' array.
  // `pl` (a flag): the staged tiles as arrays of planes (above). Session 11's `db` (two copies of
  // the staged tiles, one barrier per chunk) lost wherever the H100 timed it and left the
  // candidates in session 12; session 22's (padded, chunks of 4, with `pd` 2 fetching two chunks
  // ahead) and `wq` (warps of 2 β × 2 row tiles) lost or tied and left too (above). With bcast,
  // `el` (a flag): the epilogue's cooperative passes as a WGSL loop (below). With pl, `ku` (a
  // flag): each chunk's γ written out (staged-sum.ts chunkSteps).
  // Without bcast, `pad` (a flag, session 14): padded line groups and planes (above).
  // `wres` (a flag, session 28): W resident, rows streamed (ks-dtiled-wres.ts), with none of the flags above;
  // with it `sk` (2 or 4): the reduction split over that many invocations (since session 29 every wres form has it).
}

function isWres(s: KsDtiledSchedule): boolean {
  return s.wres === true;
}

function isGrun(s: KsDtiledSchedule): boolean {
  return s.grun === true;
}

function epilogueRows(s: KsDtiledSchedule): number {
  return typeof s.er === 'number' ? s.er : 1;
}

function isLooped(s: KsDtiledSchedule): boolean {
  return s.el === true;
}

/**
 * cooperative(count, threads, 'e', body) as a WGSL loop of constant trip count rather than
 * unrolled passes (`el`): one copy of the body's text. An epilogue round's items (rows · cols ·
 * dtile / rr) are always rb passes of the workgroup, so no pass is partial.
 */
function loopedPasses(count: number, threads: number, body: readonly string[]): string[] {
  invariant(count % threads === 0, 'ks-dtiled: an epilogue round is whole passes');
  return [`for (var p = 0u; p < ${u(count / threads)}; p++) {`, `  let e = ${sum('lid', mul('p', threads))};`, ...body.map((l) => `  ${l}`), '}'];
}

function isBcast(s: KsDtiledSchedule): boolean {
  return s.bcast === true;
}

function isPlanes(s: KsDtiledSchedule): boolean {
  return s.pl === true;
}

function isPadded(s: KsDtiledSchedule): boolean {
  return s.pad === true;
}

/**
 * The δ-fastest form's staged tile of `lines` lines, in vec4s: a line group (4 lines of each of the
 * `dtile` δ) spans `group`, a γ plane `plane`. With `pad` a group is one vec4 longer and a plane odd,
 * so planes 4 γ apart (the weights' vec4 runs along γ) start 16 banks apart.
 */
function deltaLayout(s: KsDtiledSchedule, lines: number): { readonly group: number; readonly plane: number } {
  if (!isPadded(s)) return { group: s.dtile, plane: (lines / 4) * s.dtile };
  const group = s.dtile + 1;
  const plane = (lines / 4) * group;
  return { group, plane: plane % 2 === 0 ? plane + 1 : plane };
}

function threadsOf(s: KsDtiledSchedule): number {
  return isWres(s) ? wresThreads(s) : s.dtile * (s.rows / s.rr) * (s.cols / s.rb);
}

function sharedBytes(s: KsDtiledSchedule): number {
  if (isBcast(s)) {
    const l = bcastLayout(s);
    return 4 * (l.xsWords + l.wsWords);
  }
  return 16 * s.tk * (deltaLayout(s, s.rows).plane + deltaLayout(s, s.cols).plane);
}

/**
 * Workgroup-memory layout of a `bcast` schedule, in f32 words (every stride a multiple of 4, so
 * vec4 reads stay aligned). Source: word k·xPlane + δ·xLine + row, a line padded by 4 so the two
 * vec4 runs of δ a staging warp writes at once fall in different banks. Weights: k·wPlane +
 * δ·wLine + β, a plane padded by 4 more for the same reason across γ. The epilogue reuses the
 * source array for one register row of results, word ρ·oRow + δ·oLine + β (ρ the thread's row
 * tile), a line padded by 32 / dtile words (4 for 16 δ or more), so the read-out by δ-fastest
 * lanes (dtile δ × 32 / dtile β) is conflict-free where β tiles are multiples of 32; a row of
 * it padded by 4 more (an odd number of vec4), so threads of one δ writing different rows do not
 * meet in a bank either.
 * With `grun` (d = dtile = 4: a row's γ chunk is one contiguous run of 4·tk floats) the staging
 * takes the run's vec4s by neighbouring invocations, γ fastest, so a warp reads 4 rows of 128
 * bytes (chunks of 8 γ) where it read 16 bytes of 32 rows; a source plane then spans 32 / tk
 * words mod 32 (4 for chunks of 16), which keeps those stores conflict-free for chunks of 4 and 8.
 */
export function bcastLayout(s: KsDtiledSchedule) {
  const xLine = s.rows + 4;
  const xPlanePad = isGrun(s) ? (((Math.max(4, 32 / s.tk) - s.dtile * xLine) % 32) + 32) % 32 : 0;
  const xPlane = s.dtile * xLine + xPlanePad;
  const wLine = s.cols + 4;
  const wPlane = s.dtile * wLine + 4;
  const oLine = s.cols + Math.max(4, 32 / s.dtile);
  const oRow = s.dtile * oLine + 4;
  const rowTiles = s.rows / s.rr;
  // With `pl` the arrays are whole planes, so the epilogue's rows round up to one.
  const whole = (words: number, plane: number) => (isPlanes(s) ? Math.ceil(words / plane) * plane : words);
  return { xLine, xPlane, wLine, wPlane, oLine, oRow, xsWords: whole(Math.max(s.tk * xPlane, rowTiles * oRow), xPlane), wsWords: s.tk * wPlane };
}

function applies(op: KsOp): boolean {
  return op.d % 4 === 0 && op.b % 4 === 0 && op.c % 4 === 0 && op.input.steps.length === 0 && op.output.steps.length === 0;
}

function valid(op: KsOp, s: KsDtiledSchedule, limits: TargetLimits): boolean {
  const threads = threadsOf(s);
  return (
    op.d % s.dtile === 0 &&
    s.rows % s.rr === 0 &&
    s.cols % s.rb === 0 &&
    op.b % s.cols === 0 &&
    op.c % s.tk === 0 &&
    (!isGrun(s) || (isBcast(s) && s.dtile === 4 && op.d === 4)) &&
    (!isLooped(s) || isBcast(s)) &&
    (s.ku !== true || isPlanes(s)) &&
    (!isPadded(s) || !isBcast(s)) &&
    (epilogueRows(s) === 1 || (epilogueRows(s) === 2 && isBcast(s) && bcastLayout(s).wsWords >= (s.rows / s.rr) * bcastLayout(s).oRow)) &&
    s.rr * s.rb <= 64 &&
    threads >= 64 &&
    threads <= limits.maxWorkgroupSize &&
    sharedBytes(s) <= limits.maxWorkgroupStorageBytes
  );
}

function candidates(op: KsOp, limits: TargetLimits): KsDtiledSchedule[] {
  if (!applies(op)) return [];
  return [...stagedCandidates(op, limits), ...wresShapes(op, limits).map((s): KsDtiledSchedule => ({ family: 'ks-dtiled', ...s, wres: true }))];
}

/** The staged forms (every one but `wres`). */
function stagedCandidates(op: KsOp, limits: TargetLimits): KsDtiledSchedule[] {
  const out: KsDtiledSchedule[] = [];
  // With dtile ≥ 8 a quarter-warp spans 8 δ of one (row, β) tile, the conflict-free case; 4 is
  // offered for d = 4 (Monarch with 4 blocks), whose weight reads then conflict 2-way.
  for (const dtile of dividing(op.d, [4, 8, 16, 32]))
    for (const rows of [16, 32, 64, 128])
      for (const cols of dividing(op.b, [4, 8, 16, 32, 64, 128]))
        for (const tk of dividing(op.c, [4, 8, 16]))
          for (const rr of [4, 8])
            for (const rb of [4, 8])
              for (const pipeline of [false, true]) {
                const s: KsDtiledSchedule = { family: 'ks-dtiled', rows, cols, dtile, tk, rr, rb, pipeline };
                if (valid(op, s, limits)) out.push(s);
              }
  // The `bcast` twins last (not measured yet), so the order of the measured ones is unchanged.
  const twins = out.map((s): KsDtiledSchedule => ({ ...s, bcast: true })).filter((s) => valid(op, s, limits));
  const runs = op.d === 4 ? twins.map((s): KsDtiledSchedule => ({ ...s, grun: true })).filter((s) => valid(op, s, limits)) : [];
  // Then two register rows per epilogue round (half its barriers) where the weights' array holds one.
  const rounds = [...twins, ...runs].map((s): KsDtiledSchedule => ({ ...s, er: 2 })).filter((s) => valid(op, s, limits));
  // Then (session 11) the δ-fastest ones with their staged tiles in planes; then (session 12) the
  // bcast ones so.
  const planed = out.map((s): KsDtiledSchedule => ({ ...s, pl: true }));
  const bcastPlaned = [...twins, ...runs, ...rounds].map((s): KsDtiledSchedule => ({ ...s, pl: true })).filter((s) => valid(op, s, limits));
  // Then (session 12) the bcast ones, flat or planed, with the epilogue's passes looped.
  const looped = [...twins, ...runs, ...rounds, ...bcastPlaned].map((s): KsDtiledSchedule => ({ ...s, el: true }));
  // Then (session 12) the planed ones with each chunk's γ written out (`ku`).
  const unrolled = [...planed, ...bcastPlaned].map((s): KsDtiledSchedule => ({ ...s, ku: true }));
  // Then (session 14) the δ-fastest planed ones, with ku or not, with padded staging (`pad`).
  const padded = [...planed, ...unrolled.filter((s) => !isBcast(s))].map((s): KsDtiledSchedule => ({ ...s, pad: true })).filter((s) => valid(op, s, limits));
  return [...out, ...twins, ...runs, ...rounds, ...planed, ...bcastPlaned, ...looped, ...unrolled, ...padded];
}

/**
 * Default: the candidate nearest to the measured-best shape (defaults.ts KS_DTILED_SHAPES: where d
 * allows 8 δ, the δ-fastest 64 rows × 64 β × 8 δ with 8x8 tiles, planes and ku; for d = 4 bcast
 * with grun, planes and ku, 128 × 64 × 4 δ, and on targets with fewer invocations 64 × 64 × 4 δ so
 * for γ ≥ 64, else 128 × 32 × 4 δ with `el`), so the nearest one that fits on smaller targets.
 * Among the staged forms only: a `wres` form is no default until a device call measures it.
 */
function defaultSchedule(op: KsOp, limits: TargetLimits): KsDtiledSchedule {
  const { fourBlocks, fourBlocksSmall, fourBlocksSmallWide, smallWideFrom } = KS_DTILED_SHAPES;
  const four = limits.maxWorkgroupSize >= fourBlocks.threads ? fourBlocks : op.c >= smallWideFrom ? fourBlocksSmallWide : fourBlocksSmall;
  const shape = op.d < 8 ? four : KS_DTILED_SHAPES.strided;
  const target = { knobs: shape, weights: KS_DTILED_SHAPES.weights };
  const score = (s: KsDtiledSchedule): number => -shapeDistance({ ...s, threads: threadsOf(s) }, target);
  return highestScoring('ks-dtiled', `K(${op.a},${op.b},${op.c},${op.d})`, applies(op) ? stagedCandidates(op, limits) : [], score);
}

/**
 * The tuner's seed of strided f32 factors (tuner/seeds.ts): the wres form of 8 δ × 64 β with the reduction split in 2
 * over invocations of 4 β (sk 2, rb 4), chunks of 4 rows, at the most rows a workgroup (1024 down to 128) whose grid keeps
 * SEED_MIN_WORKGROUPS at the batch the tuner times (1024 where it is not known; defaults.ts forTheGrid). H100, session 28's confirm call
 * (bench/results/s28/call-3/perf2, plan-s28g; the staged default 0.3783 ms in the same call): n = 4096 (K(1,64,64,64)),
 * B = 16384, 0.3580 at 1024 rows (128 workgroups), 0.3626 at 512, 0.3724 at 256; split in 4 0.3718-0.3778; the chain
 * with the first factor 0.6150 (0.6390 with the staged default in call A). Not the untuned default: its grid is
 * ceil(B / rows) workgroups per 8 δ, so the rows that win at B = 16384 leave SMs idle at the smaller batches an untuned
 * build also runs (32 workgroups at B = 4096). Where c = 128 (n = 16384) 4 β fit the registers only split in 4, which
 * lost (0.7334-0.7960 against 0.6721): the sk 2 form is no candidate there, so no seed. f32 storage only (storageLimits
 * drops shader-f16 for it): in f16 the tensor-core strided factor is the one to beat.
 */
export function residentTwin(op: KsOp, limits: TargetLimits, batch?: number): KsDtiledSchedule | undefined {
  if (!applies(op) || limits.features.includes('shader-f16')) return undefined;
  const perRowTile = op.a * (op.d / 8) * (op.b / 64);
  const fits = (rows: number): KsDtiledSchedule => ({ family: 'ks-dtiled', rows, cols: 64, dtile: 8, tk: op.c, rr: 4, rb: 4, pipeline: true, sk: 2, wres: true });
  const all = candidates(op, limits);
  const valid = [1024, 512, 256, 128].map(fits).filter((s) => isAmong(s, all));
  return forTheGrid(valid, (s) => ({ rows: s.rows, perRowTile }), batch);
}

function emit(op: KsOp, schedule: KsDtiledSchedule, ctx: KernelContext): EmittedKernel {
  invariant(applies(op), 'ks-dtiled: op shape not supported');
  if (isWres(schedule)) {
    invariant(probeOf(schedule) === undefined, 'ks-dtiled: wres takes no probe');
    return emitWres(op, schedule, ctx);
  }
  const { rows: TR, cols: TB, dtile: TD, tk: TK, rr: RR, rb: RB } = schedule;
  const T = threadsOf(schedule);
  const { ep, n, inSize, outSize, wOff, biasOff } = opOperands(op, ctx);
  const st = ctx.storage;
  const { a, b, c, d } = op;
  invariant(inSize % 4 === 0, 'ks-dtiled: source rows must be multiples of 4 elements');
  const wVec = wOff % 4 === 0 && TK % 4 === 0;
  const views = { src: true, dst: false, params: wVec };
  const nbt = b / TB;
  const ndt = d / TD;
  const perRowTile = a * ndt * nbt;
  const xs = `${ep}_xs`;
  const ws = `${ep}_ws`;
  // Workgroup slots: vec4 (k, line / 4, δ) of a tile with `lines` lines, lane line % 4: vec4
  // k · plane + line4 · group + δ (deltaLayout). With `pl` the slot is [plane][line4 · group + δ].
  const slot = (name: string, lines: number, k: U32Expr, line4: U32Expr, dd: U32Expr) => {
    const { group, plane } = deltaLayout(schedule, lines);
    const within = sum(mul(line4, group), dd);
    return isPlanes(schedule) ? `${name}[${k}][${within}]` : `${name}[${sum(mul(k, plane), within)}]`;
  };
  const L = isBcast(schedule) ? bcastLayout(schedule) : undefined;
  // A bcast array's vec4 `at` of plane k: one flat index, or (`pl`) [plane][at].
  const bcastSlot = (name: string, plane: number, k: U32Expr, at: U32Expr) => (isPlanes(schedule) ? `${name}[${k}][${at}]` : `${name}[${sum(mul(k, plane / 4), at)}]`);
  // The vec4 at flat word offset 4·f of a bcast array (the epilogue's [ρ][δ][β] view); with `pl` its plane and line.
  const flatSlot = (name: string, plane: number, f: U32Expr) => (isPlanes(schedule) ? `${name}[${div(f, plane / 4)}][${mod(f, plane / 4)}]` : `${name}[${f}]`);
  // The vec4 of a staged tile holding lines 4·line4 .. 4·line4 + 3 of γ k and δ dd, in either layout.
  const xSlot = (k: U32Expr, dd: U32Expr, line4: U32Expr) => (L ? bcastSlot(xs, L.xPlane, k, sum(mul(dd, L.xLine / 4), line4)) : slot(xs, TR, k, line4, dd));
  const wSlot = (k: U32Expr, dd: U32Expr, line4: U32Expr) => (L ? bcastSlot(ws, L.wPlane, k, sum(mul(dd, L.wLine / 4), line4)) : slot(ws, TB, k, line4, dd));

  const V = TD / 4;
  const srcCopy: StagedCopy = {
    count: TK * TR * V,
    register: 'vec4<f32>',
    item: () =>
      isGrun(schedule)
        ? [`let dv = ${mod('e', V)};`, `let k = ${mod('e', TK)};`, `let r = ${mod(div('e', TK), TR)};`]
        : [`let dv = ${mod('e', V)};`, `let r = ${mod(div('e', V), TR)};`, `let k = ${div('e', V * TR)};`],
    load: (v, k0) => [
      `${v} = ${toF32(st, `${n.src}[${sum(div(sum(mul('min(row0 + r, batch - 1u)', inSize), mul('alpha', c * d), mul(sum(k0, 'k'), d), 'delta0'), 4), 'dv')}]`, true)};`,
    ],
    store: (v) => LANES.map((l, q) => `${xSlot('k', sum('dv * 4u', u(q)), 'r / 4u')}[r % 4u] = ${v}.${l};`),
  };
  const wRow = sum(u(wOff), mul(sum(mul(sum(mul('alpha', d), 'delta0', 'dd'), b), 'beta0', 'bb'), c));
  const wCopy: StagedCopy = wVec
    ? {
        count: TD * TB * (TK / 4),
        register: 'vec4<f32>',
        item: () => [`let kv = ${mod('e', TK / 4)};`, `let bb = ${mod(div('e', TK / 4), TB)};`, `let dd = ${div('e', (TK / 4) * TB)};`],
        load: (v, k0) => [`${v} = ${toF32(st, `${n.params}[${sum(div(sum(wRow, k0), 4), 'kv')}]`, true)};`],
        store: (v) => LANES.map((l, q) => `${wSlot(sum('kv * 4u', u(q)), 'dd', 'bb / 4u')}[bb % 4u] = ${v}.${l};`),
      }
    : {
        count: TD * TB * TK,
        register: 'f32',
        item: () => [`let k = ${mod('e', TK)};`, `let bb = ${mod(div('e', TK), TB)};`, `let dd = ${div('e', TK * TB)};`],
        load: (v, k0) => [`${v} = ${toF32(st, `${n.params}[${sum(wRow, k0, 'k')}]`, false)};`],
        store: (v) => [`${wSlot('k', 'dd', 'bb / 4u')}[bb % 4u] = ${v};`],
      };
  // A bench-only probe (sgmat-probe.ts; session 21) leaves one stage out of every dispatch; the
  // δ-fastest form's epilogue has no barrier, so only it takes `out`.
  const probe = probeOf(schedule);
  invariant(probe !== 'out' || !L, 'ks-dtiled: the out probe needs the δ-fastest form');
  const stage = staging('pf', T, [srcCopy, wCopy].map((copy) => probedCopy(copy, probe)));

  const acc = (i: number, j: number) => `acc_${i}_${j}`;
  const accs = Array.from({ length: RR }, (_, i) => Array.from({ length: RB / 4 }, (_, j) => acc(i, j))).flat();
  // A thread's row and β vec4s: consecutive ones, or (bcast) interleaved by the thread counts NR, NB.
  const NR = TR / RR;
  const NB = TB / RB;
  const rowVec = (iv: number) => (L ? sum('tr', u(iv * NR)) : sum(mul('tr', RR / 4), u(iv)));
  const betaVec = (j: number) => (L ? sum('tb', u(j * NB)) : sum(mul('tb', RB / 4), u(j)));
  // The multiply-adds of one chunk.
  const compute = ((): string[] => {
    const inner: string[] = [];
    for (let iv = 0; iv < RR / 4; iv++) inner.push(`let a${iv} = ${xSlot('k', 'dd', rowVec(iv))};`);
    for (let j = 0; j < RB / 4; j++) inner.push(`let b${j} = ${wSlot('k', 'dd', betaVec(j))};`);
    for (let i = 0; i < RR; i++)
      for (let j = 0; j < RB / 4; j++) inner.push(`${acc(i, j)} = fma(vec4<f32>(a${i >> 2}.${LANES[i & 3]}), b${j}, ${acc(i, j)});`);
    return unlessProbed(probe, 'mma', chunkSteps(TK, inner, schedule.ku === true));
  })();

  // The epilogue: bcast's staged one, or straight from registers.
  const store = (): string[] => {
    if (L) return stagedStores(L);
    const lines: string[] = [];
    for (let i = 0; i < RR; i++) {
      const row = sum('row0', mul('tr', RR), u(i));
      lines.push(`if (${row} < batch) {`, `  let row = ${row};`);
      for (let j = 0; j < RB / 4; j++)
        for (let q = 0; q < 4; q++) {
          // Logical output index α·b·d + β·d + δ (identity output map: also where it is stored).
          const logical = sum(mul('alpha', b * d), mul(sum('beta0', mul('tb', RB), u(j * 4 + q)), d), 'delta');
          const bias = biasOff === undefined ? undefined : [scalarAt(n.params, views.params, sum(u(biasOff), logical))];
          const write = epilogueWrite({ storage: st, dst: n.dst, at: sum(mul('row', outSize), logical), value: `${acc(i, j)}.${LANES[q]}`, vec4: false, accumulate: op.accumulate, ...(bias ? { bias } : {}) });
          lines.push(`  ${write}`);
        }
      lines.push('}');
    }
    return lines;
  };

  /**
   * bcast's staged epilogue: round i puts register row i of every thread (rows 4·(tr + (i / 4)·NR)
   * + i % 4) in workgroup memory as [ρ][δ][β], then the workgroup stores it with δ fastest, runs
   * of `dtile` δ per (row, β) as the output holds them. The reduction loop ended on a barrier.
   * With `er` 2 a round moves two register rows, the second through the weights' array.
   */
  function stagedStores(L: ReturnType<typeof bcastLayout>): string[] {
    const out: string[] = [];
    const areas = [xs, ws].slice(0, epilogueRows(schedule));
    const planeOf = [L.xPlane, L.wPlane];
    for (let i0 = 0; i0 < RR; i0 += areas.length) {
      if (i0 > 0) out.push('workgroupBarrier();');
      areas.forEach((area, h) => {
        for (let j = 0; j < RB / 4; j++) out.push(`${flatSlot(area, planeOf[h], sum(mul('tr', L.oRow / 4), mul('dd', L.oLine / 4), betaVec(j)))} = ${acc(i0 + h, j)};`);
      });
      out.push('workgroupBarrier();');
      areas.forEach((area, h) => {
        const i = i0 + h;
        const logical = sum(mul('alpha', b * d), mul(sum('beta0', 'ob'), d), 'delta0', 'od');
        const bias = biasOff === undefined ? undefined : [scalarAt(n.params, views.params, sum(u(biasOff), logical))];
        const value = `${flatSlot(area, planeOf[h], sum(mul('orow', L.oRow / 4), mul('od', L.oLine / 4), div('ob', 4)))}[${mod('ob', 4)}]`;
        const write = epilogueWrite({ storage: st, dst: n.dst, at: sum(mul('row', outSize), logical), value, vec4: false, accumulate: op.accumulate, ...(bias ? { bias } : {}) });
        const item = [
          `let od = ${mod('e', TD)};`,
          `let ob = ${mod(div('e', TD), TB)};`,
          `let orow = ${div('e', TD * TB)};`,
          `let row = ${sum('row0', mul(sum('orow', u((i >> 2) * NR)), 4), u(i & 3))};`,
          `if (row < batch) { ${write} }`,
        ];
        out.push(...(isLooped(schedule) ? loopedPasses(NR * TB * TD, T, item) : cooperative(NR * TB * TD, T, 'e', item)));
      });
    }
    return out;
  }

  const lanes = L
    ? [`let tb = ${mod('lid', NB)};`, `let tr = ${mod(div('lid', NB), NR)};`, `let dd = ${div('lid', NB * NR)};`]
    : [`let dd = ${mod('lid', TD)};`, `let tb = ${mod(div('lid', TD), NB)};`, `let tr = ${div('lid', TD * NB)};`, `let delta = delta0 + dd;`];
  const body = [
    ...ksTileOrigin({ perRowTile, rows: TR, cols: TB, dtile: TD, nbt, ndt, fastest: 'beta' }),
    ...lanes,
    ...accs.map((a) => `var ${a} = vec4<f32>(0.0);`),
    ...stagedSum(stage, c, TK, schedule.pipeline, compute, vec4Accumulators(accs)),
    ...unlessProbed(probe, 'out', store()),
  ];
  return tiledKernel({
    entryPoint: ep,
    storage: st,
    views,
    workgroupVars: L
      ? isPlanes(schedule)
        ? [`var<workgroup> ${xs}: array<array<vec4<f32>, ${L.xPlane / 4}>, ${L.xsWords / L.xPlane}>;`, `var<workgroup> ${ws}: array<array<vec4<f32>, ${L.wPlane / 4}>, ${L.wsWords / L.wPlane}>;`]
        : [`var<workgroup> ${xs}: array<vec4<f32>, ${L.xsWords / 4}>;`, `var<workgroup> ${ws}: array<vec4<f32>, ${L.wsWords / 4}>;`]
      : isPlanes(schedule)
        ? [`var<workgroup> ${xs}: array<array<vec4<f32>, ${deltaLayout(schedule, TR).plane}>, ${TK}>;`, `var<workgroup> ${ws}: array<array<vec4<f32>, ${deltaLayout(schedule, TB).plane}>, ${TK}>;`]
        : [`var<workgroup> ${xs}: array<vec4<f32>, ${TK * deltaLayout(schedule, TR).plane}>;`, `var<workgroup> ${ws}: array<vec4<f32>, ${TK * deltaLayout(schedule, TB).plane}>;`],
    threads: T,
    body,
    rowsPerWorkgroup: TR,
    workgroupsPerRowTile: perRowTile,
    schedule,
    ops: [ctx.opIndex],
  });
}

export const ksDtiled: KernelFamily<'ks', KsDtiledSchedule> = {
  name: 'ks-dtiled',
  opKind: 'ks',
  defaultSchedule,
  candidates,
  decode: (s: Schedule) => ({
    family: 'ks-dtiled',
    ...registerTileKnobs(s),
    pipeline: flag(s, 'pipeline'),
    ...presentFlags(s, ['bcast', 'grun', 'pl', 'el', 'ku', 'pad', 'wres']),
    ...(s.er === undefined ? {} : { er: knob(s, 'er') }),
    ...(s.sk === undefined ? {} : { sk: knob(s, 'sk') }),
    ...decodeProbe(s),
  }),
  emit,
};
