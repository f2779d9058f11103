/**
 * The tuner's WebGPU validation scopes are popped however a candidate fails: a kernel the device
 * refuses (more workgroup storage than it has, so createComputePipelineAsync rejects) rejects
 * prepareKernel and leaves no scope pushed. A scope left behind swallowed every later validation
 * error of the tune: the next popErrorScope then resolved where it must reject.
 */
import { describe, expect, it } from 'vitest';
import type { EmittedKernel } from '../../src/codegen/wgsl/kernel.js';
import { forwardBindings, kernelNames, kernelShell } from '../../src/codegen/wgsl/scaffold.js';
import { inValidationScope, prepareKernel } from '../../src/tuner/dispatch.js';
import { dawnProvider } from '../../src/runtime/node.js';

/** A kernel of the contract's bindings (the families' own shell) whose workgroup array is `bytes` long. */
function kernelWithWorkgroupStorage(bytes: number): EmittedKernel {
  const n = kernelNames('k');
  const wgsl = kernelShell('k', {
    bindings: forwardBindings('f32'),
    workgroupSize: 64,
    decls: [`var<workgroup> tile: array<f32, ${bytes / 4}>;`],
    body: [`tile[lid] = ${n.src}[lid] + ${n.params}[0];`, 'workgroupBarrier();', `${n.dst}[lid] = tile[63u - lid];`],
  });
  return { entryPoint: 'k', wgsl, enables: [], workgroupSize: [64, 1, 1], dispatch: { kind: 'flat', itemsPerRow: 64, itemsPerWorkgroup: 64 }, schedule: { family: 'test' }, ops: [0] };
}

/**
 * A device of this test's own: the shared test device may hold a scope another file left (the bug
 * this guards against), which the checks below would pop and count.
 */
async function ownDevice(): Promise<GPUDevice> {
  const { adapter } = await dawnProvider.requestAdapter({});
  if (!adapter) throw new Error('GPU tests need a WebGPU adapter');
  return adapter.requestDevice({ label: 'monc validation-scope test' });
}

/** Whether no error scope is pushed on `device`: popping one then rejects. */
async function noScopeLeft(device: GPUDevice): Promise<boolean> {
  return device.popErrorScope().then(
    () => false,
    () => true,
  );
}

describe('the tuner\'s validation scopes', () => {
  it('prepareKernel of a kernel over the device\'s workgroup storage rejects and leaves no scope pushed', async () => {
    const device = await ownDevice();
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
    const [params, src, dst] = [0, 1, 2].map(() => device.createBuffer({ size: 256, usage }));
    const buffers = { params: params!, src: src!, dst: dst! };
    const limit = device.limits.maxComputeWorkgroupStorageSize;
    try {
      await expect(prepareKernel(device, kernelWithWorkgroupStorage(2 * limit), buffers, 1)).rejects.toThrow(/workgroup storage/i);
      expect(await noScopeLeft(device)).toBe(true);
      // The same kernel within the limit prepares, and leaves no scope either.
      await expect(prepareKernel(device, kernelWithWorkgroupStorage(1024), buffers, 1)).resolves.toHaveProperty('pipeline');
      expect(await noScopeLeft(device)).toBe(true);
    } finally {
      device.destroy();
    }
  });

  it('inValidationScope rejects with the validation error its body caused, naming it, and pops its scope', async () => {
    const device = await ownDevice();
    try {
      // A buffer both mappable for reading and a storage buffer: a validation error, not a throw.
      const made = inValidationScope(device, 'the readback', () => device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE }));
      await expect(made).rejects.toThrow(/^the readback: /);
      expect(await noScopeLeft(device)).toBe(true);
      await expect(inValidationScope(device, 'a throw', () => Promise.reject(new Error('from the body')))).rejects.toThrow('from the body');
      expect(await noScopeLeft(device)).toBe(true);
    } finally {
      device.destroy();
    }
  });
});
