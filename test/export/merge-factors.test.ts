/** planMerges: which runs of butterfly-like factors the exporter computes as one larger factor. */
import { describe, expect, test } from 'vitest';
import { planMerges } from '../../src/export/merge-factors.js';
import { compileMap } from '../../src/ir/pipeline.js';
import { checkedModule } from './onnx-harness.js';

function runsOf(source: string) {
  const module = checkedModule(source);
  const program = compileMap(module.maps[0], 'f32');
  return [...planMerges(program).values()].map((r) => ({ first: r.first, count: r.ops.length, pattern: [r.a, r.block, r.block, r.d] }));
}

describe('planMerges', () => {
  test('a radix-2 butterfly of 1024 becomes two factors of 32×32 blocks (√n), strides up', () => {
    expect(runsOf('map f : 1024 -> 1024 = butterfly(radix: 2)')).toEqual([
      { first: 0, count: 5, pattern: [32, 32, 32, 1] },
      { first: 5, count: 5, pattern: [1, 32, 32, 32] },
    ]);
  });

  test('strides down, and a last run of one factor stays as it is', () => {
    expect(runsOf('map f : 128 -> 128 = butterfly(radix: 2, stride: decreasing)')).toEqual([
      { first: 0, count: 3, pattern: [1, 8, 8, 16] },
      { first: 3, count: 3, pattern: [8, 8, 8, 2] },
    ]);
  });

  test('blocks never pass √n: small butterflies and Monarch factors stay unmerged', () => {
    expect(runsOf('map f : 27 -> 27 = butterfly(radix: 3)')).toEqual([]);
    expect(runsOf('map f : 64 -> 64 = monarch(nblocks: 8)')).toEqual([]);
  });

  test('a run stops at a factor of another radix', () => {
    expect(runsOf('map f : 64 -> 64 = monarch(order: 3, radices: [2, 2, 16])')).toEqual([{ first: 0, count: 2, pattern: [16, 4, 4, 1] }]);
  });
});
