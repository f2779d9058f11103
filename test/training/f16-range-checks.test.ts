/**
 * An f16 module refuses values beyond ±65504 in backward()'s x and dy and in fitMse's target, as
 * forward() does for its input, on both backends: on a shader-f16 device they would be stored as
 * ±Inf, while SwiftShader (f32 storage) and the cpu backend would compute with them.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/runtime/map-runner.js';
import { ValueRangeError } from '../../src/runtime/numerics.js';
import { checkedMap, monarch, randomParams, rng } from '../ir/structures.js';
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
