/**
 * The lower-level helpers monc/runtime (and monc/runtime/training) export, called from JavaScript
 * with arguments of the wrong kind: one MoncError of kind `user` naming the function, never a
 * TypeError (QA s11 A5: 9 of them, and packParams without a layout, threw `Cannot read
 * properties of undefined` or `… is not iterable`). QA's sweep of argument sets plus the slips a user makes (the manifest for its map,
 * a map's model, the adapter for the device); and with the right arguments each gives what the
 * runtime's own function gives.
 */
import { describe, expect, it } from 'vitest';
import * as runtime from '../../src/runtime/index.js';
import { backwardProgramOfManifest } from '../../src/runtime/training.js';
import { describeAdapter as ownDescribe, deviceCapabilities as ownCapabilities } from '../../src/runtime/device.js';
import { chooseKernelSet as ownChoose, kernelSetsOf as ownSets } from '../../src/runtime/kernel-sets.js';
import { programOfManifest as ownProgram } from '../../src/runtime/manifest-program.js';
import { GpuExecutor as OwnExecutor } from '../../src/runtime/gpu-executor.js';
import { PipelineCache as OwnCache } from '../../src/runtime/pipeline-cache.js';
import { MoncError } from '../../src/util/error.js';
import { bias, checkedMap, monarch, randomParams, rng, sum } from '../ir/structures.js';
import { getTestMoncDevice } from '../support/gpu.js';
import { expectMoncError, expectMoncErrorNow } from '../support/user-error.js';
import { compileModuleForTest } from '../training/compile.js';

const checked = checkedMap('m', sum(monarch(12, 18, 3), bias(18)));
const compiled = compileModuleForTest(checked);
const { manifest } = compiled;
const map = manifest.maps[0];

type Loose = (...args: unknown[]) => unknown;
const HELPERS: Record<string, Loose> = {
  chooseKernelSet: runtime.chooseKernelSet as Loose,
  describeAdapter: runtime.describeAdapter as Loose,
  deviceCapabilities: runtime.deviceCapabilities as Loose,
  kernelSetsOf: runtime.kernelSetsOf as Loose,
  packParams: runtime.packParams as Loose,
  planKernels: runtime.planKernels as Loose,
  programOfManifest: runtime.programOfManifest as Loose,
  unmetRequirements: runtime.unmetRequirements as Loose,
  unpackParams: runtime.unpackParams as Loose,
  backwardProgramOfManifest: backwardProgramOfManifest as Loose,
};

/** QA's argument sets, and slips: the manifest for its map, the map's model, a map's name. */
const ARGUMENTS: unknown[][] = [[], [undefined], [null], [{}], ['x'], [1], [[]], [{}, {}], ['x', 'y'], [-1, 2.5], [manifest, 'f32'], [map.model, 'f32'], ['m', 'f32'], [map, 'f64'], [[{ name: 'a' }], [1]], [{ shape: [2] }]];

describe('the lower-level helpers of monc/runtime, from JavaScript', () => {
  it.each(Object.keys(HELPERS))('%s: every argument set of the wrong kind is a MoncError of kind user naming it', (name) => {
    for (const args of ARGUMENTS) {
      let thrown: unknown;
      try {
        HELPERS[name](...args);
      } catch (e) {
        thrown = e;
      }
      // Some argument sets are right for some helpers (describeAdapter({}) is 'unknown adapter'): only a throw is checked.
      if (thrown === undefined) continue;
      expect(thrown, `${name}(${args.map((a) => JSON.stringify(a)?.slice(0, 40)).join(', ')})`).toBeInstanceOf(MoncError);
      expect((thrown as MoncError).kind).toBe('user');
      expect((thrown as MoncError).message).toContain(name);
    }
  });

  it('the slips name what was given and what is taken', async () => {
    const { device, adapter } = await getTestMoncDevice();
    expectMoncErrorNow(() => HELPERS.deviceCapabilities(adapter), 'user', 'deviceCapabilities() takes a GPUDevice, got GPUAdapter');
    expectMoncErrorNow(() => HELPERS.programOfManifest(manifest, 'f32'), 'user', "programOfManifest() takes a decoded manifest's map (manifest.maps[i]), got object");
    expectMoncErrorNow(() => HELPERS.kernelSetsOf(map, 'f64'), 'user', "kernelSetsOf(): dtype must be 'f32' or 'f16', got 'f64' (a string)");
    // Shown as the runtime shows values (QA2 s26 Q553: String() of a null-prototype object, a template of a Symbol, threw TypeErrors).
    expectMoncErrorNow(() => HELPERS.kernelSetsOf(map, Object.create(null)), 'user', "kernelSetsOf(): dtype must be 'f32' or 'f16', got object");
    expectMoncErrorNow(() => HELPERS.packParams(map.params, 4n, {}), 'user', "packParams(): paramSize must be a whole number ≥ 0, got '4' (a bigint)");
    expectMoncErrorNow(() => HELPERS.unpackParams(map.params, null), 'user', 'unpackParams() takes the packed parameters (an array of numbers), got null');
    expectMoncErrorNow(() => HELPERS.packParams(null, 4, {}), 'user', "packParams() takes a parameter layout (a manifest map's params), got null");
    expectMoncErrorNow(() => HELPERS.packParams(map.params, -1, {}), 'user', 'packParams(): paramSize must be a whole number ≥ 0, got -1');
    // QA2 s31 Q1051: a Promise, an Array or a typed array holds no tensors by name (it said the first one was missing).
    for (const [bad, got] of [[Promise.resolve({}), 'Promise'], [[], 'Array'], [new Float32Array(4), 'Float32Array'], [null, 'null']] as const) {
      expectMoncErrorNow(() => HELPERS.packParams(map.params, map.paramSize, bad), 'user', `packParams() takes tensors by name (an object or a Map), got ${got}`);
    }
    expectMoncErrorNow(() => HELPERS.chooseKernelSet('m', map.kernelSets, device), 'user', "chooseKernelSet() takes a device's capabilities (deviceCapabilities(device)), got GPUDevice");
    expectMoncErrorNow(() => HELPERS.backwardProgramOfManifest(map.model, 'f32'), 'user', "backwardProgramOfManifest() takes a decoded manifest's map (manifest.maps[i]), got object");
  });

  it('GpuExecutor.create and PipelineCache (new, .for) take a GPUDevice (and create an executor spec), else a MoncError naming them', async () => {
    const { device, adapter } = await getTestMoncDevice();
    await expectMoncError(() => runtime.GpuExecutor.create(undefined as never, undefined as never), 'user', "GpuExecutor.create() takes a GPUDevice (requestMoncDevice()'s .device), got undefined");
    // A rejection, not a throw, as for create's other failures.
    const refused = runtime.GpuExecutor.create(adapter as never, {} as never);
    expect(refused).toBeInstanceOf(Promise);
    await expectMoncError(() => refused, 'user', 'GpuExecutor.create() takes a GPUDevice');
    await expectMoncError(() => runtime.GpuExecutor.create(device, map as never), 'user', "GpuExecutor.create() takes an executor spec (a manifest map with its kernel set's wgsl, kernels and storage), got object");
    expectMoncErrorNow(() => new (runtime.PipelineCache as unknown as new (d?: unknown) => unknown)(), 'user', "new PipelineCache() takes a GPUDevice (requestMoncDevice()'s .device), got undefined");
    expectMoncErrorNow(() => runtime.PipelineCache.for(adapter as never), 'user', "PipelineCache.for() takes a GPUDevice (requestMoncDevice()'s .device), got GPUAdapter");
    // With the right arguments: the classes themselves (instances, instanceof, the shared cache).
    const cache = runtime.PipelineCache.for(device);
    expect(cache).toBe(OwnCache.for(device));
    expect(cache).toBeInstanceOf(runtime.PipelineCache);
    expect(new (runtime.PipelineCache as unknown as new (d: GPUDevice) => unknown)(device)).toBeInstanceOf(OwnCache);
    const set = runtime.kernelSetsOf(map, 'f32')[0];
    const executor = await runtime.GpuExecutor.create(device, { ...map, wgsl: compiled.wgsl, kernels: runtime.planKernels(map.kernels as never, map.ops), storage: set.storage });
    expect(executor).toBeInstanceOf(runtime.GpuExecutor);
    expect(executor).toBeInstanceOf(OwnExecutor);
    // Its writeParams takes exactly the map's packed parameters (the runners' own executors are given packParams' result).
    expectMoncErrorNow(() => executor.writeParams(new Float32Array(map.paramSize - 1)), 'param', `packed parameters have ${map.paramSize - 1} elements, expected ${map.paramSize}`);
    expectMoncErrorNow(() => executor.writeParams(undefined as never), 'param', `packed parameters have undefined elements, expected ${map.paramSize}`);
    executor.writeParams(new Float32Array(map.paramSize));
    executor.destroy();
  });

  it('with the right arguments each gives what the runtime’s own function gives', async () => {
    const { device } = await getTestMoncDevice();
    const capabilities = runtime.deviceCapabilities(device);
    expect(capabilities).toEqual(ownCapabilities(device));
    expect(runtime.describeAdapter(device.adapterInfo)).toBe(ownDescribe(device.adapterInfo));
    expect(runtime.kernelSetsOf(map, 'f32')).toEqual(ownSets(map, 'f32'));
    expect(runtime.chooseKernelSet('m', runtime.kernelSetsOf(map, 'f32'), capabilities)).toEqual(ownChoose('m', ownSets(map, 'f32'), capabilities));
    expect(runtime.unmetRequirements(runtime.kernelSetsOf(map, 'f32')[0].requires, capabilities)).toEqual([]);
    expect(runtime.programOfManifest(map, 'f32')).toEqual(ownProgram(map, 'f32'));
    expect(backwardProgramOfManifest(map, 'f32').ops.length).toBeGreaterThan(0);
    const params = new Map([...randomParams(checked.structure, rng(61))].map(([k, v]) => [k, Float32Array.from(v)]));
    expect(runtime.unpackParams(map.params, runtime.packParams(map.params, map.paramSize, params))).toEqual(params);
    const plans = runtime.planKernels(map.kernels.map((k) => ({ entryPoint: k.entryPoint, ops: k.ops, dispatch: k.dispatch })) as never, map.ops);
    expect(plans.map((p) => [p.entryPoint, p.src, p.dst])).toEqual(map.kernels.map((k) => [k.entryPoint, k.src, k.dst]));
  });
});
