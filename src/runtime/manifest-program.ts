/**
 * A manifest map's forward program as the CPU executor runs it: the manifest carries it whole.
 * Only the CPU executor's entry (`monc/runtime/cpu`) builds it for a runner, so a page that runs
 * on WebGPU only does not bundle it.
 */
import type { Dtype, ProgramData } from '../manifest/program.js';
import type { ManifestMap } from '../manifest/types.js';

export function programOfManifest(map: ManifestMap, dtype: Dtype): ProgramData {
  return { name: map.name, in: map.in, out: map.out, dtype, params: map.params, paramSize: map.paramSize, buffers: map.buffers, ops: map.ops };
}
