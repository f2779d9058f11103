/**
 * Fits on one runner run one after the other, in call order, on both backends (QA2 s20 R92): two fits called together
 * end where the same two awaited one after the other end, each reporting its own loss. Before, the cpu backend interleaved
 * their steps (both reported the first fit's loss, and the parameters were neither order's).
 */
import { expect, it } from 'vitest';
import type { FitMseOptions } from '../../src/runtime/fit-mse.js';
import { problem, SPEC } from './fit-problem.js';

const OPTIONS: FitMseOptions = { steps: 5, batch: 7, seed: 3, optimizer: { kind: 'sgd', lr: 0.05 } };

it.each(['cpu', 'webgpu'] as const)('two fits called together on %s are the two one after the other', async (backend) => {
  const p = await problem(SPEC, 'sq', backend, 13);
  const [together, apart] = [await p.open(), await p.open()];
  try {
    const called = await Promise.all([together.fitMse(p.x, p.target, OPTIONS), together.fitMse(p.x, p.target, OPTIONS)]);
    const awaited = [await apart.fitMse(p.x, p.target, OPTIONS), await apart.fitMse(p.x, p.target, OPTIONS)];
    expect(called).toEqual(awaited);
    expect(called[0].loss, 'the second fit starts where the first ended').not.toBe(called[1].loss);
    expect(await together.params()).toEqual(await apart.params());
  } finally {
    together.destroy();
    apart.destroy();
  }
});
