/**
 * What the tuner searches for one forward op: the schedule space and the seeds it always tries
 * first (search.ts). Shared by tune.ts and the tests that pin the search's behaviour on the
 * measured shapes, so both see exactly the tuner's seeds. Browser-safe.
 */
import { candidates, defaultSchedule, familyDefaults } from '../codegen/wgsl/families.js';
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
  /** The schedule an untuned build uses (chosen within the limits every adapter has). */
  readonly buildDefault: Schedule;
  /** Tried first, in order: the build default, then every family's own default on these limits. */
  readonly seeds: readonly Schedule[];
  /** Every valid schedule of every family of the op on these limits. */
  readonly space: readonly Schedule[];
}

/** The search of one forward op on `limits` (already narrowed by storageLimits). */
export function opSearch(op: Op, limits: TargetLimits): OpSearch {
  const buildDefault = defaultSchedule(op, DEFAULT_LIMITS);
  return { buildDefault, seeds: [buildDefault, ...familyDefaults(op, limits)], space: candidates(op, limits) };
}
