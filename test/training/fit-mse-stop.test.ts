/**
 * After a FitStopped, fitMse leaves the parameters as the last good step left them, on both
 * backends. On webgpu the steps up to the next read-back run before their checks are seen, so the
 * loop puts back its snapshot of the parameters and optimizer state and takes the window's good
 * steps again. Checked, for a stop at step s, against a fit of s − 1 steps with the same options
 * on the same backend (bit for bit: the same rows through the same kernels; the loaded parameters
 * when s is 1) and across backends (within the loop's tolerance, fit-mse.test.ts): a stop in a
 * read-back window of one step, in the middle of a submission, in a window that starts after step
 * 1 (Adam's bias corrections rewound), in a window's second submission (past 64 steps), at step 1,
 * with the rows uploaded step by step, and for each reason (loss, gradient, params).
 */
import { describe, expect, it } from 'vitest';
import { FitStopped, type FitMseOptions, type FitStopReason } from '../../src/runtime/fit-mse.js';
import type { Backend, MapRunner } from '../../src/runtime/map-runner.js';
import { miniBatches } from '../../src/runtime/minibatches.js';
import { getTestDevice } from '../support/gpu.js';
import { deviceWithBindingLimit, HALF, problem, ROWS, SPEC, UPLOAD_LIMIT, UPLOAD_ROWS } from './fit-problem.js';
import { frobeniusError } from './support.js';

/** A row that mini-batches of `batch` from `rows` rows (seed) draw first at step `step` (1-based, in the first epoch). */
function rowDrawnFirstAt(rows: number, batch: number, seed: number, step: number): number {
  const next = miniBatches(rows, batch, seed);
  for (let s = 1; s < step; s++) next();
  const picked = next();
  if (!picked || step * batch > rows) throw new Error(`step ${step} is not in the first epoch of ${rows} rows in batches of ${batch}`);
  return picked[0];
}

interface StopCase {
  readonly name: string;
  readonly rows: number;
  readonly options: FitMseOptions;
  /** The step whose mini-batch first holds the row of values near float32's limit (its outputs overflow: the loss is not finite). */
  readonly stop: number;
  /** webgpu only: X and T beyond one storage binding of this many bytes (each step's rows uploaded). */
  readonly bindingLimit?: number;
}

const adam = { kind: 'adam', lr: 0.01 } as const;
const LOSS_STOPS: StopCase[] = [
  // Progress at every step: each read-back window is one step; the stop puts back its snapshot, takes no step again.
  { name: 'in a window of one step', rows: 24, options: { steps: 10, batch: 5, seed: 3, optimizer: adam }, stop: 4 },
  // One read-back at the end: steps 1 … 12 in one submission, 1 … 6 taken again.
  { name: 'in the middle of a submission', rows: 24, options: { steps: 12, batch: 3, seed: 5, progressPoints: 1, optimizer: { kind: 'adamw', lr: 0.02 } }, stop: 7 },
  // Read-backs at 10, 20, …: the snapshot is from step 10; steps 11 … 14 again with Adam's step count put back to 10.
  { name: 'in a window after step 1', rows: 24, options: { steps: 40, batch: 1, seed: 6, progressPoints: 4, optimizer: adam }, stop: 15 },
  // One window of 80 steps: submissions of 64 and 16; steps 1 … 66 taken again in two submissions.
  { name: "in a window's second submission", rows: 140, options: { steps: 80, batch: 2, seed: 8, progressPoints: 1, optimizer: { kind: 'adam', lr: 0.005 } }, stop: 67 },
  { name: 'at step 1', rows: 24, options: { steps: 5, batch: 6, seed: 2, progressPoints: 1, optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9 } }, stop: 1 },
  // X beyond one binding, which holds the device's other buffers (Adam's state, the fit's stats): one step per
  // submission, its rows uploaded.
  { name: 'with the rows uploaded step by step', rows: UPLOAD_ROWS, options: { steps: 8, batch: 4, seed: 4, progressPoints: 1, optimizer: adam }, stop: 5, bindingLimit: UPLOAD_LIMIT },
];

/** What a fit left: how it stopped and the parameters after it. */
interface Outcome {
  readonly stop: FitStopped;
  readonly params: Map<string, Float32Array>;
}

/** Runs `options` on a fresh runner; expects a FitStopped; returns it with the parameters left. */
async function stoppedFit(runner: MapRunner, x: Float32Array, target: Float32Array, options: FitMseOptions): Promise<Outcome> {
  const error = await runner.fitMse(x, target, options).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(FitStopped);
  return { stop: error as FitStopped, params: await runner.params() };
}

/** The parameters after `steps` good steps of `options` (the loaded ones for 0) on a fresh runner. */
async function paramsAfter(runner: MapRunner, x: Float32Array, target: Float32Array, options: FitMseOptions, steps: number): Promise<Map<string, Float32Array>> {
  if (steps > 0) await runner.fitMse(x, target, { ...options, steps });
  return runner.params();
}

/** The largest relative Frobenius distance between two parameter sets. */
function distance(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  return Math.max(...[...a].map(([name, values]) => frobeniusError(b.get(name)!, values)));
}

describe('fitMse leaves the last good step’s parameters after a stop of the loss', () => {
  it.each(LOSS_STOPS)('$name (stop at step $stop)', async ({ rows, options, stop, bindingLimit }) => {
    const left = new Map<Backend, Outcome>();
    for (const backend of ['cpu', 'webgpu'] as const) {
      const p = await problem(SPEC, 'sq', backend, 21, undefined, rows);
      const bad = rowDrawnFirstAt(rows, options.batch!, options.seed!, stop);
      // Finite, so accepted up front; y = M x overflows float32 (±Infinity or NaN), on both backends.
      const x = Float32Array.from(p.x);
      x.fill(3e38, bad * 12, (bad + 1) * 12);
      const gpu = backend === 'webgpu' && bindingLimit ? deviceWithBindingLimit(await getTestDevice(), bindingLimit) : undefined;
      const runner = await p.open(gpu);
      const outcome = await stoppedFit(runner, x, p.target, options);
      expect([outcome.stop.step, outcome.stop.reason], backend).toEqual([stop, 'loss']);
      const fresh = await p.open(gpu);
      expect(outcome.params, `${backend}: the parameters after ${stop - 1} steps`).toEqual(await paramsAfter(fresh, x, p.target, options, stop - 1));
      // The runner goes on: its outputs on the good rows are finite.
      const good = x.filter((_, i) => Math.floor(i / 12) !== bad);
      expect((await runner.forward(good, rows - 1)).every(Number.isFinite), `${backend}: finite outputs after the stop`).toBe(true);
      left.set(backend, outcome);
      runner.destroy();
      fresh.destroy();
    }
    // The same parameters on both backends, up to the loop's rounding (f32 DY on the device).
    expect(distance(left.get('cpu')!.params, left.get('webgpu')!.params)).toBeLessThan(stop - 1 > 10 ? 1e-4 : 2e-5);
  });
});

/** Stops of the gradients (webgpu's float32 Adam state) and of the parameters (an f16 module's range). */
const OTHER_STOPS: [string, FitStopReason, readonly Backend[], string, string, FitMseOptions, { x: number; t: number }][] = [
  ["gradients beyond Adam's float32 state", 'gradient', ['webgpu'], SPEC, 'sq', { steps: 3, progressPoints: 1, optimizer: adam }, { x: 1e11, t: 1 }],
  ['an f16 overflow of the parameters', 'params', ['cpu', 'webgpu'], HALF, 'h', { steps: 3, progressPoints: 1, optimizer: { kind: 'sgd', lr: 1000 } }, { x: 100, t: 300 }],
];

describe('fitMse leaves the last good step’s parameters after a stop of the gradients or parameters', () => {
  it.each(OTHER_STOPS)('%s (%s)', async (_, reason, backends, source, name, options, scale) => {
    for (const backend of backends) {
      const p = await problem(source, name, backend, 22, scale);
      const runner = await p.open();
      const outcome = await stoppedFit(runner, p.x, p.target, options);
      expect(outcome.stop.reason, backend).toBe(reason);
      const fresh = await p.open();
      expect(outcome.params, `${backend}: the parameters after ${outcome.stop.step - 1} steps`).toEqual(await paramsAfter(fresh, p.x, p.target, options, outcome.stop.step - 1));
      runner.destroy();
      fresh.destroy();
    }
  });
});

// QA2 s26 Q551: training.md said any stop left a runner that could go on with a smaller lr. A 'loss' stop is the
// parameters the step before left failing (the loss is computed from them): they stay, so a fit from them stops again at
// its first step over the same rows, whatever its lr, on both backends; training.md now says to load good parameters.
it("after a 'loss' stop of a diverging fit the runner holds the parameters that failed: a fit from them stops at its first step, whatever its lr", async () => {
  for (const backend of ['cpu', 'webgpu'] as const) {
    const p = await problem(SPEC, 'sq', backend, 23);
    const runner = await p.open();
    const diverged = await stoppedFit(runner, p.x, p.target, { steps: 100, optimizer: { kind: 'sgd', lr: 64 } });
    expect([diverged.stop.step, diverged.stop.reason], backend).toEqual([5, 'loss']);
    const again = await stoppedFit(runner, p.x, p.target, { steps: 3, optimizer: { kind: 'sgd', lr: 1e-30 } });
    expect([again.stop.step, again.stop.reason], backend).toEqual([1, 'loss']);
    expect(again.params, backend).toEqual(diverged.params);
    runner.destroy();
  }
});

/**
 * A last step whose update leaves outputs beyond float32 (QA2 s23 Q256): no next step's loss meets it, so the fit checks the
 * last mini-batch's outputs itself and stops there, as at any step, leaving the parameters of the step before (an SGD
 * learning rate of 1e30 makes the first update's outputs overflow; of 1e6, the second's, its parameters still finite).
 */
const LAST_STEP_STOPS: { name: string; rows?: number; options: FitMseOptions; bindingLimit?: number }[] = [
  { name: 'all rows, one step', options: { steps: 1, optimizer: { kind: 'sgd', lr: 1e30 } } },
  { name: 'a mini-batch of 5 rows, one step', options: { steps: 1, batch: 5, seed: 3, optimizer: { kind: 'sgd', lr: 1e30 } } },
  { name: 'the second step of a read-back window of two', options: { steps: 2, batch: 6, seed: 2, progressPoints: 1, optimizer: { kind: 'sgd', lr: 1e6 } } },
  { name: 'with the rows uploaded step by step', rows: UPLOAD_ROWS, options: { steps: 1, batch: 4, seed: 4, optimizer: { kind: 'sgd', lr: 1e30 } }, bindingLimit: UPLOAD_LIMIT },
];

describe('fitMse stops at a last step whose outputs overflow float32, leaving the parameters of the step before', () => {
  it.each(LAST_STEP_STOPS)('$name', async ({ rows = ROWS, options, bindingLimit }) => {
    for (const backend of ['cpu', 'webgpu'] as const) {
      const p = await problem(SPEC, 'sq', backend, 23, undefined, rows);
      const gpu = backend === 'webgpu' && bindingLimit ? deviceWithBindingLimit(await getTestDevice(), bindingLimit) : undefined;
      const runner = await p.open(gpu);
      const outcome = await stoppedFit(runner, p.x, p.target, options);
      const { steps } = options;
      expect([outcome.stop.step, outcome.stop.reason], backend).toEqual([steps, 'loss']);
      const [, row] = outcome.stop.message.match(new RegExp(`^after step ${steps} of ${steps} the outputs overflow float32 \\(Y holds (?:-?Infinity|NaN) at row (\\d+), column \\d+\\); stopped$`)) ?? [];
      expect(row, `${backend}: ${outcome.stop.message}`).toBeDefined();
      // The row named is x's, one of the last step's mini-batch.
      const next = miniBatches(rows, options.batch ?? rows, options.seed ?? 0);
      for (let s = 1; s < steps; s++) next();
      const last = next();
      expect(last ? [...last] : Array.from({ length: rows }, (_, i) => i), backend).toContain(Number(row));
      const fresh = await p.open(gpu);
      expect(outcome.params, `${backend}: the parameters after ${steps - 1} steps`).toEqual(await paramsAfter(fresh, p.x, p.target, options, steps - 1));
      runner.destroy();
      fresh.destroy();
    }
  });
});
