/**
 * A GpuStagingDevice (src/runtime/host-io.ts) whose "forward pass" copies x to y unchanged, in
 * f32 or f16 storage (no f16 kernels needed, which the test adapter lacks): what comes back is x,
 * rounded to f16 in f16 storage. Up to 64 32-bit words per pass (64 f32 values, 128 halves).
 */
import type { GpuStagingDevice } from '../../src/runtime/host-io.js';
import { getTestDevice } from './gpu.js';

export async function copyDevice(storage: 'f32' | 'f16'): Promise<GpuStagingDevice> {
  const device = await getTestDevice();
  const module = device.createShaderModule({
    code: `@group(0) @binding(0) var<storage, read> x: array<u32>;
      @group(0) @binding(1) var<storage, read_write> y: array<u32>;
      @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) { if (g.x < arrayLength(&y)) { y[g.x] = x[g.x]; } }`,
  });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  return {
    device,
    storage,
    maxRows: 1000,
    encode: (encoder, x, y) => {
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      const entries = [x, y].map((buffer, binding) => ({ binding, resource: { buffer } }));
      pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
      pass.dispatchWorkgroups(1);
      pass.end();
    },
  };
}
