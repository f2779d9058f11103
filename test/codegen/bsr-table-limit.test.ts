/**
 * The sparse limits (docs/language.md §12): a pattern's CSR tables at the limit, 4096 entries,
 * still make compute pipelines in reasonable time (the time grows faster than the table; Dawn
 * fails past 16384 entries), and one entry more is refused by the checker with E0607.
 */
import { describe, expect, it } from 'vitest';
import { compileKernels } from '../../src/compile-kernels.js';
import { getTestDevice } from '../support/gpu.js';

/** Seconds to create the pipeline of the map's first kernel (rejects when Dawn cannot). */
async function pipelineSeconds(source: string): Promise<number> {
  const { outputs, diagnostics } = compileKernels(source, 'limit.mon');
  expect(diagnostics).toEqual([]);
  const device = await getTestDevice();
  const module = device.createShaderModule({ code: outputs!.wgsl });
  // The forward kernel: SwiftShader takes seconds for each kernel with a table this size.
  const entryPoint = outputs!.manifest.maps[0].kernels[0].entryPoint;
  const start = performance.now();
  await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint } });
  return (performance.now() - start) / 1000;
}

describe('sparse patterns at the table limits compile in Dawn', () => {
  it('4096 blocks (a full 64 x 64 grid)', async () => {
    expect(await pipelineSeconds('map f : 64 -> 64 = sparse(block: 1, pattern: random(density: 1, seed: 1))')).toBeLessThan(60);
  });

  it('4095 block rows (a row-start table of 4096 entries)', async () => {
    expect(await pipelineSeconds('map f : 1 -> 4095 = sparse(block: 1, pattern: band(width: 1))')).toBeLessThan(60);
  });

  it('one block or one block row more is refused by the checker', () => {
    expect(compileKernels('map f : 65 -> 64 = sparse(block: 1, pattern: random(density: 1, seed: 1))', 'limit.mon').diagnostics.map((d) => d.code)).toEqual(['E0607']);
    expect(compileKernels('map f : 1 -> 4096 = sparse(block: 1, pattern: band(width: 1))', 'limit.mon').diagnostics.map((d) => d.code)).toEqual(['E0607']);
  });
});
