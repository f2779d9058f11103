/**
 * QA1 s22 Q102: `monc run` on webgpu refused any batch over what one device pass may bind ("needs
 * monc/runtime/host-io: add import ... to the page"): the CLI never loaded the host I/O entry, so
 * the chunked forward runtime.md documents was out of reach from the command line. Here the
 * adapter is handed out with WebGPU's default buffer limits (128 MiB a binding, as many GPUs'
 * browsers give), so `1 -> 2^21` at batch 17 (8 MiB of Y a row) needs two passes; the rows
 * must come out as the float64 CPU executor gives them. Its own process (vitest.config.ts
 * ISOLATED): no other file may have loaded the entry, and the provider set here must not reach
 * other files' shared device.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { registerGpuProvider } from '../../src/runtime/device.js';
import { readNpy, writeNpy } from '../../src/runtime/formats/npy.js';
import { dawnProvider } from '../../src/runtime/node-device.js';
import { cli, scratchDir } from './helpers.js';

const DEFAULT_BINDING = 128 * 1024 * 1024;
const created: GPUDevice[] = [];

/** The adapter as monc sees it, but offering no more than WebGPU's default buffer limits (the rest as the adapter's). */
function withDefaultBufferLimits(adapter: GPUAdapter): GPUAdapter {
  const limits = { maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize, maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup };
  return { features: adapter.features, info: adapter.info, limits, requestDevice: (d?: GPUDeviceDescriptor) => adapter.requestDevice(d) } as unknown as GPUAdapter;
}

registerGpuProvider({
  async requestAdapter(options) {
    const found = await dawnProvider.requestAdapter(options);
    return { ...found, adapter: found.adapter && withDefaultBufferLimits(found.adapter) };
  },
  deviceCreated(device) {
    created.push(device);
    dawnProvider.deviceCreated!(device);
  },
});

const scratch = scratchDir();
afterAll(() => scratch.remove());

it('monc run: a batch over one pass runs in chunks on webgpu and matches the cpu backend', async () => {
  const out = 2 ** 21;
  const batch = 17;
  writeFileSync(scratch.path('o.mon'), `map f : 1 -> ${out} = dense()\n`);
  // Small integers times the f32 weights: each output is one product, the same on either backend.
  writeFileSync(scratch.path('x.npy'), writeNpy(Float32Array.from({ length: batch }, (_, i) => i - 8), [batch, 1]));
  const init = await cli(['init', scratch.path('o.mon'), '--map', 'f', '--out', scratch.path('p.safetensors')]);
  expect(init.code, init.stderr).toBe(0);
  const run = (backend: string, y: string) =>
    cli(['run', scratch.path('o.mon'), '--map', 'f', '--params', scratch.path('p.safetensors'), '--input', scratch.path('x.npy'), '--out', scratch.path(y), '--backend', backend]);

  const gpu = await run('webgpu', 'y-gpu.npy');
  expect(gpu.code, gpu.stderr).toBe(0);
  expect(gpu.stdout).toContain('webgpu');
  // It ran on a device whose buffers take fewer rows than the batch.
  expect(created.map((d) => d.limits.maxStorageBufferBindingSize)).toEqual([DEFAULT_BINDING]);
  expect(batch * out * 4).toBeGreaterThan(DEFAULT_BINDING);

  const cpu = await run('cpu', 'y-cpu.npy');
  expect(cpu.code, cpu.stderr).toBe(0);
  const yGpu = readNpy(readFileSync(scratch.path('y-gpu.npy')));
  const yCpu = readNpy(readFileSync(scratch.path('y-cpu.npy')));
  expect(yGpu.shape).toEqual([batch, out]);
  expect(yCpu.shape).toEqual([batch, out]);
  let worst = 0;
  for (let i = 0; i < yCpu.data.length; i++) worst = Math.max(worst, Math.abs(yGpu.data[i] - yCpu.data[i]));
  expect(worst).toBe(0);
});
