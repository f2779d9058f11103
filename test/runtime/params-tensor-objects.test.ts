/**
 * loadParams takes tensor objects `{ shape, data }` as values too: what readSafetensors returns
 * (and exportOnnx and the converters take), in its Map or as an object (QA2 s11 B2: "has undefined
 * elements"). Their shape must be the map's (the same ParamError as safetensors bytes of another
 * shape); an F64 file's data loads like its F32 one. On both backends, against the float64
 * reference.
 */
import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '../../src/runtime/formats/safetensors.js';
import { MapRunner, type Backend } from '../../src/runtime/map-runner.js';
import { bias, checkedMap, monarch, randomParams, rng, sum } from '../ir/structures.js';
import { getTestDevice } from '../support/gpu.js';
import { randomArray, relativeError } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';
import { expectMoncError } from '../support/user-error.js';
import { compileModuleForTest } from '../training/compile.js';

const checked = checkedMap('m', sum(monarch(12, 18, 3), bias(18)));
const compiled = compileModuleForTest(checked);
const map = compiled.manifest.maps[0];
const params = new Map([...randomParams(checked.structure, rng(41))].map(([k, v]) => [k, Float32Array.from(v)]));
const file = readSafetensors(writeSafetensors(new Map(map.params.map((e) => [e.name, { shape: e.shape, data: params.get(e.name)! }])), { dtype: 'F32' }));
const batch = 3;
const x = randomArray(batch * 12, rng(42));
const want = referenceApply(checked.structure, params, x, batch);

describe.each(['webgpu', 'cpu'] as Backend[])('loadParams with tensor objects on %s', (backend) => {
  async function runner(): Promise<MapRunner> {
    return MapRunner.create(map, compiled.wgsl, { backend, ...(backend === 'webgpu' ? { device: await getTestDevice() } : {}) });
  }

  it("readSafetensors' tensors, as its Map and as an object, run like the float64 reference", async () => {
    const r = await runner();
    const js = r as unknown as { loadParams(p: unknown): void };
    try {
      js.loadParams(file.tensors);
      expect(relativeError(await r.forward(x, batch), want)).toBeLessThan(1e-5);
      r.loadParams(Object.fromEntries([...params].map(([k, v]) => [k, new Float32Array(v.length)])));
      js.loadParams(Object.fromEntries(file.tensors));
      expect(relativeError(await r.forward(x, batch), want)).toBeLessThan(1e-5);
      // Float64 data (an F64 file's), beside plain arrays of other tensors.
      const [first, ...rest] = map.params;
      js.loadParams(new Map<string, unknown>([[first.name, { shape: first.shape, data: Float64Array.from(params.get(first.name)!) }], ...rest.map((e) => [e.name, params.get(e.name)!] as const)]));
      expect(relativeError(await r.forward(x, batch), want)).toBeLessThan(1e-5);
    } finally {
      r.destroy();
    }
  });

  it('a tensor object of another shape (same element count) is the ParamError safetensors bytes of that shape get', async () => {
    const r = await runner();
    const js = r as unknown as { loadParams(p: unknown): void };
    try {
      const first = map.params[0];
      const count = first.shape.reduce((a, b) => a * b, 1);
      const wrong = new Map(file.tensors);
      wrong.set(first.name, { dtype: 'F32', shape: [count], data: params.get(first.name)! });
      const expected = `parameter tensor '${first.name}' has shape (${count},); expected (${first.shape.join(', ')})`;
      await expectMoncError(() => js.loadParams(wrong), 'param', expected);
      const bytes = writeSafetensors(new Map([...wrong].map(([k, t]) => [k, { shape: t.shape, data: t.data }])), { dtype: 'F32' });
      await expectMoncError(() => r.loadParams(bytes), 'param', expected);
      // Nothing was loaded by the refusals.
      await expectMoncError(() => r.forward(x, batch), 'user', 'call loadParams() before running it');
    } finally {
      r.destroy();
    }
  });
});
