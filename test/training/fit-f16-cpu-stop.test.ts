/**
 * A diverging fit of an f16 module stops with FitStopped on the cpu backend as on webgpu (QA2 s30 Q952): the loop's own
 * output gradient DY = 2(Y − T)/(rows·m) is not a user's dy, so backward()'s f16 range check of a user's dy does not
 * apply to it (on the cpu backend it rejected with a ValueRangeError about an "output gradient" the user never passed,
 * where webgpu, SwiftShader's f32 storage, stopped at the update that took the parameters past ±65504). Both backends
 * stop at the same step for the same reason and keep the parameters a fit of one step fewer leaves (relative Frobenius
 * error 1e-5: float64 cpu against the f32 device).
 */
import { expect, it } from 'vitest';
import { FitStopped, type FitMseOptions } from '../../src/runtime/fit-mse.js';
import type { Backend, MapRunner } from '../../src/runtime/map-runner.js';
import { checkedMap, lowrank } from '../ir/structures.js';
import { frobeniusError, runnerFor } from './support.js';

const map = checkedMap('h', lowrank(4, 4, 2));
const rows = 8;
const x = Float32Array.from({ length: rows * 4 }, (_, i) => Math.sin(i + 1));
const target = Float32Array.from({ length: rows * 4 }, (_, i) => Math.cos(i + 1));
const loaded = new Map([
  ['h.U', Float32Array.from({ length: 8 }, (_, i) => Math.sin(3 * i))],
  ['h.V', Float32Array.from({ length: 8 }, (_, i) => Math.cos(3 * i))],
]);
const options = (steps: number): FitMseOptions => ({ steps, optimizer: { kind: 'sgd', lr: 30 } });

async function withRunner<T>(backend: Backend, use: (runner: MapRunner) => Promise<T>): Promise<T> {
  const runner = await runnerFor(map, backend, 'f16', undefined, true);
  try {
    runner.loadParams(loaded);
    return await use(runner);
  } finally {
    runner.destroy();
  }
}

it.each(['cpu', 'webgpu'] as const)("an f16 fit whose residuals pass ±65504 stops with FitStopped ('params') on %s, keeping the last good step's parameters", async (backend) => {
  const stop = await withRunner(backend, async (runner) => {
    const error = await runner.fitMse(x, target, options(20)).then(() => undefined, (e: unknown) => e);
    expect(error, String(error)).toBeInstanceOf(FitStopped);
    return { error: error as FitStopped, params: await runner.params() };
  });
  expect([stop.error.step, stop.error.reason]).toEqual([3, 'params']);
  expect(stop.error.message).toMatch(/^the parameters overflowed the f16 range \(±65504\) at step 3 of 20 \(parameter tensor 'h\.[UV]' holds /);
  const good = await withRunner(backend, async (runner) => {
    await runner.fitMse(x, target, options(2));
    return runner.params();
  });
  for (const [name, value] of good) expect(frobeniusError(stop.params.get(name)!, value), name).toBeLessThan(1e-5);
});
