/**
 * An f16 module refuses values beyond ±65504 in backward()'s x and dy and in fitMse's target, as
 * forward() does for its input, on both backends: on a shader-f16 device they would be stored as
 * ±Inf, while SwiftShader (f32 storage) and the cpu backend would compute with them. Optimizer
 * steps are not checked, so saveParams refuses parameters they took out of range (QA2 s22 Q151).
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/runtime/map-runner.js';
import { ValueRangeError } from '../../src/runtime/numerics.js';
import { bias, checkedMap, dense, monarch, randomParams, rng, sum } from '../ir/structures.js';
import { runnerFor } from './support.js';

describe.each(['webgpu', 'cpu'] as const)('f16 range checks of the training calls on %s', (backend: Backend) => {
  const map = checkedMap('a', monarch(8, 8, 2));
  const rows = 2;
  const ok = () => new Float32Array(rows * 8).fill(0.5);
  const big = (at: number, value: number) => {
    const v = ok();
    v[at] = value;
    return v;
  };
  const sgd = { steps: 1, optimizer: { kind: 'sgd', lr: 1e-3 } } as const;

  it.each([
    ['backward, x', (r: Awaited<ReturnType<typeof runnerFor>>) => r.backward(big(3, 70000), ok(), rows), /^input of map 'a' holds 70000 at element \(0, 3\): beyond the f16 range ±65504/],
    ['backward, dy', (r: Awaited<ReturnType<typeof runnerFor>>) => r.backward(ok(), big(12, -1e5), rows), /^output gradient of map 'a' holds -100000 at element \(1, 4\): beyond the f16 range ±65504/],
    ['fitMse, target', (r: Awaited<ReturnType<typeof runnerFor>>) => r.fitMse(ok(), big(9, 65520), sgd), /^target of map 'a' holds 65520 at element \(1, 1\): beyond the f16 range ±65504/],
  ])('%s beyond ±65504: a ValueRangeError of kind value, parameters untouched', async (_what, call, message) => {
    const runner = await runnerFor(map, backend, 'f16', undefined, true);
    try {
      runner.loadParams(new Map([...randomParams(map.structure, rng(2))].map(([k, v]) => [k, Float32Array.from(v)])));
      const before = await runner.params();
      const error = await call(runner).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ValueRangeError);
      expect((error as ValueRangeError).kind).toBe('value');
      expect((error as Error).message).toMatch(message);
      expect(await runner.params()).toEqual(before);
      // The largest f16 value itself passes.
      await runner.backward(big(3, 65504), big(12, -65504), rows);
      await runner.fitMse(ok(), big(9, 65504), sgd);
    } finally {
      runner.destroy();
    }
  });
});

describe.each(['webgpu', 'cpu'] as const)('saveParams after unchecked optimizer steps on %s', (backend: Backend) => {
  const map = checkedMap('b', sum(dense(4, 4), bias(4)));
  const weight = new Float32Array(16).fill(0.5);
  const x = new Float32Array(4).fill(1);

  /** A runner after one SGD step from bias[0] = `start` with dy[0] = `grad` (bias[0]'s gradient, and weight row 0's times x = 1). */
  async function stepped(dtype: 'f16' | 'f32', start: number, grad: number) {
    const runner = await runnerFor(map, backend, dtype, undefined, true);
    runner.loadParams({ 'b.0.weight': weight, 'b.1.bias': new Float32Array([start, 0.1, 0.2, 0.3]) });
    const opt = runner.createOptimizer({ kind: 'sgd', lr: 1024 });
    await runner.backward(x, new Float32Array([grad, 0, 0, 0]));
    await opt.step();
    return runner;
  }

  it.each([
    ['an f16 parameter past ±65504', 'f16', 65000, -10, /^map 'b': saveParams: parameter tensor 'b\.1\.bias' holds (75240 at element 0: beyond the f16 range ±65504|Infinity at element 0: not finite)/],
    ['a NaN parameter', 'f32', 1, NaN, /^map 'b': saveParams: parameter tensor 'b\.0\.weight' holds NaN at element \(0, 0\): not finite/],
  ] as const)('%s: a ValueRangeError of kind value, not a file that loadParams refuses', async (_what, dtype, start, grad, message) => {
    const runner = await stepped(dtype, start, grad);
    try {
      const error = await runner.saveParams().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ValueRangeError);
      expect((error as ValueRangeError).kind).toBe('value');
      expect((error as Error).message).toMatch(message);
    } finally {
      runner.destroy();
    }
  });

  it('a step that ends at 65504 (63456 + 1024 · 2, each exact in f16) saves a file that loads', async () => {
    const runner = await stepped('f16', 63456, -2);
    const reloaded = await runnerFor(map, backend, 'f16');
    try {
      reloaded.loadParams(await runner.saveParams());
      expect((await reloaded.params()).get('b.1.bias')![0]).toBe(65504);
    } finally {
      runner.destroy();
      reloaded.destroy();
    }
  });
});
