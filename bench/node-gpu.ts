/**
 * The device the benchmarks and kernel tests use: the production one (requestMoncDevice through
 * Dawn, node-device.ts), so they measure what `monc tune`, `monc bench` and MapRunner get: every
 * optional feature the adapter has (subgroup matrices and shader-f16 on the H100 included), the
 * adapter's full limits, SwiftShader on machines without a GPU. Node-only.
 */
import { create } from 'webgpu';
import { DAWN_TOGGLES } from '../src/runtime/node-device.js';
import { requestMoncDevice } from '../src/runtime/device.js';

export interface NodeGpu {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
}

let cached: Promise<NodeGpu> | undefined;

export function nodeGpu(): Promise<NodeGpu> {
  cached ??= requestMoncDevice({ powerPreference: 'high-performance' }).then(({ adapter, device }) => ({ adapter, device }));
  return cached;
}

/**
 * A device with Dawn's `disable_robustness` toggle (no Tint clamps on any access, matrix loads
 * included) and the production device's features and limits, to price the clamps against the
 * same kernels on the production device (bench-only: monc's runtime keeps robustness on).
 */
export async function nodeGpuWithoutRobustness(): Promise<NodeGpu> {
  // The production device first: it chooses the Vulkan driver (VK_ICD_FILENAMES) for this
  // process, and its features and limits are the ones to ask for again.
  const production = (await nodeGpu()).device;
  const requiredFeatures = [...production.features] as GPUFeatureName[];
  const requiredLimits: Record<string, number> = {};
  for (const name in production.limits) {
    const value = production.limits[name as keyof GPUSupportedLimits];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  production.destroy();
  const toggles = DAWN_TOGGLES.map((t) => (t.startsWith('enable-dawn-features=') ? `${t},disable_robustness` : t));
  const gpu = create(toggles);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no adapter with disable_robustness');
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  // Kept reachable: a collected instance takes its devices with it.
  Object.assign(device, { keepInstance: gpu });
  return { adapter, device };
}
