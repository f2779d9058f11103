/**
 * Optimizers against a float64 re-implementation of PyTorch's SGD (momentum, weight decay),
 * Adam and AdamW over several steps, on WebGPU (the generated update kernel) and the CPU backend;
 * a planted structure recovered from data; saveParams round-tripping through loadParams; an f16
 * module's gradients within 3e-3.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/runtime/map-runner.js';
import type { OptimizerOptions } from '../../src/runtime/optimizer.js';
import { readSafetensors } from '../../src/runtime/formats/safetensors.js';
import { f16ArrayToF32, f32ArrayToF16 } from '../../src/runtime/formats/f16.js';
import { bias, butterfly, checkedMap, monarch, randomParams, randomValues, rng, sum } from '../ir/structures.js';
import { frobeniusError, gradientCase, runnerFor } from './support.js';
import { getTestDevice } from '../support/gpu.js';
import { referenceApply, referenceBackward } from '../support/reference.js';

/** PyTorch's update of one tensor, float64 (torch.optim.SGD / Adam / AdamW, step t >= 1). */
function torchStep(o: OptimizerOptions, t: number, p: Float64Array, g: Float64Array, s: { m: Float64Array; v: Float64Array }): void {
  for (let i = 0; i < p.length; i++) {
    if (o.kind === 'sgd') {
      const d = g[i] + (o.weightDecay ?? 0) * p[i];
      const mu = o.momentum ?? 0;
      s.m[i] = t === 1 ? d : mu * s.m[i] + d;
      p[i] -= o.lr * (mu === 0 ? d : s.m[i]);
    } else {
      const [b1, b2, eps] = [o.beta1 ?? 0.9, o.beta2 ?? 0.999, o.eps ?? 1e-8];
      const wd = o.weightDecay ?? (o.kind === 'adamw' ? 0.01 : 0);
      let d = g[i];
      if (o.kind === 'adamw') p[i] *= 1 - o.lr * wd;
      else d += wd * p[i];
      s.m[i] = b1 * s.m[i] + (1 - b1) * d;
      s.v[i] = b2 * s.v[i] + (1 - b2) * d * d;
      const mHat = s.m[i] / (1 - b1 ** t);
      const vHat = s.v[i] / (1 - b2 ** t);
      p[i] -= (o.lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  }
}

const OPTIMIZERS: [string, OptimizerOptions][] = [
  ['sgd momentum + weight decay', { kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0.01 }],
  ['sgd plain', { kind: 'sgd', lr: 0.1 }],
  ['adam with L2', { kind: 'adam', lr: 0.01, weightDecay: 0.05 }],
  ['adamw defaults', { kind: 'adamw', lr: 0.02 }],
];

describe.each(['webgpu', 'cpu'] as const)('optimizers on %s', (backend: Backend) => {
  it.each(OPTIMIZERS)('%s: 4 steps match PyTorch in float64', async (_name, options) => {
    const map = checkedMap('m', sum(monarch(12, 12, 3), bias(12)));
    const batch = 3;
    const c = await gradientCase(map, backend, 5, batch);
    try {
      const opt = c.runner.createOptimizer(options);
      const want = new Map([...c.params].map(([k, v]) => [k, Float64Array.from(v)]));
      const state = new Map([...want].map(([k, v]) => [k, { m: new Float64Array(v.length), v: new Float64Array(v.length) }]));
      const random = rng(9);
      for (let t = 1; t <= 4; t++) {
        const dy = Float32Array.from(randomValues(random, batch * map.out));
        await c.runner.backward(c.x, dy, batch);
        await opt.step();
        const { grads } = referenceBackward(map.structure, want, c.x, dy, batch);
        for (const [name, p] of want) torchStep(options, t, p, grads.get(name)!, state.get(name)!);
      }
      expect(opt.steps).toBe(4);
      const got = await c.runner.params();
      for (const [name, p] of want) expect(frobeniusError(got.get(name)!, p), name).toBeLessThan(1e-5);
    } finally {
      c.runner.destroy();
    }
  });

  it('recovers a planted butterfly from data with Adam (MSE drops by 1000x)', async () => {
    const map = checkedMap('m', butterfly(2, 4));
    const random = rng(21);
    const teacher = randomParams(map.structure, random);
    const batch = 64;
    const x = Float32Array.from(randomValues(random, batch * map.in));
    const y = referenceApply(map.structure, teacher, x, batch);
    const runner = await runnerFor(map, backend);
    try {
      runner.loadParams(new Map([...randomParams(map.structure, rng(22))].map(([k, v]) => [k, Float32Array.from(v)])));
      const opt = runner.createOptimizer({ kind: 'adam', lr: 0.02 });
      const mse = (pred: Float32Array) => pred.reduce((s, v, i) => s + (v - y[i]) ** 2, 0) / pred.length;
      const initial = mse(await runner.forward(x, batch));
      let last = initial;
      for (let step = 0; step < 300; step++) {
        const pred = await runner.forward(x, batch);
        last = mse(pred);
        const dy = Float32Array.from(pred, (v, i) => (2 * (v - y[i])) / pred.length);
        await runner.backward(x, dy, batch);
        await opt.step();
      }
      expect(last).toBeLessThan(initial / 1000);
    } finally {
      runner.destroy();
    }
  });

  it('saveParams round-trips through loadParams (names and shapes of SPEC §4)', async () => {
    const map = checkedMap('m', sum(monarch(8, 8, 2), bias(8)));
    const c = await gradientCase(map, backend, 2, 2);
    try {
      await c.runner.backward(c.x, c.dy, 2);
      await c.runner.createOptimizer({ kind: 'sgd', lr: 0.5 }).step();
      const bytes = await c.runner.saveParams();
      const file = readSafetensors(bytes);
      expect([...file.tensors.keys()].sort()).toEqual(['m.0.blkdiag1', 'm.0.blkdiag2', 'm.1.bias']);
      expect(file.tensors.get('m.0.blkdiag1')!.shape).toEqual([2, 4, 4]);
      const other = await runnerFor(map, backend);
      other.loadParams(new Map([...file.tensors].map(([k, t]) => [k, t.data])));
      expect(await other.forward(c.x, 2)).toEqual(await c.runner.forward(c.x, 2));
      other.destroy();
    } finally {
      c.runner.destroy();
    }
  });
});

describe('GPU-resident training step', () => {
  it('encodeForward + encodeBackward + encodeStep on one encoder equal backward() + step()', async () => {
    const map = checkedMap('m', sum(butterfly(2, 3), bias(8)));
    const batch = 5;
    // The encoders are synchronous: `a` loads its training code at create; `b` on its first backward().
    const a = await gradientCase(map, 'webgpu', 31, batch, { training: true });
    const b = await gradientCase(map, 'webgpu', 31, batch);
    try {
      const device = await getTestDevice();
      const upload = (values: Float32Array, usage = 0) => {
        const buffer = device.createBuffer({ size: Math.ceil(values.byteLength / 16) * 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | usage });
        device.queue.writeBuffer(buffer, 0, values as Float32Array<ArrayBuffer>);
        return buffer;
      };
      const x = upload(a.x);
      const dy = upload(a.dy);
      const y = upload(new Float32Array(batch * map.out));
      const dx = upload(new Float32Array(batch * map.in), GPUBufferUsage.COPY_SRC);
      const options: OptimizerOptions = { kind: 'adamw', lr: 0.05 };
      const optA = a.runner.createOptimizer(options);
      const optB = b.runner.createOptimizer(options);
      for (let step = 0; step < 3; step++) {
        const encoder = device.createCommandEncoder();
        a.runner.encodeForward(encoder, x, y, batch);
        a.runner.encodeBackward(encoder, x, dy, dx, batch);
        optA.encodeStep(encoder);
        device.queue.submit([encoder.finish()]);
        await b.runner.backward(b.x, b.dy, batch);
        await optB.step();
      }
      expect(optA.steps).toBe(3);
      const [pa, pb] = [await a.runner.params(), await b.runner.params()];
      for (const [name, v] of pb) expect(frobeniusError(pa.get(name)!, v), name).toBeLessThan(1e-6);
      for (const buffer of [x, dy, y, dx]) buffer.destroy();
    } finally {
      a.runner.destroy();
      b.runner.destroy();
    }
  });
  it('encodeBackward and encodeStep before the training code is loaded say how to load it; a backward() loads it', async () => {
    const map = checkedMap('m', sum(butterfly(2, 3), bias(8)));
    const c = await gradientCase(map, 'webgpu', 5, 2);
    try {
      const device = await getTestDevice();
      const buffer = () => device.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      const [x, dy, dx] = [buffer(), buffer(), buffer()];
      const optimizer = c.runner.createOptimizer({ kind: 'sgd', lr: 0.1 });
      const encoder = device.createCommandEncoder();
      expect(() => c.runner.encodeBackward(encoder, x, dy, dx, 2)).toThrow(/encodeBackward needs the training code: create the runner with \{ training: true \}/);
      expect(() => optimizer.encodeStep(encoder)).toThrow(/encodeStep needs the training code/);
      await c.runner.backward(c.x, c.dy, 2);
      c.runner.encodeBackward(encoder, x, dy, dx, 2);
      optimizer.encodeStep(encoder);
      device.queue.submit([encoder.finish()]);
      expect(optimizer.steps).toBe(1);
      for (const b of [x, dy, dx]) b.destroy();
    } finally {
      c.runner.destroy();
    }
  });
});

describe('f16 modules', () => {
  it('gradients within 3e-3 of float64 on f16-rounded parameters and data, saved as F16', async () => {
    const map = checkedMap('m', sum(monarch(16, 16, 4), bias(16)));
    const round = (v: Float32Array) => f16ArrayToF32(f32ArrayToF16(v));
    const c = await gradientCase(map, 'webgpu', 8, 4, { dtype: 'f16' });
    try {
      const params = new Map([...c.params].map(([k, v]) => [k, round(v)]));
      c.runner.loadParams(params);
      const [x, dy] = [round(c.x), round(c.dy)];
      const want = referenceBackward(map.structure, params, x, dy, 4);
      const got = await c.runner.backward(x, dy, 4);
      expect(frobeniusError(got.dx, want.dx)).toBeLessThan(3e-3);
      for (const [name, g] of want.grads) expect(frobeniusError(got.grads.get(name)!, g), name).toBeLessThan(3e-3);
      const file = readSafetensors(await c.runner.saveParams());
      expect(file.tensors.get('m.1.bias')!.dtype).toBe('F16');
    } finally {
      c.runner.destroy();
    }
  });
});
