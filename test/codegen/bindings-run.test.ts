/**
 * The generated bindings run: the file monc writes is imported as is (its runtime import pointed at
 * the runtime's sources) and every map's forward pass and dense matrix match the float64
 * reference, on the CPU backend and on WebGPU; `project` loads the projection of a dense W.
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ManifestMap } from '../../src/manifest/types.js';
import { mapNames } from '../../src/codegen/ts/names.js';
import { compileModule } from '../../src/compile.js';
import { paramsOf } from '../../src/dsl/params.js';
import type { CheckedModule } from '../../src/dsl/structure.js';
import { writeSafetensors } from '../../src/runtime/formats/index.js';
import { initParams } from '../../src/runtime/init.js';
import { ProjectionError, projectInto } from '../../src/project/index.js';
import { isMoncError } from '../../src/util/error.js';
import type { TypedMapOptions, TypedMap } from '../../src/runtime/typed-map.js';
import { getTestDevice } from '../support/gpu.js';
import { TINY_SOURCE } from './tiny-module.js';
import { scratchDir } from '../support/typescript.js';
import { referenceApply, referenceDense } from '../support/reference.js';
import { relativeError } from '../support/programs.js';

interface GeneratedMap {
  readonly in: number;
  readonly out: number;
  readonly manifest: ManifestMap;
  readonly paramShapes: Readonly<Record<string, readonly number[]>>;
  create(options?: TypedMapOptions): Promise<TypedMap<Record<string, Float32Array>>>;
}

const TOLERANCE = 1e-5; // SPEC §6, f32


function randomInput(length: number, seed: number): Float32Array<ArrayBuffer> {
  let s = seed;
  return Float32Array.from({ length }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1);
}

/** X Wᵀ for X (batch, n) and W (m, n), row-major, in float64. */
function timesTransposed(x: ArrayLike<number>, w: ArrayLike<number>, batch: number): Float64Array {
  const n = x.length / batch;
  const m = w.length / n;
  const y = new Float64Array(batch * m);
  for (let b = 0; b < batch; b++) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) y[b * m + i] += x[b * n + j] * w[i * n + j];
  return y;
}

let module: CheckedModule;
let generated: Record<string, GeneratedMap>;
const dir = scratchDir('run');

beforeAll(async () => {
  const runtime = fileURLToPath(new URL('../../src/runtime/index.js', import.meta.url));
  const result = compileModule(TINY_SOURCE, 'tiny.mon', { runtimeImport: relative(dir, runtime) });
  module = result.module!;
  writeFileSync(`${dir}/tiny.ts`, result.outputs!.ts);
  const exports = (await import(/* @vite-ignore */ pathToFileURL(`${dir}/tiny.ts`).href)) as Record<string, GeneratedMap>;
  generated = Object.fromEntries(
    mapNames(module.maps.map((m) => m.name)).map(({ map, className }) => {
      expect(exports[map], `export '${map}' is the class ${className}`).toBe(exports[className]);
      return [map, exports[className]];
    }),
  );
});

const backends: [string, () => Promise<TypedMapOptions>][] = [
  ['cpu', async () => ({ backend: 'cpu' })],
  ['webgpu', async () => ({ backend: 'webgpu', device: await getTestDevice() })],
];

describe.each(backends)('generated bindings on %s', (_backend, options) => {
  it('run every map like the float64 reference, batch 1 and 5', async () => {
    for (const [index, checked] of module.maps.entries()) {
      const Bound = generated[checked.name];
      expect([Bound.in, Bound.out]).toEqual([checked.in, checked.out]);
      const tensors = initParams(paramsOf(checked.structure), 7 + index);
      expect(Object.fromEntries([...tensors].map(([n, t]) => [n, [...Bound.paramShapes[n]]]))).toEqual(
        Object.fromEntries(paramsOf(checked.structure).map((p) => [p.name, p.shape])),
      );
      const instance = await Bound.create(await options());
      try {
        instance.loadParams(Object.fromEntries(tensors));
        for (const batch of [1, 5]) {
          const x = randomInput(batch * Bound.in, 100 * index + batch);
          const y = await instance.forward(x, batch);
          const error = relativeError(y, referenceApply(checked.structure, tensors, x, batch));
          expect(error, `${checked.name}, batch ${batch}`).toBeLessThanOrEqual(TOLERANCE);
        }
        expect(relativeError(await instance.dense(), referenceDense(checked.structure, tensors))).toBeLessThanOrEqual(TOLERANCE);
      } finally {
        instance.destroy();
      }
    }
  });

  it('load parameters from safetensors bytes', async () => {
    const checked = module.maps.find((m) => m.name === 'adapt')!;
    const tensors = initParams(paramsOf(checked.structure), 3);
    const bytes = writeSafetensors(new Map([...tensors].map(([name, data]) => [name, { shape: generated.adapt.paramShapes[name], data }])));
    const instance = await generated.adapt.create(await options());
    try {
      instance.loadParams(bytes);
      const x = randomInput(2 * checked.in, 11);
      expect(relativeError(await instance.forward(x, 2), referenceApply(checked.structure, tensors, x, 2))).toBeLessThanOrEqual(TOLERANCE);
      // U (16, 3) saved as (3, 16): the right number of values, the wrong layout.
      const transposed = writeSafetensors(new Map([...tensors].map(([name, data]) => [name, { shape: name === 'adapt.0.U' ? [3, 16] : generated.adapt.paramShapes[name], data }])));
      expect(() => instance.loadParams(transposed)).toThrow(/'adapt\.0\.U' has shape \(3, 16\); expected \(16, 3\)/);
    } finally {
      instance.destroy();
    }
  });

  it('project a dense W, load the parameters found, and then run that M', async () => {
    const checked = module.maps.find((m) => m.name === 'up')!;
    const instance = await generated.up.create(await options());
    try {
      // W in the structure (float64 here, float32 below): the projection gives it back, and forward applies it.
      const w = Float64Array.from(referenceDense(checked.structure, initParams(paramsOf(checked.structure), 21)));
      const exact = projectInto(instance, w);
      expect(exact).toMatchObject({ optimal: true, paramCount: 4 * 4 * 4 + 4 * 8 * 4, denseParamCount: 32 * 16 });
      expect(exact.relativeError).toBeLessThanOrEqual(TOLERANCE);
      expect(Object.keys(exact.params).sort()).toEqual(Object.keys(generated.up.paramShapes).sort());
      const x = randomInput(3 * checked.in, 17);
      expect(relativeError(await instance.forward(x, 3), timesTransposed(x, w, 3))).toBeLessThanOrEqual(TOLERANCE);

      // W outside the structure: forward applies the projected M, which is ‖W − M‖ / ‖W‖ away from W.
      const far = randomInput(checked.out * checked.in, 23);
      const fit = projectInto(instance, far);
      const m = referenceDense(checked.structure, new Map(Object.entries(fit.params)));
      expect(relativeError(m, far)).toBeCloseTo(fit.relativeError, 5);
      expect(fit.relativeError).toBeGreaterThan(0.1);
      expect(relativeError(await instance.forward(x, 3), timesTransposed(x, m, 3))).toBeLessThanOrEqual(TOLERANCE);

      // A W of the wrong size throws and leaves the loaded parameters as they were.
      expect(() => projectInto(instance, new Float64Array(checked.out * checked.in + 1))).toThrow(ProjectionError);
      expect(relativeError(await instance.forward(x, 3), timesTransposed(x, m, 3))).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      instance.destroy();
    }
  });
});

describe('generated bindings on the caller\'s device', () => {
  it('record the forward pass on the caller\'s encoder', async () => {
    const device = await getTestDevice();
    const checked = module.maps.find((m) => m.name === 'pf')!;
    const tensors = initParams(paramsOf(checked.structure), 5);
    const instance = await generated.pf.create({ device });
    const batch = 3;
    const x = randomInput(batch * checked.in, 9);
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    const xBuffer = device.createBuffer({ size: x.byteLength, usage });
    const yBuffer = device.createBuffer({ size: batch * checked.out * 4, usage });
    const readBuffer = device.createBuffer({ size: yBuffer.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      instance.loadParams(Object.fromEntries(tensors));
      device.queue.writeBuffer(xBuffer, 0, x);
      const encoder = device.createCommandEncoder();
      instance.encodeForward(encoder, xBuffer, yBuffer, batch);
      encoder.copyBufferToBuffer(yBuffer, 0, readBuffer, 0, readBuffer.size);
      device.queue.submit([encoder.finish()]);
      await readBuffer.mapAsync(GPUMapMode.READ);
      const y = new Float32Array(readBuffer.getMappedRange().slice(0));
      readBuffer.unmap();
      expect(relativeError(y, referenceApply(checked.structure, tensors, x, batch))).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      [xBuffer, yBuffer, readBuffer].forEach((b) => b.destroy());
      instance.destroy();
    }
  });
});

describe("a generated class's create() with options that are not an object (JavaScript callers)", () => {
  it("is refused by name, not spread into an object that runs on WebGPU ('cpu' as { 0: 'c', … })", async () => {
    for (const wrong of ['cpu', 'webgpu', 7]) {
      const error = await generated.up.create(wrong as never).then(
        (made) => (made.destroy(), undefined),
        (e: unknown) => e,
      );
      expect(isMoncError(error, 'user'), `create(${JSON.stringify(wrong)})`).toBe(true);
      expect((error as Error).message).toMatch(/options must be an object/);
    }
    // No options, and null (as MapRunner.create takes it), still create.
    for (const none of [undefined, null]) (await generated.up.create(none as never)).destroy();
  });
});
