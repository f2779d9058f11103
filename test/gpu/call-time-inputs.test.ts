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

// QA2 s23 Q259: the CPU backend wrote `out` during the call, so a second call on the same array (as its x and out) made
// before the first settled read the first one's result as its input; WebGPU writes `out` when the promise settles.
it.each(['webgpu', 'cpu'] as const)('%s: out is written when the promise settles, so two calls on one array as x and out read it as it was', async (backend: Backend) => {
  const square = checkedMap('sq', monarch(16, 16, 4));
  const built = compileModuleForTest(square);
  const squareTensors = randomParams(square.structure, rng(9));
  const runner = await MapRunner.create(built.manifest.maps[0], built.wgsl, { backend, ...(backend === 'webgpu' ? { device: await getTestDevice() } : {}) });
  runner.loadParams(Object.fromEntries([...squareTensors].map(([k, v]) => [k, Float32Array.from(v)])));
  try {
    const x = Float32Array.from({ length: batch * square.in }, (_, i) => Math.sin(i + 1));
    const want = referenceApply(square.structure, squareTensors, x, batch);
    const out = new Float32Array(batch * square.out).fill(-1);
    const pending = runner.forward(x, { batch, out });
    expect([...out].every((v) => v === -1), 'out during the call').toBe(true);
    expect(relativeError(await pending, want)).toBeLessThan(1e-5);
    const shared = x.slice();
    const calls = [runner.forward(shared, { batch, out: shared }), runner.forward(shared, { batch, out: shared })];
    await Promise.all(calls);
    expect(relativeError(shared, want), 'both calls read x as it was').toBeLessThan(1e-5);
  } finally {
    runner.destroy();
  }
});
