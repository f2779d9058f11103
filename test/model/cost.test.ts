/**
 * Parameters and FLOPs read from the model equal the figures every example's committed manifest
 * (test/golden/<module>.json, written before the model existed) states, tensor by tensor; and
 * on random structures, a tied map costs its work at each use but its parameters once.
 */
import { fc, test } from '@fast-check/vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../../src/dsl/index.js';
import type { Structure } from '../../src/dsl/structure.js';
import { modelOf, modelOfStructure } from '../../src/model/build.js';
import { denseCost, modelCost } from '../../src/model/cost.js';
import { chain, checkedMap, randomStructure, ref, rng, SMALL_SIZES } from '../ir/structures.js';

const examplesDir = join(import.meta.dirname, '../../examples');
const goldenDir = join(import.meta.dirname, '../golden');

interface GoldenMap {
  readonly name: string;
  readonly in: number;
  readonly out: number;
  readonly paramCount: number;
  readonly flopsPerRow: number;
  readonly dense: { readonly paramCount: number; readonly flopsPerRow: number };
  readonly params: readonly { readonly name: string; readonly shape: readonly number[] }[];
}

describe('cost of the examples', () => {
  const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.mon'));
  it('there are examples', () => expect(examples.length).toBeGreaterThan(0));

  it.each(examples)('%s: params, FLOPs and tensors are the committed manifest\'s', (file) => {
    const path = join(examplesDir, file);
    const { module, diagnostics } = checkSource(readFileSync(path, 'utf8'), path);
    expect(diagnostics).toEqual([]);
    const golden = JSON.parse(readFileSync(join(goldenDir, `${module!.name}.json`), 'utf8')) as { maps: GoldenMap[] };
    expect(module!.maps.map((m) => m.name)).toEqual(golden.maps.map((m) => m.name));
    module!.maps.forEach((map, i) => {
      const want = golden.maps[i];
      const model = modelOf(map);
      expect(modelCost(model), map.name).toEqual({ params: want.paramCount, flopsPerRow: want.flopsPerRow });
      expect(model.params.map((p) => ({ name: p.name, shape: p.shape }))).toEqual(want.params.map((p) => ({ name: p.name, shape: p.shape })));
      const dense = denseCost(map.in, map.out);
      expect({ paramCount: dense.params, flopsPerRow: dense.flopsPerRow }).toEqual(want.dense);
    });
  });
});

describe('cost of tied maps', () => {
  const sizes = fc.constantFrom(...SMALL_SIZES);
  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), sizes, fc.integer({ min: 0, max: 2 })], { numRuns: 100 })(
    't @ t costs twice the FLOPs of t and the parameters of t once',
    (seed, n, depth) => {
      const target: Structure = randomStructure(rng(seed), n, n, depth)('t');
      const once = modelCost(modelOfStructure(target));
      const twice = modelCost(modelOf(checkedMap('u', chain(ref('t', target), ref('t', target)))));
      expect(twice).toEqual({ params: once.params, flopsPerRow: 2 * once.flopsPerRow });
    },
  );
});
