/**
 * A forward pass uses the parameters the runner had when it was called (review finding R3): on
 * WebGPU calls run one after the other, so one called behind others runs later, and a
 * loadParams, an optimizer step or a fit made meanwhile must not reach it (the CPU backend
 * computes at the call). Each pass is checked against the float64 reference of the parameters
 * it was called with, for calls queued behind others, a batch that runs in chunks of rows (the
 * device's buffer limits) and a pipelined one (`chunkRows`). backward() follows the same rule
 * (the first call too, which waits for the training half to load). The copies that keep those
 * parameters are freed once the calls that read them settle.
 */
import { describe, expect, it } from 'vitest';
import '../../src/runtime/cpu.js';
import '../../src/runtime/host-io-entry.js';
import '../../src/runtime/training.js';
import { MapRunner, type Backend } from '../../src/runtime/map-runner.js';
import { bias, checkedMap, monarch, randomParams, rng, sum } from '../ir/structures.js';
import { countingDevice } from '../support/counting-device.js';
import { getTestDevice } from '../support/gpu.js';
import { relativeError } from '../support/programs.js';
import { referenceApply, referenceBackward, referenceDense } from '../support/reference.js';
import { compileModuleForTest } from '../training/compile.js';

const checked = checkedMap('a', sum(monarch(24, 20, 4), bias(20, 24)));
const compiled = compileModuleForTest(checked);
const sets = [1, 2, 3].map((seed) => randomParams(checked.structure, rng(seed)));
const f32 = (t: ReadonlyMap<string, ArrayLike<number>>) => Object.fromEntries([...t].map(([k, v]) => [k, Float32Array.from(v)]));
const input = (rows: number, s: number) => Float32Array.from({ length: rows * checked.in }, (_, i) => Math.sin(i * s + s));
/** float32 against float64: sums of 24 products of values in [-1, 1]. */
const TOLERANCE = 1e-5;

function expectFrom(y: Float32Array, params: ReadonlyMap<string, ArrayLike<number>>, x: Float32Array, rows: number, what: string): void {
  expect(relativeError(y, referenceApply(checked.structure, params, x, rows)), what).toBeLessThan(TOLERANCE);
}

async function runner(backend: Backend, device?: GPUDevice): Promise<MapRunner> {
  const r = await MapRunner.create(compiled.manifest.maps[0], compiled.wgsl, { backend, ...(backend === 'webgpu' ? { device: device ?? (await getTestDevice()) } : {}) });
  r.loadParams(f32(sets[0]));
  return r;
}

describe.each(['webgpu', 'cpu'] as const)('%s', (backend) => {
  it('calls queued behind others use the parameters loaded before them, not those loaded after', async () => {
    const r = await runner(backend);
    try {
      const xs = [1, 2, 3].map((s) => input(3, s));
      const first = r.forward(xs[0], 3);
      const second = r.forward(xs[1], 3);
      r.loadParams(f32(sets[1]));
      const third = r.forward(xs[2], 3);
      r.loadParams(f32(sets[2]));
      const [y1, y2, y3] = await Promise.all([first, second, third]);
      expectFrom(y1, sets[0], xs[0], 3, 'first call');
      expectFrom(y2, sets[0], xs[1], 3, 'second call');
      expectFrom(y3, sets[1], xs[2], 3, 'third call');
      expectFrom(await r.forward(xs[0], 3), sets[2], xs[0], 3, 'a call after the last load');
    } finally {
      r.destroy();
    }
  });

  it('an optimizer step and a fit made while calls wait do not reach them', async () => {
    const r = await runner(backend);
    try {
      const x = input(4, 5);
      await r.backward(x, Float32Array.from({ length: 4 * checked.out }, (_, i) => Math.cos(i)), 4);
      const pending = [r.forward(x, 4), r.forward(x, 4)];
      await r.createOptimizer({ kind: 'sgd', lr: 0.5 }).step();
      const stepped = await r.params();
      const queued = [r.forward(x, 4), r.forward(x, 4)];
      const target = Float32Array.from({ length: 4 * checked.out }, (_, i) => Math.sin(3 * i));
      await r.fitMse(x, target, { steps: 2, batch: 4, optimizer: { kind: 'sgd', lr: 0.5 } });
      const [a, b, c, d] = await Promise.all([...pending, ...queued]);
      expect(Math.max(...[...stepped].map(([name, t]) => relativeError(t, sets[0].get(name)!))), 'the step moved the parameters').toBeGreaterThan(1e-3);
      expect(relativeError(Float32Array.from((await r.params()).get('a.1.bias')!), stepped.get('a.1.bias')!), 'the fit moved the parameters').toBeGreaterThan(1e-3);
      expectFrom(a, sets[0], x, 4, 'called before the step');
      expectFrom(b, sets[0], x, 4, 'queued before the step');
      expectFrom(c, stepped, x, 4, 'called before the fit');
      expectFrom(d, stepped, x, 4, 'queued before the fit');
    } finally {
      r.destroy();
    }
  });

  it('dense() is M of the parameters at its call in every pass: a loadParams before it settles does not reach it (QA2 s12 R4)', async () => {
    const r = await runner(backend);
    try {
      // Its first pass (f(0), the bias) is issued at the call, the scaled identity passes after it settles: a load between them mixed both sets.
      const pending = r.dense();
      r.loadParams(f32(sets[1]));
      expect(relativeError(await pending, referenceDense(checked.structure, sets[0])), 'the call’s parameters').toBeLessThan(TOLERANCE);
      expect(relativeError(await r.dense(), referenceDense(checked.structure, sets[1])), 'a call after the load').toBeLessThan(TOLERANCE);
    } finally {
      r.destroy();
    }
  });
});

describe.each(['webgpu', 'cpu'] as const)('%s: backward', (backend) => {
  const dy = (rows: number, s: number) => Float32Array.from({ length: rows * checked.out }, (_, i) => Math.cos(i * s - s));

  function expectGradientsFrom(got: { dx: Float32Array; grads: ReadonlyMap<string, Float32Array> }, params: ReadonlyMap<string, ArrayLike<number>>, x: Float32Array, g: Float32Array, rows: number, what: string): void {
    const want = referenceBackward(checked.structure, params, x, g, rows);
    expect(relativeError(got.dx, want.dx), `${what}: dx`).toBeLessThan(TOLERANCE);
    for (const [name, w] of want.grads) expect(relativeError(got.grads.get(name)!, w), `${what}: ${name}`).toBeLessThan(TOLERANCE);
  }

  it('the first call (the training half still loading) and calls queued behind others use the parameters loaded before them', async () => {
    const r = await runner(backend);
    try {
      const [x1, x2] = [input(3, 1), input(3, 2)];
      const first = r.backward(x1, dy(3, 1), 3);
      r.loadParams(f32(sets[1]));
      const second = r.backward(x2, dy(3, 2), 3);
      const third = r.backward(x1, dy(3, 3), 3);
      r.loadParams(f32(sets[2]));
      const [g1, g2, g3] = await Promise.all([first, second, third]);
      expectGradientsFrom(g1, sets[0], x1, dy(3, 1), 3, 'first call');
      expectGradientsFrom(g2, sets[1], x2, dy(3, 2), 3, 'second call');
      expectGradientsFrom(g3, sets[1], x1, dy(3, 3), 3, 'third call');
    } finally {
      r.destroy();
    }
  });

  it('an optimizer step made while a backward pass waits does not reach it', async () => {
    const r = await runner(backend);
    try {
      const x = input(4, 5);
      await r.backward(x, dy(4, 1), 4);
      const optimizer = r.createOptimizer({ kind: 'sgd', lr: 0.5 });
      const pending = r.backward(x, dy(4, 2), 4);
      await optimizer.step();
      expectGradientsFrom(await pending, sets[0], x, dy(4, 2), 4, 'called before the step');
    } finally {
      r.destroy();
    }
  });
});

describe('webgpu', () => {
  it('a batch in chunks of rows (the device limits) and a pipelined one use their call’s parameters in every chunk', async () => {
    const { device } = await countingDevice();
    // The executor reads the limits to size its chunks: a binding just large enough for the parameters (which must fit
    // one: create refuses more, QA2 s28 Q752) holds a few rows of this map; the batch takes more than two passes.
    const map = compiled.manifest.maps[0];
    const binding = Math.ceil((map.paramSize * 4) / 16) * 16;
    const perPass = Math.floor(binding / (4 * Math.max(map.in, map.out, ...map.buffers.map((b) => b.size))));
    const batch = 2 * perPass + 3;
    const limits = Object.fromEntries(['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupsPerDimension'].map((k) => [k, device.limits[k as keyof GPUSupportedLimits]]));
    Object.defineProperty(device, 'limits', { value: { ...limits, maxStorageBufferBindingSize: binding } });
    const r = await runner('webgpu', device);
    try {
      const x = input(batch, 7);
      const chunked = r.forward(x, batch);
      const pipelined = r.forward(x, { batch, chunkRows: 2 });
      r.loadParams(f32(sets[1]));
      expectFrom(await chunked, sets[0], x, batch, `in chunks of ${perPass} rows`);
      expectFrom(await pipelined, sets[0], x, batch, 'pipelined in chunks of 2 rows');
      expectFrom(await r.forward(x, { batch, chunkRows: 4 }), sets[1], x, batch, 'after the load');
    } finally {
      r.destroy();
      device.destroy();
    }
  });

  it('the copy of the parameters is made only while calls wait, and freed once they settle', async () => {
    const { device, live } = await countingDevice();
    const held = () => [...live.values()].filter((label) => label === 'monc params (held)').length;
    const r = await runner('webgpu', device);
    try {
      const x = input(2, 1);
      await r.forward(x, 2);
      r.loadParams(f32(sets[1]));
      expect(held(), 'no call waits: no copy').toBe(0);
      const pending = [r.forward(x, 2), r.forward(x, 2)];
      r.loadParams(f32(sets[2]));
      r.loadParams(f32(sets[0]));
      expect(held(), 'one copy for the calls before the first load, none for the second (no call between)').toBe(1);
      await Promise.all(pending);
      expect(held(), 'freed after the calls settled').toBe(0);
      const backward = r.backward(x, Float32Array.from({ length: 2 * checked.out }, (_, i) => i), 2);
      r.loadParams(f32(sets[1]));
      expect(held(), 'a backward pass waits: one copy').toBe(1);
      await backward;
      expect(held(), 'freed after it settled').toBe(0);
    } finally {
      r.destroy();
      device.destroy();
    }
  });
});
