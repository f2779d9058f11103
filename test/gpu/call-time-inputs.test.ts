/**
 * forward(x) takes x as it is at the call (review finding R12): a caller that refills one input
 * array for its next call before awaiting the first gets each call's own result on WebGPU, as on
 * the CPU backend, though the device runs them one after the other.
 */
import { expect, it } from 'vitest';
import '../../src/runtime/cpu.js';
import { MapRunner, type Backend } from '../../src/runtime/map-runner.js';
import { checkedMap, monarch, randomParams, rng } from '../ir/structures.js';
import { getTestDevice } from '../support/gpu.js';
import { relativeError } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';
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
