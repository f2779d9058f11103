/** Adapters the tuner and kernel-set tests model, as Dawn reports them. */
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { AdapterOffer } from '../../src/manifest/requirements.js';

/** What Dawn reports on the H100 (s17 GPU-1): 1024 invocations, 48 KiB, shader-f16, subgroup matrices, subgroups of 32. */
export const H100: AdapterOffer = {
  features: ['chromium-experimental-subgroup-matrix', 'shader-f16', 'subgroups', 'timestamp-query'],
  maxComputeInvocationsPerWorkgroup: 1024,
  maxComputeWorkgroupSizeX: 1024,
  maxComputeWorkgroupStorageSize: 49152,
  subgroupMinSize: 32,
  subgroupMaxSize: 32,
};

/** The H100's limits as the code generator takes them. */
export const H100_LIMITS: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [...H100.features] };
