/**
 * encodeStep with many steps before a submission: each step's hyper-parameters (Adam's bias
 * corrections change every step) must reach its own dispatch, whether 70 steps share one encoder,
 * or encoders are submitted together after all were recorded, as with one submission per step
 * (70 steps also outgrow the optimizer's first table of 64 steps' hyper-parameters).
 */
import { describe, expect, it } from 'vitest';
import { stateWords } from '../../src/manifest/optimizer.js';
import { cpuOptimizerStep, resolveOptimizer, type OptimizerOptions } from '../../src/runtime/optimizer.js';
import { bias, checkedMap, monarch, sum } from '../ir/structures.js';
import { getTestDevice } from '../support/gpu.js';
import { frobeniusError, gradientCase } from './support.js';

const STEPS = 70;

describe('encodeStep: more steps than a submission used to hold', () => {
  it.each([
    ['adam', { kind: 'adam', lr: 0.01 }],
    // float32 bias corrections reach 1 at step 26: later steps share one table entry.
    ['adam, betas 0.5', { kind: 'adam', lr: 0.01, beta1: 0.5, beta2: 0.5 }],
  ] as [string, OptimizerOptions][])('%s: 70 steps in one encoder, and 70 encoders submitted at once, equal 70 separate steps', async (_name, options) => {
    const device = await getTestDevice();
    const map = checkedMap('m', sum(monarch(12, 12, 3), bias(12)));
    const batch = 3;
    const cases = await Promise.all([0, 1, 2].map(() => gradientCase(map, 'webgpu', 4, batch, { training: true })));
    try {
      const [separate, oneEncoder, manyEncoders] = cases;
      const { grads } = await separate.runner.backward(separate.x, separate.dy, batch);
      for (const c of [oneEncoder, manyEncoders]) await c.runner.backward(c.x, c.dy, batch);
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
      // And the steps themselves: the same rule in JS (float64 state) on the same gradients.
      const r = resolveOptimizer(options);
      for (const [name, start] of separate.params) {
        const p = start.slice();
        const state = new Float64Array(p.length * stateWords(r.kernel));
        for (let t = 1; t <= STEPS; t++) cpuOptimizerStep(r, t, p, grads.get(name)!, state);
        expect(frobeniusError(want.get(name)!, p), name).toBeLessThan(1e-5);
      }
    } finally {
      for (const c of cases) c.runner.destroy();
    }
  });
});
