/**
 * A device from the user's own Dawn instance (`create([])` of the `webgpu` package, then requestAdapter and
 * requestDevice) runs a map after the code dropped the instance and the adapter (QA2 s30 Q954): dawn.node ties a
 * device's life to its instance's JavaScript object, so once garbage collection took an instance only a dead local had
 * held, its device went down under MapRunner.create or a fit (exit 134, 139 or a hang). With monc/runtime/node loaded,
 * each device keeps its adapter and instance (node-device.ts). Collection is forced (V8's gc, exposed for this file);
 * the outputs are checked against the cpu backend's float64 (relative Frobenius error 1e-5).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, it } from 'vitest';
import { create } from 'webgpu';
import { compileKernels } from '../../src/compile-kernels.js';
import { DAWN_TOGGLES } from '../../src/runtime/node-device.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { getTestDevice } from '../support/gpu.js';
import { frobeniusError } from '../training/support.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A device whose instance and adapter nothing holds once this returns. */
async function foreignDevice(): Promise<GPUDevice> {
  // monc's own device first: it chooses the Vulkan driver for the process (VK_ICD_FILENAMES), as a user's would be set.
  await getTestDevice();
  const adapter = await create([...DAWN_TOGGLES]).requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  return adapter.requestDevice();
}

it("a device of the user's own Dawn instance runs a map after the instance and adapter are collected", async () => {
  const device = await foreignDevice();
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const { outputs } = compileKernels('map z : 64 -> 3 = lowrank(rank: 2) + bias()', 'z.mon');
  const map = outputs!.manifest.maps[0];
  const params = { 'z.0.U': Float32Array.from({ length: 6 }, (_, i) => Math.sin(i + 1)), 'z.0.V': Float32Array.from({ length: 128 }, (_, i) => Math.cos(i)), 'z.1.bias': Float32Array.from([0.1, 0.2, 0.3]) };
  const x = Float32Array.from({ length: 5 * 64 }, (_, i) => Math.sin(0.1 * i));
  const gpu = await MapRunner.create(map, outputs!.wgsl, { backend: 'webgpu', device });
  const cpu = await MapRunner.create(map, outputs!.wgsl, { backend: 'cpu' });
  try {
    gpu.loadParams(params);
    cpu.loadParams(params);
    gc();
    expect(frobeniusError(await gpu.forward(x), await cpu.forward(x))).toBeLessThan(1e-5);
  } finally {
    gpu.destroy();
    cpu.destroy();
    device.destroy();
  }
});
