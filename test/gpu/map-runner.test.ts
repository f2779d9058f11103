/**
 * MapRunner end to end from structures: compiled by the IR pipeline, kernels emitted, run on the
 * WebGPU adapter (and the CPU backend) and compared with the float64 reference of SPEC §3.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { CheckedMap } from '../../src/dsl/structure.js';
import { MapRunner, ParamError, requestMoncDevice } from '../../src/runtime/node.js';
import { compileForTest } from '../support/compiled.js';
import { getTestDevice, getTestMoncDevice } from '../support/gpu.js';
import { randomArray, relativeError, rng } from '../support/programs.js';
import {
  bias,
  blockdiag,
  butterfly,
  chain,
  checkedMap,
  lowrank,
  monarch,
  monarchOrder,
  randomParams,
  randomStructure,
  SMALL_SIZES,
  sparse,
  sum,
  transpose,
} from '../ir/structures.js';
import { referenceApply, referenceDense } from '../support/reference.js';

const TOL = 1e-5;

async function runner(checked: CheckedMap, options: { backend?: 'webgpu' | 'cpu'; dtype?: 'f32' | 'f16' } = {}) {
  const compiled = compileForTest(checked, options.dtype ?? 'f32');
  const device = options.backend === 'cpu' ? undefined : await getTestDevice();
  const r = await MapRunner.create(compiled.map, compiled.wgsl, { ...options, ...(device ? { device } : {}) });
  const params = randomParams(checked.structure, rng(11));
  r.loadParams(params);
  return { runner: r, params, compiled };
}

async function expectMatchesReference(checked: CheckedMap, batch: number, options: { backend?: 'webgpu' | 'cpu'; dtype?: 'f32' | 'f16' } = {}, tol = TOL) {
  const { runner: r, params } = await runner(checked, options);
  try {
    const x = randomArray(batch * checked.in, rng(batch));
    const y = await r.forward(x, batch);
    expect(relativeError(y, referenceApply(checked.structure, params, x, batch))).toBeLessThan(tol);
  } finally {
    r.destroy();
  }
}

const MAPS: [string, CheckedMap][] = [
  ['monarch 16 -> 24', checkedMap('up', monarch(16, 24, 4))],
  ['monarch 24 -> 16', checkedMap('down', monarch(24, 16, 4))],
  ['monarch + bias', checkedMap('down', sum(monarch(36, 36, 6), bias(36)))],
  ['butterfly radix 2, 5 levels', checkedMap('mixer', butterfly(2, 5))],
  ['butterfly radix 3, decreasing', checkedMap('mixer', butterfly(3, 3, 'decreasing'))],
  ['monarch order 3', checkedMap('deep', monarchOrder([3, 4, 5]))],
  ['lowrank', checkedMap('adapt', lowrank(30, 18, 4))],
  ['sparse + lowrank', checkedMap('pf', sum(sparse(24, 24, 6, 4, [[0, 0], [0, 5], [1, 2], [3, 3], [3, 1]]), lowrank(24, 24, 3)))],
  ['raw monarch chain with transposes', checkedMap('raw', chain(transpose(6, 6), blockdiag(36, 36, 6), transpose(6, 6), blockdiag(36, 36, 6)))],
  ['bias only', checkedMap('b', bias(10))],
];

describe('MapRunner (webgpu) against the float64 reference', () => {
  it.each(MAPS)('%s', async (_name, checked) => {
    await expectMatchesReference(checked, 3);
  });

  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(...SMALL_SIZES), fc.constantFrom(...SMALL_SIZES), fc.constantFrom(1, 2, 5)], {
    numRuns: 10,
  })('random structures', async (seed, n, m, batch) => {
    await expectMatchesReference(checkedMap('r', randomStructure(rng(seed), n, m, 2)), batch);
  });
});

describe('MapRunner (cpu)', () => {
  it.each(MAPS.slice(0, 4))('%s', async (_name, checked) => {
    await expectMatchesReference(checked, 2, { backend: 'cpu' });
  });
});

describe('MapRunner API', () => {
  const checked = checkedMap('down', sum(monarch(24, 16, 4), bias(16)));

  it('dense() is the linear part (bias excluded)', async () => {
    const { runner: r, params } = await runner(checked);
    try {
      expect(r.backend).toBe('webgpu');
      expect(relativeError(await r.dense(), referenceDense(checked.structure, params))).toBeLessThan(TOL);
    } finally {
      r.destroy();
    }
  });

  it('reuses and grows its buffers across batch sizes', async () => {
    const { runner: r, params } = await runner(checked);
    try {
      for (const batch of [1, 7, 2, 9, 9]) {
        const x = randomArray(batch * 24, rng(100 + batch));
        expect(relativeError(await r.forward(x), referenceApply(checked.structure, params, x, batch))).toBeLessThan(TOL);
      }
    } finally {
      r.destroy();
    }
  });

  it('concurrent forward calls each get their own result', async () => {
    const { runner: r, params } = await runner(checked);
    try {
      const xs = [3, 1, 4].map((b) => randomArray(b * 24, rng(200 + b)));
      const ys = await Promise.all(xs.map((x) => r.forward(x)));
      ys.forEach((y, i) => expect(relativeError(y, referenceApply(checked.structure, params, xs[i], xs[i].length / 24))).toBeLessThan(TOL));
    } finally {
      r.destroy();
    }
  });

  it('encodeForward records into the caller’s encoder', async () => {
    const device = await getTestDevice();
    const { runner: r } = await runner(checked);
    const batch = 5;
    const x = randomArray(batch * 24, rng(5));
    const xBuf = device.createBuffer({ size: x.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    const yBuf = device.createBuffer({ size: batch * 16 * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: batch * 16 * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      device.queue.writeBuffer(xBuf, 0, x);
      const encoder = device.createCommandEncoder();
      r.encodeForward(encoder, xBuf, yBuf, batch);
      encoder.copyBufferToBuffer(yBuf, 0, read, 0, batch * 16 * 4);
      device.queue.submit([encoder.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const y = new Float32Array(read.getMappedRange().slice(0));
      read.unmap();
      expect(relativeError(y, await r.forward(x))).toBeLessThan(1e-7);
    } finally {
      r.destroy();
      [xBuf, yBuf, read].forEach((b) => b.destroy());
    }
  });

  it('rejects inputs of the wrong size, missing parameters and use before loadParams', async () => {
    const compiled = compileForTest(checked);
    const r = await MapRunner.create(compiled.map, compiled.wgsl, { device: await getTestDevice() });
    try {
      expect(r.in).toBe(24);
      expect(r.out).toBe(16);
      await expect(r.forward(new Float32Array(24))).rejects.toThrow(/loadParams/);
      expect(() => r.loadParams({ 'down.0.blkdiag1': new Float32Array(4 * 6 * 6) })).toThrow(ParamError);
      r.loadParams(randomParams(checked.structure, rng(1)));
      await expect(r.forward(new Float32Array(25))).rejects.toThrow(/whole number of rows/);
      await expect(r.forward(new Float32Array(48), 3)).rejects.toThrow(/expected batch 3 x 24/);
      expect(await r.forward(new Float32Array(0))).toEqual(new Float32Array(0));
    } finally {
      r.destroy();
    }
    await expect(r.forward(new Float32Array(24))).rejects.toThrow(/destroyed/);
  });

  it('describes its adapter', async () => {
    const { runner: r } = await runner(checked);
    r.destroy();
    expect(r.adapterDescription).toBe((await getTestMoncDevice()).adapterDescription);
    expect(r.adapterDescription.length).toBeGreaterThan(0);
  });
});

describe('dtype f16', () => {
  const checked = checkedMap('h', sum(monarch(16, 16, 4), bias(16)));

  it('emits f16 storage', () => {
    const { wgsl } = compileForTest(checked, 'f16');
    expect(wgsl).toMatch(/^enable f16;$/m);
    expect(wgsl).toContain('array<f16>');
  });

  it('runs within the f16 tolerance (f32 kernels when the adapter lacks shader-f16)', async () => {
    // SwiftShader has no shader-f16: this exercises the fallback there and real f16 elsewhere.
    await expectMatchesReference(checked, 3, { dtype: 'f16' }, 3e-3);
  });
});

describe('failures are errors, never hangs', () => {
  it('an invalid kernel rejects with the WGSL compiler message', async () => {
    const compiled = compileForTest(checkedMap('bad', lowrank(8, 8, 2)));
    const broken = compiled.wgsl.replace(/let x_base = /, 'let x_base: f32 = ');
    const error = await MapRunner.create(compiled.map, broken, { device: await getTestDevice() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/invalid WGSL:\n\d+:\d+: error: .*\n\s+let x_base: f32 = /);
  });

  it('a lost device rejects forward() instead of hanging', async () => {
    const own = await requestMoncDevice();
    const checked = checkedMap('l', lowrank(8, 8, 2));
    const compiled = compileForTest(checked);
    const r = await MapRunner.create(compiled.map, compiled.wgsl, { device: own.device });
    r.loadParams(randomParams(checked.structure, rng(3)));
    own.device.destroy();
    await expect(r.forward(new Float32Array(8))).rejects.toThrow(/lost|destroyed/i);
    await own.device.lost;
    await expect(r.forward(new Float32Array(8))).rejects.toThrow(/device lost/);
  });
});
