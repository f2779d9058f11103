/**
 * destroy() while calls are in flight (review findings R1, R2): every such call rejects with the
 * destroyed runner's one-line MoncError of kind 'user', never WebGPU's bare AbortError or a plain
 * Error about destroyed buffers; and a training half still being created when the runner is
 * destroyed keeps no buffer alive. On the device a test owns, whose createBuffer is counted.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { requestMoncDevice } from '../../src/runtime/device.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { checkedMap, monarch, randomParams, rng } from '../ir/structures.js';
import { getTestMoncDevice } from '../support/gpu.js';
import { expectMoncError } from '../support/user-error.js';
import { compileModuleForTest } from '../training/compile.js';

const checked = checkedMap('a', monarch(64, 64, 4));
const compiled = compileModuleForTest(checked);
const params = Object.fromEntries([...randomParams(checked.structure, rng(4))].map(([k, v]) => [k, Float32Array.from(v)]));
const DESTROYED = "map 'a': the runner was destroyed";
const batch = 256;
/**
 * The rows of the calls destroyed after a wait: enough that the call is still in flight when
 * destroy() runs (batch 256 took ~10 ms on SwiftShader here and under 5 ms on a CI machine, which
 * then resolved before the 5 ms destroy; 2048 takes ~80 ms here).
 */
const inFlightBatch = 2048;
const xLong = Float32Array.from({ length: inFlightBatch * checked.in }, (_, i) => Math.sin(i));
const dyLong = Float32Array.from({ length: inFlightBatch * checked.out }, (_, i) => Math.cos(i));
const x = xLong.subarray(0, batch * checked.in);
const dy = dyLong.subarray(0, batch * checked.out);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A device of this file's own (the node entry is loaded by test/support/gpu.ts), and the buffers created on it and not destroyed. */
await getTestMoncDevice();
const { device } = await requestMoncDevice();
const live = new Set<GPUBuffer>();
const createBuffer = device.createBuffer.bind(device);
device.createBuffer = (descriptor: GPUBufferDescriptor) => {
  const buffer = createBuffer(descriptor);
  live.add(buffer);
  const destroy = buffer.destroy.bind(buffer);
  buffer.destroy = () => {
    live.delete(buffer);
    destroy();
  };
  return buffer;
};
afterAll(() => device.destroy());

async function runner(training = false): Promise<MapRunner> {
  const r = await MapRunner.create(compiled.manifest.maps[0], compiled.wgsl, { backend: 'webgpu', device, training });
  r.loadParams(params);
  return r;
}

describe('destroy() while a call is in flight', () => {
  it.each([0, 1, 5])('forward, destroyed after %i ms, rejects with the destroyed runner’s user error', async (ms) => {
    const r = await runner();
    await r.forward(xLong, inFlightBatch); // its buffers exist: the next run is the one in flight
    const pending = r.forward(xLong, inFlightBatch);
    await sleep(ms);
    r.destroy();
    await expectMoncError(() => pending, 'user', DESTROYED);
  });

  it.each([0, 1, 5])('backward (its training half loaded), destroyed after %i ms, too', async (ms) => {
    const r = await runner(true);
    await r.backward(xLong, dyLong, inFlightBatch);
    const pending = r.backward(xLong, dyLong, inFlightBatch);
    await sleep(ms);
    r.destroy();
    await expectMoncError(() => pending, 'user', DESTROYED);
  });

  it('the first backward of a runner created with training: true, destroyed right after the call (a forward queued before it), rejects with the user error, not a WebGPU one (QA A8)', async () => {
    const r = await runner(true);
    const forward = r.forward(x, batch);
    const pending = r.backward(x, dy, batch);
    r.destroy();
    await expectMoncError(() => forward, 'user', DESTROYED);
    await expectMoncError(() => pending, 'user', DESTROYED);
  });

  it('a staging’s run, destroyed with its runner, rejects as the runner’s calls do (not "out of order", QA2 s12 R3) and stays destroyed', async () => {
    const r = await runner();
    const staging = r.createStaging(batch);
    (await staging.input()).set(x);
    const pending = staging.run();
    r.destroy();
    await expectMoncError(() => pending, 'user', DESTROYED);
    expect(((await pending.catch((e: Error) => e)) as Error).message).not.toContain('out of order');
    // Later calls too: the runner's error, not "out of order".
    expect((await expectMoncError(() => staging.input(), 'user', DESTROYED)).message).toBe("map 'a': the runner was destroyed");
  });

  it('a staging’s run, destroyed by its own destroy(), rejects saying so', async () => {
    const r = await runner();
    try {
      const staging = r.createStaging(batch);
      (await staging.input()).set(x);
      const pending = staging.run();
      staging.destroy();
      expect(((await pending.catch((e: Error) => e)) as Error).message).toBe("map 'a': the staging was destroyed");
      for (const call of [() => staging.input(), () => staging.run()]) expect((await expectMoncError(call, 'user', 'destroyed')).message).toBe("map 'a': the staging was destroyed");
    } finally {
      r.destroy();
    }
  });

  it('the first backward, destroyed while its training half is created, rejects and leaves no buffer alive', async () => {
    const r = await runner();
    const before = new Set(live);
    const pending = r.backward(x, dy, 4);
    r.destroy();
    await expectMoncError(() => pending, 'user', DESTROYED);
    await sleep(5);
    expect([...live].filter((b) => !before.has(b)).map((b) => b.label)).toEqual([]);
    // The runner's own buffers went with destroy() too.
    expect([...live].filter((b) => b.label.startsWith('monc') && !b.label.includes('no pattern')).map((b) => b.label)).toEqual([]);
  });
});
