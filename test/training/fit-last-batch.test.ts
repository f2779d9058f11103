/**
 * The check of the last step's outputs (fitMse: a last update whose outputs float32 cannot hold)
 * reads the last mini-batch's rows only. An epoch's last mini-batch may hold fewer rows than
 * `batch`; on webgpu the check ran forward on `batch` rows of the step's x buffer, whose rows past
 * the mini-batch still held an earlier step's, and stopped a fit the CPU backend completed (REV s24 1:
 * "the outputs overflow float32 (Y holds NaN at row undefined, column 0)").
 */
import { expect, it } from 'vitest';
import type { Backend } from '../../src/runtime/map-runner.js';
import { miniBatches } from '../../src/runtime/minibatches.js';
import { problem, SPEC } from './fit-problem.js';

const ROWS = 7;
const BATCH = 4;
// Seed 0 draws [3, 2, 4, 5] then the short [6, 0, 1]: step 2 ends the epoch.
const SEED = 0;

it('a short last mini-batch: its outputs alone are checked, on both backends', async () => {
  const first = miniBatches(ROWS, BATCH, SEED)()!;
  // A row of step 1 that step 2 does not draw, left in the x buffer at a position past step 2's rows.
  const stale = first[BATCH - 1];
  const width = 12;
  for (const backend of ['cpu', 'webgpu'] as Backend[]) {
    const p = await problem(SPEC, 'sq', backend, 23, { x: 1, t: 1 }, ROWS);
    // That row's values are near 1e16, the others tiny: step 2's rows give finite outputs, so the fit completes.
    for (let i = 0; i < p.x.length; i++) p.x[i] = Math.floor(i / width) === stale ? 1e16 * Math.sign(p.x[i]) : p.x[i] * 1e-22;
    const runner = await p.open();
    try {
      await expect(runner.fitMse(p.x, p.target, { steps: 2, batch: BATCH, seed: SEED, optimizer: { kind: 'sgd', lr: 1e-15 } }), backend).resolves.toMatchObject({ steps: 2 });
    } finally {
      runner.destroy();
    }
  }
});
