/**
 * Kernel sets (the manifest's `kernelSets`): the ways a map can run, each with what a device
 * needs for it. An untuned build cannot know the adapter, so its kernels fit every adapter (the
 * portable limits); beside them an f16 map gets the kernels an untuned build would emit for an
 * adapter with tensor cores (shader-f16 and subgroup matrices, the H200's limits), and an f32 map
 * those for an adapter with the H200's workgroup limits (the large set), each only where they
 * differ. A tuned build's kernels need what the tuned adapter offered; where that is more
 * than the portable limits, the map also gets its untuned kernels (the portable set), so the
 * build still runs everywhere. The runtime runs the first set the device can (runtime/kernel-sets.ts).
 */
import type { BackwardProgram, Program } from '../ir/ir.js';
import type { ManifestKernelSet, ManifestRequirements } from '../manifest/types.js';
import { backwardGroup, OPTIMIZER_GROUP } from '../manifest/wgsl-groups.js';
import { invariant } from '../util/assert.js';
import { planBackwardKernels, planForwardKernels } from './manifest-programs.js';
import { emitBackwardKernels } from './wgsl/backward-program.js';
import { assembleModule, groupText } from './wgsl/module.js';
import type { StorageType } from './wgsl/scaffold.js';
import { DEFAULT_LIMITS, type EmittedKernel, type TargetLimits } from './wgsl/kernel.js';
import { scheduleKey } from './wgsl/family.js';
import { SUBGROUP, SUBGROUP_MATRIX_FEATURE } from './wgsl/fast/ks-sgmat.js';
import { emitProgramKernels } from './wgsl/program.js';
import { isValidRunSchedule, isValidSchedule } from './wgsl/families.js';
import { subgroupMatrixConfigs } from './subgroup-matrix-configs.js';

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

/**
 * The tensor-core target with 512 invocations: where the tensor-core set needs more (monarch(nblocks:
 * 64) on 4096, whose strided factor takes every β of 16 δ in one 1024-invocation workgroup), an
 * adapter with subgroup matrices but fewer invocations would skip it for the portable kernels of the
 * whole map; the set for this target (the 512-invocation defaults: 32 β per workgroup) comes next.
 */
export const TENSOR_CORE_512_TARGET: TargetLimits = { ...TENSOR_CORE_TARGET, maxWorkgroupSize: 512 };

/** Appended to the entry points of a map's 512-invocation tensor-core kernels. */
export const TENSOR_CORE_512_SUFFIX = '_tc512';

/**
 * The target of an f32 map's large set: the workgroup limits Dawn reports on the H100 and H200
 * (1024 invocations, 48 KiB), no feature. There the untuned f32 defaults are the measured best
 * (defaults.ts: ks-dtiled's 512-invocation strided shapes, ks-tiled's long-reduction tile with
 * chunks of 16), where on the portable limits the f32 maps ran 1.09-1.36x slower than tuned on the
 * H200 (1024->4096: 1.6885 vs 1.2400 ms; the defaults for its limits 1.2376, bench/results/s12/call-3).
 * Like the tensor-core set it requires only what its kernels use, so an adapter with less (512
 * invocations, 32 KiB) still runs it where they fit.
 */
export const LARGE_TARGET: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };

/** Appended to the entry points of a map's large-set kernels (they share the module's WGSL). */
export const LARGE_SUFFIX = '_large';

/** A set of an untuned build's kernels for a target beyond the portable limits: the tensor-core set (f16), the large set (f32). */
interface UntunedTarget {
  readonly name: 'tensor-core' | 'large';
  readonly storage: StorageType;
  readonly limits: TargetLimits;
  readonly suffix: string;
}

const TENSOR_CORE: UntunedTarget = { name: 'tensor-core', storage: 'f16', limits: TENSOR_CORE_TARGET, suffix: TENSOR_CORE_SUFFIX };
const TENSOR_CORE_512: UntunedTarget = { name: 'tensor-core', storage: 'f16', limits: TENSOR_CORE_512_TARGET, suffix: TENSOR_CORE_512_SUFFIX };
const LARGE: UntunedTarget = { name: 'large', storage: 'f32', limits: LARGE_TARGET, suffix: LARGE_SUFFIX };

/** Appended to the entry points of a tuned map's portable kernels that differ from its tuned ones. */
export const PORTABLE_SUFFIX = '_portable';

/** The WebGPU feature behind each WGSL `enable` extension the emitters use. */
const FEATURE_OF_ENABLE: Readonly<Record<string, string>> = {
  f16: 'shader-f16',
  subgroups: 'subgroups',
  chromium_experimental_subgroup_matrix: SUBGROUP_MATRIX_FEATURE,
};

/** The device features a WGSL module with these `enable` directives needs (it fails to compile without them). */
export function featuresOfEnables(enables: readonly string[]): string[] {
  return enables.map((e) => {
    const feature = FEATURE_OF_ENABLE[e];
    invariant(feature !== undefined, `'enable ${e}' names no device feature`);
    return feature;
  });
}

/**
 * What a device needs to run `kernels`: the features they enable and `targetFeatures` (a default
 * chosen for a target may rely on its features), the largest workgroup, `storageBytes` of
 * workgroup storage, and for subgroup-matrix kernels the subgroup size they assume and the
 * configurations they use (an adapter offering only others, e.g. 8x8x8, fails to compile them:
 * named here, a runtime passes the set over without trying).
 */
export function requirementsOf(kernels: readonly EmittedKernel[], storageBytes: number, targetFeatures: readonly string[] = []): ManifestRequirements {
  const enabled = kernels.flatMap((k) => featuresOfEnables(k.enables));
  const features = [...new Set([...enabled, ...targetFeatures])].sort();
  const configs = [...new Set(kernels.flatMap((k) => subgroupMatrixConfigs(k.wgsl)))].sort();
  return {
    features,
    maxComputeInvocationsPerWorkgroup: Math.max(1, ...kernels.map((k) => k.workgroupSize[0] * k.workgroupSize[1] * k.workgroupSize[2])),
    maxComputeWorkgroupStorageSize: storageBytes,
    ...(features.includes(SUBGROUP_MATRIX_FEATURE) ? { subgroupSize: SUBGROUP } : {}),
    ...(configs.length > 0 ? { subgroupMatrixConfigs: configs } : {}),
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

/**
 * One map's kernels as the module's WGSL holds them (some on tuned schedules), and the module's
 * optimizer kernels. A forward-only build has no backward program: `backward` and `optimizers`
 * are empty, and the sets below hold forward kernels only.
 */
export interface ModuleMapKernels {
  readonly program: Program;
  readonly backwardProgram: BackwardProgram | undefined;
  readonly forward: readonly EmittedKernel[];
  readonly backward: readonly EmittedKernel[];
  readonly optimizers: readonly EmittedKernel[];
}

/**
 * The tensor-core sets of an f16 map: its forward kernels as an untuned build emits them for
 * TENSOR_CORE_TARGET, its backward kernels as an untuned build emits them everywhere (portable);
 * where that set needs more than 512 invocations, then the set for TENSOR_CORE_512_TARGET (if it
 * differs from the portable kernels), which adapters with subgroup matrices and 512 invocations
 * run. None when the target changes no forward default (a map without an op the tensor-core
 * families take). See untunedTargetSet.
 */
export function tensorCoreSets(map: ModuleMapKernels, moduleEnables: readonly string[], tuned: boolean): ManifestKernelSet[] {
  const full = untunedTargetSet(map, moduleEnables, tuned, TENSOR_CORE);
  if (full === undefined) return [];
  if (full.requires.maxComputeInvocationsPerWorkgroup <= TENSOR_CORE_512_TARGET.maxWorkgroupSize) return [full];
  const fewerInvocations = untunedTargetSet(map, moduleEnables, tuned, TENSOR_CORE_512);
  return fewerInvocations === undefined ? [full] : [full, fewerInvocations];
}

/**
 * The large set of an f32 map: its forward kernels as an untuned build emits them for
 * LARGE_TARGET, its backward kernels portable. Undefined when no forward default changes there
 * (a butterfly, small blocks): the map then has no such set. See untunedTargetSet.
 */
export function largeSet(map: ModuleMapKernels, moduleEnables: readonly string[], tuned: boolean): ManifestKernelSet | undefined {
  return untunedTargetSet(map, moduleEnables, tuned, LARGE);
}

/**
 * A map's set for `t`: its forward kernels as an untuned build emits them for t's limits, its
 * backward kernels as an untuned build emits them everywhere (portable). A kernel the same as the
 * module's (same ops, same schedule) is the module's own; only the others are written, under
 * entry points with t's suffix, after the module's WGSL: in an untuned build forward kernels only,
 * in a `tuned` one (its module kernels on tuned schedules) also the untuned kernels of what the
 * tuning replaced. Undefined when the target changes no forward default, or only to kernels within
 * the portable limits (the set would run on every adapter in place of the portable kernels).
 */
function untunedTargetSet(map: ModuleMapKernels, moduleEnables: readonly string[], tuned: boolean, t: UntunedTarget): ManifestKernelSet | undefined {
  const { program, backwardProgram } = map;
  const target = emitProgramKernels(program, { storage: t.storage, limits: t.limits, entryPointSuffix: t.suffix });
  const untunedForward = tuned ? emitProgramKernels(program, { storage: t.storage }) : map.forward;
  if (ownKernels(untunedForward, shareSame(untunedForward, target)).length === 0) return undefined;
  const forward = shareSame(map.forward, target);
  const backward = tuned && backwardProgram ? shareSame(map.backward, emitBackwardKernels(backwardProgram, { storage: t.storage, entryPointSuffix: t.suffix })) : map.backward;
  const ownBackward = ownKernels(map.backward, backward);
  const own = [...ownKernels(map.forward, forward), ...ownBackward];
  // The backward kernels are portable; a forward kernel needs what its schedule needs on the target (a tuned one the module shares too).
  const requires = requirementsOf(
    [...forward, ...backward, ...map.optimizers],
    Math.max(DEFAULT_LIMITS.maxWorkgroupStorageBytes, ...forward.map((k) => forwardStorageNeeded(program, k, t.limits))),
    // It extends the module's WGSL, which compiles only with the features its `enable`s name.
    [...t.limits.features, ...featuresOfEnables(moduleEnables)],
  );
  // Kernels every adapter runs (a small op's nearest shape on the target fits the portable limits) would replace the portable ones everywhere: none.
  if (withinPortableLimits(requires, t.storage)) return undefined;
  return {
    name: t.name,
    storage: t.storage,
    requires,
    wgsl: {
      extendsModule: true,
      enables: [...new Set(own.flatMap((k) => k.enables))].filter((e) => !moduleEnables.includes(e)).sort(),
      text: groupText(`${program.name} (${t.name} kernels)`, own),
    },
    kernels: planForwardKernels(program.ops, forward),
    ...(backwardProgram && ownBackward.length > 0 ? { backwardKernels: planBackwardKernels(backwardProgram.ops, backward) } : {}),
  };
}

/**
 * Whether a set requiring `a` runs on every adapter that runs one requiring `b` (every adapter
 * also has the portable limits): listed before it, `a` leaves `b` no adapter.
 */
export function runsWherever(a: ManifestRequirements, b: ManifestRequirements): boolean {
  return (
    a.features.every((f) => b.features.includes(f)) &&
    a.maxComputeInvocationsPerWorkgroup <= Math.max(b.maxComputeInvocationsPerWorkgroup, DEFAULT_LIMITS.maxWorkgroupSize) &&
    a.maxComputeWorkgroupStorageSize <= Math.max(b.maxComputeWorkgroupStorageSize, DEFAULT_LIMITS.maxWorkgroupStorageBytes) &&
    (a.subgroupSize === undefined || a.subgroupSize === b.subgroupSize) &&
    (a.subgroupMatrixConfigs ?? []).every((c) => b.subgroupMatrixConfigs?.includes(c))
  );
}

/** Whether every adapter runs kernels with `requires` in `storage`: the portable limits, no feature but the storage type's. */
export function withinPortableLimits(requires: ManifestRequirements, storage: StorageType): boolean {
  const storageFeatures = storage === 'f16' ? featuresOfEnables(['f16']) : [];
  return (
    requires.features.every((f) => storageFeatures.includes(f)) &&
    requires.maxComputeInvocationsPerWorkgroup <= DEFAULT_LIMITS.maxWorkgroupSize &&
    requires.maxComputeWorkgroupStorageSize <= DEFAULT_LIMITS.maxWorkgroupStorageBytes &&
    requires.subgroupSize === undefined
  );
}

/**
 * A complete WGSL module of its own holding a map's kernels (forward, then backward, then the
 * optimizer updates), as a set that does not extend the module's WGSL.
 */
export function ownModuleSet(name: 'portable' | 'f32-storage', storage: StorageType, map: ModuleMapKernels): ManifestKernelSet {
  const { program, backwardProgram, forward, backward, optimizers } = map;
  return {
    name,
    storage,
    requires: requirementsOf([...forward, ...backward, ...optimizers], DEFAULT_LIMITS.maxWorkgroupStorageBytes),
    wgsl: {
      extendsModule: false,
      enables: [],
      text: assembleModule(
        new Map([
          [program.name, forward],
          ...(backwardProgram
            ? [
                [backwardGroup(program.name), backward],
                [OPTIMIZER_GROUP, optimizers],
              ] as const
            : []),
        ]),
      ).wgsl,
    },
    kernels: planForwardKernels(program.ops, forward),
    ...(backwardProgram ? { backwardKernels: planBackwardKernels(backwardProgram.ops, backward) } : {}),
  };
}

/**
 * The portable set of a map whose module kernels (`map`, requiring `moduleRequires`) need more
 * than the portable limits or some feature (a build tuned on a larger adapter): its kernels as an
 * untuned build emits them, forward and backward. A kernel the same as the module's (same ops,
 * same schedule) is the module's own; only the others are written, under entry points with
 * PORTABLE_SUFFIX, after the module's WGSL. Where the module's WGSL enables an extension the
 * portable kernels do not need (a tuned kernel on subgroup matrices), it would not compile on the
 * adapters the set is for, so the set is then a module of its own with all its kernels.
 * Undefined when the module's kernels fit the portable limits: they are the map's portable set.
 */
export function portableSet(map: ModuleMapKernels, storage: StorageType, moduleRequires: ManifestRequirements, moduleEnables: readonly string[]): ManifestKernelSet | undefined {
  if (withinPortableLimits(moduleRequires, storage)) return undefined;
  const untuned = (entryPointSuffix?: string) => ({
    ...map,
    forward: emitProgramKernels(map.program, { storage, entryPointSuffix }),
    backward: map.backwardProgram ? emitBackwardKernels(map.backwardProgram, { storage, entryPointSuffix }) : [],
  });
  const emitted = untuned(PORTABLE_SUFFIX);
  const needs = requirementsOf([...emitted.forward, ...emitted.backward, ...map.optimizers], DEFAULT_LIMITS.maxWorkgroupStorageBytes);
  if (!featuresOfEnables(moduleEnables).every((f) => needs.features.includes(f))) return ownModuleSet('portable', storage, untuned());
  const forward = shareSame(map.forward, emitted.forward);
  const backward = shareSame(map.backward, emitted.backward);
  const own = [...ownKernels(map.forward, forward), ...ownKernels(map.backward, backward)];
  invariant(own.length > 0, `map ${map.program.name}: its module kernels need more than the portable limits, yet its untuned kernels are the same`);
  return {
    name: 'portable',
    storage,
    requires: needs,
    wgsl: {
      extendsModule: true,
      enables: [...new Set(own.flatMap((k) => k.enables))].filter((e) => !moduleEnables.includes(e)).sort(),
      text: groupText(`${map.program.name} (portable kernels)`, own),
    },
    kernels: planForwardKernels(map.program.ops, forward),
    ...(map.backwardProgram ? { backwardKernels: planBackwardKernels(map.backwardProgram.ops, backward) } : {}),
  };
}

/** `kernels`, each replaced by the module's kernel performing the same ops on the same schedule where there is one. */
function shareSame(module: readonly EmittedKernel[], kernels: readonly EmittedKernel[]): EmittedKernel[] {
  const key = (k: EmittedKernel) => `${k.ops.join(',')} ${scheduleKey(k.schedule)}`;
  const byKey = new Map(module.map((k) => [key(k), k]));
  return kernels.map((k) => byKey.get(key(k)) ?? k);
}

/** The kernels of a set's list that are not the module's: those its WGSL writes. */
function ownKernels(module: readonly EmittedKernel[], kernels: readonly EmittedKernel[]): EmittedKernel[] {
  const shared = new Set(module);
  return kernels.filter((k) => !shared.has(k));
}

