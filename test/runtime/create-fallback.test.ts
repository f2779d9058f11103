/**
 * MapRunner.create without a backend: WebGPU when an adapter exists, the CPU executor otherwise
 * (saying so once per process), while an explicit `backend: 'webgpu'` still rejects. This file
 * imports the browser-safe runtime only; the "no adapter" platform is a provider that finds none
 * (Node 20 has no navigator.gpu), and Dawn is registered only for the last test. The CPU
 * executor is opt-in (`monc/runtime/cpu`): the first tests run before this file imports it.
 */
import { fc, test } from '@fast-check/vitest';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MapRunner, MoncError, NoAdapterError, registerGpuProvider } from '../../src/runtime/index.js';
import { compileForTest } from '../support/compiled.js';
import { randomArray, relativeError } from '../support/programs.js';
import { checkedMap, monarch, randomParams, randomStructure, rng, SMALL_SIZES } from '../ir/structures.js';
import { referenceApply } from '../support/reference.js';

const TOL = 1e-5;
const STUB_REASON = 'the stub platform has no adapter';

registerGpuProvider({ requestAdapter: async () => ({ adapter: null, note: STUB_REASON }) });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('without monc/runtime/cpu imported', () => {
  it('create() rejects with NoAdapterError that names the import giving the CPU fallback', async () => {
    const { map, wgsl } = compileForTest(checkedMap('m', monarch(12, 6, 3)));
    const error = await MapRunner.create(map, wgsl).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoAdapterError);
    expect((error as Error).message).toBe(`no WebGPU adapter: ${STUB_REASON}; import 'monc/runtime/cpu' to fall back to the CPU executor`);
  });

  it("create({ backend: 'cpu' }) rejects with a one-line user error naming monc/runtime/cpu", async () => {
    const { map, wgsl } = compileForTest(checkedMap('m', monarch(12, 6, 3)));
    const error = await MapRunner.create(map, wgsl, { backend: 'cpu' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MoncError);
    expect((error as MoncError).kind).toBe('user');
    expect((error as Error).message).toBe("map 'm': the cpu backend needs monc/runtime/cpu: add import 'monc/runtime/cpu'; to the page once (in Node, import 'monc/runtime/node' loads it)");
  });
});

describe('MapRunner.create on a platform without a WebGPU adapter', () => {
  beforeAll(async () => {
    await import('../../src/runtime/cpu.js');
  });

  it('has no navigator.gpu here, so the registered provider decides', () => {
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined();
  });

  it('runs on the CPU with a note when no backend is asked for, and warns once per process', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { map, wgsl } = compileForTest(checkedMap('m', monarch(12, 6, 3)));
    const first = await MapRunner.create(map, wgsl);
    const second = await MapRunner.create(map, wgsl);
    for (const runner of [first, second]) {
      expect(runner.backend).toBe('cpu');
      expect(runner.note).toBe(`no WebGPU adapter: ${STUB_REASON}; running on the CPU executor`);
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toBe(`monc: no WebGPU adapter: ${STUB_REASON}; running on the CPU executor`);
  });

  it('rejects with NoAdapterError when webgpu is asked for explicitly', async () => {
    const { map, wgsl } = compileForTest(checkedMap('m', monarch(12, 6, 3)));
    await expect(MapRunner.create(map, wgsl, { backend: 'webgpu' })).rejects.toBeInstanceOf(NoAdapterError);
  });

  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(...SMALL_SIZES), fc.constantFrom(...SMALL_SIZES), fc.integer({ min: 1, max: 5 })], { numRuns: 12 })(
    'the fallback runner computes the float64 reference (random structures, rectangular, batch 1..5)',
    async (seed, n, m, batch) => {
      vi.spyOn(console, 'warn').mockImplementation(() => {});
      const random = rng(seed);
      const checked = checkedMap('r', randomStructure(random, n, m, 2));
      const { map, wgsl } = compileForTest(checked);
      const runner = await MapRunner.create(map, wgsl);
      const params = randomParams(checked.structure, random);
      runner.loadParams(params);
      const x = randomArray(batch * n, random);
      const y = await runner.forward(x, batch);
      expect(runner.backend).toBe('cpu');
      expect(relativeError(y, referenceApply(checked.structure, params, x, batch))).toBeLessThan(TOL);
    },
  );
});

describe('MapRunner.create once an adapter exists', () => {
  it('uses WebGPU without being asked', async () => {
    await import('../../src/runtime/node-device.js'); // registers Dawn in place of the stub
    const checked = checkedMap('m', monarch(12, 6, 3));
    const { map, wgsl } = compileForTest(checked);
    const runner = await MapRunner.create(map, wgsl);
    try {
      expect(runner.backend).toBe('webgpu');
      const params = randomParams(checked.structure, rng(5));
      runner.loadParams(params);
      const x = randomArray(3 * 12, rng(6));
      expect(relativeError(await runner.forward(x, 3), referenceApply(checked.structure, params, x, 3))).toBeLessThan(TOL);
    } finally {
      runner.destroy();
    }
  });
});
