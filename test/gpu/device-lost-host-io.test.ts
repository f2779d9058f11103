/**
 * The host-io entry's calls on a lost device (R17's rule, device-lost.test.ts, for stagings and the
 * chunked forward): each rejects or throws the device-lost MoncError of kind 'device'. Before, a
 * staging made before the loss lent its input with a bare OperationError (its upload buffer was
 * mapped at creation, so nothing raced the loss) and createStaging() succeeded on a lost device.
 */
import { expect, it } from 'vitest';
import { getSharedDevice, requestMoncDevice } from '../../src/runtime/device.js';
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

it('after the shared device is lost, a runner created without a device runs on a new one', async () => {
  await getTestMoncDevice();
  const map = compiled.manifest.maps[0];
  const before = await MapRunner.create(map, compiled.wgsl, { backend: 'webgpu' });
  before.loadParams(params);
  const want = await before.forward(x, batch);
  const lost = (await getSharedDevice()).device;
  lost.destroy();
  await lost.lost;
  await expectMoncError(() => before.forward(x, batch), 'device', LOST);
  before.destroy();
  const after = await MapRunner.create(map, compiled.wgsl, { backend: 'webgpu' });
  try {
    expect((await getSharedDevice()).device).not.toBe(lost);
    after.loadParams(params);
    expect(await after.forward(x, batch)).toEqual(want);
    const staging = after.createStaging(batch);
    (await staging.input(batch)).set(x);
    expect(await staging.run()).toEqual(want);
  } finally {
    after.destroy();
  }
});
