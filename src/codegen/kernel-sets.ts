/**
 * Kernel sets (the manifest's `kernelSets`): the ways a map can run, each with what a device
 * needs for it. An untuned build cannot know the adapter, so its kernels fit every adapter (the
 * portable limits); beside them an f16 map gets the kernels an untuned build would emit for an
 * adapter with tensor cores (shader-f16 and subgroup matrices, the H200's limits), only where
 * they differ, and the runtime runs the first set the device can (runtime/kernel-sets.ts).
 */
import type { Program } from '../ir/ir.js';
import type { ManifestKernelSet, ManifestRequirements } from '../manifest/types.js';
import { invariant } from '../util/assert.js';
import { planForwardKernels } from './manifest-programs.js';
import { DEFAULT_LIMITS, type EmittedKernel, type TargetLimits } from './wgsl/kernel.js';
import { scheduleKey } from './wgsl/family.js';
import { SUBGROUP, SUBGROUP_MATRIX_FEATURE } from './wgsl/fast/ks-sgmat.js';
import { emitProgramKernels } from './wgsl/program.js';
import { isValidRunSchedule, isValidSchedule } from './wgsl/families.js';

/**
 * The target of the tensor-core set: shader-f16 and subgroup matrices, with the limits Dawn
 * reports on the H100 and H200 (1024 invocations, 48 KiB of workgroup storage), where the
 * untuned defaults are the measured best (defaults.ts: ks-sgmat for contiguous factors, ks-dtiled
 * for strided ones). The set requires only what its kernels use (storageNeeded), so an adapter
 * with less still runs it where they fit.
 */
export const TENSOR_CORE_TARGET: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [SUBGROUP_MATRIX_FEATURE, 'shader-f16'] };

/** Appended to the entry points of a map's tensor-core kernels (they share the module's WGSL). */
export const TENSOR_CORE_SUFFIX = '_tc';

/** The WebGPU feature behind each WGSL `enable` extension the emitters use. */
const FEATURE_OF_ENABLE: Readonly<Record<string, string>> = {
  f16: 'shader-f16',
  subgroups: 'subgroups',
  chromium_experimental_subgroup_matrix: SUBGROUP_MATRIX_FEATURE,
};

/**
 * What a device needs to run `kernels`: the features they enable and `targetFeatures` (a default
 * chosen for a target may rely on its features), the largest workgroup, `storageBytes` of
 * workgroup storage, and for subgroup-matrix kernels the subgroup size they assume.
 */
export function requirementsOf(kernels: readonly EmittedKernel[], storageBytes: number, targetFeatures: readonly string[] = []): ManifestRequirements {
  const enabled = kernels.flatMap((k) =>
    k.enables.map((e) => {
      const feature = FEATURE_OF_ENABLE[e];
      invariant(feature !== undefined, `kernel ${k.entryPoint} enables '${e}', which no device feature names`);
      return feature;
    }),
  );
  const features = [...new Set([...enabled, ...targetFeatures])].sort();
  return {
    features,
    maxComputeInvocationsPerWorkgroup: Math.max(1, ...kernels.map((k) => k.workgroupSize[0] * k.workgroupSize[1] * k.workgroupSize[2])),
    maxComputeWorkgroupStorageSize: storageBytes,
    ...(features.includes(SUBGROUP_MATRIX_FEATURE) ? { subgroupSize: SUBGROUP } : {}),
  };
}

/** Workgroup storage that adapters commonly offer (WebGPU's default, then 32 and 48 KiB), least first. */
const STORAGE_TIERS = [16384, 32768, 49152];

/**
 * The workgroup storage a tuned kernel needs: the least common tier within which its schedule is
 * still valid (`valid`: the families' own fit rules) on the adapter it was tuned on, else that
 * adapter's. So a build tuned on a large adapter still runs where its kernels fit.
 */
export function storageNeeded(valid: (limits: TargetLimits) => boolean, tunedOn: TargetLimits): number {
  const tiers = [...STORAGE_TIERS.filter((bytes) => bytes < tunedOn.maxWorkgroupStorageBytes), tunedOn.maxWorkgroupStorageBytes];
  return tiers.find((bytes) => valid({ ...tunedOn, maxWorkgroupStorageBytes: bytes })) ?? tunedOn.maxWorkgroupStorageBytes;
}

/** The workgroup storage a forward kernel of `program` chosen within `target` needs (storageNeeded over its family's fit rules). */
export function forwardStorageNeeded(program: Program, kernel: EmittedKernel, target: TargetLimits): number {
  const { ops, schedule } = kernel;
  return storageNeeded((limits) => (ops.length === 1 ? isValidSchedule(program.ops[ops[0]], schedule, limits) : isValidRunSchedule(program, ops, schedule, limits)), target);
}

/** The kernels of a map that every set shares or compares against. */
export interface PortableMapKernels {
  readonly program: Program;
  /** The map's untuned forward kernels (f16 storage), as the module's WGSL holds them. */
  readonly forward: readonly EmittedKernel[];
  /** Its backward and the module's optimizer kernels: the tensor-core set runs the module's. */
  readonly shared: readonly EmittedKernel[];
}

/**
 * The tensor-core set of an untuned f16 map: its forward kernels as an untuned build emits them
 * for TENSOR_CORE_TARGET. A kernel the same as the portable one (same ops, same schedule) is the
 * module's own; only the others are written, under entry points with TENSOR_CORE_SUFFIX, after
 * the module's WGSL. Backward kernels stay portable. Undefined when no kernel differs (an f32
 * module, a map without an op the tensor-core families take): the map then has no such set.
 */
export function tensorCoreSet(map: PortableMapKernels, moduleEnables: readonly string[]): ManifestKernelSet | undefined {
  const key = (k: EmittedKernel) => `${k.ops.join(',')} ${scheduleKey(k.schedule)}`;
  const portable = new Map(map.forward.map((k) => [key(k), k]));
  const emitted = emitProgramKernels(map.program, { storage: 'f16', limits: TENSOR_CORE_TARGET, entryPointSuffix: TENSOR_CORE_SUFFIX });
  const own = emitted.filter((k) => !portable.has(key(k)));
  if (own.length === 0) return undefined;
  const forward = emitted.map((k) => portable.get(key(k)) ?? k);
  return {
    name: 'tensor-core',
    storage: 'f16',
    // The module's kernels fit the portable limits; the set's own need what their schedules need.
    requires: requirementsOf(
      [...forward, ...map.shared],
      Math.max(DEFAULT_LIMITS.maxWorkgroupStorageBytes, ...own.map((k) => forwardStorageNeeded(map.program, k, TENSOR_CORE_TARGET))),
      TENSOR_CORE_TARGET.features,
    ),
    wgsl: {
      extendsModule: true,
      enables: [...new Set(own.flatMap((k) => k.enables))].filter((e) => !moduleEnables.includes(e)).sort(),
      text: [`// map ${map.program.name} (tensor-core kernels)`, ...own.map((k) => k.wgsl)].join('\n'),
    },
    kernels: planForwardKernels(map.program.ops, forward),
  };
}
