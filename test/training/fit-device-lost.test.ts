/**
 * A device lost while fitMse waits for its read-back rejects the fit with the MoncError of kind `device` that every other
 * call of the runner gives (runtime.md), not the bare DOMException AbortError the aborted mapping rejects with (QA2 s22
 * Q157: a device destroyed 1.5 s into a 3000-step fit). The loss is made to land exactly while the stats are being mapped.
 */
import { expect, it } from 'vitest';
import '../../src/runtime/node.js';
import '../../src/runtime/training.js';
import { requestMoncDevice } from '../../src/runtime/device.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { blockdiag, checkedMap } from '../ir/structures.js';
import { compileModuleForTest } from './compile.js';
import { whenStatsMapped } from './stats-mapping.js';

it('fitMse on a device lost during its read-back rejects with the device-lost MoncError', async () => {
  const { device } = await requestMoncDevice();
  whenStatsMapped(device, () => device.destroy());
  const map = checkedMap('up', blockdiag(12, 6, 3));
  const { manifest, wgsl } = compileModuleForTest(map, 'f32');
  const runner = await MapRunner.create(manifest.maps[0], wgsl, { device, training: true });
  try {
    runner.loadParams({ 'up.weight': new Float32Array(24).fill(1) });
    const fit = runner.fitMse(new Float32Array(12 * 30).fill(1), new Float32Array(6 * 30), { steps: 20, optimizer: { kind: 'sgd', lr: 1e-3 } });
    await expect(fit).rejects.toMatchObject({ name: 'MoncError', kind: 'device', message: expect.stringMatching(/^WebGPU device lost \(destroyed\)/) });
    await expect(runner.forward(new Float32Array(12))).rejects.toMatchObject({ kind: 'device' });
  } finally {
    runner.destroy();
  }
});
