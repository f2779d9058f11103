/**
 * An f16 module on an adapter without shader-f16 runs the f32-storage kernel set its build
 * shipped, forward and backward, against the float64 reference; the runner reaches nothing of
 * the compiler (esbuild's import graph of map-runner.ts, dynamic imports included); a manifest of
 * an older monc with its f32 kernels in `fallback` still runs them; and one without them (or
 * without a backward section) is refused with a format error that says to rebuild, not
 * re-derived at run time.
 */
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import { compileKernels, type KernelOutputs } from '../../src/compile-kernels.js';
import { paramsOf } from '../../src/dsl/params.js';
import type { ManifestMap } from '../../src/manifest/types.js';
import { FormatError } from '../../src/runtime/formats/format-error.js';
import { expectMoncError } from '../support/user-error.js';
import { initParams } from '../../src/runtime/init.js';
import { dawnProvider, MapRunner } from '../../src/runtime/node.js';
import { randomArray, relativeError, rng } from '../support/programs.js';
import { referenceApply, referenceBackward } from '../support/reference.js';
import { olderManifestMap } from '../support/kernel-sets.js';

const SOURCE = `module half
dtype f16
map up  : 24 -> 36 = monarch(nblocks: 3) + bias()
map mix : 24 -> 16 = lowrank(rank: 3) @ up
`;

/**
 * With f32 storage the parameters (f16-representable after loadParams' range check) and the
 * activations stay f32 on the device: the results are f32-accurate, far inside the f16 module's
 * 3e-3, which also shows the f16 kernels did not run.
 */
const F32_TOL = 1e-5;

function build(): KernelOutputs & { module: NonNullable<ReturnType<typeof compileKernels>['module']> } {
  const result = compileKernels(SOURCE, 'half.mon');
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return { ...result.outputs!, module: result.module! };
}

/** A device without shader-f16 on the test adapter (a fresh adapter: each serves one device). */
async function deviceWithoutF16(): Promise<GPUDevice> {
  const { adapter } = await dawnProvider.requestAdapter({});
  if (!adapter) throw new Error('GPU tests need a WebGPU adapter');
  const device = await adapter.requestDevice({ label: 'monc test without shader-f16' });
  expect(device.features.has('shader-f16')).toBe(false);
  return device;
}

describe('an f16 module on an adapter without shader-f16', () => {
  it('runs the shipped f32-storage kernels, forward and backward, against the float64 reference', async () => {
    const built = build();
    const device = await deviceWithoutF16();
    try {
      // `mix` runs `up`'s kernels too (tied parameters: their gradients sum over both uses).
      for (const checked of built.module.maps.filter((m) => m.name === 'mix')) {
        const map = built.manifest.maps.find((m) => m.name === checked.name)!;
        const runner = await MapRunner.create(map, built.wgsl, { device, dtype: 'f16' });
        try {
          expect(runner.kernelSet?.name, 'the first set this device can run').toBe('f32-storage');
          expect(runner.kernelSet?.storage).toBe('f32');
          const params = initParams(paramsOf(checked.structure), 7);
          runner.loadParams(params);
          for (const batch of [1, 5]) {
            const x = randomArray(batch * checked.in, rng(batch));
            expect(relativeError(await runner.forward(x, batch), referenceApply(checked.structure, params, x, batch)), `${checked.name} forward, batch ${batch}`).toBeLessThan(F32_TOL);
            const dy = randomArray(batch * checked.out, rng(batch + 100));
            const got = await runner.backward(x, dy, batch);
            const want = referenceBackward(checked.structure, params, x, dy, batch);
            expect(relativeError(got.dx, want.dx), `${checked.name} dx`).toBeLessThan(F32_TOL);
            for (const [name, g] of want.grads) expect(relativeError(got.grads.get(name)!, g), `${checked.name} ${name}`).toBeLessThan(F32_TOL);
          }
          // Parameters read back from the f32 device buffer are the ones loaded.
          const back = await runner.params();
          for (const [name, values] of params) expect(back.get(name), name).toEqual(Float32Array.from(values));
        } finally {
          runner.destroy();
        }
      }
    } finally {
      device.destroy();
    }
  });

  it("runs an older monc's manifest (no kernel sets) on its `fallback`, against the float64 reference", async () => {
    const built = build();
    const checked = built.module.maps[0];
    const device = await deviceWithoutF16();
    const runner = await MapRunner.create(olderManifestMap(built.manifest.maps[0]), built.wgsl, { device, dtype: 'f16' });
    try {
      expect(runner.kernelSet?.name).toBe('f32-storage');
      const params = initParams(paramsOf(checked.structure), 3);
      runner.loadParams(params);
      const x = randomArray(4 * checked.in, rng(4));
      expect(relativeError(await runner.forward(x, 4), referenceApply(checked.structure, params, x, 4))).toBeLessThan(F32_TOL);
    } finally {
      runner.destroy();
      device.destroy();
    }
  });

  it('refuses a manifest without the fallback (an older monc): rebuild it', async () => {
    const old: ManifestMap = olderManifestMap(build().manifest.maps[0], false);
    const device = await deviceWithoutF16();
    try {
      await expectMoncError(() => MapRunner.create(old, build().wgsl, { device, dtype: 'f16' }), 'device', "no kernel set of the build runs on this adapter (module needs shader-f16); rebuild it with this version of monc");
    } finally {
      device.destroy();
    }
  });
});

describe('a manifest without a backward section (an older monc)', () => {
  it('runs forward and refuses backward: rebuild it', async () => {
    const built = compileKernels('module old\nmap m : 12 -> 12 = monarch(nblocks: 3)\n', 'old.mon').outputs!;
    const { backward: _backward, ...old }: ManifestMap = built.manifest.maps[0];
    const device = await deviceWithoutF16();
    const runner = await MapRunner.create(old, built.wgsl, { device });
    try {
      runner.loadParams(initParams(built.manifest.maps[0].model.params, 1));
      expect((await runner.forward(new Float32Array(12), 1)).length).toBe(12);
      const refused = runner.backward(new Float32Array(12), new Float32Array(12), 1);
      await expect(refused).rejects.toThrow(FormatError);
      await expect(refused).rejects.toThrow(/no backward kernels.*rebuild/);
    } finally {
      runner.destroy();
      device.destroy();
    }
  });
});

describe('what the runner imports', () => {
  it('reaches nothing of the compiler: no kernel emitter, no IR pass, no front end (the build shipped every kernel)', async () => {
    const repo = join(import.meta.dirname, '../..');
    const result = await esbuild.build({
      entryPoints: [join(repo, 'src/runtime/map-runner.ts')],
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'browser',
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.endsWith('src/runtime/gpu-executor.ts')), 'the bundle is the runner').toBe(true);
    expect(inputs.filter((p) => /src\/(codegen|ir|dsl)\/|src\/compile/.test(p))).toEqual([]);
  });
});
