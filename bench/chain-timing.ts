/**
 * Times a run of kernels op0, op1, … of a case as the device runs a chain: one dispatch each, in
 * one compute pass, through real intermediate buffers (uninitialised: timing only), for
 * monarch-goal.ts and layout-tile-probe.ts.
 */
import type { OpsCase } from './cases.js';
import type { EmittedKernel } from '../src/codegen/wgsl/kernel.js';
import type { StorageType } from '../src/codegen/wgsl/scaffold.js';
import { encodeDispatch, prepareKernel } from '../src/tuner/dispatch.js';
import { timeComputePasses, type TimingOptions, type TimingStats } from '../src/runtime/timing.js';

export async function timeChain(device: GPUDevice, c: OpsCase, storage: StorageType, batch: number, kernels: readonly EmittedKernel[], options: TimingOptions): Promise<TimingStats> {
  const elem = storage === 'f16' ? 2 : 4;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const mk = (count: number) => device.createBuffer({ size: Math.ceil((count * elem) / 16) * 16, usage });
  const params = mk(c.paramSize);
  const bufs = new Map(c.buffers.map((b) => [b.name, mk(batch * b.size)]));
  try {
    const prepared = await Promise.all(kernels.map((k, i) => prepareKernel(device, k, { params, src: bufs.get(c.ops[i].src)!, dst: bufs.get(c.ops[i].dst)! }, batch)));
    return await timeComputePasses(device, (pass) => prepared.forEach((d) => encodeDispatch(pass, d)), options);
  } finally {
    params.destroy();
    for (const b of bufs.values()) b.destroy();
  }
}
