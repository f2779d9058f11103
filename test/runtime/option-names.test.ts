/**
 * Options from JavaScript that used to be ignored or taken wrongly (QA2 s12 R7, R1):
 * - a misspelt option name of `create()` or `forward()` (`backnd: 'cpu'` ran on WebGPU,
 *   `chunkrows` ran in one piece, `Out` left the caller's array untouched) and a `dtype` that is
 *   neither 'f32' nor 'f16' are one MoncError of kind `user` naming the option;
 * - a runner built from a manifest file's map without `{ dtype }` runs an f16 module as f16 (its
 *   range checks; before, as f32: 70000 passed where the generated class refuses it), and
 *   `{ dtype: 'f32' }` for such a map is refused (QA2 s13 R24: it ran without those checks).
 * - the training calls' options likewise (QA2 s13 R23: `momentm` ran without momentum, `bacth` fit
 *   on every row), requestMoncDevice's, and registerGpuProvider of something that is not a
 *   provider (R21 addendum: every later device request threw a TypeError).
 * On both backends.
 */
import { describe, expect, it } from 'vitest';
import '../../src/runtime/cpu.js';
import '../../src/runtime/training.js';
import { compileModule } from '../../src/compile.js';
import { decodeManifest } from '../../src/runtime/decode-manifest.js';
import { MapRunner, type MapRunnerOptions } from '../../src/runtime/map-runner.js';
import { registerGpuProvider, requestMoncDeviceChecked } from '../../src/runtime/device.js';
import type { OptimizerOptions } from '../../src/runtime/optimizer-options.js';
import { expectMoncError, expectMoncErrorNow } from '../support/user-error.js';
import { getTestDevice } from '../support/gpu.js';

const F16 = compileModule('module h\ndtype f16\nmap up : 16 -> 32 = monarch(nblocks: 4) + bias()\n', 'h.mon').outputs!;
/** The map as a program reads it from the module's .json file (docs/manifest.md). */
const map = decodeManifest(JSON.parse(F16.manifestJson)).maps[0];
const params = Object.fromEntries(map.params.map((p) => [p.name, new Float32Array(p.shape.reduce((a, b) => a * b, 1)).fill(0.01)]));

describe.each(['webgpu', 'cpu'] as const)('%s', (backend) => {
  const create = async (options: object = {}) => MapRunner.create(map, F16.wgsl, { backend, ...(backend === 'webgpu' ? { device: await getTestDevice() } : {}), ...options } as MapRunnerOptions);

  it("create: a misspelt option name, a dtype that is neither 'f32' nor 'f16'", async () => {
    const known = '(its options are backend, device, dtype, training)';
    await expectMoncError(() => create({ backnd: 'cpu' }), 'user', `map 'up': create has no option 'backnd' ${known}`);
    await expectMoncError(() => create({ Training: true }), 'user', `map 'up': create has no option 'Training' ${known}`);
    for (const [dtype, got] of [['x', "'x' (a string)"], ['bf16', "'bf16' (a string)"], [16, '16']]) await expectMoncError(() => create({ dtype }), 'user', `map 'up': dtype must be 'f16' (this module's), got ${got}`);
    // An f16 module run as f32 would skip its range checks (QA2 s13 R24), an f32 module run as f16 get checks it has not (s14 R31): refused.
    await expectMoncError(() => create({ dtype: 'f32' }), 'user', "map 'up': dtype must be 'f16' (this module's), got 'f32' (a string)");
    const f32Map = { ...map, kernelSets: map.kernelSets!.filter((set) => set.storage === 'f32') };
    for (const dtype of ['x', 'bf16', 'f16']) {
      await expectMoncError(() => MapRunner.create(f32Map, F16.wgsl, { backend, dtype } as MapRunnerOptions), 'user', `map 'up': dtype must be 'f32' (this module's), got '${dtype}' (a string)`);
    }
  });

  it('forward: a misspelt option name rejects and leaves the caller’s array untouched', async () => {
    const runner = await create();
    try {
      runner.loadParams(params);
      const x = new Float32Array(2 * 16).fill(1);
      const out = new Float32Array(2 * 32).fill(7);
      const known = '(its options are batch, out, chunkRows)';
      await expectMoncError(() => runner.forward(x, { Out: out } as never), 'user', `map 'up': forward has no option 'Out' ${known}`);
      await expectMoncError(() => runner.forward(x, { batch: 2, chunkrows: 1 } as never), 'user', `map 'up': forward has no option 'chunkrows' ${known}`);
      expect(out.every((v) => v === 7)).toBe(true);
      // The spelt options still run.
      expect(await runner.forward(x, { batch: 2, out })).toBe(out);
    } finally {
      runner.destroy();
    }
  });

  it('the training calls: a misspelt optimizer or fitMse option', async () => {
    const runner = await create();
    try {
      runner.loadParams(params);
      const sgd = "(its options are kind, lr, momentum, weightDecay)";
      expectMoncErrorNow(() => runner.createOptimizer({ kind: 'sgd', lr: 0.1, momentm: 0.9 } as OptimizerOptions), 'user', `optimizer sgd has no option 'momentm' ${sgd}`);
      expectMoncErrorNow(() => runner.createOptimizer({ kind: 'adam', lr: 0.1, weightdecay: 0.1 } as OptimizerOptions), 'user', "optimizer adam has no option 'weightdecay' (its options are kind, lr, beta1, beta2, eps, weightDecay)");
      const x = new Float32Array(2 * 16).fill(0.5);
      const t = new Float32Array(2 * 32).fill(0.25);
      await expectMoncError(() => runner.fitMse(x, t, { steps: 1, optimizer: { kind: 'sgd', lr: 0.1 }, bacth: 1 } as never), 'user', "map 'up': fitMse has no option 'bacth' (its options are steps, optimizer, batch, seed, onProgress, progressPoints)");
    } finally {
      runner.destroy();
    }
  });

  it("a manifest file's f16 map without { dtype } runs as the f16 module it is: values beyond ±65504 refused", async () => {
    const runner = await create();
    try {
      const big = Object.fromEntries(Object.entries(params).map(([name, v]) => [name, v.map(() => 70000)]));
      expectMoncErrorNow(() => runner.loadParams(big), 'value', 'beyond the f16 range ±65504 of this f16 module');
      runner.loadParams(params);
      const x = new Float32Array(16).fill(1);
      x[5] = 70000;
      await expectMoncError(() => runner.forward(x), 'value', "input of map 'up' holds 70000 at element (0, 5): beyond the f16 range ±65504 of this f16 module");
    } finally {
      runner.destroy();
    }
  });
});

describe('device options from JavaScript', () => {
  it('requestMoncDevice: a misspelt option; registerGpuProvider: something that is not a provider (the registered one stays)', async () => {
    await expectMoncError(() => requestMoncDeviceChecked({ powerPreferance: 'low-power' } as never), 'user', "requestMoncDevice has no option 'powerPreferance' (its options are adapter, powerPreference)");
    for (const p of [{}, 5, 'dawn']) expectMoncErrorNow(() => registerGpuProvider(p as never), 'user', 'registerGpuProvider takes a GpuProvider ({ requestAdapter(options) }), got');
    const own = await requestMoncDeviceChecked();
    expect(own.device.label).toBe('monc');
    own.device.destroy();
  });
});
