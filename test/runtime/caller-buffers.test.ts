/**
 * encodeForward, encodeDispatches and encodeBackward record on the caller's encoder with the
 * caller's buffers. WebGPU takes a buffer too small for the batch, or a fractional or negative
 * batch, without any error (out-of-bounds reads give zeros or other rows, writes are dropped), so
 * the runner checks them: each mistake is a synchronous one-line MoncError (kind `user` for the
 * batch or a missing usage, `shape` for a buffer too small) and nothing is recorded. Buffers of
 * exactly the batch's rows (not a multiple of 16 bytes) run within f32 of the float64 reference,
 * with no validation error on the device.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCallerBuffers } from '../../src/runtime/batch-args.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { TypedMap } from '../../src/runtime/typed-map.js';
import type { MoncError } from '../../src/util/error.js';
import { bias, checkedMap, monarch, randomParams, rng, sum } from '../ir/structures.js';
import { getTestDevice } from '../support/gpu.js';
import { expectMoncErrorNow } from '../support/user-error.js';
import { randomArray, relativeError } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';
import { compileModuleForTest } from '../training/compile.js';

const checked = checkedMap('m', sum(monarch(12, 18, 3), bias(18)));
const compiled = compileModuleForTest(checked);
const params = new Map([...randomParams(checked.structure, rng(11))].map(([k, v]) => [k, Float32Array.from(v)]));

async function runner(training = false): Promise<MapRunner> {
  const r = await MapRunner.create(compiled.manifest.maps[0], compiled.wgsl, { backend: 'webgpu', device: await getTestDevice(), training });
  r.loadParams(Object.fromEntries(params));
  return r;
}

/** `rows` rows of `width` f32 values, exactly (no padding to 16 bytes). */
async function buffer(rows: number, width: number, usage?: GPUBufferUsageFlags): Promise<GPUBuffer> {
  const device = await getTestDevice(); // Dawn's globals (GPUBufferUsage…) exist from here on
  return device.createBuffer({ size: rows * width * 4, usage: usage ?? GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
}

/** Submits `encoder`'s commands and expects no validation error: after refused calls, proof that they recorded nothing. */
async function expectValidSubmit(device: GPUDevice, encoder: GPUCommandEncoder): Promise<void> {
  device.pushErrorScope('validation');
  device.queue.submit([encoder.finish()]);
  expect(await device.popErrorScope()).toBeNull();
}

async function readBack(source: GPUBuffer, values: number): Promise<Float32Array> {
  const device = await getTestDevice();
  const read = device.createBuffer({ size: values * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(source, 0, read, 0, values * 4);
  device.queue.submit([encoder.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(read.getMappedRange().slice(0));
  read.destroy();
  return out;
}

describe('encodeForward and encodeDispatches with the caller’s buffers', () => {
  it('buffers of exactly batch rows run within f32 of float64, with no validation error', async () => {
    const device = await getTestDevice();
    const r = await runner();
    const batch = 3;
    const x = randomArray(batch * 12, rng(12));
    const [xb, yb, yd] = [await buffer(batch, 12), await buffer(batch, 18), await buffer(batch, 18)];
    try {
      device.queue.writeBuffer(xb, 0, x);
      device.pushErrorScope('validation');
      const encoder = device.createCommandEncoder();
      r.encodeForward(encoder, xb, yb, batch);
      const pass = encoder.beginComputePass();
      r.encodeDispatches(pass, xb, yd, batch);
      pass.end();
      device.queue.submit([encoder.finish()]);
      expect(await device.popErrorScope()).toBeNull();
      const want = referenceApply(checked.structure, params, x, batch);
      expect(relativeError(await readBack(yb, batch * 18), want)).toBeLessThan(1e-5);
      expect(relativeError(await readBack(yd, batch * 18), want)).toBeLessThan(1e-5);
    } finally {
      r.destroy();
      [xb, yb, yd].forEach((b) => b.destroy());
    }
  });

  it('a batch beyond the buffers, a fractional, negative or NaN batch, a buffer without STORAGE: a MoncError, nothing recorded', async () => {
    const device = await getTestDevice();
    const r = await runner();
    const [xb, yb, tiny, mapped] = [await buffer(2, 12), await buffer(2, 18), await buffer(1, 4), await buffer(5, 18, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST)];
    try {
      const encoder = device.createCommandEncoder();
      expectMoncErrorNow(() => r.encodeForward(encoder, xb, yb, 100), 'shape', "map 'm': encodeForward: the input (x) buffer holds 96 bytes; batch 100 x 12 f32 values need 4800");
      expectMoncErrorNow(() => r.encodeForward(encoder, xb, tiny, 2), 'shape', 'the output (y) buffer holds 16 bytes; batch 2 x 18 f32 values need 144');
      for (const bad of [1.5, -1, Number.NaN]) expectMoncErrorNow(() => r.encodeForward(encoder, xb, yb, bad), 'user', `map 'm': encodeForward: batch must be a whole number ≥ 0, got ${bad}`);
      expectMoncErrorNow(() => r.encodeForward(encoder, xb, mapped, 2), 'user', 'the output (y) buffer lacks GPUBufferUsage.STORAGE');
      // In place: WebGPU refuses a buffer bound writable and read in one pass (a validation error at submit).
      const both = await buffer(2, 18);
      expectMoncErrorNow(() => r.encodeForward(encoder, both, both, 2), 'user', "map 'm': encodeForward: the output (y) buffer is also its input (x) buffer: the map cannot run in place");
      both.destroy();
      const pass = encoder.beginComputePass();
      expectMoncErrorNow(() => r.encodeDispatches(pass, xb, yb, 3), 'shape', "map 'm': encodeDispatches: the input (x) buffer holds 96 bytes");
      pass.end();
      // Nothing was recorded: the encoder finishes empty and valid.
      await expectValidSubmit(device, encoder);
      // Batch 0 records nothing and is no mistake.
      expect(() => r.encodeForward(device.createCommandEncoder(), xb, yb, 0)).not.toThrow();
    } finally {
      r.destroy();
      [xb, yb, tiny, mapped].forEach((b) => b.destroy());
    }
  });
});

describe('what records the call, and buffers that are none (QA2 s13 R21: a TypeError, or "lacks STORAGE" for undefined)', () => {
  it('a missing or wrong encoder or pass and a value that is no GPUBuffer are user errors naming the argument, nothing recorded', async () => {
    const device = await getTestDevice();
    const r = await runner(true);
    const [xb, yb, dxb] = [await buffer(2, 12), await buffer(2, 18), await buffer(2, 12)];
    try {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      const js = (f: (...args: unknown[]) => void, ...args: unknown[]) => () => f(...args);
      const forward = r.encodeForward.bind(r) as (...args: unknown[]) => void;
      const dispatches = r.encodeDispatches.bind(r) as (...args: unknown[]) => void;
      const backward = r.encodeBackward.bind(r) as (...args: unknown[]) => void;
      // Said by its class (session 25, Q352's other half: it was 'got [object GPUComputePassEncoder]', '[object Object]').
      for (const [bad, got] of [[null, 'null'], [undefined, 'undefined'], [{}, 'object'], [pass, 'GPUComputePassEncoder']] as const) {
        const error = expectMoncErrorNow(js(forward, bad, xb, yb, 2), 'user', "map 'm': encodeForward: encoder must be a GPUCommandEncoder, got ");
        expect(error.message).toBe(`map 'm': encodeForward: encoder must be a GPUCommandEncoder, got ${got}`);
        expectMoncErrorNow(js(backward, bad, xb, yb, dxb, 2), 'user', "map 'm': encodeBackward: encoder must be a GPUCommandEncoder, got ");
      }
      for (const [bad, got] of [[null, 'null'], [{}, 'object'], [encoder, 'GPUCommandEncoder']] as const) expectMoncErrorNow(js(dispatches, bad, xb, yb, 2), 'user', `map 'm': encodeDispatches: pass must be a GPUComputePassEncoder, got ${got}`);
      // QA2 s24 Q352: a texture (its usage bits GPUTextureUsage's) was 'lacks GPUBufferUsage.STORAGE (its usage is 10)',
      // a plain object with the STORAGE bit a raw TypeError from createBindGroup.
      const texture = device.createTexture({ size: [4, 4], format: 'r32float', usage: GPUTextureUsage.COPY_DST | GPUTextureUsage.STORAGE_BINDING });
      const lookalike = { size: 4096, usage: GPUBufferUsage.STORAGE };
      for (const [bad, got] of [[undefined, 'undefined'], [null, 'null'], [{}, 'object'], [7, 'number'], [new Float32Array(24), 'Float32Array'], [texture, 'GPUTexture'], [lookalike, 'object']] as const) {
        expectMoncErrorNow(js(forward, encoder, bad, yb, 2), 'user', `map 'm': encodeForward: the input (x) buffer must be a GPUBuffer, got ${got}`);
        expectMoncErrorNow(js(dispatches, pass, xb, bad, 2), 'user', `map 'm': encodeDispatches: the output (y) buffer must be a GPUBuffer, got ${got}`);
        expectMoncErrorNow(js(backward, encoder, xb, bad, dxb, 2), 'user', `map 'm': encodeBackward: the output gradient (dy) buffer must be a GPUBuffer, got ${got}`);
      }
      pass.end();
      // Nothing was recorded: the encoder finishes empty and valid.
      await expectValidSubmit(device, encoder);
    } finally {
      r.destroy();
      [xb, yb, dxb].forEach((b) => b.destroy());
    }
  });
});

describe('encodeDispatches of one kernel (its fifth argument, for timing tools)', () => {
  it('each index of kernelSet.kernels records that kernel alone: all of them in order give the whole pass; any other value is refused, nothing recorded (s10 RT-found 2: it recorded nothing, silently)', async () => {
    const device = await getTestDevice();
    const r = await runner();
    const batch = 2;
    const x = randomArray(batch * 12, rng(16));
    const [xb, yb, yc] = [await buffer(batch, 12), await buffer(batch, 18), await buffer(batch, 18)];
    try {
      const { length } = r.kernelSet!.kernels;
      expect(length, 'a map of several kernels (the sum with a bias is not one)').toBeGreaterThan(1);
      device.queue.writeBuffer(xb, 0, x);
      device.pushErrorScope('validation');
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      for (const [bad, got] of [[length, `${length}`], [-1, '-1'], [1.5, '1.5'], [Number.NaN, 'NaN'], ['0', "'0' (a string)"], [null, 'null'], [{}, 'object']] as const) {
        expectMoncErrorNow(() => r.encodeDispatches(pass, xb, yb, batch, bad as number), 'user', `map 'm': encodeDispatches: kernel must be an index of kernelSet.kernels, got ${got}`);
      }
      // The refusals recorded nothing: the pass below still holds only its own dispatches.
      for (let k = 0; k < length; k++) r.encodeDispatches(pass, xb, yb, batch, k);
      pass.end();
      device.queue.submit([encoder.finish()]);
      expect(await device.popErrorScope()).toBeNull();
      const want = referenceApply(checked.structure, params, x, batch);
      expect(relativeError(await readBack(yb, batch * 18), want)).toBeLessThan(1e-5);
      // The first kernel alone is not the map: the index is honoured, not ignored.
      const first = device.createCommandEncoder();
      const alone = first.beginComputePass();
      r.encodeDispatches(alone, xb, yc, batch, 0);
      alone.end();
      device.queue.submit([first.finish()]);
      expect(relativeError(await readBack(yc, batch * 18), want)).toBeGreaterThan(1e-2);
    } finally {
      r.destroy();
      [xb, yb, yc].forEach((b) => b.destroy());
    }
  });
});

describe('a generated class (TypedMap)', () => {
  it('forwards encodeDispatches as it does encodeForward (QA2 s14 R33: it had none)', async () => {
    const device = await getTestDevice();
    const r = await runner();
    class Generated extends TypedMap<Record<string, Float32Array>> {
      constructor() {
        super(r);
      }
    }
    const typed = new Generated();
    const batch = 2;
    const x = randomArray(batch * 12, rng(17));
    const [xb, yb] = [await buffer(batch, 12), await buffer(batch, 18)];
    try {
      device.queue.writeBuffer(xb, 0, x);
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      typed.encodeDispatches(pass, xb, yb, batch);
      pass.end();
      await expectValidSubmit(device, encoder);
      expect(relativeError(await readBack(yb, batch * 18), referenceApply(checked.structure, params, x, batch))).toBeLessThan(1e-5);
      expectMoncErrorNow(() => typed.encodeDispatches(null as never, xb, yb, batch), 'user', "map 'm': encodeDispatches: pass must be a GPUComputePassEncoder, got null");
    } finally {
      r.destroy();
      [xb, yb].forEach((b) => b.destroy());
    }
  });
});

describe('a pass past the device’s buffer limits', () => {
  it('is refused (kind device, naming the limit and the rows that fit) before anything is recorded, where the caller’s buffers claim room (QA s10 A2: invalid temporaries and Dawn’s text)', async () => {
    const device = await getTestDevice();
    const r = await runner();
    // Buffers as the checks see them (usage, size): real ones this large would not be made either.
    const huge = { usage: GPUBufferUsage.STORAGE, size: 2 ** 50, mapAsync() {} } as unknown as GPUBuffer;
    const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    try {
      const encoder = device.createCommandEncoder();
      const batch = Math.floor(limit / 4) + 1;
      const error = expectMoncErrorNow(() => r.encodeForward(encoder, huge, { ...huge }, batch), 'device', `map 'm': a pass of ${batch} rows needs a buffer over this device's limit of ${limit} bytes: at most`);
      const rows = Number(/at most (\d+) rows per pass$/.exec(error.message)?.[1]);
      expect(rows).toBeGreaterThan(0);
      // One row past what fits, also through encodeDispatches.
      const pass = encoder.beginComputePass();
      expectMoncErrorNow(() => r.encodeDispatches(pass, huge, { ...huge }, rows + 1), 'device', `a pass of ${rows + 1} rows needs a buffer over`);
      pass.end();
      await expectValidSubmit(device, encoder);
    } finally {
      r.destroy();
    }
  });
});

describe('encodeBackward with the caller’s buffers', () => {
  it('exact buffers give dx within f32 of the float64 backward; too small a dy or dx is a shape error', async () => {
    const device = await getTestDevice();
    const r = await runner(true);
    const cpu = await MapRunner.create(compiled.manifest.maps[0], compiled.wgsl, { backend: 'cpu' });
    cpu.loadParams(Object.fromEntries(params));
    const batch = 3;
    const x = randomArray(batch * 12, rng(13));
    const dy = randomArray(batch * 18, rng(14));
    const [xb, dyb, dxb, shortDy, shortDx] = [await buffer(batch, 12), await buffer(batch, 18), await buffer(batch, 12), await buffer(batch - 1, 18), await buffer(batch - 1, 12)];
    try {
      device.queue.writeBuffer(xb, 0, x);
      device.queue.writeBuffer(dyb, 0, dy);
      const encoder = device.createCommandEncoder();
      expectMoncErrorNow(() => r.encodeBackward(encoder, xb, shortDy, dxb, batch), 'shape', "map 'm': encodeBackward: the output gradient (dy) buffer holds 144 bytes; batch 3 x 18 f32 values need 216");
      expectMoncErrorNow(() => r.encodeBackward(encoder, xb, dyb, shortDx, batch), 'shape', 'the input gradient (dx) buffer holds 96 bytes; batch 3 x 12 f32 values need 144');
      expectMoncErrorNow(() => r.encodeBackward(encoder, xb, dyb, dxb, 2.5), 'user', 'encodeBackward: batch must be a whole number ≥ 0, got 2.5');
      expectMoncErrorNow(() => r.encodeBackward(encoder, xb, dyb, xb, batch), 'user', 'encodeBackward: the input gradient (dx) buffer is also its input (x) buffer');
      device.pushErrorScope('validation');
      r.encodeBackward(encoder, xb, dyb, dxb, batch);
      device.queue.submit([encoder.finish()]);
      expect(await device.popErrorScope()).toBeNull();
      const { dx } = await cpu.backward(x, dy, batch);
      expect(relativeError(await readBack(dxb, batch * 12), dx)).toBeLessThan(1e-5);
    } finally {
      r.destroy();
      cpu.destroy();
      [xb, dyb, dxb, shortDy, shortDx].forEach((b) => b.destroy());
    }
  });
});

describe('encodeBackward reading x and dy from one buffer (both only read)', () => {
  it('is no mistake: dx within f32 of the float64 backward of the same values, no validation error', async () => {
    const device = await getTestDevice();
    const r = await runner(true);
    const cpu = await MapRunner.create(compiled.manifest.maps[0], compiled.wgsl, { backend: 'cpu' });
    cpu.loadParams(Object.fromEntries(params));
    const batch = 2;
    const shared = randomArray(batch * 18, rng(15)); // x reads its first batch × 12 values, dy all of them
    const [sb, dxb] = [await buffer(batch, 18), await buffer(batch, 12)];
    try {
      device.queue.writeBuffer(sb, 0, shared);
      device.pushErrorScope('validation');
      const encoder = device.createCommandEncoder();
      r.encodeBackward(encoder, sb, sb, dxb, batch);
      device.queue.submit([encoder.finish()]);
      expect(await device.popErrorScope()).toBeNull();
      const { dx } = await cpu.backward(shared.slice(0, batch * 12), shared, batch);
      expect(relativeError(await readBack(dxb, batch * 12), dx)).toBeLessThan(1e-5);
    } finally {
      r.destroy();
      cpu.destroy();
      [sb, dxb].forEach((b) => b.destroy());
    }
  });
});

describe('encodeBackward of a map that is only a bias (the call clears dx)', () => {
  const onlyBias = checkedMap('b', bias(3));
  const module = compileModuleForTest(onlyBias);

  it('clears exactly the batch rows of an exact dx (3 values: not a multiple of 16 bytes); a dx without COPY_DST is a user error', async () => {
    const device = await getTestDevice();
    expect(module.manifest.maps[0].backward?.zeroInputGradient).toBe(true);
    const r = await MapRunner.create(module.manifest.maps[0], module.wgsl, { backend: 'webgpu', device, training: true });
    r.loadParams({ 'b.bias': Float32Array.from([1, 2, 3]) });
    const [xb, dyb, dxb, noCopy] = [await buffer(1, 3), await buffer(1, 3), await buffer(1, 3), await buffer(1, 3, GPUBufferUsage.STORAGE)];
    try {
      device.queue.writeBuffer(dxb, 0, Float32Array.from([7, 7, 7]));
      device.queue.writeBuffer(dyb, 0, Float32Array.from([1, -2, 4]));
      const encoder = device.createCommandEncoder();
      expectMoncErrorNow(() => r.encodeBackward(encoder, xb, dyb, noCopy, 1), 'user', "map 'b': encodeBackward: the input gradient (dx) buffer lacks GPUBufferUsage.COPY_DST");
      device.pushErrorScope('validation');
      r.encodeBackward(encoder, xb, dyb, dxb, 1);
      device.queue.submit([encoder.finish()]);
      expect(await device.popErrorScope()).toBeNull();
      expect(Array.from(await readBack(dxb, 3))).toEqual([0, 0, 0]);
    } finally {
      r.destroy();
      [xb, dyb, dxb, noCopy].forEach((b) => b.destroy());
    }
  });
});

describe('checkCallerBuffers', () => {
  it('refuses exactly the buffers smaller than batch x width values of the storage type', async () => {
    await getTestDevice(); // GPUBufferUsage
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 97 }), fc.constantFrom('f32' as const, 'f16' as const), fc.integer({ min: 0, max: 120_000 }), (batch, width, storage, size) => {
        const fake = { size, usage: GPUBufferUsage.STORAGE, mapAsync() {} } as unknown as GPUBuffer;
        const needed = batch * width * (storage === 'f16' ? 2 : 4);
        let kind: string | undefined;
        try {
          checkCallerBuffers('p', 'encodeForward', batch, storage, [{ role: 'input (x)', buffer: fake, width }], { beginComputePass() {} });
        } catch (e) {
          kind = (e as MoncError).kind;
        }
        expect(kind).toBe(size < needed ? 'shape' : undefined);
      }),
    );
  });
});
