/**
 * destroy() while fitMse waits for its read-back rejects the fit at once with the destroyed runner's user error, as
 * forward and backward do (runtime.md: destroy() rejects every call still running), not once the device has run the
 * steps submitted before it: up to a read-back window of 1024 (QA2 s27 Q651: a fit destroyed 200 ms in rejected 57 s
 * later on SwiftShader, and with a WebGPU validation error of the destroyed buffers). destroy() is made to land exactly
 * while the stats are being mapped; the device's queue still holds the steps when the fit rejects.
 */
import { expect, it } from 'vitest';
import '../../src/runtime/node.js';
import '../../src/runtime/training.js';
import { requestMoncDevice } from '../../src/runtime/device.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { blockdiag, checkedMap } from '../ir/structures.js';
import { compileModuleForTest } from './compile.js';
import { whenStatsMapped } from './stats-mapping.js';

it('fitMse destroyed during its read-back rejects with the destroyed runner’s error before the device has run its steps', async () => {
  const { device } = await requestMoncDevice();
  let runner: MapRunner | undefined;
  let drained: boolean | undefined;
  // Destroys the runner right after the fit starts mapping its stats read-back buffer, and notes when the queue is done.
  whenStatsMapped(device, () => {
    drained = false;
    void device.queue.onSubmittedWorkDone().then(() => (drained = true));
    runner!.destroy();
  });
  const map = checkedMap('up', blockdiag(12, 6, 3));
  const { manifest, wgsl } = compileModuleForTest(map, 'f32');
  runner = await MapRunner.create(manifest.maps[0], wgsl, { device, training: true });
  try {
    runner.loadParams({ 'up.weight': new Float32Array(24).fill(0.1) });
    // 512 steps between read-backs: the first read-back waits for all of them.
    const fit = runner.fitMse(new Float32Array(12 * 30).fill(1), new Float32Array(6 * 30), { steps: 512, optimizer: { kind: 'sgd', lr: 1e-3 } });
    await expect(fit).rejects.toMatchObject({ name: 'MoncError', kind: 'user', message: "map 'up': the runner was destroyed" });
    expect(drained).toBe(false);
  } finally {
    device.destroy();
  }
});
