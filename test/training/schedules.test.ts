/**
 * Non-default backward schedules through a whole build: every transposed factor on ks-t-tiled with
 * the β-fastest thread order and 8 rows per thread, every weight gradient on wgrad-tiled, against
 * the float64 reference (what a tuned build may pick must be as exact as the default).
 */
import { describe, expect, it } from 'vitest';
import { emitModule } from '../../src/compile-kernels.js';
import { DEFAULT_LIMITS } from '../../src/codegen/wgsl/kernel.js';
import { ksTransposedTiled } from '../../src/codegen/wgsl/ks-transposed.js';
import { weightGradTiled } from '../../src/codegen/wgsl/weight-grad.js';
import { compileMap } from '../../src/ir/pipeline.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { butterfly, checkedMap, monarch, randomParams, randomValues, rng } from '../ir/structures.js';
import { getTestDevice } from '../support/gpu.js';
import { frobeniusError } from './support.js';
import { referenceBackward } from '../support/reference.js';

describe('tuned backward schedules', () => {
  it.each([
    ['monarch', checkedMap('m', monarch(24, 24, 4))],
    ['butterfly radix 3', checkedMap('m', butterfly(3, 3))],
  ])('%s: β-fastest ks-t-tiled and wgrad-tiled match the reference', async (_name, map) => {
    const program = compileMap(map, 'f32');
    const module = { name: 'test', file: 'test.mon', dtype: 'f32' as const, consts: {}, maps: [map] };
    const built = emitModule(module, [program], {
      rowsPerSplit: 3,
      tuning: ([op]) => {
        if (op.kind === 'ks' && op.transposed && op.d > 1) return { schedule: { ...ksTransposedTiled.defaultSchedule(op, DEFAULT_LIMITS), order: 'b', rowsPerThread: 8 } };
        if (op.kind === 'wgrad') return { schedule: weightGradTiled.defaultSchedule(op, DEFAULT_LIMITS) };
        return undefined;
      },
    });
    const kernels = built.manifest.maps[0].backward!.kernels;
    expect(kernels.some((k) => k.schedule.order === 'b')).toBe(true);
    expect(kernels.filter((k) => k.schedule.family.startsWith('wgrad')).every((k) => k.schedule.family === 'wgrad-tiled')).toBe(true);
    const runner = await MapRunner.create(built.manifest.maps[0], built.wgsl, { device: await getTestDevice() });
    try {
      const random = rng(4);
      const params = new Map([...randomParams(map.structure, random)].map(([k, v]) => [k, Float32Array.from(v)]));
      runner.loadParams(params);
      const batch = 11;
      const x = Float32Array.from(randomValues(random, batch * map.in));
      const dy = Float32Array.from(randomValues(random, batch * map.out));
      const got = await runner.backward(x, dy, batch);
      const want = referenceBackward(map.structure, params, x, dy, batch);
      expect(frobeniusError(got.dx, want.dx)).toBeLessThan(1e-5);
      for (const [name, g] of want.grads) expect(frobeniusError(got.grads.get(name)!, g), name).toBeLessThan(1e-5);
    } finally {
      runner.destroy();
    }
  });
});
