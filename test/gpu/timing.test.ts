/**
 * The timing warm-up (src/runtime/timing.ts) on the test adapter: samples come in batches until
 * two consecutive batches agree within 5% (at least two batches then), or the time cap ends it
 * (reported as not settled); the minimum warm-up time (400 ms by default) is honoured; the wall-clock path warms up
 * the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dawnProvider } from '../../src/runtime/node-device.js';
import { timeComputePasses, timePasses } from '../../src/runtime/timing.js';
import { getTestDevice } from '../support/gpu.js';

const WGSL = `
@group(0) @binding(0) var<storage, read_write> data: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  var v = data[id.x];
  for (var i = 0u; i < 64u; i++) { v = v * 0.999 + 0.001; }
  data[id.x] = v;
}`;

/** A small kernel over 4096 floats, encoded into the pass it is given. */
function kernel(device: GPUDevice): { encode: (pass: GPUComputePassEncoder) => void; destroy: () => void } {
  const buffer = device.createBuffer({ size: 4096 * 4, usage: GPUBufferUsage.STORAGE });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: WGSL }), entryPoint: 'main' } });
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer } }] });
  return {
    encode: (pass) => {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(64);
    },
    destroy: () => buffer.destroy(),
  };
}

let device: GPUDevice;
let k: ReturnType<typeof kernel>;
beforeAll(async () => {
  device = await getTestDevice();
  k = kernel(device);
});
afterAll(() => k.destroy());

describe('timing warm-up', () => {
  it('takes batches until two agree within 5%, or stops at the cap and says so', async () => {
    const stats = await timeComputePasses(device, k.encode, { repeats: 7, warmupMs: 0, maxWarmupMs: 3000 });
    expect(stats.samples).toHaveLength(7);
    expect(stats.medianMs).toBeGreaterThan(0);
    const w = stats.warmup!;
    if (w.settled) expect(w.batches).toBeGreaterThanOrEqual(2);
    else expect(w.ms).toBeGreaterThanOrEqual(3000);
  });

  it('ends after one batch when the minimum and the cap are zero, not settled', async () => {
    const stats = await timeComputePasses(device, k.encode, { repeats: 3, warmupMs: 0, maxWarmupMs: 0 });
    expect(stats.warmup).toMatchObject({ batches: 1, settled: false });
  });

  it('warms up for at least warmupMs (400 ms by default)', async () => {
    expect((await timeComputePasses(device, k.encode, { repeats: 3, warmupMs: 250 })).warmup!.ms).toBeGreaterThanOrEqual(250);
    expect((await timeComputePasses(device, k.encode, { repeats: 3 })).warmup!.ms).toBeGreaterThanOrEqual(400);
  });

  it('warms up the same way when timing by the wall clock', async () => {
    const { adapter } = await dawnProvider.requestAdapter();
    const plain = await adapter!.requestDevice();
    const own = kernel(plain);
    try {
      const t = await timePasses(plain, own.encode, { repeats: 3, warmupMs: 100 });
      expect(t.method).toBe('wall-clock');
      expect(t.stats.samples).toHaveLength(3);
      expect(t.stats.warmup!.ms).toBeGreaterThanOrEqual(100);
      expect(t.stats.warmup!.batches).toBeGreaterThanOrEqual(1);
    } finally {
      own.destroy();
      plain.destroy();
    }
  });
});
