/**
 * encodeStep with many steps before a submission: each step's hyper-parameters (Adam's bias
 * corrections change every step) must reach its own dispatch, whether 70 steps share one encoder,
 * or encoders are submitted together after all were recorded, as with one submission per step.
 */
import { describe, expect, it } from 'vitest';
import type { OptimizerOptions } from '../../src/runtime/optimizer.js';
import { bias, checkedMap, monarch, sum } from '../ir/structures.js';
import { getTestDevice } from '../support/gpu.js';
import { gradientCase } from './support.js';

const STEPS = 70;

describe('encodeStep: more steps than a submission used to hold', () => {
  it.each([
    ['adam', { kind: 'adam', lr: 0.01 }],
  ] as [string, OptimizerOptions][])('%s: 70 steps in one encoder, and 70 encoders submitted at once, equal 70 separate steps', async (_name, options) => {
    const device = await getTestDevice();
    const map = checkedMap('m', sum(monarch(12, 12, 3), bias(12)));
    const batch = 3;
    const cases = await Promise.all([0, 1, 2].map(() => gradientCase(map, 'webgpu', 4, batch, { training: true })));
    try {
      const [separate, oneEncoder, manyEncoders] = cases;
      for (const c of cases) await c.runner.backward(c.x, c.dy, batch);
      const [a, b, c] = cases.map((k) => k.runner.createOptimizer(options));
      for (let t = 0; t < STEPS; t++) await a.step();
      const encoder = device.createCommandEncoder();
      for (let t = 0; t < STEPS; t++) b.encodeStep(encoder);
      device.queue.submit([encoder.finish()]);
      const encoders = Array.from({ length: STEPS }, () => device.createCommandEncoder());
      for (const e of encoders) c.encodeStep(e);
      device.queue.submit(encoders.map((e) => e.finish()));
      const want = await separate.runner.params();
      for (const got of await Promise.all([oneEncoder.runner.params(), manyEncoders.runner.params()])) {
        for (const [name, p] of want) expect(got.get(name), name).toEqual(p);
      }
      expect([a.steps, b.steps, c.steps]).toEqual([STEPS, STEPS, STEPS]);
    } finally {
      for (const c of cases) c.runner.destroy();
    }
  });
});
