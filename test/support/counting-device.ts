/**
 * A Dawn device of a test's own whose createBuffer records each buffer (with its label) until its
 * destroy(): what is left in `live` after a runner's destroy() is what the runner leaked.
 */
import { dawnProvider } from '../../src/runtime/node-device.js';

export async function countingDevice(): Promise<{ device: GPUDevice; live: Map<GPUBuffer, string> }> {
  const { adapter } = await dawnProvider.requestAdapter();
  const device = await adapter!.requestDevice();
  const live = new Map<GPUBuffer, string>();
  const create = device.createBuffer.bind(device);
  device.createBuffer = (d: GPUBufferDescriptor) => {
    const b = create(d);
    live.set(b, d.label ?? '');
    const destroy = b.destroy.bind(b);
    b.destroy = () => {
      live.delete(b);
      destroy();
    };
    return b;
  };
  return { device, live };
}
