/**
 * The host-io entry's calls on a lost device (R17's rule, device-lost.test.ts, for stagings and the
 * chunked forward): each rejects or throws the device-lost MoncError of kind 'device'. Before, a
 * staging made before the loss lent its input with a bare OperationError (its upload buffer was
 * mapped at creation, so nothing raced the loss) and createStaging() succeeded on a lost device.
 */
import { it } from 'vitest';
import { requestMoncDevice } from '../../src/runtime/device.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { checkedMap, monarch, randomParams, rng } from '../ir/structures.js';
import { getTestMoncDevice } from '../support/gpu.js';
import { expectMoncError } from '../support/user-error.js';
import { compileModuleForTest } from '../training/compile.js';

const checked = checkedMap('a', monarch(16, 16, 4));
const compiled = compileModuleForTest(checked);
const params = Object.fromEntries([...randomParams(checked.structure, rng(3))].map(([k, v]) => [k, Float32Array.from(v)]));
const batch = 8;
const x = Float32Array.from({ length: batch * 16 }, (_, i) => Math.sin(i));
const LOST = 'WebGPU device lost';

it('stagings, the chunked forward and dense() on a lost device are kind device', async () => {
  await getTestMoncDevice(); // loads the node entry (Dawn, host-io)
  const { device } = await requestMoncDevice();
  const runner = await MapRunner.create(compiled.manifest.maps[0], compiled.wgsl, { backend: 'webgpu', device });
  try {
    runner.loadParams(params);
    const fresh = runner.createStaging(batch); // never lent: its upload buffer still mapped from creation
    const lent = runner.createStaging(batch);
    (await lent.input(batch)).set(x);
    const running = runner.createStaging(batch);
    (await running.input(batch)).set(x);
    const inFlight = [running.run(), runner.forward(x, { batch, chunkRows: 3 })];
    device.destroy();
    await device.lost;
    for (const call of inFlight) await expectMoncError(() => call, 'device', LOST);
    await expectMoncError(() => fresh.input(batch), 'device', LOST);
    await expectMoncError(() => lent.run(), 'device', LOST);
    await expectMoncError(() => runner.createStaging(batch), 'device', LOST);
    await expectMoncError(() => runner.forward(x, { batch, chunkRows: 2 }), 'device', LOST);
    await expectMoncError(() => runner.forward(x, { batch, out: new Float32Array(batch * 16) }), 'device', LOST);
    await expectMoncError(() => runner.dense(), 'device', LOST);
    // A failed step leaves the staging in order: the next input() is the loss again, not "out of order".
    await expectMoncError(() => lent.input(batch), 'device', LOST);
  } finally {
    runner.destroy();
  }
});
