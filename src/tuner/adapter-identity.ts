/**
 * Who the tuning results belong to: a tuned schedule is only trusted on the adapter (and driver)
 * it was measured on, with the same features and the limits the kernels depend on.
 */
import type { TargetLimits } from '../codegen/wgsl/kernel.js';
import { argumentError } from '../util/library-arguments.js';

export interface AdapterIdentity {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** Features that change which kernels exist, sorted. */
  readonly features: readonly string[];
  readonly limits: { readonly maxComputeInvocationsPerWorkgroup: number; readonly maxComputeWorkgroupStorageSize: number; readonly subgroupMinSize?: number; readonly subgroupMaxSize?: number };
}

/** What adapterIdentity reads of an adapter or device: its limits and its feature set. */
const isGpuObject = (v: unknown): v is { readonly limits: object; readonly features: ReadonlySet<string> } => {
  const o = v as { limits?: unknown; features?: { has?: unknown } } | null;
  return typeof o === 'object' && o !== null && typeof o.limits === 'object' && o.limits !== null && typeof o.features?.has === 'function';
};

const RELEVANT_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query', 'chromium-experimental-subgroup-matrix'];

export function adapterIdentity(adapter: GPUAdapter, device?: GPUDevice): AdapterIdentity {
  // A library entry (monc): the wrong argument (a device for the adapter, nothing) is a user error, not a TypeError.
  if (!isGpuObject(adapter) || typeof adapter.info !== 'object' || adapter.info === null) {
    throw argumentError('adapterIdentity', 'the adapter must be a GPUAdapter (navigator.gpu.requestAdapter(), or requestMoncDevice().adapter)', adapter);
  }
  if (device !== undefined && !isGpuObject(device)) throw argumentError('adapterIdentity', 'the device must be a GPUDevice or left out', device);
  const info = adapter.info;
  const features = device?.features ?? adapter.features;
  const l = adapter.limits;
  const withSubgroups = info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    features: RELEVANT_FEATURES.filter((f) => features.has(f)).sort(),
    limits: {
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      ...(withSubgroups.subgroupMinSize !== undefined ? { subgroupMinSize: withSubgroups.subgroupMinSize } : {}),
      ...(withSubgroups.subgroupMaxSize !== undefined ? { subgroupMaxSize: withSubgroups.subgroupMaxSize } : {}),
    },
  };
}

/** A stable string key of an identity (field order fixed). */
export function adapterKey(id: AdapterIdentity): string {
  return JSON.stringify([id.vendor, id.architecture, id.device, id.description, id.features, id.limits.maxComputeInvocationsPerWorkgroup, id.limits.maxComputeWorkgroupStorageSize, id.limits.subgroupMinSize ?? 0, id.limits.subgroupMaxSize ?? 0]);
}

/**
 * The limits kernels tuned on this adapter were chosen within (monc devices request the
 * adapter's maxima): a tuned schedule is valid for a build when it fits them.
 */
export function adapterTargetLimits(id: AdapterIdentity): TargetLimits {
  return { maxWorkgroupSize: id.limits.maxComputeInvocationsPerWorkgroup, maxWorkgroupStorageBytes: id.limits.maxComputeWorkgroupStorageSize, features: id.features };
}
