/**
 * Node only: WebGPU through Dawn (npm `webgpu`). Importing this module installs the WebGPU
 * globals (GPUBufferUsage…) and registers Dawn as the adapter provider of device.ts.
 *
 * On Linux without a usable Vulkan driver, Dawn finds no adapter; Debian's chromium package
 * ships SwiftShader (a CPU Vulkan) with an ICD file, so monc points the Vulkan loader at it: up
 * front when no system ICD is installed at all, and as a retry when the system ICDs yield no
 * adapter (e.g. a lavapipe too old for Dawn). The variable is only ever set when it was unset.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, globals } from 'webgpu';
import { registerGpuProvider, type GpuProvider } from './device.js';

/**
 * The Dawn instance's toggles. Dawn rounds timestamps (a browser anti-fingerprinting measure)
 * unless told not to; monc tune and monc bench time kernels of a few microseconds with them.
 * `allow_unsafe_apis` exposes `chromium-experimental-subgroup-matrix` (tensor cores) where the
 * driver has it, and `vulkan_enable_f16_on_nvidia` lets Dawn offer `shader-f16` on NVIDIA's
 * Vulkan driver (off by default there); both only add features an adapter reports, and
 * device.ts enables a feature only when the adapter has it.
 */
export const DAWN_TOGGLES: readonly string[] = ['enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia', 'disable-dawn-features=timestamp_quantization'];

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const SYSTEM_ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d'];
const SWIFTSHADER_NOTE = "using SwiftShader (CPU) via Debian's chromium ICD";

Object.assign(globalThis, globals);

/**
 * Dawn instances in use. They must stay reachable: a collected instance takes its adapters and
 * devices down with it.
 */
const instances: GPU[] = [];
let working: { gpu: GPU; note?: string } | undefined;

/** What the machine offers, for the SwiftShader decision. */
export interface VulkanEnvironment {
  readonly platform: string;
  /** VK_ICD_FILENAMES as set by the user (undefined: unset). */
  readonly icdFilenames: string | undefined;
  readonly systemIcdInstalled: boolean;
  readonly swiftShaderInstalled: boolean;
}

/**
 * When to point Vulkan at SwiftShader: 'first' when there is no system driver at all, 'retry'
 * when the system drivers yield no adapter, 'never' when the user chose ICDs or there is no
 * SwiftShader (or no Linux).
 */
export function swiftShaderPlan(env: VulkanEnvironment): 'first' | 'retry' | 'never' {
  if (env.platform !== 'linux' || env.icdFilenames !== undefined || !env.swiftShaderInstalled) return 'never';
  return env.systemIcdInstalled ? 'retry' : 'first';
}

function currentEnvironment(): VulkanEnvironment {
  return {
    platform: process.platform,
    icdFilenames: process.env.VK_ICD_FILENAMES,
    systemIcdInstalled: SYSTEM_ICD_DIRS.some((dir) => existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.json'))),
    swiftShaderInstalled: existsSync(SWIFTSHADER_ICD),
  };
}

function useSwiftShader(): string {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  return SWIFTSHADER_NOTE;
}

function newInstance(): GPU {
  // Dawn's Vulkan backend complains on stderr when XDG_RUNTIME_DIR is unset.
  if (process.platform === 'linux' && !process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'monc-xdg-'));
  const gpu = create([...DAWN_TOGGLES]);
  instances.push(gpu);
  return gpu;
}

export const dawnProvider: GpuProvider = {
  async requestAdapter(options) {
    if (working) return { adapter: await working.gpu.requestAdapter(options), ...(working.note ? { note: working.note } : {}) };
    const plan = swiftShaderPlan(currentEnvironment());
    let note = plan === 'first' ? useSwiftShader() : undefined;
    let gpu = newInstance();
    let adapter = await gpu.requestAdapter(options);
    if (!adapter && plan === 'retry') {
      note = useSwiftShader();
      gpu = newInstance();
      adapter = await gpu.requestAdapter(options);
    }
    if (!adapter) {
      return { adapter: null, note: 'Dawn found no adapter (no usable Vulkan/Metal/D3D12 driver; on Linux, SwiftShader from the chromium package works)' };
    }
    working = { gpu, ...(note ? { note } : {}) };
    return { adapter, ...(note ? { note } : {}) };
  },
};

registerGpuProvider(dawnProvider);
