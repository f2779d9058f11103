/**
 * A Dawn device of a test's own whose createBuffer records each buffer (with its label) until its
 * destroy(): what is left in `live` after a runner's destroy() is what the runner leaked. `again`
 * counts destroy() calls on buffers already destroyed (a runner still holding what it freed).
 */
import { dawnProvider } from '../../src/runtime/node-device.js';

export async function countingDevice(): Promise<{ device: GPUDevice; live: Map<GPUBuffer, string>; again: { count: number } }> {
  const { adapter } = await dawnProvider.requestAdapter();
  const device = await adapter!.requestDevice();
  const live = new Map<GPUBuffer, string>();
  const again = { count: 0 };
  const create = device.createBuffer.bind(device);
  device.createBuffer = (d: GPUBufferDescriptor) => {
    const b = create(d);
    live.set(b, d.label ?? '');
    const destroy = b.destroy.bind(b);
    b.destroy = () => {
      if (!live.delete(b)) again.count++;
      destroy();
    };
    return b;
  };
  return { device, live, again };
}
