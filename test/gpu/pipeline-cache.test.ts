import { describe, expect, it } from 'vitest';
import { assembleModule } from '../../src/codegen/wgsl/module.js';
import { emitProgramKernels } from '../../src/codegen/wgsl/program.js';
import { dawnProvider, MapRunner, PipelineCache, WgslError } from '../../src/runtime/node.js';
import '../../src/runtime/training.js';
import { checkedMap, monarch, randomParams, relativeError } from '../ir/structures.js';
import { referenceApply } from '../support/reference.js';
import { compileModuleForTest } from '../training/compile.js';
import { getTestDevice } from '../support/gpu.js';
import { ProgramBuilder, rng } from '../support/programs.js';

/**
 * A device of the test's own that counts the pipelines it compiles: what the cache misses (the
 * cache keeps no counters of its own: they would be in every page's bundle).
 */
async function countingPipelines(): Promise<{ device: GPUDevice; compiled: () => number }> {
  const { adapter } = await dawnProvider.requestAdapter();
  const device = await adapter!.requestDevice();
  const create = device.createComputePipelineAsync.bind(device);
  let count = 0;
  device.createComputePipelineAsync = (d: GPUComputePipelineDescriptor) => {
    count++;
    return create(d);
  };
  return { device, compiled: () => count };
}

/**
 * A device of the test's own that records, for every pipeline it makes (async or not), the entry
 * points its shader module's text declares.
 */
async function recordingModules(): Promise<{ device: GPUDevice; pipelines: { entryPoint: string; declared: string[] }[]; modules: () => number }> {
  const { adapter } = await dawnProvider.requestAdapter();
  const device = await adapter!.requestDevice();
  const codes = new WeakMap<GPUShaderModule, string>();
  const pipelines: { entryPoint: string; declared: string[] }[] = [];
  const createModule = device.createShaderModule.bind(device);
  device.createShaderModule = (d: GPUShaderModuleDescriptor) => {
    const module = createModule(d);
    codes.set(module, d.code);
    return module;
  };
  const record = ({ compute }: GPUComputePipelineDescriptor) => {
    const declared = [...codes.get(compute.module)!.matchAll(/@compute[^\n]*\nfn (\w+)\(/g)].map((m) => m[1]);
    pipelines.push({ entryPoint: compute.entryPoint!, declared });
  };
  const createAsync = device.createComputePipelineAsync.bind(device);
  device.createComputePipelineAsync = (d: GPUComputePipelineDescriptor) => (record(d), createAsync(d));
  const create = device.createComputePipeline.bind(device);
  device.createComputePipeline = (d: GPUComputePipelineDescriptor) => (record(d), create(d));
  let count = 0;
  const counted = device.createShaderModule;
  device.createShaderModule = (d: GPUShaderModuleDescriptor) => (count++, counted(d));
  return { device, pipelines, modules: () => count };
}

describe('PipelineCache', () => {
  const { program } = new ProgramBuilder('cached', 12, 8, rng(1)).ks({ a: 2, b: 4, c: 6, d: 1 }, 'x', 'y').bias(8, 'y', { accumulate: true }).build();
  const kernels = emitProgramKernels(program);
  const { wgsl } = assembleModule(kernels);

  it('returns the same pipeline for the same text and entry point, per device, compiling each once', async () => {
    const { device, compiled } = await countingPipelines();
    try {
      const cache = PipelineCache.for(device);
      expect(PipelineCache.for(device)).toBe(cache);
      expect(PipelineCache.for(await getTestDevice())).not.toBe(cache);
      const first = await cache.pipeline(wgsl, kernels[0].entryPoint);
      const other = await cache.pipeline(wgsl, kernels[1].entryPoint);
      const again = await cache.pipeline(`${wgsl}`, kernels[0].entryPoint);
      expect(again).toBe(first);
      expect(other).not.toBe(first);
      expect(compiled()).toBe(2);
      // A changed text is compiled anew.
      await cache.pipeline(`${wgsl}\n// changed\n`, kernels[0].entryPoint);
      expect(compiled()).toBe(3);
    } finally {
      device.destroy();
    }
  });

  it('a second runner of the same map on the device compiles nothing', async () => {
    const { device, compiled } = await countingPipelines();
    const built = compileModuleForTest(checkedMap('twice', monarch(24, 24, 4)));
    const map = built.manifest.maps[0];
    try {
      const first = await MapRunner.create(map, built.wgsl, { backend: 'webgpu', device });
      const before = compiled();
      expect(before).toBe(first.kernelSet!.kernels.length);
      const second = await MapRunner.create(map, built.wgsl, { backend: 'webgpu', device });
      expect(compiled()).toBe(before);
      first.destroy();
      second.destroy();
    } finally {
      device.destroy();
    }
  });

  it('keeps no copy of the module text per kernel (QA1 s28 Q705: a map of 512 kernels ran out of memory)', async () => {
    // A key joining entry point and text is a new string as long as the text for every kernel, kept as long as the
    // cache: every string the cache stores as a key must be the text itself or shorter.
    const { device } = await countingPipelines();
    const stored: number[] = [];
    const set = Map.prototype.set;
    Map.prototype.set = function (this: Map<unknown, unknown>, key: unknown, value: unknown) {
      if (typeof key === 'string') stored.push(key.length);
      return set.call(this, key, value);
    };
    try {
      const cache = PipelineCache.for(device);
      for (const kernel of kernels) await cache.pipeline(wgsl, kernel.entryPoint);
    } finally {
      Map.prototype.set = set;
      device.destroy();
    }
    expect(stored.length).toBeGreaterThan(0);
    expect(Math.max(...stored)).toBe(wgsl.length);
  });

  it('rejects an unknown entry point with a WgslError', async () => {
    const cache = PipelineCache.for(await getTestDevice());
    await expect(cache.pipeline(wgsl, 'no_such_entry')).rejects.toThrow(WgslError);
  });

  it('compiles each kernel from a shader module of its own: forward, backward, optimizers, fitMse (Q705: a 32-kernel map took 113 s)', async () => {
    // From one module holding all of the map's kernels, every pipeline went through all of them (SwiftShader, browsers).
    const { device, pipelines, modules } = await recordingModules();
    const checked = checkedMap('own', monarch(24, 24, 4));
    const built = compileModuleForTest(checked);
    const map = built.manifest.maps[0];
    const tensors = randomParams(checked.structure, rng(3));
    const x = Float32Array.from({ length: 2 * 24 }, (_, i) => Math.sin(i + 1));
    try {
      const runner = await MapRunner.create(map, built.wgsl, { backend: 'webgpu', device, training: true });
      runner.loadParams(Object.fromEntries([...tensors].map(([k, v]) => [k, Float32Array.from(v)])));
      // The kernels still compute the map: forward against float64.
      expect(relativeError(await runner.forward(x, 2), referenceApply(checked.structure, tensors, x, 2))).toBeLessThan(1e-5);
      await runner.backward(x, x);
      await runner.createOptimizer({ kind: 'adam', lr: 1e-3 }).step();
      await runner.fitMse(x, x, { steps: 1, batch: 2, optimizer: { kind: 'sgd', lr: 1e-3 } });
      runner.destroy();
    } finally {
      device.destroy();
    }
    const all = new Set([...map.kernels, ...map.backward!.kernels, ...map.optimizers!, ...map.trainingStep!.kernels].map((k) => k.entryPoint));
    expect(new Set(pipelines.map((p) => p.entryPoint))).toEqual(all);
    for (const p of pipelines) expect(p.declared, p.entryPoint).toEqual([p.entryPoint]);
    expect(modules()).toBe(all.size);
  });
});
