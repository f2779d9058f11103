/**
 * The forward executor's temporaries replaced by a larger batch's (review finding R7.1) stay
 * usable by a caller's encoder recorded before and submitted after the replacement, and
 * destroy() frees them with the rest: no buffer of the runner is left to garbage collection.
 * Counted on a device of the test's own whose createBuffer records each buffer until its destroy().
 */
import { expect, it } from 'vitest';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { checkedMap, monarch, randomParams, rng } from '../ir/structures.js';
import { relativeError } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';
import { compileModuleForTest } from '../training/compile.js';
import { countingDevice } from '../support/counting-device.js';

it('an encoder recorded at batch 3, submitted after forwards of 700 and 1500 rows, still computes; destroy() then frees every monc buffer', async () => {
  const { device, live } = await countingDevice();
  try {
    const checked = checkedMap('a', monarch(24, 16, 4));
    const { manifest, wgsl } = compileModuleForTest(checked);
    const tensors = randomParams(checked.structure, rng(5));
    const runner = await MapRunner.create(manifest.maps[0], wgsl, { device });
    runner.loadParams(Object.fromEntries([...tensors].map(([k, v]) => [k, Float32Array.from(v)])));
    const input = (rows: number, seed: number) => Float32Array.from({ length: rows * checked.in }, (_, i) => Math.sin(i * seed + 1));

    const x3 = input(3, 2);
    const x = device.createBuffer({ label: 'test x', size: x3.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    const y = device.createBuffer({ label: 'test y', size: 3 * checked.out * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ label: 'test read', size: y.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(x, 0, x3);
    const encoder = device.createCommandEncoder();
    runner.encodeForward(encoder, x, y, 3);
    encoder.copyBufferToBuffer(y, 0, read, 0, y.size);

    for (const [rows, seed] of [[700, 3], [1500, 4]]) {
      const xs = input(rows, seed);
      expect(relativeError(await runner.forward(xs, rows), referenceApply(checked.structure, tensors, xs, rows)), `forward of ${rows} rows`).toBeLessThan(1e-5);
    }
    device.queue.submit([encoder.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    expect(relativeError(new Float32Array(read.getMappedRange().slice(0)), referenceApply(checked.structure, tensors, x3, 3)), 'the encoder recorded at batch 3').toBeLessThan(1e-5);
    read.unmap();

    // 'monc no pattern' is the device's one placeholder binding, shared by every runner on it.
    const runnerBuffers = () => [...live.values()].filter((label) => label.startsWith('monc ') && label !== 'monc no pattern');
    // Temporaries the kernels bind (not only those of the fused-pair intermediates in workgroup memory).
    expect(runnerBuffers().filter((label) => /^monc t\d/.test(label)).length).toBeGreaterThan(0);
    runner.destroy();
    expect(runnerBuffers()).toEqual([]);
  } finally {
    device.destroy();
  }
});
