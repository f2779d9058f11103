/**
 * fitMse against the host loop monc train ran before it (host-loop.ts: forward, DY on the host,
 * backward, step, with the same mini-batches): on webgpu (SwiftShader) the device-resident loop
 * gives the same parameters within 2e-5 relative (the only difference is DY's rounding: f32 on the
 * device, float64 then f32 on the host) and the same per-step losses within 1e-6 (f32 tree sums
 * against float64), over a Monarch with bias, a rectangular map, a sum with a bias, tied maps,
 * 300 rows of 256 outputs per step (more partial sums than one workgroup adds in one pass),
 * SGD with momentum and Adam, mini-batches with a short last one; on the cpu backend it is the
 * host loop exactly. It stops at the step where the host loop meets a non-finite loss, and names
 * the first parameter that leaves an f16 module's range.
 */
import { describe, expect, it, vi } from 'vitest';
import { compileKernelsOfModule } from '../../src/compile-kernels.js';
import { checkSource } from '../../src/dsl/index.js';
import { FitStopped, type FitMseOptions } from '../../src/runtime/fit-mse.js';
import { MapRunner, type Backend } from '../../src/runtime/map-runner.js';
import type { OptimizerOptions } from '../../src/runtime/optimizer-options.js';
import { getTestDevice } from '../support/gpu.js';
import { deviceWithBindingLimit, HALF, problem, ROWS, SPEC, UPLOAD_LIMIT, UPLOAD_ROWS } from './fit-problem.js';
import { hostLoopMse } from './host-loop.js';
import { frobeniusError } from './support.js';

/** Many rows and outputs: a step's loss sums more mse workgroups' partials than finalize has invocations. */
const BIG = `module big
map big : 64 -> 256 = lowrank(rank: 4) + bias()
`;
const BIG_ROWS = 320;

const CASES: [string, string, FitMseOptions][] = [
  ['big', BIG, { steps: 3, batch: 300, seed: 5, optimizer: { kind: 'adam', lr: 0.01 } }],
  ['sq', SPEC, { steps: 9, batch: 7, seed: 3, optimizer: { kind: 'adam', lr: 0.01 } }],
  ['rect', SPEC, { steps: 6, optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9 } }],
  ['wide', SPEC, { steps: 8, batch: 5, seed: 1, optimizer: { kind: 'adamw', lr: 0.02 } }],
  ['tied', SPEC, { steps: 7, batch: 10, seed: 2, optimizer: { kind: 'sgd', lr: 0.05, weightDecay: 0.01 } }],
  ['h', HALF, { steps: 6, batch: 9, seed: 4, optimizer: { kind: 'adam', lr: 0.01 } }],
];

describe('fitMse equals the host loop', () => {
  it.each(CASES)('%s on webgpu: parameters within 2e-5, progress losses within 1e-6', async (name, source, options) => {
    const p = await problem(source, name, 'webgpu', 11, undefined, source === BIG ? BIG_ROWS : ROWS);
    const host = await p.open();
    const device = await p.open();
    try {
      const { losses } = await hostLoopMse(host, source === HALF ? 'f16' : 'f32', p.x, p.target, options);
      const reported: [number, number][] = [];
      const result = await device.fitMse(p.x, p.target, { ...options, progressPoints: options.steps, onProgress: (step, loss) => reported.push([step, loss]) });
      expect(reported.map(([s]) => s)).toEqual(losses.map((_, i) => i + 1));
      reported.forEach(([step, loss]) => expect(Math.abs(loss - losses[step - 1]) / losses[step - 1], `step ${step}`).toBeLessThan(1e-6));
      expect(result).toEqual({ steps: options.steps, loss: reported.at(-1)![1] });
      const want = await host.params();
      const got = await device.params();
      for (const [tensor, values] of want) expect(frobeniusError(got.get(tensor)!, values), tensor).toBeLessThan(2e-5);
      // The parameters moved: the comparison is not of two untouched copies.
      const start = await (await p.open()).params();
      for (const [tensor, values] of want) expect(frobeniusError(start.get(tensor)!, values), tensor).toBeGreaterThan(1e-4);
    } finally {
      host.destroy();
      device.destroy();
    }
  });

  it('over several submissions between two read-backs (150 steps of Adam, stats read at 75 and 150)', async () => {
    const options: FitMseOptions = { steps: 150, batch: 7, seed: 6, optimizer: { kind: 'adam', lr: 0.005 } };
    const p = await problem(SPEC, 'sq', 'webgpu', 16);
    const [host, device] = [await p.open(), await p.open()];
    try {
      const { losses } = await hostLoopMse(host, 'f32', p.x, p.target, options);
      const reported: [number, number][] = [];
      await device.fitMse(p.x, p.target, { ...options, progressPoints: 2, onProgress: (step, loss) => reported.push([step, loss]) });
      expect(reported.map(([step]) => step)).toEqual([75, 150]);
      reported.forEach(([step, loss]) => expect(Math.abs(loss - losses[step - 1]) / losses[step - 1], `step ${step}`).toBeLessThan(1e-5));
      const want = await host.params();
      const got = await device.params();
      for (const [tensor, values] of want) expect(frobeniusError(got.get(tensor)!, values), tensor).toBeLessThan(1e-4);
    } finally {
      host.destroy();
      device.destroy();
    }
  });

  it.each(CASES)('%s on cpu: the host loop exactly', async (name, source, options) => {
    const p = await problem(source, name, 'cpu', 12, undefined, source === BIG ? BIG_ROWS : ROWS);
    const host = await p.open();
    const cpu = await p.open();
    const { losses } = await hostLoopMse(host, source === HALF ? 'f16' : 'f32', p.x, p.target, options);
    const result = await cpu.fitMse(p.x, p.target, options);
    expect(result.loss).toBe(losses.at(-1));
    expect(await cpu.params()).toEqual(await host.params());
  });
});

describe('fitMse with data beyond one storage binding', () => {
  it.each(['sq', 'wide'])('%s: the rows of each step from the host, the same parameters as the host loop', async (name) => {
    const options: FitMseOptions = { steps: 6, batch: 7, seed: 9, optimizer: { kind: 'adam', lr: 0.01 } };
    const p = await problem(SPEC, name, 'webgpu', 15, undefined, UPLOAD_ROWS);
    const host = await p.open();
    const { losses } = await hostLoopMse(host, 'f32', p.x, p.target, options);
    // X is beyond the binding, a mini-batch at most 7 rows (504 bytes); the binding holds the device's other buffers.
    const runner = await p.open(deviceWithBindingLimit(await getTestDevice(), UPLOAD_LIMIT));
    try {
      const result = await runner.fitMse(p.x, p.target, options);
      expect(Math.abs(result.loss - losses.at(-1)!) / losses.at(-1)!).toBeLessThan(1e-6);
      const want = await host.params();
      const got = await runner.params();
      for (const [tensor, values] of want) expect(frobeniusError(got.get(tensor)!, values), tensor).toBeLessThan(2e-5);
    } finally {
      host.destroy();
      runner.destroy();
    }
  });
});

/** A copy of `a` with `value` at `index`. */
function withValue(a: Float32Array, index: number, value: number): Float32Array {
  const b = Float32Array.from(a);
  b[index] = value;
  return b;
}

describe('fitMse refuses bad arguments before any step, in one line', () => {
  const BAD: [string, (x: Float32Array, t: Float32Array) => [Float32Array, Float32Array, Partial<FitMseOptions>], string, RegExp][] = [
    ['x not whole rows', (x, t) => [x.subarray(1), t, {}], 'shape', /^map 'sq': input of 287 values is not a whole number \(at least 1\) of rows of 12$/],
    ['no rows', (_, t) => [new Float32Array(0), t, {}], 'shape', /input of 0 values/],
    ['a target of other rows', (x, t) => [x, t.subarray(12), {}], 'shape', /^map 'sq': target has 276 values; expected 24 rows x 12 = 288$/],
    ['steps 0', (x, t) => [x, t, { steps: 0 }], 'user', /fitMse steps must be a whole number of at least 1, got 0/],
    ['steps 2.5', (x, t) => [x, t, { steps: 2.5 }], 'user', /fitMse steps must be a whole number of at least 1, got 2.5/],
    ['batch 0', (x, t) => [x, t, { batch: 0 }], 'user', /fitMse batch must be a whole number of at least 1, got 0/],
    // As monc train --seed: a non-negative integer.
    ['seed -1', (x, t) => [x, t, { seed: -1 }], 'user', /^map 'sq': fitMse seed must be a non-negative integer, got -1$/],
    ['seed 1.5', (x, t) => [x, t, { seed: 1.5 }], 'user', /fitMse seed must be a non-negative integer, got 1.5$/],
    // QA1 s21 Q06: the shuffle takes 32 bits, so 2^32 shuffled as seed 0.
    ['seed 2^32', (x, t) => [x, t, { seed: 2 ** 32 }], 'user', /^map 'sq': fitMse seed must be at most 2\^32 - 1 \(4294967295\), the shuffle's 32 bits, got 4294967296$/],
    // As monc train's data check (row and column), before any step: not first at the step whose mini-batch holds it.
    ['NaN in x', (x, t) => [withValue(x, 1 * 12 + 5, NaN), t, { batch: 5 }], 'value', /^map 'sq': input holds NaN at row 1, column 5; all values must be finite$/],
    ['-Infinity in the target', (x, t) => [x, withValue(t, 23 * 12 + 11, -Infinity), {}], 'value', /^map 'sq': target holds -Infinity at row 23, column 11; all values must be finite$/],
    // From JavaScript, where the types do not hold.
    ['a misspelt optimizer kind', (x, t) => [x, t, { optimizer: { kind: 'sdg', lr: 1 } as unknown as OptimizerOptions }], 'user', /^map 'sq': optimizer kind must be 'sgd', 'adam' or 'adamw', got 'sdg'$/],
    ['no optimizer', (x, t) => [x, t, { optimizer: undefined }], 'user', /^map 'sq': fitMse needs options.optimizer \(\{ kind: 'sgd' \| 'adam' \| 'adamw', lr, … \}\)$/],
    ['an optimizer option out of range', (x, t) => [x, t, { optimizer: { kind: 'adam', lr: 0.1, beta2: 1 } }], 'user', /^map 'sq': optimizer adam: invalid beta2 1$/],
    ['progressPoints -1', (x, t) => [x, t, { progressPoints: -1 }], 'user', /^map 'sq': fitMse progressPoints must be a whole number of at least 0, got -1$/],
    ['progressPoints 2.5', (x, t) => [x, t, { progressPoints: 2.5 }], 'user', /fitMse progressPoints must be a whole number of at least 0, got 2.5$/],
    // QA2 s26 Q553: a Symbol in the message's template was a TypeError.
    ['progressPoints a Symbol', (x, t) => [x, t, { progressPoints: Symbol('p') }], 'user', /fitMse progressPoints must be a whole number of at least 0, got Symbol\(p\)$/],
    ['onProgress not a function', (x, t) => [x, t, { onProgress: 5 as unknown as FitMseOptions['onProgress'] }], 'user', /^map 'sq': fitMse onProgress must be a function \(step, loss\) => void, got number$/],
  ];
  it.each(BAD)('%s', async (_, args, kind, message) => {
    for (const backend of ['cpu', 'webgpu'] as const) {
      const p = await problem(SPEC, 'sq', backend, 17);
      const runner = await p.open();
      const before = await runner.params();
      const [x, t, over] = args(p.x, p.target);
      const error = await runner.fitMse(x, t, { steps: 2, optimizer: { kind: 'sgd', lr: 0.1 }, ...over }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'MoncError', kind });
      expect((error as Error).message).toMatch(message);
      expect(await runner.params(), 'parameters untouched').toEqual(before);
      runner.destroy();
    }
  });
});

// QA2 s21 Q55: the cpu loop never let the event loop run: a 200,000-step fit held it for 56 s, and a destroy() called
// 200 ms in ran only after the fit had taken every step.
it('fitMse on cpu lets timers run during a long fit, and a destroy() meanwhile rejects it between steps', async () => {
  const p = await problem(SPEC, 'sq', 'cpu', 19);
  const runner = await p.open();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  let steps = 0;
  setTimeout(() => runner.destroy(), 150);
  const error = await runner
    .fitMse(p.x, p.target, { steps: 10_000_000, optimizer: { kind: 'sgd', lr: 0.001 }, progressPoints: 10_000_000, onProgress: (step) => (steps = step) })
    .catch((e: unknown) => e);
  clearInterval(timer);
  expect(error).toMatchObject({ name: 'MoncError', kind: 'user', message: "map 'sq': the runner was destroyed" });
  expect(ticks).toBeGreaterThan(1);
  // Stopped between steps, long before its 10 million: what shows it, not the time it took.
  expect(steps).toBeGreaterThan(0);
  expect(steps).toBeLessThan(10_000_000);
});

// REV s21 3: yielding by setTimeout, the fit crawled in a hidden tab (browsers throttle chained timers to 1 s, then 1 min).
it('fitMse on cpu yields through a message, not a timer: with timers frozen a fit of several slices still ends', async () => {
  const p = await problem(SPEC, 'sq', 'cpu', 20);
  const runner = await p.open();
  vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'setImmediate'] });
  // The loop yields after 50 ms by Date.now: a clock that moves 10 ms a reading makes that every few steps on any machine,
  // where a lower bound on the real time taken (that the fit was long enough to yield) failed on a fast one.
  let now = 0;
  const clock = vi.spyOn(Date, 'now').mockImplementation(() => (now += 10));
  // A message posted before the fit is delivered at its first yield, or after it ended if it never yields.
  let step = 0;
  let stepAtMessage: number | undefined;
  const { port1, port2 } = new MessageChannel();
  port1.onmessage = () => {
    stepAtMessage = step;
    port1.close();
  };
  port2.postMessage(undefined);
  try {
    const result = await runner.fitMse(p.x, p.target, { steps: 200, optimizer: { kind: 'sgd', lr: 0.001 }, progressPoints: 200, onProgress: (s) => (step = s) });
    expect(result.steps).toBe(200);
    expect(stepAtMessage).toBeGreaterThan(0);
    expect(stepAtMessage).toBeLessThan(200);
  } finally {
    clock.mockRestore();
    vi.useRealTimers();
    runner.destroy();
  }
});

it('fitMse without options (a call from JavaScript) is a user error, on cpu and webgpu', async () => {
  for (const backend of ['cpu', 'webgpu'] as const) {
    const p = await problem(SPEC, 'sq', backend, 17);
    const runner = await p.open();
    const fit = runner.fitMse as (x: Float32Array, t: Float32Array) => Promise<unknown>;
    const error = await fit.call(runner, p.x, p.target).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'MoncError', kind: 'user', message: "map 'sq': fitMse needs options { steps, optimizer, … }, got undefined" });
    runner.destroy();
  }
});

describe('fitMse refuses an f16 module input beyond ±65504 before any step', () => {
  it.each(['cpu', 'webgpu'] as const)('on %s', async (backend) => {
    const p = await problem(HALF, 'h', backend, 18);
    const runner = await p.open();
    const x = Float32Array.from(p.x);
    x[13] = 70000;
    const error = await runner.fitMse(x, p.target, { steps: 2, optimizer: { kind: 'sgd', lr: 0.1 } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'value', message: "input of map 'h' holds 70000 at element (1, 1): beyond the f16 range ±65504 of this f16 module" });
    runner.destroy();
  });
});

describe('fitMse stops where the host loop stops, saying the same', () => {
  const STOPS: [string, string, Backend, FitMseOptions, { x: number; t: number }][] = [
    ['a diverging SGD', 'sq', 'webgpu', { steps: 30, optimizer: { kind: 'sgd', lr: 1e15 } }, { x: 1, t: 1 }],
    ['a diverging SGD', 'sq', 'cpu', { steps: 30, optimizer: { kind: 'sgd', lr: 1e15 } }, { x: 1, t: 1 }],
    ['a diverging SGD on mini-batches', 'wide', 'webgpu', { steps: 30, batch: 5, seed: 7, optimizer: { kind: 'sgd', lr: 1e12, momentum: 0.5 } }, { x: 1, t: 1 }],
    ['inputs near the float32 limit', 'sq', 'webgpu', { steps: 3, optimizer: { kind: 'sgd', lr: 0.01 } }, { x: 1e38, t: 1 }],
    ['a diverging SGD (monc train test)', 'sq', 'webgpu', { steps: 5, optimizer: { kind: 'sgd', lr: 1e30 } }, { x: 1, t: 1 }],
    ['a diverging SGD (monc train test)', 'rect', 'webgpu', { steps: 5, optimizer: { kind: 'sgd', lr: 1e30 } }, { x: 1, t: 1 }],
    ["gradients beyond Adam's float32 state", 'sq', 'webgpu', { steps: 3, optimizer: { kind: 'adam', lr: 0.01 } }, { x: 1e11, t: 1 }],
    ['an f16 overflow', 'h', 'webgpu', { steps: 3, optimizer: { kind: 'sgd', lr: 1000 } }, { x: 100, t: 300 }],
    ['an f16 overflow', 'h', 'cpu', { steps: 3, optimizer: { kind: 'sgd', lr: 1000 } }, { x: 100, t: 300 }],
  ];
  it.each(['webgpu', 'cpu'] as const)('an output beyond float32 (±Infinity, no NaN): the loss became Infinity (%s)', async (backend) => {
    // y = 2·x + 0 with |x| = 3e38: every output is ±Infinity, none NaN; the float64 loss is Infinity.
    const source = 'module inf\nmap dg : 12 -> 12 = diag() + bias()\n';
    const { module } = checkSource(source, 'inf.mon');
    const outputs = compileKernelsOfModule(module!);
    const device = backend === 'webgpu' ? { device: await getTestDevice() } : {};
    const open = async () => {
      const runner = await MapRunner.create(outputs.manifest.maps[0], outputs.wgsl, { backend, ...device });
      runner.loadParams({ 'dg.0.d': new Float32Array(12).fill(2), 'dg.1.bias': new Float32Array(12) });
      return runner;
    };
    const x = Float32Array.from({ length: ROWS * 12 }, (_, i) => (i % 3 === 0 ? -3e38 : 3e38));
    const target = new Float32Array(ROWS * 12);
    const options: FitMseOptions = { steps: 2, optimizer: { kind: 'sgd', lr: 0.1 } };
    const host = await hostLoopMse(await open(), 'f32', x, target, options);
    expect(host.stop).toEqual({ step: 1, detail: 'the loss became Infinity at step 1 of 2' });
    const error = await (await open()).fitMse(x, target, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FitStopped);
    expect((error as FitStopped).detail).toBe(host.stop!.detail);
  });

  it.each(STOPS)('%s (%s on %s)', async (_, name, backend, options, scale) => {
    const [source, dtype] = name === 'h' ? [HALF, 'f16' as const] : [SPEC, 'f32' as const];
    const p = await problem(source, name, backend, 13, scale);
    const host = await hostLoopMse(await p.open(), dtype, p.x, p.target, options);
    expect(host.stop, 'the case stops').toBeDefined();
    const runner = await p.open();
    const progress: number[] = [];
    const error = await runner.fitMse(p.x, p.target, { ...options, progressPoints: options.steps, onProgress: (step) => progress.push(step) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FitStopped);
    const stop = error as FitStopped;
    expect([stop.kind, stop.step, stop.detail]).toEqual(['value', host.stop!.step, host.stop!.detail]);
    expect(stop.message).toBe(`${host.stop!.detail}; stopped`);
    // Progress reached every step before the bad one, and no further.
    expect(progress).toEqual(Array.from({ length: host.stop!.step - 1 }, (_, i) => i + 1));
  });
});
