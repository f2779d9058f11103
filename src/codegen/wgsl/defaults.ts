/**
 * What an untuned build does, as data: which family it picks for each op (the first of the
 * op's list with a candidate on the target, else the list's last, which fits every op), the
 * knobs the simple families' defaults take, and when it fuses runs. Tuning-database entries
 * override all of it at build time (program.ts, backward-program.ts). The tiled families pick
 * their own default among their candidates by a score (their files), so it always fits the target.
 */
import type { BackwardOp } from '../../ir/ir.js';
import type { FamilyForOp } from './family.js';
import type { Schedule, TargetLimits } from './kernel.js';
import { assertNever } from '../../util/assert.js';

/**
 * A rule of the untuned family choice: it applies to ops whose blocks are at least `minBlock`
 * (outputs and reduction) and, with `unstrided`, only to Kronecker-sparse factors with d = 1.
 */
export interface UntunedRule {
  readonly minBlock?: number;
  readonly unstrided?: boolean;
  /** Family names in order of preference. */
  readonly families: readonly string[];
}

/**
 * Blocks at least this big (outputs and reduction) go to the tiled GEMM families in untuned
 * builds: there register tiles pay for themselves whatever the batch (a partial row tile only
 * idles lanes). On the H100, Monarch n = 4096 at B = 16384 ran in 35 ms on ks-direct and in
 * 0.9 ms on the tiled families' own defaults (bench/results/cli-tune-h100-log.txt).
 */
export const TILED_MIN_BLOCK = 8;

/** The untuned family choice per op (the first rule that applies). */
export const UNTUNED_FAMILIES = {
  ks: [
    // Contiguous factors (d = 1): tensor cores where the target has them (ks-sgmat has candidates
    // only on targets with shader-f16 and subgroup matrices: the tensor-core kernel set,
    // codegen/kernel-sets.ts; never on the portable limits), then the register-tiled GEMM. On the
    // H200, f16, ks-sgmat's default beat ks-tiled's best in every Monarch first factor measured
    // (B = 16384): n=4096 0.157 vs 0.396 ms, 1024->4096 0.097 vs 0.272, 4096->1024 0.309 vs
    // 1.034, n=16384 (B=4096) 0.218 vs 0.619, n=1024 0.045 vs 0.058 (bench/results/s4).
    { minBlock: TILED_MIN_BLOCK, unstrided: true, families: ['ks-sgmat', 'ks-tiled', 'ks-direct'] },
    // Strided factors: tensor cores where the target has them (ks-sgmat-strided, tensor-core set
    // only), then ks-dtiled where the target holds its measured shape (UNTUNED_NEEDS), else
    // ks-dvec (vec4 along δ; both need d a multiple of 4), else ks-tiled. On the H200, f16,
    // ks-sgmat-strided's default beat ks-dtiled's best in every Monarch strided factor measured
    // (session 6, B = 16384): n=4096 0.319 vs 0.523 ms, 1024->4096 0.902 vs 1.485, 4096->1024
    // 0.263 vs 0.396, n=1024 0.057 vs 0.097, n=16384 (B=4096) 0.626 vs 0.943
    // (bench/results/s6/call1/sweep-log.txt). Not ks-sgmat: on the strided factor it lost to all
    // three (n=4096 f16: 0.821 ms).
    { minBlock: TILED_MIN_BLOCK, families: ['ks-sgmat-strided', 'ks-dtiled', 'ks-dvec', 'ks-tiled', 'ks-direct'] },
    { families: ['ks-direct'] },
  ],
  // bsr-tiled has candidates for blocks of at least 2 rows: 50x bsr-direct on the H100 (Pixelfly, n = 1024).
  bsr: [{ families: ['bsr-tiled', 'bsr-direct'] }],
  bias: [{ families: ['bias'] }],
  // Input gradients of Kronecker-sparse factors on the row-tiled family (docs/performance.md, training step).
  transposedKs: [{ families: ['ks-t-tiled'] }],
  transposedBsr: [{ families: ['bsr-t-direct'] }],
  // Staged through workgroup memory where it applies (Kronecker-sparse factors).
  wgrad: [{ families: ['wgrad-staged', 'wgrad-tiled'] }],
  bgrad: [{ families: ['bgrad'] }],
  reduce: [{ families: ['reduce'] }],
} as const satisfies Readonly<Record<string, readonly UntunedRule[]>>;

/** The untuned preference for a (forward or backward) op: the family names of its first applicable rule. */
export function untunedFamilies(op: BackwardOp): readonly string[] {
  const rules: readonly UntunedRule[] = (() => {
    switch (op.kind) {
      case 'ks':
        return op.transposed ? UNTUNED_FAMILIES.transposedKs : UNTUNED_FAMILIES.ks;
      case 'bsr':
        return op.transposed ? UNTUNED_FAMILIES.transposedBsr : UNTUNED_FAMILIES.bsr;
      case 'bias':
      case 'wgrad':
      case 'bgrad':
      case 'reduce':
        return UNTUNED_FAMILIES[op.kind];
      default:
        return assertNever(op, 'op');
    }
  })();
  const blocks = blockSizes(op);
  const applies = (r: UntunedRule) =>
    (r.minBlock === undefined || (blocks !== undefined && blocks.outputs >= r.minBlock && blocks.reduction >= r.minBlock)) && (!r.unstrided || blocks?.stride === 1);
  return rules.find(applies)?.families ?? [];
}

function blockSizes(op: BackwardOp): { readonly outputs: number; readonly reduction: number; readonly stride: number } | undefined {
  switch (op.kind) {
    case 'ks':
      return { outputs: op.b, reduction: op.c, stride: op.d };
    case 'bsr':
      return { outputs: op.bh, reduction: op.bw, stride: 1 };
    // No blocks: an elementwise op, or a gradient op whose rules set no minimum block.
    case 'bias':
    case 'wgrad':
    case 'bgrad':
    case 'reduce':
      return undefined;
    default:
      return assertNever(op, 'op');
  }
}

/** Knobs of the simple families' defaults (each the largest value that fits the op, where a list). */
export const DEFAULT_KNOBS = {
  /** Lanes per workgroup (or the target's maximum when smaller). */
  workgroupSize: 64,
  /** ks-direct, bsr-direct, bsr-t-direct: outputs per thread, and full unrolling of reductions up to this length. */
  direct: { outputsPerThread: [1, 2, 4], fullUnrollUpTo: 16 },
  /**
   * ks-t-direct, ks-t-tiled. Measured on the H200 (docs/performance.md, training step): 8 outputs
   * × 16 rows per thread, β fastest for strided factors, took the Monarch n = 4096 factors' input
   * gradients from 4.37 / 0.85 ms (4 × 4, δ fastest) to 0.59 / 0.68 ms.
   */
  transposed: { outputsPerThread: [1, 2, 4, 8], fullUnrollUpTo: 16, rowsPerThread: { 'ks-t-direct': 1, 'ks-t-tiled': 16 }, stridedOrder: 'b' },
  /** wgrad-tiled: weights per thread along β and γ. */
  weightGradTile: [1, 2, 4],
} as const;

/**
 * Untuned fusion: ops whose blocks are smaller than TILED_MIN_BLOCK (butterfly levels, small
 * radices) fuse into chain runs with a tile of at most `runTile` elements per batch row: 4 KiB of
 * f32, so the default schedule still stages several rows in the 16 KiB of workgroup memory every
 * adapter has. Bigger blocks are faster on their own tiled kernels: order-3 Monarch at n = 4096
 * (radix 16), factors 0 and 1 fused, took 4.6 ms on the H100 against 0.53 ms for all three
 * factors unfused (bench/results/s2).
 */
export const DEFAULT_FUSION = { runTile: 1024, belowBlock: TILED_MIN_BLOCK } as const;

/**
 * Families an untuned build prefers only on targets with at least these limits, where their
 * default is the shape that was measured to win. ks-dtiled beat ks-dvec on the H200 (1024
 * invocations, 48 KiB) at its defaults in all eight Monarch strided factors measured (f32 and
 * f16: n=4096 0.464 vs 0.492 ms, 0.518 vs 0.545; n=16384 0.823 vs 0.876, 0.941 vs 0.979;
 * 1024->4096 1.499 vs 1.592, 1.482 vs 1.767; 4096->1024 0.397 vs 0.408, 0.396 vs 0.458:
 * bench/results/s4/call2, call3), but only there: those shapes take 512 invocations and 32 KiB
 * (d ≥ 8) or 48 KiB (d = 4), and the smaller ks-dtiled tiles measured lost to ks-dvec's best
 * (n=4096: 64 × 32 × 8 δ 0.500 ms; d = 4: 64 × 64 × 4 δ, chunks of 8, 1.667 and 0.430 ms).
 * Below `fromStride` the family needs nothing more than a candidate: since session 10's `bcast`
 * and `grun`, ks-dtiled's default on WebGPU's default limits (256 invocations, 16 KiB: 128 rows ×
 * 32 β × 4 δ, chunks of 4) beat ks-dvec's there for 1024->4096's d = 4 factor, 1.468 vs 1.681 ms
 * f32 on the H100, while at d = 8 ks-dvec's stayed ahead (n=4096: 0.504 vs 0.609;
 * bench/results/s11/call-5); session 12's `el` (KS_DTILED_SHAPES.fourBlocksSmall) keeps that
 * kernel no larger than ks-dvec's (8.9 vs 9.0 kB of WGSL; unrolled it was 24.9 kB), at the same
 * speed (1.4596 vs 1.4565 ms; ks-dvec 1.5838: bench/results/s12/call-1).
 */
export const UNTUNED_NEEDS: Readonly<Record<string, Pick<TargetLimits, 'maxWorkgroupSize' | 'maxWorkgroupStorageBytes'> & { readonly fromStride: number }>> = {
  'ks-dtiled': { maxWorkgroupSize: 512, maxWorkgroupStorageBytes: 49152, fromStride: 8 },
};

function targetMeets(family: string, op: BackwardOp, limits: TargetLimits): boolean {
  const needs = UNTUNED_NEEDS[family];
  return (
    needs === undefined ||
    (blockSizes(op)?.stride ?? 1) < needs.fromStride ||
    (limits.maxWorkgroupSize >= needs.maxWorkgroupSize && limits.maxWorkgroupStorageBytes >= needs.maxWorkgroupStorageBytes)
  );
}

/**
 * The untuned schedule of an op among its families (applied to it): the default of the first
 * family of its untuned preference (untunedFamilies) with a candidate on the target (and the
 * limits UNTUNED_NEEDS asks), else of the last one named (the portable fallback of the list), else of the op's first family.
 * Limits for f32 storage must not list shader-f16 (the tensor-core families take f16 operands;
 * the tuner's storageLimits drops it likewise).
 */
export function untunedSchedule(families: readonly FamilyForOp[], op: BackwardOp, limits: TargetLimits): Schedule {
  const preferred = untunedFamilies(op).flatMap((name) => families.filter((f) => f.name === name));
  const family = preferred.find((f) => targetMeets(f.name, op, limits) && f.candidates(limits).length > 0) ?? preferred[preferred.length - 1] ?? families[0];
  return family.defaultSchedule(limits);
}

/**
 * Floats of registers a workgroup of the register-tiled families may hold in one budgeted array (ks-dtiled's resident W,
 * ks-dvec's accumulators): half the 64K-register file of the SMs measured (H100, H200), so the rest of the kernel's
 * registers (accumulators or operands, staging, addresses) fit beside it without spilling. Past it: ks-dvec's 512
 * invocations of 32 vec4 accumulators ran 6-10x slower than its default (H100, session 30 call A).
 */
export const REGISTER_BUDGET_FLOATS = 32768;

/**
 * Workgroups a tuner seed's grid should keep at the batch the tuner times (about one per SM of the H100's 132): where a
 * seed's best form follows the grid, the seed whose grid keeps this many is taken (forTheGrid, keepsTheGrid). H100,
 * B = 16384: the d = 4 strided seeds (ks-sgmat-strided.ts, overlappedD4Twins) won with 128 workgroups at both shapes,
 * 1024 -> 4096 at 32 row chunks 0.2831 ms against 0.3000 at 8 (512), 4096 -> 1024 at 8 (128) 0.0935 against 0.1516 at 16
 * (64) and 0.2655 at 32 (32; session 25 call 3's sweep); squareTwin's 256 x 256 workgroups won with 256 at B = 16384 and
 * lost with 64 at B = 4096; the f32 strided seed (ks-dtiled.ts residentTwin) took 1024 rows (128 workgroups) at B = 16384
 * and 256 (128) at B = 4096, the best row count in both (sessions 28-29).
 */
const SEED_MIN_WORKGROUPS = 128;

/** A seed's grid: `perRowTile` workgroups for each tile of `rows` batch rows. */
export interface SeedGrid {
  readonly rows: number;
  readonly perRowTile: number;
}

/** Whether `grid` keeps SEED_MIN_WORKGROUPS at `batch`. */
export function keepsTheGrid(grid: SeedGrid, batch: number): boolean {
  return Math.ceil(batch / grid.rows) * grid.perRowTile >= SEED_MIN_WORKGROUPS;
}

/**
 * The seed-by-grid rule, for forms that differ only in their rows per workgroup: at `batch`, the one with the most rows
 * whose grid keeps SEED_MIN_WORKGROUPS, else the one with the fewest rows (the most workgroups); where the batch is not
 * known, the one with the most rows. Undefined for no forms.
 */
export function forTheGrid<S>(forms: readonly S[], gridOf: (s: S) => SeedGrid, batch: number | undefined): S | undefined {
  const byRows = [...forms].sort((x, y) => gridOf(y).rows - gridOf(x).rows);
  if (batch === undefined) return byRows[0];
  return byRows.find((s) => keepsTheGrid(gridOf(s), batch)) ?? byRows[byRows.length - 1];
}

/**
 * A measured-best shape of a tiled family: the knob values its default aims for, and what each
 * halving or doubling away from a value costs (booleans: what a mismatch costs). A family's
 * default is the candidate nearest to its shape (shapeDistance), so on a target too small for
 * the shape it is the nearest one that fits.
 */
export interface TargetShape {
  readonly knobs: Readonly<Record<string, number | boolean>>;
  readonly weights: Readonly<Record<string, number>>;
}

/** How far a schedule's knobs (and derived sizes such as `threads`) are from `target`. */
export function shapeDistance(values: Readonly<Record<string, unknown>>, target: TargetShape): number {
  let distance = 0;
  for (const [knob, want] of Object.entries(target.knobs)) {
    const have = values[knob];
    const weight = target.weights[knob] ?? 1;
    if (typeof want === 'boolean') distance += have === want ? 0 : weight;
    else if (typeof have === 'number' && have > 0) distance += weight * Math.abs(Math.log2(have / want));
    else distance += weight * 8;
  }
  return distance;
}

/**
 * ks-tiled's shapes (for d > 1: min(d, 4) δ, each with the tile). Monarch-sized blocks: 64 rows ×
 * 64 β, 8x4 register tiles (128 invocations), chunks of 8, pipelined: the best of every Monarch
 * first factor on the H200, f32 (planned searches, bench/results/s4/call2, call3): n=4096 B=16384
 * 0.284 ms. A long reduction (γ ≥ `largeFrom`: dense layers and, since session 12, Monarch first
 * factors with blocks of 128 or more): 128 × 128, 8x8, chunks of 16, the best of dense 4096³ on
 * the H100 (4.035 ms; bench/results/goal3-h100-raw.json), with `ilv`, `pad` and `pl` (session 11:
 * 4096->1024's first factor 0.8868 ms where the same tile took 0.9222 with ilv + pad only and
 * Monarch-sized blocks 1.0173), on the H100 in session 12 (bench/results/s12/call-1, call-2):
 * n=16384's first factor (γ = 128) 0.4695 where 128 × 64 with ilv took 0.5030 and the earlier
 * default 0.5419, 1024->4096's (γ = 256) 0.2356 where 128 × 64 with ilv took 0.2594 and the
 * earlier default 0.2640; with chunks of 8, its form on WebGPU's default limits (16 KiB), 0.5231
 * and 0.2551. Session 12's `ku` (each chunk's γ written out) was faster still on every first
 * factor: the large tile 0.4335, 0.2218, 0.8018 for 4096->1024 where without it 0.4695, 0.2356,
 * 0.8801 (H200, s12 call 5: 0.4322, 0.2204, 0.8077 vs 0.4668, 0.2338, 0.8854); with chunks of 8,
 * 128 × 64 with ku 0.2449 where the portable form without took 0.2551. So since session 13 the
 * large tile takes it (22.7 kB of WGSL instead of 8.1, 13.4 instead of 6.6 on WebGPU's default
 * limits: one such kernel per dense layer or first factor of wide blocks), and blocks of γ ≥
 * `wideFrom` take the measured best of n=4096's first factor (γ = 64): 128 rows × 64 β, 8x8,
 * chunks of 16, ilv + pad + pl + ku, 0.2708 ms on the H100 (s12 call 2) and 0.2550 on the H200 (s12
 * call 5) where the blocks' shape took 0.2930 and 0.2806 (it fits WebGPU's default limits: 128
 * invocations, 12.5 KiB). Smaller blocks keep the blocks' shape: unmeasured with ku, and its text
 * pushed a forward-only f16 module (`64 -> 256 = monarch(nblocks: 4)`, γ = 16) past
 * build-forward-only's size bound in session 12.
 */
export const KS_TILED_SHAPES = {
  blocks: { rows: 64, cols: 64, tk: 8, rr: 8, rb: 4, pipeline: true, threads: 128 },
  wideBlocks: { rows: 128, cols: 64, tk: 16, rr: 8, rb: 8, pipeline: true, ilv: true, pad: true, pl: true, ku: true, threads: 128 },
  wideFrom: 64,
  large: { rows: 128, cols: 128, tk: 16, rr: 8, rb: 8, pipeline: true, ilv: true, pad: true, pl: true, ku: true, threads: 256 },
  largeFrom: 128,
  /** δ per workgroup first, then filling the invocations; the rest alike. */
  weights: { dtile: 2, threads: 1.5, rows: 1, cols: 1, tk: 1, rr: 1, rb: 1, pipeline: 1 },
} as const;

/**
 * ks-dtiled's shapes, f32 on the H100 (B=16384; n=16384: B=4096). d ≥ 8: 64 rows × 64 β × 8 δ
 * with δ fastest, 8x8 register tiles (512 invocations), chunks of 8, pipelined, its staged tiles
 * in planes (`pl`, session 11) and each chunk's γ written out (`ku`, session 12;
 * bench/results/s12/call-2): n=4096 0.4161 ms where the bcast form (one δ per warp, 8x4 tiles,
 * 1024 invocations, two register rows per epilogue round: the default from session 10) took
 * 0.4219 and the same without ku 0.4258; n=16384 0.7414 (0.7664 without ku, 0.8185 without pl,
 * bench/results/s11/call-2); since session 14 with its staging padded (`pad`: conflict-free stores;
 * H200, s14 call 1: n=4096 0.3846 vs 0.4195 without, n=16384 0.6761 vs 0.7441,
 * bench/results/s14/call-1). d = 4: bcast with grun (each row's γ chunk staged as one run), 128
 * rows × 64 β × 4 δ, 8x8, chunks of 8 (session 10: 1024->4096 1.139 ms, 4096->1024 0.2986 where
 * the earlier default took 1.495 and 0.404), in planes with ku: 1.0119 and 0.2643 where with pl
 * alone (session 12 call 1: 1.1272 and 0.2947 vs 1.1462 and 0.2984 without) it took 1.1276 and
 * 0.2928. Targets with fewer invocations than that shape (WebGPU's default limits) take
 * `fourBlocksSmall`, the measured best there: 128 × 32 × 4 δ, chunks of 4, with the epilogue's
 * passes looped (`el`: a third of the kernel's text, 1.4596 vs 1.4565 ms unrolled and 1.4697 with
 * `pl`), where on the 512-invocation shape `el` cost 1.507 vs 1.146 ms (session 12 call 1). Since
 * session 13, reductions of γ ≥ `smallWideFrom` there take `fourBlocksSmallWide`, 64 × 64 × 4 δ,
 * chunks of 4, bcast + grun in planes with ku (13.6 KiB, 256 invocations): 1024->4096's strided
 * factor (γ = 256) 1.1494 ms where `fourBlocksSmall` took 1.4508 and its pl + ku twin 1.5170 (H100,
 * bench/results/s13/call-1). Its text is 31 kB of WGSL (unrolled epilogue and chunks) against 9 kB,
 * so shorter reductions (small maps, unmeasured) keep the looped form.
 */
export const KS_DTILED_SHAPES = {
  strided: { rows: 64, cols: 64, dtile: 8, tk: 8, rr: 8, rb: 8, pipeline: true, pl: true, ku: true, pad: true, threads: 512 },
  fourBlocks: { rows: 128, cols: 64, dtile: 4, tk: 8, rr: 8, rb: 8, pipeline: true, bcast: true, grun: true, pl: true, ku: true, threads: 512 },
  fourBlocksSmall: { rows: 128, cols: 32, dtile: 4, tk: 4, rr: 8, rb: 8, pipeline: true, bcast: true, grun: true, el: true, threads: 256 },
  fourBlocksSmallWide: { rows: 64, cols: 64, dtile: 4, tk: 4, rr: 8, rb: 8, pipeline: true, bcast: true, grun: true, pl: true, ku: true, threads: 256 },
  smallWideFrom: 64,
  /**
   * Invocations and δ first; then fewer β rather than fewer rows (128 × 32 beat 32 × 128 at n=16384: 0.880 vs 0.948 ms;
   * padded in planes with ku, all 128 β took 0.8027 against the default's 0.6768: H100, session 30 call A).
   */
  weights: { threads: 4, dtile: 3, rr: 2, rb: 2, rows: 1, cols: 0.9, tk: 1, pipeline: 0.5, bcast: 2, grun: 2, pl: 1, el: 1, ku: 1, pad: 1 },
} as const;
