/**
 * A Dawn (npm `webgpu`) device for the benchmarks and kernel tests, with every feature the fast
 * kernels can use when the adapter has it. Node-only. On machines without a GPU, Dawn runs on
 * SwiftShader (VK_ICD_FILENAMES set here when unset and the ICD file exists).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, globals } from 'webgpu';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Dawn toggles: unsafe APIs (subgroup matrices), f16 on NVIDIA Vulkan, exact (unquantized) timestamps. */
export const DAWN_OPTIONS = ['enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia', 'disable-dawn-features=timestamp_quantization'];

const WANTED: readonly GPUFeatureName[] = ['timestamp-query', 'shader-f16', 'subgroups', 'chromium-experimental-subgroup-matrix' as GPUFeatureName];

export interface NodeGpu {
  /** Kept reachable: a collected Dawn instance takes its adapters and devices down with it. */
  readonly gpu: GPU;
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
}

let cached: Promise<NodeGpu> | undefined;

export function nodeGpu(): Promise<NodeGpu> {
  cached ??= open();
  return cached;
}

async function open(): Promise<NodeGpu> {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD) && !existsSync('/dev/nvidia0')) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'monc-xdg-'));
  Object.assign(globalThis, globals);
  const gpu = create(DAWN_OPTIONS);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter');
  const requiredFeatures = WANTED.filter((f) => adapter.features.has(f));
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
    },
  });
  return { gpu, adapter, device };
}
