/**
 * backward(x, dy) and fitMse(x, target) take any array of numbers by value, as forward does
 * (review finding A3): on WebGPU an Int32Array or Uint8Array was uploaded as its raw bytes
 * (silent zeros), a Float64Array overran the upload (a kind-wgsl "bug") and an Array threw a bare
 * TypeError. Each array type gives the Float32Array's result, on both backends; what is not an
 * array of numbers, or forward's `out` that is not a Float32Array, is a MoncError of kind user.
 */
import { describe, expect, it } from 'vitest';
import '../../src/runtime/cpu.js';
import '../../src/runtime/training.js';
import { MapRunner, type Backend } from '../../src/runtime/map-runner.js';
import { checkedMap, dense } from '../ir/structures.js';
import { getTestDevice } from '../support/gpu.js';
import { referenceBackward } from '../support/reference.js';
import { expectMoncError } from '../support/user-error.js';
import { compileModuleForTest } from './compile.js';

const checked = checkedMap('f', dense(4, 2));
const compiled = compileModuleForTest(checked);
const weight = Float32Array.from({ length: 8 }, (_, i) => i + 1);
// Small integers: every type below holds them exactly, and every result is exact in f32.
const x = [1, 2, 3, 4, 2, 2, 2, 2];
const dy = [1, 1, 2, 0];
const types = {
  Uint8Array: (v: number[]) => Uint8Array.from(v),
  Int32Array: (v: number[]) => Int32Array.from(v),
  Float64Array: (v: number[]) => Float64Array.from(v),
  Array: (v: number[]) => [...v],
} as const;

async function runner(backend: Backend): Promise<MapRunner> {
  const r = await MapRunner.create(compiled.manifest.maps[0], compiled.wgsl, { backend, ...(backend === 'webgpu' ? { device: await getTestDevice() } : {}) });
  r.loadParams({ 'f.weight': weight });
  return r;
}

describe.each(['webgpu', 'cpu'] as const)('%s', (backend) => {
  const want = referenceBackward(checked.structure, new Map([['f.weight', weight]]), x, dy, 2);

  it.each(Object.keys(types) as (keyof typeof types)[])('backward of %s x and dy: the float64 gradients', async (type) => {
    const r = await runner(backend);
    try {
      const make = types[type];
      const got = await r.backward(make(x) as unknown as Float32Array, make(dy) as unknown as Float32Array, 2);
      expect([...got.dx]).toEqual([...want.dx]);
      expect([...got.grads.get('f.weight')!]).toEqual([...want.grads.get('f.weight')!]);
    } finally {
      r.destroy();
    }
  });

  it.each(Object.keys(types) as (keyof typeof types)[])('fitMse of %s x and target: the loss of the Float32Array fit', async (type) => {
    const r = await runner(backend);
    try {
      const fit = (a: ArrayLike<number>, t: ArrayLike<number>) => r.fitMse(a as Float32Array, t as Float32Array, { steps: 1, optimizer: { kind: 'sgd', lr: 0 } });
      const expected = await fit(Float32Array.from(x), Float32Array.from(dy));
      // Y = X Wᵀ = [30, 70; 20, 52] against T = [1, 1; 2, 0]: the mean of the squared residuals.
      expect(expected.loss).toBe((29 ** 2 + 69 ** 2 + 18 ** 2 + 52 ** 2) / 4);
      expect((await fit(types[type](x), types[type](dy))).loss).toBe(expected.loss);
    } finally {
      r.destroy();
    }
  });

  it('forward takes them too; its out, which it writes into, must be a Float32Array (kind user)', async () => {
    const r = await runner(backend);
    try {
      for (const make of Object.values(types)) expect([...(await r.forward(make(x) as unknown as Float32Array, 2))]).toEqual([30, 70, 20, 52]);
      await expectMoncError(() => r.forward(Float32Array.from(x), { out: [0, 0, 0, 0] as unknown as Float32Array }), 'user', "map 'f': forward: out must be a Float32Array, got Array");
      // Falsy values too (QA2 s15 R44: the CPU ignored them, WebGPU threw a bare TypeError).
      for (const [out, got] of [[0, '0'], [false, 'false'], ['', "'' (a string)"], [NaN, 'NaN']] as const) {
        await expectMoncError(() => r.forward(Float32Array.from(x), { out: out as unknown as Float32Array }), 'user', `map 'f': forward: out must be a Float32Array, got ${got}`);
      }
      // null is no out, as undefined is.
      expect([...(await r.forward(Float32Array.from(x), { out: null as unknown as Float32Array }))]).toEqual([30, 70, 20, 52]);
    } finally {
      r.destroy();
    }
  });

  it('a Float64Array input is rounded to float32 first, as a Float32Array would hold it', async () => {
    const r = await runner(backend);
    try {
      // 2^24 + 1 is 2^24 in float32: y = W x is then exactly -2^24 in both rows (from the exact input: -16777215, -16777211).
      const exact = Float64Array.from([2 ** 24 + 1, -(2 ** 24), 0, 0]);
      expect([...(await r.forward(exact as unknown as Float32Array, 1))]).toEqual([-(2 ** 24), -(2 ** 24)]);
      const { dx, grads } = await r.backward(exact as unknown as Float32Array, Float64Array.from([1, 0]) as unknown as Float32Array, 1);
      expect([...dx]).toEqual([1, 2, 3, 4]);
      expect([...grads.get('f.weight')!]).toEqual([2 ** 24, -(2 ** 24), 0, 0, 0, 0, 0, 0]);
    } finally {
      r.destroy();
    }
  });

  it('a DataView, a string or null is refused, kind user, naming the argument', async () => {
    const r = await runner(backend);
    try {
      const view = new DataView(new ArrayBuffer(32)) as unknown as Float32Array;
      await expectMoncError(() => r.backward(view, Float32Array.from(dy), 2), 'user', "map 'f': backward: the input must be an array of numbers, got DataView");
      await expectMoncError(() => r.backward(Float32Array.from(x), 'abcd' as unknown as Float32Array, 2), 'user', "map 'f': backward: the output gradient must be an array of numbers, got 'abcd' (a string)");
      await expectMoncError(() => r.fitMse(null as unknown as Float32Array, Float32Array.from(dy), { steps: 1, optimizer: { kind: 'sgd', lr: 0 } }), 'user', "map 'f': fitMse: the input must be an array of numbers, got null");
      await expectMoncError(() => r.fitMse(Float32Array.from(x), view, { steps: 1, optimizer: { kind: 'sgd', lr: 0 } }), 'user', "map 'f': fitMse: the target must be an array of numbers, got DataView");
    } finally {
      r.destroy();
    }
  });
});
