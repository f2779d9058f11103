/**
 * backward() (and so `monc grad`) of a batch whose buffers exceed the device's limits runs in row
 * chunks, as forward() does, and matches the float64 reference; the gradient buffer then holds the
 * whole batch's gradients (an optimizer step applies them). encodeBackward, which records one pass
 * on the caller's encoder, still refuses such a batch with kind 'device'. The device reports a
 * binding limit of 64 KiB (the test device seen through a Proxy: the runtime sizes everything from
 * `device.limits`), so a few hundred rows of a small map are over it; reaching WebGPU's smallest
 * real limit (128 MiB) takes minutes of SwiftShader.
 */
import { expect, it } from 'vitest';
import { backwardRowsLimit, backwardSpec } from '../../src/runtime/gpu-backward.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { getTestDevice } from '../support/gpu.js';
import { checkedMap, dense, randomParams, randomValues, rng } from '../ir/structures.js';
import { referenceBackward } from '../support/reference.js';
import { expectMoncErrorNow } from '../support/user-error.js';
import { compileModuleForTest } from './compile.js';
import { frobeniusError } from './support.js';

/** The test device as one whose storage bindings hold at most `bytes` (every other property its own). */
function withBindingLimit(device: GPUDevice, bytes: number): GPUDevice {
  const limits = new Proxy(device.limits, { get: (l, k) => (k === 'maxStorageBufferBindingSize' ? bytes : Reflect.get(l, k, l)) });
  return new Proxy(device, {
    get(d, k) {
      if (k === 'limits') return limits;
      const v = Reflect.get(d, k, d) as unknown;
      return typeof v === 'function' ? v.bind(d) : v;
    },
  });
}

it('backward() over the limits runs in chunks: dx, the gradients and an SGD step match float64', async () => {
  const map = checkedMap('a', dense(24, 40));
  const { manifest, wgsl } = compileModuleForTest(map, 'f32');
  const device = withBindingLimit(await getTestDevice(), 1 << 16);
  const runner = await MapRunner.create(manifest.maps[0], wgsl, { device, training: true });
  try {
    const random = rng(8);
    const params = new Map([...randomParams(map.structure, random)].map(([k, v]) => [k, Float32Array.from(v)]));
    runner.loadParams(params);
    const most = backwardRowsLimit(backwardSpec(manifest.maps[0], { wgsl, backward: manifest.maps[0].backward!.kernels, storage: 'f32' }), device.limits).rows;
    expect(most).toBe(Math.floor(2 ** 16 / (40 * 4))); // dy's rows of 40 values decide (the 16-byte padding counts once per buffer)
    const batch = 2 * most + 77; // three chunks, the last a short one
    const x = Float32Array.from(randomValues(random, batch * 24));
    const dy = Float32Array.from(randomValues(random, batch * 40));
    const { dx, grads } = await runner.backward(x, dy, batch);
    const want = referenceBackward(map.structure, params, x, dy, batch);
    expect(frobeniusError(dx, want.dx)).toBeLessThan(1e-5);
    for (const [name, g] of want.grads) expect(frobeniusError(grads.get(name)!, g), name).toBeLessThan(1e-5);
    // The device's gradient buffer holds the whole batch's sums: p − 1·g.
    await runner.createOptimizer({ kind: 'sgd', lr: 1 }).step();
    const after = await runner.params();
    for (const [name, g] of want.grads) {
      const p = params.get(name)!;
      expect(frobeniusError(after.get(name)!, p.map((v, i) => v - g[i])), name).toBeLessThan(1e-5);
    }
    // encodeBackward records one pass: beyond the limit it is refused, naming the batch that fits.
    const buffer = (rows: number) => device.createBuffer({ size: rows * 40 * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder();
    expectMoncErrorNow(() => runner.encodeBackward(encoder, buffer(most + 1), buffer(most + 1), buffer(most + 1), most + 1), 'device', `use batches of at most ${most} rows`);
  } finally {
    runner.destroy();
  }
});
