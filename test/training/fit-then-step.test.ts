/**
 * An optimizer step after fitMse (QA2 s26 Q556): a fit's gradients are its own (its last mini-batch's), and they
 * replace those of a backward() before it, so a step of the user's optimizer after the fit applied them: it moved the
 * parameters with no backward() at all (0.39), and off by 2.9 from the backward() the user had run. The step is refused
 * until the next backward(), as before the runner's first one (training.md, createOptimizer).
 */
import { describe, expect, it } from 'vitest';
import { expectMoncError } from '../support/user-error.js';
import { problem, SPEC } from './fit-problem.js';

describe('an optimizer step after fitMse', () => {
  it.each(['cpu', 'webgpu'] as const)('%s: waits for the next backward(), with or without one before the fit', async (backend) => {
    const p = await problem(SPEC, 'sq', backend, 31);
    const runner = await p.open();
    try {
      const opt = runner.createOptimizer({ kind: 'sgd', lr: 1 });
      const dy = Float32Array.from(p.target, (t) => t / 4);
      for (const backwardFirst of [false, true]) {
        if (backwardFirst) await runner.backward(p.x, dy, 24);
        await runner.fitMse(p.x, p.target, { steps: 2, optimizer: { kind: 'sgd', lr: 0.01 } });
        const fitted = await runner.params();
        await expectMoncError(() => opt.step(), 'user', "map 'sq': call backward() before an optimizer step");
        expect(await runner.params(), `backward first: ${backwardFirst}`).toEqual(fitted);
      }
      // After a backward() the same optimizer steps, with that backward's gradients: p − lr·g.
      const { grads } = await runner.backward(p.x, dy, 24);
      const before = await runner.params();
      await opt.step();
      expect(opt.steps).toBe(1);
      const after = await runner.params();
      for (const [name, g] of grads) {
        const moved = after.get(name)!.map((v, i) => before.get(name)![i] - v);
        for (let i = 0; i < g.length; i++) expect(moved[i], `${name}[${i}]`).toBeCloseTo(g[i], 5);
      }
    } finally {
      runner.destroy();
    }
  });
});
