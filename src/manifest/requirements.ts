/**
 * Whether an adapter meets a kernel set's requirements (the manifest's `requires`), one phrase
 * per thing it lacks. Here, with the format, because both sides ask: the runtime choosing a set
 * for its device (runtime/kernel-sets.ts), the compiler noting kept sets that an adapter with
 * WebGPU's defaults cannot run (compile-kernels.ts `kernelSets`), which must not load the runtime.
 */
import type { ManifestRequirements } from './types.js';

/** What an adapter offers, as far as a set's requirements ask (the runtime's DeviceCapabilities has these fields). */
export interface AdapterOffer {
  readonly features: readonly string[];
  readonly maxComputeInvocationsPerWorkgroup: number;
  readonly maxComputeWorkgroupSizeX: number;
  readonly maxComputeWorkgroupStorageSize: number;
  readonly subgroupMinSize?: number;
  readonly subgroupMaxSize?: number;
  /** The adapter's subgroup-matrix configurations, named as a manifest names them (`f16->f32 16x16x16`: subgroup-matrix.ts). */
  readonly subgroupMatrixConfigs?: readonly string[];
}

/** What an adapter lacks for a set's requirements, one phrase each (empty: it can run the set). */
export function unmetRequirements(requires: ManifestRequirements, device: AdapterOffer): string[] {
  const size = requires.subgroupSize;
  const unmet = requires.features.filter((f) => !device.features.includes(f));
  const invocations = requires.maxComputeInvocationsPerWorkgroup;
  if (Math.min(device.maxComputeInvocationsPerWorkgroup, device.maxComputeWorkgroupSizeX) < invocations) unmet.push(`${invocations} invocations`);
  const storage = requires.maxComputeWorkgroupStorageSize;
  if (device.maxComputeWorkgroupStorageSize < storage) unmet.push(`${storage} bytes of workgroup storage`);
  // One subgroup per workgroup needs every subgroup to have that size; an adapter that does not report its sizes cannot promise it.
  if (size !== undefined && (device.subgroupMinSize !== size || device.subgroupMaxSize !== size)) unmet.push(`subgroups of ${size}`);
  // Each subgroup-matrix configuration the kernels use must be one the adapter lists (else they fail to compile, QA2 s11 B7);
  // an adapter that lists none leaves it to that compile (the runner then falls back). An empty list is no list: every adapter
  // with the feature has configurations, and on the H200 (session 14's call, Dawn through Node) the tensor-core and tuned f16
  // sets were passed over for the portable one (n=4096 f16 0.85 ms instead of 0.39), the device's list being empty as far as we can tell.
  const configs = device.subgroupMatrixConfigs;
  for (const c of requires.subgroupMatrixConfigs ?? []) if (configs?.length && !configs.includes(c)) unmet.push(`subgroup matrices ${c}`);
  return unmet;
}
