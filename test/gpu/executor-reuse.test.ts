/**
 * The host round trip reuses its buffers: forward() at several batches (growing, shrinking,
 * repeating, batch 1) returns the float64 reference's result every time (tolerance 1e-5
 * relative, f32 on the test adapter), and once the buffers fit the largest batch no call creates
 * a buffer or a bind group.
 */
import { describe, expect, it } from 'vitest';
import { MapRunner } from '../../src/runtime/node.js';
import { compileForTest } from '../support/compiled.js';
import { countCreations } from '../support/creations.js';
import { getTestDevice } from '../support/gpu.js';
import { randomArray, relativeError, rng } from '../support/programs.js';
import { checkedMap, monarch, randomParams, sum, bias } from '../ir/structures.js';
import { referenceApply } from '../support/reference.js';

const TOL = 1e-5;

describe('GpuExecutor host round trip', () => {
  // Rectangular 20 -> 30 (5 blocks), with a bias: two kernels and a temporary.
  const map = checkedMap('m', sum(monarch(20, 30, 5), bias(30)));

  it('returns the reference result at changing batches and creates nothing once its buffers fit', async () => {
    const device = await getTestDevice();
    const compiled = compileForTest(map, 'f32');
    const runner = await MapRunner.create(compiled.map, compiled.wgsl, { device });
    const params = randomParams(map.structure, rng(5));
    runner.loadParams(params);
    const random = rng(9);
    const check = async (batch: number) => {
      const x = randomArray(batch * map.in, random);
      const y = await runner.forward(x, batch);
      expect(relativeError(y, referenceApply(map.structure, params, x, batch)), `batch ${batch}`).toBeLessThan(TOL);
    };
    try {
      // First calls allocate: buffers for 3 rows, then grown for 9 (which drops the bind
      // groups made for 3), bind groups per batch.
      for (const batch of [3, 9, 1, 3]) await check(batch);
      const counts = await countCreations(device, async () => {
        for (const batch of [9, 1, 3, 3, 9, 1]) await check(batch);
      });
      expect(counts).toEqual({ buffers: 0, bindGroups: 0 });
      // Concurrent calls queue on the shared staging buffers and still return their own rows.
      const xs = [2, 7, 1].map((batch) => ({ batch, x: randomArray(batch * map.in, random) }));
      const ys = await Promise.all(xs.map(({ x, batch }) => runner.forward(x, batch)));
      xs.forEach(({ x, batch }, i) => expect(relativeError(ys[i], referenceApply(map.structure, params, x, batch))).toBeLessThan(TOL));
    } finally {
      runner.destroy();
    }
  });
});
