/**
 * projectInto reports on the parameters as its runner stores them: f16 where the runner's kernel
 * set has f16 storage (an f16 module on an adapter with shader-f16), f32 elsewhere (the cpu
 * backend, the f32-storage set). The f16 runner is the cpu runner of an f16 module seen through a
 * kernel set with f16 storage, as on such an adapter (SwiftShader has no shader-f16).
 */
import { describe, expect, it } from 'vitest';
import { ProjectionError } from '../../src/project/errors.js';
import { projectInto } from '../../src/project/index.js';
import { roundToStorage } from '../../src/project/storage.js';
import '../../src/runtime/cpu.js';
import '../../src/runtime/training.js';
import { MapRunner, type RunnerKernelSet } from '../../src/runtime/map-runner.js';
import { TypedMap } from '../../src/runtime/typed-map.js';
import { checkedMap, monarch, randomParams, rng } from '../ir/structures.js';
import { compileForTest } from '../support/compiled.js';
import { referenceDense } from '../support/reference.js';

class Typed extends TypedMap<Record<string, Float32Array>> {
  constructor(runner: MapRunner) {
    super(runner);
  }
}

const checked = checkedMap('m', monarch(16, 16, 4));
const compiled = compileForTest(checked, 'f16');
/** W in the structure: its f32 projection is exact to rounding, its f16 one ~1e-4 off. */
const w = referenceDense(checked.structure, randomParams(checked.structure, rng(9)));

function relativeDistance(params: Record<string, Float32Array>): number {
  const m = referenceDense(checked.structure, new Map(Object.entries(params)));
  let num = 0;
  let den = 0;
  for (let i = 0; i < w.length; i++) {
    num += (m[i] - w[i]) ** 2;
    den += w[i] ** 2;
  }
  return Math.sqrt(num / den);
}

async function typed(storage: RunnerKernelSet['storage'] | undefined): Promise<Typed> {
  const runner = await MapRunner.create(compiled.map, compiled.wgsl, { backend: 'cpu', dtype: 'f16' });
  if (storage === undefined) return new Typed(runner);
  const kernelSet: RunnerKernelSet = { name: 'portable', storage, kernels: [] };
  // The runner seen through another kernel set: every other member is the runner's own, read and
  // called with the runner itself as `this` (MapRunner keeps its state in #-private fields).
  const seen = new Proxy(runner, {
    get(target, key) {
      if (key === 'kernelSet') return kernelSet;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return new Typed(seen);
}

describe('projectInto stores and reports as the runner does', () => {
  it('a runner with f16 storage: f16 values, and the error and claim of those', async () => {
    const fit = projectInto(await typed('f16'), w);
    for (const values of Object.values(fit.params)) for (const v of values) expect(roundToStorage(v, 'f16')).toBe(v);
    expect(fit.relativeError).toBeGreaterThan(1e-5);
    expect(Math.abs(fit.relativeError - relativeDistance(fit.params))).toBeLessThan(1e-9);
    expect(fit.optimal).toBe(true);
  });

  it('the cpu backend (no kernel set) and an f32-storage set: f32 values, exact to f32 rounding', async () => {
    for (const instance of [await typed(undefined), await typed('f32')]) {
      const fit = projectInto(instance, w);
      expect(fit.relativeError).toBeLessThan(1e-6);
      expect(Math.abs(fit.relativeError - relativeDistance(fit.params))).toBeLessThan(1e-9);
    }
  });

  it('an explicit storage wins', async () => {
    expect(projectInto(await typed('f16'), w, { storage: 'f32' }).relativeError).toBeLessThan(1e-6);
  });

  it('a misspelt option name is a user error naming the call, not the default silently (QA2 s13 R22: { Storage } skipped the f16 rounding)', async () => {
    expect(() => projectInto({ runner: { map: {} } } as never, w, { Storage: 'f32' } as never)).toThrow(
      expect.objectContaining({ kind: 'user', message: "projectInto() has no option 'Storage' (its options are seed, maxRounds, powerIterations, storage, precision)" }),
    );
    expect(() => projectInto({ runner: { map: {} } } as never, w, 3 as never)).toThrow(expect.objectContaining({ kind: 'user', message: 'projectInto() takes its options as an object { seed, maxRounds, powerIterations, storage, precision }, not 3' }));
  });
});

describe('projectInto of a W whose projection an f16 module cannot hold', () => {
  it('is a ProjectionError naming the value, whatever storage the kernel set has (R6, QA2 s12: the f32-storage set gave the loader\'s ValueRangeError), and loads nothing', async () => {
    const huge = w.map((v) => v * 1e10);
    for (const storage of ['f16', 'f32', undefined] as const) {
      const instance = await typed(storage);
      projectInto(instance, w);
      const before = await instance.runner.saveParams();
      let error: unknown;
      try {
        projectInto(instance, huge);
      } catch (e) {
        error = e;
      }
      expect(error, String(storage)).toBeInstanceOf(ProjectionError);
      expect((error as ProjectionError).message, String(storage)).toMatch(/^the projected parameter tensor '.+' holds .+ beyond the f16 range ±65504 of this f16 module; scale W down$/);
      expect(await instance.runner.saveParams(), 'the parameters stay as they were').toEqual(before);
    }
  });
});
