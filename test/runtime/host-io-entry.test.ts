/**
 * The host I/O for many batches is opt-in (`monc/runtime/host-io`), like training and the CPU
 * executor: this file imports the browser-safe runtime, Dawn and the CPU entry only, so
 * `createStaging` and a finite `chunkRows` reject with a one-line user error naming the import
 * (on both backends: a page must not work on one machine and fail on another), while
 * `forward(x)`, `forward(x, { out })` and `chunkRows: Infinity` run, and a batch over the device's
 * buffer limits is refused naming it too. Once the file imports the
 * entry, the same runners' stagings and pipelined forward match the float64 reference.
 */
import { describe, expect, it } from 'vitest';
import '../../src/runtime/cpu.js';
import '../../src/runtime/node-device.js';
import { MapRunner, requestMoncDevice, type Backend } from '../../src/runtime/index.js';
import { bias, checkedMap, monarch, randomParams, rng, sum } from '../ir/structures.js';
import { randomArray, relativeError } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';
import { compileModuleForTest } from '../training/compile.js';
import { userErrorOf } from '../support/user-error.js';
import { checkSource } from '../../src/dsl/index.js';
import { dawnProvider } from '../../src/runtime/node-device.js';
import { compileForTest } from '../support/compiled.js';

// Not a power of two, rectangular, with a bias: 15 -> 10 in 5 blocks.
const checked = checkedMap('m', sum(monarch(15, 10, 5), bias(10)));
const compiled = compileModuleForTest(checked);
const map = compiled.manifest.maps[0];
const params = randomParams(checked.structure, rng(11));
const batch = 7;
const x = randomArray(batch * checked.in, rng(12));
const want = referenceApply(checked.structure, params, x, batch);
const MISSING = "needs monc/runtime/host-io: add import 'monc/runtime/host-io'; to the page once";
/** f32 on the device against float64: a few roundings per output. */
const TOLERANCE = 1e-5;

/** A runner with its parameters, and its device on webgpu. */
async function runner(backend: Backend): Promise<{ r: MapRunner; device: GPUDevice | undefined }> {
  const device = backend === 'webgpu' ? (await requestMoncDevice()).device : undefined;
  const r = await MapRunner.create(map, compiled.wgsl, { backend, ...(device ? { device } : {}) });
  expect(r.backend).toBe(backend);
  r.loadParams(params);
  return { r, device };
}

/** Labels of the buffers `device` (none: the cpu backend) creates while `body` runs. */
async function bufferLabels(device: GPUDevice | undefined, body: () => Promise<void>): Promise<string[]> {
  if (!device) return body().then(() => []);
  const labels: string[] = [];
  const createBuffer = device.createBuffer;
  device.createBuffer = function (this: GPUDevice, d: GPUBufferDescriptor) {
    labels.push(d.label ?? '');
    return createBuffer.call(this, d);
  };
  try {
    await body();
  } finally {
    device.createBuffer = createBuffer;
  }
  return labels;
}


const BACKENDS = ['webgpu', 'cpu'] as const;

// Both backends without the entry first: the second describe imports it for the rest of the file.
describe('without monc/runtime/host-io', () => {
  it.each(BACKENDS)('%s: forward runs (also into out, and chunkRows Infinity); createStaging and a finite chunkRows name the import', async (backend) => {
    const { r, device } = await runner(backend);
    try {
      expect(relativeError(await r.forward(x, batch), want)).toBeLessThan(TOLERANCE);
      const out = new Float32Array(batch * checked.out);
      expect(await r.forward(x, { batch, out, chunkRows: Infinity })).toBe(out);
      expect(relativeError(out, want)).toBeLessThan(TOLERANCE);
      expect((await userErrorOf(() => r.createStaging(batch))).message).toBe(`map 'm': createStaging ${MISSING} (in Node, import 'monc/runtime/node' loads it)`);
      expect((await userErrorOf(() => r.forward(x, { batch, chunkRows: 3 }))).message).toContain(`map 'm': forward's chunkRows ${MISSING}`);
      // A bad chunkRows too: the entry checks the value (its check is not in every page, session 12: page bytes).
      expect((await userErrorOf(() => r.forward(x, { batch, chunkRows: 0 }))).message).toContain(`map 'm': forward's chunkRows ${MISSING}`);
    } finally {
      r.destroy();
      device?.destroy();
    }
  });
});

describe('without monc/runtime/host-io, a batch over what one pass may bind', () => {
  it('is refused naming the import (it runs in chunks through the entry: test/gpu/batch-chunks.test.ts)', async () => {
    const { module } = checkSource('module wide\nmap w : 16 -> 2^21 = lowrank(rank: 1)\n', 'wide.mon');
    const compiled = compileForTest(module!.maps[0]);
    const { adapter } = await dawnProvider.requestAdapter();
    const device = await adapter!.requestDevice(); // default limits: 128 MiB per binding, 16 rows of 2^21 f32 (the buffer's 16-byte padding counts once, QA s20 Q90)
    const wide = await MapRunner.create(compiled.map, compiled.wgsl, { device });
    try {
      wide.loadParams(new Map([['w.U', new Float32Array(2 ** 21)], ['w.V', new Float32Array(16)]]));
      const x = new Float32Array(17 * 16);
      expect((await userErrorOf(() => wide.forward(x, 17))).message).toBe(`map 'w': a batch of 17 rows (this device's buffers take 16 per pass) ${MISSING} (in Node, import 'monc/runtime/node' loads it)`);
      expect(Array.from((await wide.forward(x.subarray(0, 16), 1)).subarray(0, 4))).toEqual([0, 0, 0, 0]);
    } finally {
      wide.destroy();
      device.destroy();
    }
  });
});

describe('with monc/runtime/host-io', () => {
  it.each(BACKENDS)('%s: a staging and the pipelined forward match the float64 reference; a bad chunkRows is named', async (backend) => {
    await import('../../src/runtime/host-io-entry.js');
    const { r, device } = await runner(backend);
    try {
      const staging = r.createStaging(batch);
      (await staging.input(batch)).set(x);
      expect(relativeError(await staging.run(), want)).toBeLessThan(TOLERANCE);
      // 7 rows in chunks of 3: two full chunks and one of a single row.
      const labels = await bufferLabels(device, async () => {
        expect(relativeError(await r.forward(x, { batch, chunkRows: 3 }), want)).toBeLessThan(TOLERANCE);
      });
      // On webgpu it ran through the entry's ring: three stagings of upload, x, y and readback.
      if (backend === 'webgpu') expect(labels.filter((l) => l === 'monc staging upload').length).toBe(3);
      // The entry checks a finite chunkRows, on either backend.
      expect((await userErrorOf(() => r.forward(x, { batch, chunkRows: 0 }))).message).toBe("map 'm': chunkRows must be a positive whole number of rows or Infinity, got 0");
    } finally {
      r.destroy();
      device?.destroy();
    }
  });
});
