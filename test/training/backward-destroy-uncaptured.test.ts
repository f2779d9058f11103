/**
 * destroy() while a backward pass on webgpu waits for its error scopes: the pass rejects with the destroyed runner's
 * error and leaves the device no error of monc's (QA2 s27 Q653: it mapped its destroyed read-back buffer, a validation
 * error that reached the page's onuncapturederror). destroy() is made to land as the pass pops its error scopes.
 */
import { expect, it } from 'vitest';
import '../../src/runtime/node.js';
import '../../src/runtime/training.js';
import { requestMoncDevice } from '../../src/runtime/device.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { blockdiag, checkedMap } from '../ir/structures.js';
import { compileModuleForTest } from './compile.js';

it('backward destroyed while it waits for its errors rejects and leaves no uncaptured WebGPU error', async () => {
  const { device } = await requestMoncDevice();
  const uncaptured: string[] = [];
  device.addEventListener('uncapturederror', (e) => uncaptured.push((e as GPUUncapturedErrorEvent).error.message));
  const map = checkedMap('up', blockdiag(12, 6, 3));
  const { manifest, wgsl } = compileModuleForTest(map, 'f32');
  const runner = await MapRunner.create(manifest.maps[0], wgsl, { device, training: true });
  try {
    runner.loadParams({ 'up.weight': new Float32Array(24).fill(0.1) });
    const [x, dy] = [new Float32Array(12 * 8).fill(1), new Float32Array(6 * 8).fill(1)];
    await runner.backward(x, dy, 8);
    // The next pass's scopes are popped after its submission: destroy() lands there.
    const popErrorScope = device.popErrorScope.bind(device);
    device.popErrorScope = () => {
      runner.destroy();
      return popErrorScope();
    };
    await expect(runner.backward(x, dy, 8)).rejects.toMatchObject({ name: 'MoncError', kind: 'user', message: "map 'up': the runner was destroyed" });
    await device.queue.onSubmittedWorkDone();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(uncaptured).toEqual([]);
  } finally {
    device.destroy();
  }
});
