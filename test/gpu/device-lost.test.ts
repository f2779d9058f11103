/**
 * After the device is lost every call on a runner fails with the device-lost MoncError of kind
 * 'device' (review finding R17): forward, backward, params(), an optimizer step and a new runner
 * on that device; none rejects with a bare AbortError or resolves as if it had run. The loss is
 * made with destroy() on a device of the test's own (what a real loss does to the runner).
 */
import { expect, it } from 'vitest';
import { requestMoncDevice } from '../../src/runtime/device.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { checkedMap, monarch, randomParams, rng } from '../ir/structures.js';
import { getTestMoncDevice } from '../support/gpu.js';
import { expectMoncError } from '../support/user-error.js';
import { compileModuleForTest } from '../training/compile.js';

const checked = checkedMap('a', monarch(16, 16, 4));
const compiled = compileModuleForTest(checked);
const params = Object.fromEntries([...randomParams(checked.structure, rng(3))].map(([k, v]) => [k, Float32Array.from(v)]));
const x = Float32Array.from({ length: 3 * 16 }, (_, i) => Math.sin(i));
const LOST = 'WebGPU device lost';

it('every call after the loss is kind device', async () => {
  await getTestMoncDevice(); // loads the node entry (Dawn, the training entry)
  const { device } = await requestMoncDevice();
  const map = compiled.manifest.maps[0];
  const runner = await MapRunner.create(map, compiled.wgsl, { backend: 'webgpu', device, training: true });
  runner.loadParams(params);
  await runner.backward(x, x, 3);
  const optimizer = runner.createOptimizer({ kind: 'adam', lr: 0.01 });
  // A runner whose training half is not loaded yet: its optimizer steps after the loss load it (QA2 s20 R90: they said
  // "call backward() before an optimizer step", kind user).
  const untrained = await MapRunner.create(map, compiled.wgsl, { backend: 'webgpu', device });
  untrained.loadParams(params);
  const deferred = untrained.createOptimizer({ kind: 'sgd', lr: 0.1 });
  device.destroy();
  await device.lost;
  await expectMoncError(() => runner.forward(x, 3), 'device', LOST);
  await expectMoncError(() => runner.backward(x, x, 3), 'device', LOST);
  await expectMoncError(() => runner.params(), 'device', LOST);
  await expectMoncError(() => optimizer.step(), 'device', LOST);
  await expectMoncError(() => deferred.step(), 'device', LOST);
  // createOptimizer itself, with the training half loaded or not (R90: it returned an optimizer).
  await expectMoncError(() => runner.createOptimizer({ kind: 'adam', lr: 0.01 }), 'device', LOST);
  await expectMoncError(() => untrained.createOptimizer({ kind: 'sgd', lr: 0.1 }), 'device', LOST);
  untrained.destroy();
  await expectMoncError(() => MapRunner.create(map, compiled.wgsl, { backend: 'webgpu', device }), 'device', LOST);
  runner.destroy();
});
