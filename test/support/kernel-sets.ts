/** Tests' access to a manifest map's kernel sets (manifest `kernelSets`), and the older manifest form. */
import type { KernelSetName, ManifestKernelSet, ManifestMap } from '../../src/manifest/types.js';

/** The map's kernel set `name`; a test failure when the build did not emit it. */
export function kernelSetOf(map: ManifestMap, name: KernelSetName): ManifestKernelSet {
  const set = map.kernelSets?.find((s) => s.name === name);
  if (!set) throw new Error(`map '${map.name}' has no '${name}' kernel set (it has ${map.kernelSets?.map((s) => s.name).join(', ') ?? 'none'})`);
  return set;
}

/** The f32-storage set's complete WGSL module. */
export function f32StorageWgsl(map: ManifestMap): string {
  const wgsl = kernelSetOf(map, 'f32-storage').wgsl;
  if (!wgsl || wgsl.extendsModule) throw new Error(`map '${map.name}': the f32-storage set is not a WGSL module of its own`);
  return wgsl.text;
}

/**
 * The map as a monc before kernel sets wrote it: no `kernelSets`; an f16 map's f32-storage
 * kernels in `fallback` (unless `withFallback` is false: older still).
 */
export function olderManifestMap(map: ManifestMap, withFallback = true): ManifestMap {
  const { kernelSets: _sets, ...older } = map;
  const f32 = map.kernelSets?.find((s) => s.name === 'f32-storage');
  if (!f32 || !withFallback) return older;
  return { ...older, fallback: { storage: 'f32', wgsl: f32StorageWgsl(map), kernels: f32.kernels!, backwardKernels: f32.backwardKernels! } };
}
