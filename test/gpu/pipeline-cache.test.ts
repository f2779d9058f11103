import { describe, expect, it } from 'vitest';
import { assembleModule } from '../../src/codegen/wgsl/module.js';
import { emitProgramKernels } from '../../src/codegen/wgsl/program.js';
import { MapRunner, PipelineCache, WgslError } from '../../src/runtime/node.js';
import { checkedMap, monarch } from '../ir/structures.js';
import { compileModuleForTest } from '../training/compile.js';
import { getTestDevice } from '../support/gpu.js';
import { ProgramBuilder, rng } from '../support/programs.js';

describe('PipelineCache', () => {
  const { program } = new ProgramBuilder('cached', 12, 8, rng(1)).ks({ a: 2, b: 4, c: 6, d: 1 }, 'x', 'y').bias(8, 'y', { accumulate: true }).build();
  const kernels = emitProgramKernels(program);
  const { wgsl } = assembleModule(kernels);

  it('returns the same pipeline for the same text and entry point, per device', async () => {
    const cache = PipelineCache.for(await getTestDevice());
    expect(PipelineCache.for(await getTestDevice())).toBe(cache);
    const before = { ...cache.stats };
    const first = await cache.pipeline(wgsl, kernels[0].entryPoint);
    const other = await cache.pipeline(wgsl, kernels[1].entryPoint);
    const again = await cache.pipeline(`${wgsl}`, kernels[0].entryPoint);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect(cache.stats.misses - before.misses).toBe(2);
    expect(cache.stats.hits - before.hits).toBe(1);
  });

  it('a second runner of the same map on the device compiles nothing: every pipeline is a hit', async () => {
    const device = await getTestDevice();
    const compiled = compileModuleForTest(checkedMap('twice', monarch(24, 24, 4)));
    const map = compiled.manifest.maps[0];
    const cache = PipelineCache.for(device);
    const first = await MapRunner.create(map, compiled.wgsl, { backend: 'webgpu', device });
    const before = { ...cache.stats };
    const second = await MapRunner.create(map, compiled.wgsl, { backend: 'webgpu', device });
    expect(cache.stats.misses - before.misses).toBe(0);
    expect(cache.stats.hits - before.hits).toBe(second.kernelSet!.kernels.length);
    first.destroy();
    second.destroy();
  });

  it('a changed text is a miss', async () => {
    const cache = PipelineCache.for(await getTestDevice());
    const before = cache.stats.misses;
    await cache.pipeline(`${wgsl}\n// changed\n`, kernels[0].entryPoint);
    expect(cache.stats.misses).toBe(before + 1);
  });

  it('rejects an unknown entry point with a WgslError', async () => {
    const cache = PipelineCache.for(await getTestDevice());
    await expect(cache.pipeline(wgsl, 'no_such_entry')).rejects.toThrow(WgslError);
  });
});
