/**
 * A forward pass's WebGPU error scopes catch its own errors only (review finding R14): WebGPU's
 * scopes are one stack per device, so scopes held across an await would take in an error that
 * the page (or another runner) makes on the same device meanwhile, reject the forward pass with
 * it and hide it from the page's 'uncapturederror' handler.
 */
import { afterAll, expect, it } from 'vitest';
import { requestMoncDevice } from '../../src/runtime/device.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { checkedMap, monarch, randomParams, rng } from '../ir/structures.js';
import { getTestMoncDevice } from '../support/gpu.js';
import { compileModuleForTest } from '../training/compile.js';

const checked = checkedMap('a', monarch(16, 16, 4));
const compiled = compileModuleForTest(checked);
const params = Object.fromEntries([...randomParams(checked.structure, rng(2))].map(([k, v]) => [k, Float32Array.from(v)]));

await getTestMoncDevice(); // loads the node entry (Dawn)
const { device } = await requestMoncDevice();
afterAll(() => device.destroy());
const uncaptured: string[] = [];
device.addEventListener('uncapturederror', (e) => uncaptured.push((e as GPUUncapturedErrorEvent).error.message));

it.each([0, 1, 2, 3, 5])("an unrelated error %i microtask ticks into a forward pass (a new batch size) reaches the page's handler, and the forward pass resolves", async (ticks) => {
  const runner = await MapRunner.create(compiled.manifest.maps[0], compiled.wgsl, { backend: 'webgpu', device });
  runner.loadParams(params);
  try {
    const before = uncaptured.length;
    const batch = 3 + ticks;
    const pending = runner.forward(new Float32Array(batch * 16).fill(1), batch);
    for (let i = 0; i < ticks; i++) await Promise.resolve();
    // The page's own mistake: MAP_READ with STORAGE is invalid.
    device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
    const y = await pending;
    expect(y.length).toBe(batch * 16);
    await device.queue.onSubmittedWorkDone();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(uncaptured.length - before, 'the page gets its error').toBe(1);
  } finally {
    runner.destroy();
  }
});
