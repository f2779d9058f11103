/**
 * Which of a map's kernel sets (the manifest's `kernelSets`) a device runs: the first, in the
 * build's order of preference, whose requirements the device meets. Manifests of older monc
 * versions list no sets: their kernels are one set, and an f16 map's `fallback` a second.
 */
import type { Dtype } from '../manifest/program.js';
import type { KernelSetName, ManifestKernelSet, ManifestMap, ManifestRequirements } from '../manifest/types.js';
import { deviceError } from '../util/error.js';
import type { DeviceCapabilities } from './device.js';
import { unmetRequirements } from '../manifest/requirements.js';

// The same check the compiler makes of kept sets (monc build --kernel-sets), written once beside the format.
export { unmetRequirements };

/**
 * The dtype of the module a map comes from, which the map does not carry (MapRunner.create without
 * `dtype`, QA2 s12 R1): an f16 module's kernel sets store f16 for adapters with shader-f16 (and
 * only its maps have tensor-core sets), an f32 module's never do; an older manifest's f16 map has
 * its f32-storage `fallback`.
 */
export function moduleDtype(map: ManifestMap): Dtype {
  // (Only f16 modules have tensor-core sets: one emulated on an adapter without them stores f32.)
  return map.fallback || map.kernelSets?.some((s) => s.storage === 'f16' || s.name === 'tensor-core') ? 'f16' : 'f32';
}

/** A map's kernel sets in order of preference; for an older manifest, the sets its fields make. */
export function kernelSetsOf(map: ManifestMap, dtype: Dtype): readonly ManifestKernelSet[] {
  if (map.kernelSets) return map.kernelSets;
  // Older monc: what its runtime checked, shader-f16 for f16 storage; nothing else was recorded.
  const requires = (features: string[]) => ({ features, maxComputeInvocationsPerWorkgroup: 1, maxComputeWorkgroupStorageSize: 0 });
  const f = map.fallback;
  return [
    { name: 'module', storage: dtype, requires: requires(dtype === 'f16' ? ['shader-f16'] : []) },
    // (The fallback's storage, kernels and backwardKernels are the set's; its WGSL text becomes the set's own module.)
    ...(f ? [{ ...f, name: 'f32-storage' as const, requires: requires([]), wgsl: { extendsModule: false, enables: [], text: f.wgsl } }] : []),
  ];
}

/** The set a device runs, and why each set before it was passed over. */
export interface KernelSetChoice {
  readonly set: ManifestKernelSet;
  readonly skipped: readonly { readonly name: KernelSetName; readonly unmet: readonly string[] }[];
}

/**
 * The first of `sets` the device can run. None: a MoncError of kind 'device' naming what each
 * set lacks and saying to rebuild (a build tuned on a larger adapter by a monc that shipped only
 * its tuned set; an older f16 manifest without its f32-storage kernels on an adapter without
 * shader-f16).
 */
export function chooseKernelSet(mapName: string, sets: readonly ManifestKernelSet[], device: DeviceCapabilities): KernelSetChoice {
  const skipped: { name: KernelSetName; unmet: string[] }[] = [];
  for (const set of sets) {
    const unmet = unmetRequirements(set.requires, device);
    if (unmet.length === 0) return { set, skipped };
    skipped.push({ name: set.name, unmet });
  }
  const why = skipped.map((s) => `${s.name} needs ${s.unmet.join(', ')}`).join('; ');
  // A full build of this version always has a set within WebGPU's default limits (portable or f32-storage): this one is older
  // (a tuned build that shipped only its tuned set, an f16 module without its f32-storage kernels: 'module needs shader-f16'),
  // or made with --kernel-sets leaving out every set this adapter runs.
  throw deviceError(`map '${mapName}': no kernel set of the build runs on this adapter (${why}); rebuild it with this version of monc, keeping a set it runs`);
}

/**
 * The WGSL module holding a set's kernels: the module's own file (`moduleWgsl`), that file with
 * the set's extensions and kernels added, or the set's own module.
 */
export function kernelSetWgsl(set: ManifestKernelSet, moduleWgsl: string): string {
  const wgsl = set.wgsl;
  if (!wgsl) return moduleWgsl;
  if (!wgsl.extendsModule) return wgsl.text;
  // `enable` directives must come before every declaration; the module starts with a comment and its own.
  return [...wgsl.enables.map((e) => `enable ${e};`), moduleWgsl, wgsl.text].join('\n\n');
}
