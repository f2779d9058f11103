/**
 * ks-sgmat-strided's schedule and what follows from it (ks-sgmat-strided.ts says what the kernel
 * does): the workgroup's subgroups, rows and row chunks, the padded workgroup-memory layout of the
 * staged source, staged W and result slots (bank-conflict free: the bank tests read
 * stridedSgmatLayout), and which schedules are valid on a target.
 */
import type { KsOp } from '../../../ir/ir.js';
import { flag } from '../family.js';
import type { Schedule, TargetLimits } from '../kernel.js';
import { hasSubgroupMatrix, sgmatTilingFits, SUBGROUP, TILE } from './ks-sgmat.js';

/**
 * Result tiles one subgroup accumulates (16x16 f32: 8 registers per invocation each): 8 beside
 * resident W fragments, 16 (a 64 x 64 warp tile, 128 registers) when W is read per γ chunk. An
 * f16 result tile (`acc16`) takes half the registers, so twice as many fit in the same budget.
 */
const MAX_ACCUMULATORS = 8;
const MAX_ACCUMULATORS_W_IN_CHUNKS = 16;
/** W fragments a subgroup may hold across row chunks (16x16 f16: 4 registers per invocation each). */
const MAX_RESIDENT_W = 16;
/** Subgroups per workgroup at most (1024 invocations). */
const MAX_SUBGROUPS = 32;

export interface KsSgmatStridedSchedule extends Schedule {
  readonly family: 'ks-sgmat-strided';
  /** δ per workgroup (TD; 1 when d = 1). */
  readonly dtile: number;
  /** β per workgroup (TB). */
  readonly cols: number;
  /** β per subgroup: TB / sb subgroups per δ. */
  readonly sb: number;
  /** Row tiles of 16 per subgroup and row chunk. */
  readonly mr: number;
  /** Row chunks per workgroup. */
  readonly chunks: number;
  /** γ per staged chunk. */
  readonly tk: number;
  /** Hold the subgroup's W fragments in registers for the whole workgroup. */
  readonly wres: boolean;
  // And, in every schedule but session 6's form (candidates): `rg`, row groups (rowGroups), and
  // `wstage`, W staged per γ chunk in workgroup memory (a flag). Optional everywhere: `et`, the
  // result tiles each subgroup moves out per epilogue round (epilogueTiles; absent = 1). Optional
  // where d > 1: `acc16`, f16 result matrices (a flag; absent = f32, what every schedule before
  // it had), and `ds`, δ per subgroup (deltasPerSubgroup; absent = 1). Optional in session 6's
  // form: `pd`, the prefetch depth in γ chunks (prefetchDepth; absent = 1). Optional where the
  // staging or the epilogue moves vec4 runs: `sw`, swizzled lanes (a flag; absent = false).
  // Optional in session 6's form with pd 1: `db`, the source staged in two buffers (doubleBuffered;
  // a flag; absent = false). Optional where the γ chunks are written out (not looped) without db:
  // `ow`, the last epilogue round written out during the next row chunk (overlappedWriteOut; a
  // flag; absent = false). Optional where d > 1: `ob`, β per write-out item (outputBetas; absent = 1). Optional in
  // session 6's form with two β groups or more, one δ per subgroup and without ow: `bp`, the β groups in turn at the
  // epilogue's slots (betaGroupTurns; a flag; absent = false).
}

/** Everything the emitter and the validity rules derive from a schedule. */
export interface StridedTiling {
  readonly td: number;
  readonly tb: number;
  readonly sb: number;
  readonly mr: number;
  readonly rg: number;
  readonly chunks: number;
  readonly tk: number;
  readonly wres: boolean;
  /** W's γ chunk staged in workgroup memory, where every row group's subgroups read it. */
  readonly wstage: boolean;
  /** Carries rg and wstage (every schedule but session 6's form). */
  readonly extended: boolean;
  /** Result tiles per subgroup per epilogue round (et): mr·nb / et rounds of two barriers (each tile once per δ of the subgroup). */
  readonly et: number;
  /** δ per subgroup (ds): subgroup s takes δ slots s mod (td / ds) + e·td / ds, e < ds. */
  readonly ds: number;
  /** Result-slot owners per round: td · groups · rg (the subgroups when ds = 1). */
  readonly slots: number;
  /** γ chunks whose global loads are in flight while one is multiplied (pd: 1 or 2). */
  readonly pd: number;
  /**
   * The source staged in two buffers (db): γ chunk kc of a row chunk in buffer kc mod 2, so a
   * subgroup multiplies one chunk and stores the next (already in registers) into the other buffer
   * between the same two barriers: one barrier per γ chunk instead of two, and the stores and the
   * wait for their loads overlap the multiply-adds instead of following them.
   */
  readonly db: boolean;
  /**
   * The last epilogue round's tiles written out during the next row chunk (ow): each in the phase
   * of one of its first nk − 1 γ chunks, between the prefetch and the multiply-adds (the last row
   * chunk's after the loop), instead of alone between two barriers at the end of their own.
   */
  readonly ow: boolean;
  /**
   * β per write-out item (ob: 1, 2 or 4): each invocation of the epilogue's write-out takes `ob`
   * consecutive β of one row and δ run (ob vec4 stores along δ, d apart in the destination), so the
   * row, bounds test and δ are computed once per ob stores and its ob slot reads per δ plane sit at
   * consecutive addresses.
   */
  readonly ob: number;
  /**
   * β groups in turn at the epilogue's slots (bp): each round's slots hold the tiles of one β group (td slots), and the
   * groups store, pass a barrier, are written out and pass another one after the other, so the slots take 1 / groups of
   * the workgroup memory at groups times the epilogue's barriers.
   */
  readonly bp: boolean;
  /**
   * f16 result matrices (the f16 x f16 -> f16 configuration): half the accumulator registers, and
   * the epilogue's slots hold f16 (half the workgroup bytes, no conversion before the store).
   */
  readonly acc16: boolean;
  /**
   * Swizzled lanes (sw): the vec4 registers that the staging writes and the epilogue reads lane by
   * lane in rotated order (bank spread) are rotated with two selects between swizzles and indexed
   * by constants, instead of by the runtime lane (q + rotation) mod 4; the addresses, and so the
   * banks, stay the same. A vector indexed by a runtime value may live in thread-local memory
   * (one local store and four loads per staged vec4, four stores and a load per written one).
   */
  readonly sw: boolean;
  /** d = 1: the source is staged and the destination written along γ and β, not δ. */
  readonly contiguous: boolean;
  /** Subgroups, β groups per δ, invocations. */
  readonly subgroups: number;
  readonly groups: number;
  readonly threads: number;
  /** Rows per subgroup and row chunk, per row chunk, per workgroup. */
  readonly rt: number;
  readonly rc: number;
  readonly rows: number;
  /** Elements per vec4 of the staged source (4, or 1 without a vec4 view): along δ, or γ when contiguous. */
  readonly sv: number;
  /** Padded row of a staged γ chunk, and one δ plane of them (halves). */
  readonly tkp: number;
  readonly plane: number;
  /** One result tile's slot in the epilogue buffer (elements: floats, or halves with acc16). */
  readonly slot: number;
  readonly sharedBytes: number;
  /** The SgmatTileSizes view for sgmatTilingFits. */
  readonly cols: number;
  readonly dtile: number;
  readonly nb: number;
}

/** Invocations of a warp that share one δ run (the vec4s of one (row, γ) or (row, β)). */
function runsPerWarp(td: number, vw: number): number {
  return Math.max(1, td / vw);
}

/** The smallest padding `pad` (a multiple of `align`) with (base + pad) / unit ≡ want (mod 32). */
function padTo(base: number, unit: number, want: number, align: number): number {
  for (let pad = 0; ; pad += align) if (((base + pad) / unit) % 32 === want % 32) return pad;
}

/**
 * Epilogue slot of the contiguous case: 16 words more than a tile (≡ 16 mod 32), so the two
 * 4-word groups of neighbouring β groups (or rows) a warp reads at once sit in opposite halves of
 * the banks; with the rotation by (e / 8) mod 4 of the four lanes, a warp's reads are conflict-free.
 */
const CONTIGUOUS_SLOT = TILE * TILE + 16;

/**
 * Row groups: subgroups along the rows of a row chunk (one in session 6's schedules, which keep
 * the form tuning databases stored them with: no `rg`).
 */
function rowGroups(s: KsSgmatStridedSchedule): number {
  return typeof s.rg === 'number' ? s.rg : 1;
}

/**
 * Epilogue tiles: each round stores `et` result tiles per subgroup into workgroup memory (et
 * slots per subgroup), passes one barrier, writes them out and passes another, so a row chunk's
 * epilogue takes 2·mr·nb/et − 1 barriers instead of 2·mr·nb − 1 (7 of the 10 barriers per row
 * chunk of n = 4096's default are the epilogue's). Absent = 1, the form every schedule before
 * this knob had (tuning databases store them without it).
 */
function epilogueTiles(s: KsSgmatStridedSchedule): number {
  return typeof s.et === 'number' ? s.et : 1;
}

/**
 * δ per subgroup: with ds > 1 a workgroup covers `dtile` δ (the length of its runs along δ in
 * the source and destination: 32 bytes at 16 δ, what the H200 reads as fast as whole rows) with
 * dtile / ds δ slots of subgroups, each multiplying ds δ planes of the staged source per γ
 * chunk (ds·mr·nb result tiles). Absent = 1, the form of every schedule before this knob.
 */
function deltasPerSubgroup(s: KsSgmatStridedSchedule): number {
  return typeof s.ds === 'number' ? s.ds : 1;
}

/**
 * Prefetch depth: with pd 2 the source chunk two γ chunks ahead (across row chunks) is loaded
 * into a second set of registers right after a chunk is stashed, so each chunk's loads have two
 * multiply phases to arrive instead of one. The H100 and H200 ran the strided default in the same
 * time (0.306 and 0.295 ms) on 3.35 and 4.8 TB/s: latency, not bandwidth, bounds it, and one
 * 512-invocation workgroup per SM keeps about one γ chunk (16 KiB) in flight. Session 6's form
 * (unrolled γ chunks) with an even number of γ chunks per row chunk, so the register set of each
 * chunk is known statically. Absent = 1.
 */
function prefetchDepth(s: KsSgmatStridedSchedule): number {
  return typeof s.pd === 'number' ? s.pd : 1;
}

/**
 * Double buffering: the source's γ chunks alternate between two buffers of workgroup memory
 * (StridedTiling.db). Session 6's form only (unrolled γ chunks, so each chunk's buffer is a
 * constant) with an even number of γ chunks per row chunk (the parity carries over row chunks)
 * and one register set (pd 1). Absent = false.
 */
function doubleBuffered(s: KsSgmatStridedSchedule): boolean {
  return flag(s, 'db');
}

/**
 * Overlapped write-out: the epilogue's last round stores its tiles into the result slots at the end
 * of a row chunk but writes them to the destination in the next row chunk's first γ phases (each
 * tile in one of the phases before the last, beside that chunk's prefetch and multiply-adds; the
 * last row chunk's after the loop), so that round's shared-memory reads and global stores overlap
 * the next chunk's work instead of running alone between two barriers. The session 21 probes
 * (H200) put the output stage at two fifths of n = 4096's strided default (0.2120 ms, 0.1296
 * without it) where removing barriers alone did not pay (et, session 20's ov). Session 6's form
 * and every other form whose γ chunks are written out (not looped), without db, with two γ chunks
 * or more per row chunk. Absent = false.
 */
function overlappedWriteOut(s: KsSgmatStridedSchedule): boolean {
  return flag(s, 'ow');
}

/**
 * β per write-out item (d > 1): the epilogue's write-out gives each invocation `ob` consecutive β
 * of one row and δ run (ob stores, one per β, and ob reads per δ plane at consecutive slot
 * addresses: one address expression but for the β) instead of one, so the per-item work (its
 * place in the tile, row, bounds test and δ) is written once per ob stores. The session 21 probes (H200) put the output
 * stage at two fifths of n = 4096's strided factor (0.2120 ms, 0.1296 without it); its barriers
 * (et, ov) and its overlap with the next row chunk (ow) were measured without gain there, its
 * instruction count per store was not: in its WGSL some 40 integer operations of place and address
 * beside 4 scalar slot reads and one 8-byte store. A warp's reads stay within one wavefront where its 32
 * invocations read one tile row of one β group: ob 2 at n = 4096 (4 δ runs × 8 β pairs); with
 * ob 4 there they span two β groups, and at d = 4 (one δ run, β groups of 16) ob 2 and 4 span four
 * where the twin without ob spans two: two words per bank, two wavefronts per read (the bank test
 * counts them). Absent = 1. Those lost on the H100 (session 25): the space offers ob 2 with 16 δ or more only
 * (PAIRED_ITEMS_MIN_DTILE in ks-sgmat-strided.ts).
 */
function outputBetas(s: KsSgmatStridedSchedule): number {
  return typeof s.ob === 'number' ? s.ob : 1;
}

/**
 * β groups in turn (StridedTiling.bp): the subgroups of one β group at a time store their result tiles into the epilogue's
 * slots, so the slots are sized for one group. It admits f32 sums where the slots of every subgroup beside the staged
 * source exceed 48 KiB: K(1, 256, 256, 16) (Monarch n = 4096 with 16 blocks) as 16 δ × 32 β in two 16-β subgroups per δ
 * with γ chunks of 32 (32 f32 slots, 34 KiB, beside 20 KiB of source), the shape whose f16-sum form was session 26's
 * tuned winner there (0.6101 ms against 0.8362 for the f32-sum default of 16 β). Session 19's bp (n = 4096's 64 β in
 * 32-row tiles, commit 65c1c9e) lost where the form without it fit; it was removed then. Session 6's form only (unrolled
 * γ chunks), one δ per subgroup, two β groups or more, without ow (whose last round is written out in the next row
 * chunk). Absent = false. H100, session 27 call 1 (bench/results/s27/call-1/perf, plan-s27a), B = 16384, that shape:
 * 0.7298 ms at 32 row chunks (0.8285 with ob 2, whose passes leave half the invocations idle; 0.8710 at 16 chunks with
 * ob 2), 0.7514 in 32-row tiles at 16 chunks, against 0.8348 for the 16-β default then and 0.6851 for the 8-δ × 64-β form
 * that became the default (halfRunsWideTwin in ks-sgmat-strided.ts); at B = 4096 0.2348 and 0.3896 (16 and 32 chunks,
 * ob 2) against 0.2253; n = 4096's read-once form with γ chunks of 32 0.2282 and 0.2425 against its default's 0.2065.
 * So a tuner candidate only.
 */
function betaGroupTurns(s: KsSgmatStridedSchedule): boolean {
  return flag(s, 'bp');
}

/**
 * Epilogue slot (halves) of an f16 result tile when d > 1. A warp's reads (for each of the four
 * rotated steps) take the 16 β of one row from `runs` δ planes, 8 words each (two halves a word),
 * δ 4·dv + (q + dv) mod 4 for run dv. 272 halves (136 words ≡ 8 mod 32) put the runs' 8-word
 * spans on distinct banks for 2 and 4 runs (offsets of 1 or 5 slots, or 8·((q + dv) mod 4)
 * words); with one run the warp's other 16 invocations read the next β group, TD = 4 slots on,
 * and 264 (132 words: 4 slots ≡ 16 mod 32) keeps them apart. Slots stay multiples of 8 halves
 * (16 bytes: the matrix stores' alignment).
 */
function halfSlot(runs: number): number {
  return runs === 1 ? TILE * TILE + 8 : TILE * TILE + 16;
}

export function tiling(op: KsOp, s: KsSgmatStridedSchedule): StridedTiling {
  const { dtile: td, cols: tb, sb, mr, chunks, tk, wres } = s;
  const rg = rowGroups(s);
  const et = epilogueTiles(s);
  const ds = deltasPerSubgroup(s);
  const pd = prefetchDepth(s);
  const db = doubleBuffered(s);
  const ow = overlappedWriteOut(s);
  const ob = outputBetas(s);
  const bp = betaGroupTurns(s);
  const wstage = flag(s, 'wstage');
  const acc16 = flag(s, 'acc16');
  const sw = flag(s, 'sw');
  const contiguous = op.d === 1;
  const groups = tb / sb;
  const slots = td * groups * rg;
  const subgroups = slots / ds;
  const rt = mr * TILE;
  const rc = rg * rt;
  const sv = contiguous || (op.d % 4 === 0 && td % 4 === 0) ? 4 : 1;
  const tkp = tk + 8;
  const base = rc * tkp;
  let plane = base;
  let slot = CONTIGUOUS_SLOT;
  if (!contiguous) {
    // A warp's staging writes span 32 / runs consecutive γ of each of `runs` δ planes: plane starts
    // that many words apart (in the rotated order) keep the four δ of a vec4 on distinct banks.
    const runs = runsPerWarp(td, sv);
    const kWords = Math.min(16, Math.max(4, 16 / runs));
    plane = base + padTo(base, 2, kWords, 8);
    // Epilogue slots: each δ run of a warp reads 32 / runs consecutive β of one row.
    slot = acc16 ? halfSlot(runs) : 256 + Math.min(16, Math.max(4, 32 / runs));
  }
  const sharedBytes = 2 * td * plane * (db ? 2 : 1) + ((acc16 ? 2 : 4) * slots * slot * et) / (bp ? groups : 1) + (wstage ? 2 * td * tb * tkp : 0);
  return {
    td, tb, sb, mr, rg, chunks, tk, wres, wstage, extended: s.rg !== undefined, et, ds, slots, pd, db, ow, ob, bp, acc16, sw, contiguous, subgroups, groups, threads: subgroups * SUBGROUP, rt, rc, rows: rc * chunks, sv, tkp, plane, slot, sharedBytes,
    cols: tb, dtile: td, nb: sb / TILE,
  };
}

/**
 * The workgroup-memory layout of a schedule (in elements): the padded row of a staged γ chunk and
 * one δ plane of them (halves), one result slot (floats), and the vec4 widths of the source
 * staging and of the destination writes (4, or 1 for scalar). Exported for the bank tests.
 */
export function stridedSgmatLayout(op: KsOp, s: KsSgmatStridedSchedule): { readonly tkp: number; readonly plane: number; readonly slot: number; readonly srcVec: number } {
  const t = tiling(op, s);
  return { tkp: t.tkp, plane: t.plane, slot: t.slot, srcVec: t.sv };
}

/** Shape rules, independent of the schedule (what the WGSL-text tests check on any adapter). */
export function stridedSgmatApplies(op: KsOp, limits: TargetLimits): boolean {
  return hasSubgroupMatrix(limits) && op.input.steps.length === 0 && op.b % TILE === 0 && op.c % TILE === 0;
}

/** Whether a tiling is a schedule of op on the target: whole tiles, register and memory budgets, the invocation limit. */
export function valid(op: KsOp, t: StridedTiling, limits: TargetLimits): boolean {
  // In f32-tile units: an f16 result tile is half one.
  const accumulators = (t.ds * t.mr * t.nb) / (t.acc16 ? 2 : 1);
  const accumulatorsFit = t.wres ? accumulators <= MAX_ACCUMULATORS && t.ds * (op.c / TILE) * t.nb <= MAX_RESIDENT_W : accumulators <= MAX_ACCUMULATORS_W_IN_CHUNKS;
  return (
    !(t.acc16 && t.contiguous) &&
    !(t.sw && t.sv !== 4) &&
    (t.ob === 1 || (!t.contiguous && TILE % t.ob === 0)) &&
    t.td % t.ds === 0 &&
    (t.pd === 1 || (t.pd === 2 && !t.extended && (op.c / t.tk) % 2 === 0)) &&
    (!t.db || (t.pd === 1 && !t.extended && !t.contiguous && (op.c / t.tk) % 2 === 0)) &&
    (!t.ow || (!t.db && !(t.extended && !t.wres) && op.c / t.tk >= 2)) &&
    (!t.bp || (!t.extended && !t.contiguous && t.ds === 1 && t.groups >= 2 && !t.ow)) &&
    t.tb % t.sb === 0 &&
    t.sb % TILE === 0 &&
    (t.mr * t.nb) % t.et === 0 &&
    op.c % t.tk === 0 &&
    t.tk % TILE === 0 &&
    t.subgroups <= MAX_SUBGROUPS &&
    t.threads <= limits.maxWorkgroupSize &&
    sgmatTilingFits(op, t, accumulatorsFit, limits)
  );
}
