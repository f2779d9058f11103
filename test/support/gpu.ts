/**
 * The WebGPU device shared by the GPU tests of one worker (Dawn; SwiftShader on machines
 * without a GPU). There is no skipping: without an adapter the tests fail, loudly.
 */
import { assembleModule } from '../../src/codegen/wgsl/module.js';
import { emitProgramKernels, type EmitProgramOptions } from '../../src/codegen/wgsl/program.js';
import type { Program } from '../../src/ir/ir.js';
import { GpuExecutor, planKernels, requestMoncDevice, type MoncDevice } from '../../src/runtime/node.js';

let acquired: Promise<MoncDevice> | undefined;

async function acquire(): Promise<MoncDevice> {
  try {
    const d = await requestMoncDevice();
    d.device.lost.then((info) => {
      if (info.reason !== 'destroyed') console.error(`test WebGPU device lost: ${info.message}`);
    });
    return d;
  } catch (e) {
    throw new Error(
      `GPU tests need a WebGPU adapter and found none (${e instanceof Error ? e.message : String(e)}). ` +
        'Install a Vulkan driver or SwiftShader (Debian: the chromium package ships /usr/lib/chromium/vk_swiftshader_icd.json).',
    );
  }
}

/** The worker's device and its adapter description; acquired once. */
export function getTestMoncDevice(): Promise<MoncDevice> {
  acquired ??= acquire();
  return acquired;
}

export async function getTestDevice(): Promise<GPUDevice> {
  return (await getTestMoncDevice()).device;
}

/** Runs a hand-built Program's kernels (emitted with the given options) on the test device. */
export async function runProgramOnGpu(
  program: Program,
  packed: Float32Array,
  x: Float32Array,
  batch: number,
  options: EmitProgramOptions = {},
): Promise<Float32Array> {
  const device = await getTestDevice();
  const kernels = emitProgramKernels(program, options);
  const executor = await GpuExecutor.create(device, {
    name: program.name,
    wgsl: assembleModule(kernels).wgsl,
    kernels: planKernels(kernels, program.ops),
    ops: program.ops,
    buffers: program.buffers,
    paramSize: program.paramSize,
    in: program.in,
    out: program.out,
    storage: options.storage ?? program.dtype,
  });
  try {
    executor.writeParams(packed);
    return await executor.run(x, batch);
  } finally {
    executor.destroy();
  }
}
