/**
 * A map's kernel sets' `storage` against the module's dtype (check-manifest.ts; docs/manifest.md).
 * monc builds every set in the module's storage type but `f32-storage` (an f16 module's kernels
 * with f32 storage, for adapters without `shader-f16`), and an f16 set's WGSL enables f16, so it
 * requires `shader-f16`. A hand-flipped `storage` would otherwise choose how the runner packs
 * parameters and activations for kernels written for the other type: f16 halves read as f32
 * values, wrong numbers and no error (QA2 s16 R51).
 */
import { shortJson } from './manifest-file.js';
import type { ManifestMap } from './types.js';

/** The first kernel set of `map` whose storage is not what monc writes for a module of `dtype`, as a path suffix and message. */
export function setStorageProblem(map: ManifestMap, dtype: 'f32' | 'f16'): string | undefined {
  for (const [i, set] of (map.kernelSets ?? []).entries()) {
    const expected = set.name === 'f32-storage' ? 'f32' : dtype;
    if (set.storage !== expected) {
      const why = set.name === 'f32-storage' ? "the 'f32-storage' set holds f32" : `its '${set.name}' set holds the module's ${dtype}`;
      return `.kernelSets[${i}].storage: ${shortJson(set.storage)} in a dtype ${dtype} module, where ${why}`;
    }
    if (set.storage === 'f16' && !set.requires.features.includes('shader-f16')) {
      return `.kernelSets[${i}].requires.features: an f16 set's WGSL enables f16, so it requires "shader-f16"`;
    }
  }
  return undefined;
}
