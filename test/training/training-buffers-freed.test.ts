/**
 * destroy() frees every buffer the training half made, those it replaced by larger ones included:
 * the backward temporaries of a smaller batch (kept while a caller's encoder not yet submitted may
 * use them) and the optimizer's outgrown hyper-parameter tables. Counted on a device of the test's
 * own whose createBuffer records each buffer until its destroy().
 */
import { expect, it } from 'vitest';
import { MapRunner } from '../../src/runtime/map-runner.js';
import '../../src/runtime/training.js';
import { countingDevice } from '../support/counting-device.js';
import { checkedMap, monarch, randomParams, randomValues, rng, sum, bias } from '../ir/structures.js';
import { compileModuleForTest } from './compile.js';

it('after batches of 3 then 700 and 70 optimizer steps, destroy() leaves no buffer of the runner alive', async () => {
  const { device, live } = await countingDevice();
  try {
    const map = checkedMap('m', sum(monarch(12, 12, 3), bias(12)));
    const { manifest, wgsl } = compileModuleForTest(map);
    const runner = await MapRunner.create(manifest.maps[0], wgsl, { device, training: true });
    const random = rng(3);
    runner.loadParams(new Map([...randomParams(map.structure, random)].map(([k, v]) => [k, Float32Array.from(v)])));
    for (const batch of [3, 700]) {
      const x = Float32Array.from(randomValues(random, batch * 12));
      await runner.backward(x, x, batch);
    }
    const opt = runner.createOptimizer({ kind: 'adam', lr: 1e-3 });
    const encoder = device.createCommandEncoder();
    for (let t = 0; t < 70; t++) opt.encodeStep(encoder);
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    expect(live.size).toBeGreaterThan(0);
    runner.destroy();
    // The empty pattern binding is the device's, shared by every runner (pattern-buffers.ts).
    expect([...live.values()].filter((label) => label !== 'monc no pattern')).toEqual([]);
  } finally {
    device.destroy();
  }
});

it('create({ training: true }) of a forward-only build rejects and leaves no buffer of the runner it made alive', async () => {
  const { device, live } = await countingDevice();
  try {
    const map = checkedMap('m', sum(monarch(12, 12, 3), bias(12)));
    const { manifest, wgsl } = compileModuleForTest(map);
    const forwardOnly = { ...manifest.maps[0], forwardOnly: true as const };
    await expect(MapRunner.create(forwardOnly, wgsl, { device, training: true })).rejects.toThrow("map 'm': create({ training: true }) needs the training kernels");
    expect([...live.values()].filter((label) => label !== 'monc no pattern')).toEqual([]);
  } finally {
    device.destroy();
  }
});
