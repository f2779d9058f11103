/**
 * forward(x) and backward(x, dy) take their arrays as they are at the call (review finding R12):
 * a caller that refills one array for its next call before awaiting the first gets each call's
 * own result, on WebGPU and on the CPU backend, though the calls run one after the other (and
 * the first backward waits for the training half to load).
 */
import { expect, it } from 'vitest';
import '../../src/runtime/cpu.js';
import { MapRunner, type Backend } from '../../src/runtime/map-runner.js';
import { checkedMap, monarch, randomParams, rng } from '../ir/structures.js';
import { getTestDevice } from '../support/gpu.js';
import { relativeError } from '../support/programs.js';
import { referenceApply, referenceBackward } from '../support/reference.js';
import { compileModuleForTest } from '../training/compile.js';

const checked = checkedMap('a', monarch(24, 16, 4));
const compiled = compileModuleForTest(checked);
const tensors = randomParams(checked.structure, rng(8));
const batch = 2;

it.each(['webgpu', 'cpu'] as const)('%s: three calls on one refilled input array, awaited together, each against the float64 reference', async (backend: Backend) => {
  const runner = await MapRunner.create(compiled.manifest.maps[0], compiled.wgsl, { backend, ...(backend === 'webgpu' ? { device: await getTestDevice() } : {}) });
  runner.loadParams(Object.fromEntries([...tensors].map(([k, v]) => [k, Float32Array.from(v)])));
  try {
    const inputs = [1, 2, 3].map((s) => Float32Array.from({ length: batch * checked.in }, (_, i) => Math.sin(i * s + s)));
    const buffer = new Float32Array(batch * checked.in);
    const pending = inputs.map((x) => {
      buffer.set(x);
      return runner.forward(buffer, batch);
    });
    const results = await Promise.all(pending);
    results.forEach((y, i) => expect(relativeError(y, referenceApply(checked.structure, tensors, inputs[i], batch)), `call ${i + 1}`).toBeLessThan(1e-5));
  } finally {
    runner.destroy();
  }
});

it.each(['webgpu', 'cpu'] as const)('%s: two backward calls on one refilled x and dy, awaited together, each against the float64 reference', async (backend: Backend) => {
  const runner = await MapRunner.create(compiled.manifest.maps[0], compiled.wgsl, { backend, ...(backend === 'webgpu' ? { device: await getTestDevice() } : {}) });
  runner.loadParams(Object.fromEntries([...tensors].map(([k, v]) => [k, Float32Array.from(v)])));
  try {
    const pairs = [1, 2].map((s) => ({
      x: Float32Array.from({ length: batch * checked.in }, (_, i) => Math.sin(i * s + s)),
      dy: Float32Array.from({ length: batch * checked.out }, (_, i) => Math.cos(i * s - s)),
    }));
    const [x, dy] = [new Float32Array(batch * checked.in), new Float32Array(batch * checked.out)];
    const pending = pairs.map((p) => {
      x.set(p.x);
      dy.set(p.dy);
      return runner.backward(x, dy, batch);
    });
    const results = await Promise.all(pending);
    results.forEach((got, i) => {
      const want = referenceBackward(checked.structure, tensors, pairs[i].x, pairs[i].dy, batch);
      expect(relativeError(got.dx, want.dx), `call ${i + 1}: dx`).toBeLessThan(1e-5);
      for (const [name, g] of want.grads) expect(relativeError(got.grads.get(name)!, g), `call ${i + 1}: ${name}`).toBeLessThan(1e-5);
    });
  } finally {
    runner.destroy();
  }
});
