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

/** A rule of the untuned family choice: it applies to ops whose blocks are at least `minBlock` (outputs and reduction). */
export interface UntunedRule {
  readonly minBlock?: number;
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
  // ks-dvec (vec4 along δ) only applies to strided factors; ks-tiled takes the rest.
  ks: [{ minBlock: TILED_MIN_BLOCK, families: ['ks-dvec', 'ks-tiled', 'ks-direct'] }, { families: ['ks-direct'] }],
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
      default:
        return UNTUNED_FAMILIES[op.kind];
    }
  })();
  const blocks = blockSizes(op);
  const rule = rules.find((r) => r.minBlock === undefined || (blocks !== undefined && blocks.outputs >= r.minBlock && blocks.reduction >= r.minBlock));
  return rule?.families ?? [];
}

function blockSizes(op: BackwardOp): { readonly outputs: number; readonly reduction: number } | undefined {
  switch (op.kind) {
    case 'ks':
      return { outputs: op.b, reduction: op.c };
    case 'bsr':
      return { outputs: op.bh, reduction: op.bw };
    default:
      return undefined;
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
 * The untuned schedule of an op among its families (applied to it): the default of the first
 * family of `preference` with a candidate on the target, else of the last one named (the
 * portable fallback of the list), else of the op's first family.
 */
export function untunedSchedule(families: readonly FamilyForOp[], preference: readonly string[], limits: TargetLimits): Schedule {
  const preferred = preference.flatMap((name) => families.filter((f) => f.name === name));
  const family = preferred.find((f) => f.candidates(limits).length > 0) ?? preferred[preferred.length - 1] ?? families[0];
  return family.defaultSchedule(limits);
}
