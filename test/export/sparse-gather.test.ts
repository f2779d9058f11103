/**
 * exportOnnx's `sparse: 'gather'`: a `sparse` map's ONNX graph does not grow with its pattern: its
 * blocks are gathered by column, multiplied in one batched MatMul and summed into their block rows
 * by ScatterND (index tables of one int64 per block), unless the per-row form (Slices, no index
 * table) has fewer nodes, which happens for a pattern of one or two block rows. In the per-row form
 * (the default) every block row costs about 20 nodes: a 2048 -> 2048 map of 2×2 blocks at density
 * 0.01 is 19,586 nodes and took ONNX Runtime 23-34 s to load.
 */
import { fc, test as fcTest } from '@fast-check/vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliJson, scratchDir } from '../cli/helpers.js';
import { exportOnnx } from '../../src/export/onnx.js';
import { checkedModule, randomInput, randomParams, referenceY, relativeError, runOnnx } from './onnx-harness.js';
import { PRECISION_TOLERANCE } from '../../src/util/precision.js';

const { onnx } = onnxProto;

function graphOf(source: string, dtype: 'f32' | 'f16' = 'f32', sparse: 'gather' | 'slices' | 'default' = 'gather') {
  const module = checkedModule(dtype === 'f16' ? `dtype f16\n${source}` : source);
  const map = module.maps[0];
  const params = randomParams(module, map.name, 1);
  const model = exportOnnx({ map, dtype, params, ...(sparse === 'default' ? {} : { sparse }) });
  return { module, map, params, model, graph: onnx.ModelProto.decode(model).graph as onnxProto.onnx.GraphProto };
}

const ops = (graph: onnxProto.onnx.GraphProto) => graph.node.map((n) => n.opType);

describe('the graph of a sparse map', () => {
  it('has as many nodes whatever the number of blocks, a few dozen at 512 with 2×2 blocks', () => {
    const sizes = [0.02, 0.1, 0.3].map((density) => graphOf(`map s : 512 -> 512 = sparse(block: 2, pattern: random(density: ${density}, seed: 3))`).graph.node.length);
    expect(new Set(sizes).size).toBe(1);
    expect(sizes[0]).toBeLessThan(40);
  });

  it('gathers and scatters by one index per block', () => {
    const { graph } = graphOf('map s : 96 -> 60 = sparse(block: [5, 6], pattern: random(density: 0.4, seed: 2))');
    expect(ops(graph).filter((o) => o === 'Gather' || o === 'ScatterND' || o === 'MatMul')).toEqual(['Gather', 'MatMul', 'ScatterND']);
    const scatter = graph.node.find((n) => n.opType === 'ScatterND')!;
    expect(new TextDecoder().decode(scatter.attribute!.find((a) => a.name === 'reduction')!.s!)).toBe('add');
  });

  it('is the per-row form, without index tables, by default and with sparse: slices', () => {
    const source = 'map s : 96 -> 60 = sparse(block: [5, 6], pattern: random(density: 0.4, seed: 2))';
    for (const form of ['default', 'slices'] as const) {
      const { graph } = graphOf(source, 'f32', form);
      expect(ops(graph)).not.toContain('Gather');
      expect(ops(graph)).not.toContain('ScatterND');
      expect(ops(graph).filter((o) => o === 'MatMul')).toHaveLength(12); // one per block row
    }
  });

  it('refuses a form it does not know, naming it', () => {
    expect(() => graphOf('map s : 8 -> 8 = sparse(block: 4, pattern: band(width: 1))', 'f32', 'scatter' as 'gather')).toThrow(/sparse must be 'slices' or 'gather', not/);
  });

  it('keeps the per-row form, without index tables, where it is smaller (one block row)', () => {
    const { graph } = graphOf('map s : 48 -> 8 = sparse(block: [8, 6], pattern: random(density: 0.5, seed: 1))');
    expect(ops(graph)).not.toContain('Gather');
    expect(ops(graph)).not.toContain('ScatterND');
    expect(ops(graph)).toContain('MatMul');
  });
});

describe('a sparse map exported in gather form runs in ONNX Runtime like the float64 reference', () => {
  fcTest.prop(
    [
      fc.record({
        bh: fc.integer({ min: 1, max: 7 }),
        bw: fc.integer({ min: 1, max: 7 }),
        nbr: fc.integer({ min: 1, max: 9 }),
        nbc: fc.integer({ min: 1, max: 9 }),
        density: fc.constantFrom(0.2, 0.5, 0.9),
        seed: fc.integer({ min: 1, max: 50 }),
        dtype: fc.constantFrom<'f32' | 'f16'>('f32', 'f16'),
        bias: fc.boolean(),
        batch: fc.constantFrom(1, 3),
      }),
    ],
    { numRuns: 12 },
  )('random block shapes (rectangular, not powers of two), with and without a bias', async ({ bh, bw, nbr, nbc, density, seed, dtype, bias, batch }) => {
    const source = `map s : ${nbc * bw} -> ${nbr * bh} = sparse(block: [${bh}, ${bw}], pattern: random(density: ${density}, seed: ${seed}))${bias ? ' + bias()' : ''}`;
    const { module, map, params, model } = graphOf(source, dtype);
    const x = randomInput(batch * map.in, seed, dtype);
    const { y, dims } = await runOnnx(model, x, batch, map.in, dtype);
    expect(dims).toEqual([batch, map.out]);
    expect(relativeError(y, referenceY(module, 's', params, x, batch))).toBeLessThan(PRECISION_TOLERANCE[dtype]);
  });
});

describe('monc export --sparse-form', () => {
  const scratch = scratchDir();
  afterAll(() => scratch.remove());
  const spec = scratch.path('sp.mon');
  writeFileSync(spec, 'map s : 60 -> 40 = sparse(block: [4, 6], pattern: random(density: 0.3, seed: 4))\n');
  const opTypes = (file: string) => ops(onnx.ModelProto.decode(readFileSync(file)).graph as onnxProto.onnx.GraphProto);

  it('slices by default, gather when asked; a form it does not know is a usage error', async () => {
    await cliJson(['init', spec, '--map', 's', '--out', scratch.path('p.safetensors')]);
    const exportTo = (out: string, extra: string[] = []) => cli(['export', spec, '--map', 's', '--params', scratch.path('p.safetensors'), '--out', scratch.path(out), ...extra]);
    expect((await exportTo('d.onnx')).code).toBe(0);
    expect(opTypes(scratch.path('d.onnx'))).not.toContain('Gather');
    expect((await exportTo('g.onnx', ['--sparse-form', 'gather'])).code).toBe(0);
    expect(opTypes(scratch.path('g.onnx'))).toEqual(expect.arrayContaining(['Gather', 'ScatterND']));
    const bad = await exportTo('x.onnx', ['--sparse-form', 'scatter']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--sparse-form.*scatter/);
  });
});
