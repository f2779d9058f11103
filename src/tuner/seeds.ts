/**
 * What the tuner searches for one forward op: the schedule space and the seeds it always tries
 * first (search.ts). Shared by tune.ts and the tests that pin the search's behaviour on the
 * measured shapes, so both see exactly the tuner's seeds. Browser-safe.
 */
import { candidates, defaultSchedule, familyDefaults } from '../codegen/wgsl/families.js';
import { f16SumTwin, squareTwin } from '../codegen/wgsl/fast/ks-sgmat.js';
import { stridedF16SumTwins } from '../codegen/wgsl/fast/ks-sgmat-strided.js';
import { residentTwin } from '../codegen/wgsl/fast/ks-dtiled.js';
import { scheduleKey } from '../codegen/wgsl/family.js';
import { DEFAULT_LIMITS, type Schedule, type TargetLimits } from '../codegen/wgsl/kernel.js';
import type { StorageType } from '../codegen/wgsl/scaffold.js';
import type { Op } from '../ir/ir.js';

/**
 * The device's limits as candidates of `storage` may use them: shader-f16 only serves f16
 * storage (ks-sgmat's tensor cores take f16 operands), so for f32 storage such candidates
 * cannot be emitted and would take slots of the capped search.
 */
export function storageLimits(limits: TargetLimits, storage: StorageType): TargetLimits {
  return storage === 'f16' ? limits : { ...limits, features: limits.features.filter((f) => f !== 'shader-f16') };
}

export interface OpSearch {
  /** The schedule an untuned build runs the op with on the adapter (untuned-kernels.ts), timed first. */
  readonly buildDefault: Schedule;
  /**
   * Tried first, in order: the build default, every family's own default on these limits, then for
   * a ks op on an adapter with f16 results ks-sgmat's f16-sum twin of its default (measured 19%
   * faster on 4096 -> 1024's first factor, H100 s16; two knobs from the default, which a capped
   * search did not reach; numerics.md lets tuned builds sum in f16, and the float64 check gates it).
   */
  readonly seeds: readonly Schedule[];
  /** Every valid schedule of every family of the op on these limits. */
  readonly space: readonly Schedule[];
}

/**
 * The search of one forward op on `limits` (already narrowed by storageLimits). `buildDefault`:
 * the op's kernel in the untuned build's set on this adapter (tune.ts); without one (an op that
 * build fuses into a run) its single default within the portable limits. `batch`: the rows the tuner times at, where known
 * (seeds whose best form follows the grid take the one for it: squareTwin, stridedF16SumTwins).
 */
export function opSearch(op: Op, limits: TargetLimits, buildDefault: Schedule = defaultSchedule(op, DEFAULT_LIMITS), batch?: number): OpSearch {
  const seeds = [buildDefault, ...familyDefaults(op, limits)];
  // f16-sum twins of the tensor-core defaults (first factor, its square tile where the batch fills the GPU, strided
  // factor), where the adapter has f16 results; in f32 the strided factor's resident-W form (ks-dtiled residentTwin).
  const twins = op.kind === 'ks' ? [f16SumTwin(op, limits), squareTwin(op, limits, batch), ...stridedF16SumTwins(op, limits, batch), residentTwin(op, limits, batch)] : [];
  for (const twin of twins) if (twin && !seeds.some((s) => scheduleKey(s) === scheduleKey(twin))) seeds.push(twin);
  return { buildDefault, seeds, space: candidates(op, limits) };
}
