/**
 * Kernel sets (the manifest's `kernelSets`): the ways a map can run, each with what a device
 * needs for it. An untuned build cannot know the adapter, so its kernels fit every adapter (the
 * portable limits); beside them an f16 map gets the kernels an untuned build would emit for an
 * adapter with tensor cores (shader-f16 and subgroup matrices), only where they differ, and the
 * runtime runs the first set the device can (runtime/kernel-sets.ts).
 */
import type { Program } from '../ir/ir.js';
import type { ManifestKernelSet, ManifestRequirements } from '../manifest/types.js';
import { invariant } from '../util/assert.js';
import { planForwardKernels } from './manifest-programs.js';
import { DEFAULT_LIMITS, type EmittedKernel, type TargetLimits } from './wgsl/kernel.js';
import { scheduleKey } from './wgsl/family.js';
import { SUBGROUP, SUBGROUP_MATRIX_FEATURE } from './wgsl/fast/ks-sgmat.js';
import { emitProgramKernels } from './wgsl/program.js';

/**
 * The target of the tensor-core set: the portable limits (256 invocations, 16 KiB of workgroup
 * storage: the measured best ks-sgmat tiles, 64 x 64 x 16 γ, use 5 KiB) with shader-f16 and
 * subgroup matrices. Keeping the portable limits means only the ops whose default changes with
 * those features (the tensor-core families) get kernels of their own.
 */
export const TENSOR_CORE_TARGET: TargetLimits = { ...DEFAULT_LIMITS, features: [SUBGROUP_MATRIX_FEATURE, 'shader-f16'] };

/** Appended to the entry points of a map's tensor-core kernels (they share the module's WGSL). */
export const TENSOR_CORE_SUFFIX = '_tc';

/** The WebGPU feature behind each WGSL `enable` extension the emitters use. */
const FEATURE_OF_ENABLE: Readonly<Record<string, string>> = {
  f16: 'shader-f16',
  subgroups: 'subgroups',
  chromium_experimental_subgroup_matrix: SUBGROUP_MATRIX_FEATURE,
};

/**
 * What a device needs to run `kernels` emitted within `target`: the features they enable and
 * those of the target (a default chosen for a target may rely on them), the largest workgroup,
 * the target's workgroup storage, and for subgroup-matrix kernels the subgroup size they assume.
 */
export function requirementsOf(kernels: readonly EmittedKernel[], target: TargetLimits): ManifestRequirements {
  const enabled = kernels.flatMap((k) =>
    k.enables.map((e) => {
      const feature = FEATURE_OF_ENABLE[e];
      invariant(feature !== undefined, `kernel ${k.entryPoint} enables '${e}', which no device feature names`);
      return feature;
    }),
  );
  const features = [...new Set([...enabled, ...target.features])].sort();
  return {
    features,
    maxComputeInvocationsPerWorkgroup: Math.max(1, ...kernels.map((k) => k.workgroupSize[0] * k.workgroupSize[1] * k.workgroupSize[2])),
    maxComputeWorkgroupStorageSize: target.maxWorkgroupStorageBytes,
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
    requires: requirementsOf([...forward, ...map.shared], TENSOR_CORE_TARGET),
    wgsl: {
      extendsModule: true,
      enables: [...new Set(own.flatMap((k) => k.enables))].filter((e) => !moduleEnables.includes(e)).sort(),
      text: [`// map ${map.program.name} (tensor-core kernels)`, ...own.map((k) => k.wgsl)].join('\n'),
    },
    kernels: planForwardKernels(map.program.ops, forward),
  };
}
