/**
 * The pipelined round trip (src/runtime/pipelined-forward.ts) views each chunk's mapped result
 * only as it copies the chunk out (GpuStaging.runDeferred): with every chunk back from the GPU
 * before the copying starts, one result view of the ring is alive at a time, not one per chunk
 * (each view is V8 external memory until unmapped). The results are x (a copy device), in order;
 * a staging's own run() still lends its view, and the deferred view expires with its lease.
 */
import { describe, expect, it } from 'vitest';
import { GpuStaging } from '../../src/runtime/host-io.js';
import { PipelinedForward } from '../../src/runtime/pipelined-forward.js';
import * as flags from '../../src/runtime/gpu-flags.js';
import { copyDevice } from '../support/copy-device.js';
import { randomArray, rng } from '../support/programs.js';

const HOST = { map: { name: 'copy', in: 6, out: 6 }, checkInput: () => undefined };

/** Counts the views of MAP_READ buffers `device` creates while `body` runs that are alive (viewed, not yet unmapped) at once. */
async function liveReadViews<T>(device: GPUDevice, body: () => Promise<T>): Promise<{ result: T; most: number }> {
  let live = 0;
  let most = 0;
  const createBuffer = device.createBuffer;
  device.createBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor) {
    const buffer = createBuffer.call(this, descriptor);
    if (descriptor.usage & flags.MAP_READ) {
      const getMappedRange = buffer.getMappedRange;
      const unmap = buffer.unmap;
      let viewed = false;
      buffer.getMappedRange = (...args: Parameters<GPUBuffer['getMappedRange']>) => {
        if (!viewed) most = Math.max(most, ++live);
        viewed = true;
        return getMappedRange.apply(buffer, args);
      };
      buffer.unmap = () => {
        if (viewed) live--;
        viewed = false;
        unmap.call(buffer);
      };
    }
    return buffer;
  };
  try {
    return { result: await body(), most };
  } finally {
    device.createBuffer = createBuffer;
  }
}

describe('pipelined round trip: result views', () => {
  it('one chunk result viewed at a time, though all are back before the copying starts', async () => {
    const gpu = await copyDevice('f32');
    const pipelined = new PipelinedForward(HOST, gpu, () => undefined);
    try {
      const x = randomArray(8 * 6, rng(9));
      const { result: y, most } = await liveReadViews(gpu.device, async () => {
        // 8 chunks of one row, each filled and submitted at the call (the ring made here, its buffers counted).
        const taken = pipelined.take(x, 8, new Float32Array(8 * 6), 1, { waiting: 0 });
        expect(taken.chunks).toHaveLength(8);
        // Every chunk done and mapped before the run copies any out.
        await gpu.device.queue.onSubmittedWorkDone();
        for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 5));
        return pipelined.run(taken);
      });
      expect(Array.from(y)).toEqual(Array.from(x));
      expect(most).toBe(1);
    } finally {
      pipelined.destroy();
    }
  });

  it("a staging's run() lends its view; a deferred view is made while lent only", async () => {
    const staging = new GpuStaging(HOST, 2, await copyDevice('f32'));
    try {
      const x = randomArray(2 * 6, rng(4));
      (await staging.input()).set(x);
      const y = await staging.run();
      expect(Array.from(y)).toEqual(Array.from(x));
      (await staging.input(1)).set(x.subarray(0, 6));
      expect(y.length, 'the earlier result view expired').toBe(0);
      const view = await staging.runDeferred();
      expect(Array.from(view())).toEqual(Array.from(x.subarray(0, 6)));
      staging.release();
      expect(() => view()).toThrow("map 'copy': run() out of order: call input() and fill its view first");
    } finally {
      staging.destroy();
    }
  });
});
