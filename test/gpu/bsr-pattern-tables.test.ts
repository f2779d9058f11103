/**
 * Block-sparse kernels read their pattern from the table the runtime uploads (binding 5), not
 * from constants in the WGSL: random patterns (non-square blocks, rectangular grids, empty block
 * rows, batch 1) and a pattern of more blocks than the former 4096-entry kernel tables, forward
 * and gradients on WebGPU (SwiftShader here) against the float64 reference, to 1e-5 relative
 * (Frobenius) error, f32 (SPEC §6, §7).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';
// As monc/runtime exports it: create checks a caller's spec (a block-sparse kernel's op included).
import { GpuExecutor } from '../../src/runtime/checked-exports.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { patternTable } from '../../src/manifest/pattern.js';
import type { CheckedMap } from '../../src/dsl/structure.js';
import { bias, checkedMap, randomParams, randomValues, rng, sparse, sum } from '../ir/structures.js';
import { getTestDevice } from '../support/gpu.js';
import { referenceApply, referenceBackward } from '../support/reference.js';
import { frobeniusError, gradientCase } from '../training/support.js';

const TOL = 1e-5;

/** Forward, dx and every parameter gradient of the map on webgpu against the float64 reference. */
async function expectMatches(map: CheckedMap, seed: number, batch: number): Promise<void> {
  const c = await gradientCase(map, 'webgpu', seed, batch);
  try {
    const y = await c.runner.forward(c.x, batch);
    expect(frobeniusError(y, referenceApply(map.structure, c.params, c.x, batch)), 'y').toBeLessThan(TOL);
    const got = await c.runner.backward(c.x, c.dy, batch);
    expect(frobeniusError(got.dx, c.want.dx), 'dx').toBeLessThan(TOL);
    for (const [name, g] of c.want.grads) expect(frobeniusError(got.grads.get(name)!, g), name).toBeLessThan(TOL);
  } finally {
    c.runner.destroy();
  }
}

/** A random pattern on an R x C grid, with block row `empty` left out when the grid has more than one. */
const patterns = fc
  .record({ rows: fc.integer({ min: 1, max: 7 }), cols: fc.integer({ min: 1, max: 6 }), bh: fc.integer({ min: 1, max: 5 }), bw: fc.integer({ min: 1, max: 5 }), seed: fc.nat() })
  .map(({ rows, cols, bh, bw, seed }) => {
    const random = rng(seed);
    const empty = Math.floor(random() * rows);
    const blocks: [number, number][] = [];
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) if ((rows === 1 || i !== empty) && random() < 0.5) blocks.push([i, j]);
    return { rows, cols, bh, bw, blocks, seed };
  });

describe('block-sparse kernels read the uploaded pattern table', () => {
  test.prop([patterns, fc.constantFrom(1, 3), fc.boolean()], { numRuns: 6 })('random patterns: forward and gradients match the float64 reference', async (p, batch, withBias) => {
    const n = p.cols * p.bw;
    const m = p.rows * p.bh;
    const body = withBias ? sum(sparse(n, m, p.bh, p.bw, p.blocks), bias(m, n)) : sparse(n, m, p.bh, p.bw, p.blocks);
    await expectMatches(checkedMap('s', body), p.seed, batch);
  });

  it('a band of 8552 blocks over a 128 x 128 grid of 2 x 2 blocks (over the former 4096 limit): forward and gradients', async () => {
    const source = 'map big : 256 -> 256 = sparse(block: 2, pattern: band(width: 40))';
    const { outputs, diagnostics, module } = compileModule(source, 'big.mon');
    expect(diagnostics).toEqual([]);
    const structure = module!.maps[0].structure;
    const map = outputs!.manifest.maps[0];
    const op = map.ops[0];
    expect(op.kind === 'bsr' && op.blocks.length).toBe(8552);
    const batch = 3;
    const random = rng(5);
    const params = new Map([...randomParams(structure, random)].map(([k, v]) => [k, Float32Array.from(v)]));
    const x = Float32Array.from(randomValues(random, batch * 256));
    const dy = Float32Array.from(randomValues(random, batch * 256));
    const runner = await MapRunner.create(map, outputs!.wgsl, { backend: 'webgpu', device: await getTestDevice() });
    try {
      runner.loadParams(params);
      expect(frobeniusError(await runner.forward(x, batch), referenceApply(structure, params, x, batch)), 'y').toBeLessThan(TOL);
      const want = referenceBackward(structure, params, x, dy, batch);
      const got = await runner.backward(x, dy, batch);
      expect(frobeniusError(got.dx, want.dx), 'dx').toBeLessThan(TOL);
      for (const [name, g] of want.grads) expect(frobeniusError(got.grads.get(name)!, g), name).toBeLessThan(TOL);
    } finally {
      runner.destroy();
    }
  });

  it('an executor (monc/runtime\'s GpuExecutor.create) given a sparse kernel without the ops its pattern comes from refuses with a format error', async () => {
    const { outputs } = compileModule('map s : 24 -> 20 = sparse(block: [4, 6], pattern: band(width: 2))', 's.mon');
    const map = outputs!.manifest.maps[0];
    const spec = { name: map.name, wgsl: outputs!.wgsl, kernels: map.kernels, buffers: map.buffers, paramSize: map.paramSize, in: map.in, out: map.out, storage: 'f32' as const };
    const created = GpuExecutor.create(await getTestDevice(), spec);
    await expect(created).rejects.toThrow(`kernel ${map.kernels[0].entryPoint} reads a pattern table, but its op has no block pattern`);
    await expect(created).rejects.toMatchObject({ kind: 'format' });
  });

  it('the WGSL does not grow with the pattern; the manifest names each kernel’s table and binding', () => {
    const build = (width: number) => compileModule(`map big : 256 -> 256 = sparse(block: 2, pattern: band(width: ${width}))`, 'big.mon').outputs!;
    const [narrow, wide] = [build(2), build(40)];
    expect(narrow.manifest.maps[0].ops[0].kind === 'bsr' && narrow.manifest.maps[0].ops[0].blocks.length).toBe(382);
    // Only the table offsets (numbers) differ: the same text, give or take a few digits.
    expect(Math.abs(wide.wgsl.length - narrow.wgsl.length)).toBeLessThan(64);
    const map = wide.manifest.maps[0];
    expect(map.kernels.map((k) => k.pattern)).toEqual(['csr']);
    expect(map.kernels[0].bindings).toContainEqual({ binding: 5, name: 'pattern', type: 'read-only-storage' });
    const backward = map.backward!;
    expect(backward.kernels.filter((k) => k.pattern).map((k) => [backward.ops[k.ops[0]].kind, k.pattern])).toEqual([
      ['bsr', 'csr'],
      ['wgrad', 'coo'],
    ]);
    // The table a runtime builds for the forward kernel: 129 row starts, then 8552 columns and indices.
    expect(patternTable(map.ops[0] as Parameters<typeof patternTable>[0], 'csr').length).toBe(129 + 2 * 8552);
  });
});
