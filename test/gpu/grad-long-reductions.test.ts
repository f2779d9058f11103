/**
 * Parameter gradients over long batches: a weight or bias gradient sums over the batch rows B,
 * which only the run time knows. The backward program sums each split of rowsPerSplit rows
 * (256 in every build) into a partial, then the `reduce` kernel sums the ceil(B / 256) partials:
 * that second sum grows with B, so it runs in blocks of SUM_BLOCK partials at any length
 * (reduction.ts runtimeBlockedSum), and a split longer than BLOCKED_SUM_FROM rows is summed in
 * blocks inside the gradient kernels too (grad-scaffold.ts splitRowsLoop).
 *
 * Tiny maps at B = 2^17 rows against float64, in three builds: the default splits, one row per
 * split (the reduce kernel sums 2^17 partials) and one split of 2^17 rows (wgrad-tiled,
 * wgrad-staged and bgrad each sum 2^17 rows). BLOCKED_TOL is what the blocked sums meet
 * (measured 3.7e-7..1.2e-6) and what one running f32 sum over 2^17 terms misses (measured
 * 6.3e-6..9.0e-6 in the last two builds without the blocks), so those cases fail without them.
 * The default build was already within 7e-7 (256-row partials, 512 of them); its gradients
 * keep their order of summation (checked bit for bit against an f32 emulation of the kernels).
 */
import { describe, expect, it } from 'vitest';
import { BLOCKED_SUM_FROM, SUM_BLOCK } from '../../src/codegen/wgsl/reduction.js';
import type { CheckedMap } from '../../src/dsl/structure.js';
import { blockdiag, bias, checkedMap, lowrank, sum } from '../ir/structures.js';
import { compileModuleForTest } from '../training/compile.js';
import { frobeniusError, gradientCase } from '../training/support.js';

const B = 2 ** 17;
/** Below the 1e-5 gradient contract: blocked sums meet it, one running sum of 2^17 terms does not. */
const BLOCKED_TOL = 2e-6;
const LOWRANK = checkedMap('lr', sum(lowrank(8, 8, 2), bias(8)));

/**
 * The maps and the gradient families they run. `perRowSplits`: also run with one row per split
 * (the reduce kernel is the same for every map, and wgrad-staged over 2^17 one-row splits is
 * 2^17 workgroups: most of a minute on SwiftShader).
 */
const MAPS: readonly { readonly label: string; readonly map: CheckedMap; readonly families: readonly string[]; readonly perRowSplits: boolean }[] = [
  { label: 'lowrank(rank: 2) + bias() 8 -> 8', map: LOWRANK, families: ['wgrad-tiled', 'bgrad'], perRowSplits: true },
  { label: 'blockdiag(nblocks: 2) 32 -> 16', map: checkedMap('bd', blockdiag(32, 16, 2)), families: ['wgrad-staged'], perRowSplits: false },
];

const BUILDS: readonly { readonly label: string; readonly rowsPerSplit?: number }[] = [
  { label: 'default splits (512 partials)' },
  { label: 'one row per split (the reduce kernel sums 2^17 partials)', rowsPerSplit: 1 },
  { label: 'one split (the gradient kernels sum 2^17 rows)', rowsPerSplit: B },
];

/** The families of a compiled map's backward kernels. */
function backwardFamilies(map: CheckedMap, rowsPerSplit?: number): string[] {
  const kernels = compileModuleForTest(map, 'f32', rowsPerSplit).manifest.maps[0].backward!.kernels;
  return kernels.map((k) => String(k.schedule.family));
}

describe('the batch loops in the gradient kernels text', () => {
  it('the reduce kernel always sums its run-time number of partials in blocks; default splits keep the plain row loop', () => {
    for (const { map } of MAPS) {
      const { wgsl } = compileModuleForTest(map);
      const reduces = backwardFamilies(map).filter((f) => f === 'reduce').length;
      expect(reduces).toBeGreaterThan(0);
      expect(wgsl.match(/for \(var s_block = 0u; s_block < splits; s_block \+= 1024u\)/g)?.length).toBe(reduces);
      expect(wgsl).not.toMatch(/(row|rr)_block/);
    }
  });

  it(`a split longer than ${BLOCKED_SUM_FROM} rows is summed in blocks in every gradient family`, () => {
    for (const { map, families } of MAPS) {
      expect(backwardFamilies(map, B)).toEqual(expect.arrayContaining([...families]));
      const { wgsl } = compileModuleForTest(map, 'f32', B);
      if (families.includes('wgrad-tiled') || families.includes('bgrad')) expect(wgsl).toContain(`for (var row_block = 0u; row_block < ${B}u; row_block += 1024u)`);
      if (families.includes('wgrad-staged')) expect(wgsl).toMatch(new RegExp(`for \\(var rr_block = 0u; rr_block < ${B}u; rr_block \\+= 1024u\\)`));
      expect(compileModuleForTest(map, 'f32', BLOCKED_SUM_FROM).wgsl).not.toMatch(/(row|rr)_block/);
    }
  });
});

describe(`parameter gradients over ${B} rows on the device, within ${BLOCKED_TOL} of float64`, () => {
  for (const { label, map, perRowSplits } of MAPS)
    for (const build of BUILDS.filter((b) => perRowSplits || b.rowsPerSplit !== 1))
      it(`${label}, ${build.label}`, async () => {
        const c = await gradientCase(map, 'webgpu', 7, B, { rowsPerSplit: build.rowsPerSplit });
        try {
          const got = await c.runner.backward(c.x, c.dy, B);
          const errors = new Map([...c.want.grads].map(([name, want]) => [name, frobeniusError(got.grads.get(name)!, want)]));
          expect(errors.size).toBeGreaterThan(0);
          for (const [name, error] of errors) expect(error, name).toBeLessThan(BLOCKED_TOL);
        } finally {
          c.runner.destroy();
        }
      });
});

/**
 * A bias gradient as the kernels sum it, in f32: each split's rows in order into a partial
 * (bgrad), then the partials in blocks of SUM_BLOCK, each from zero and added to the total once
 * (reduce). With at most SUM_BLOCK splits that is one running sum over the partials, as the
 * reduce kernel summed them before the blocks.
 */
function f32BiasGradient(dy: Float32Array, rows: number, size: number, rowsPerSplit: number, block = SUM_BLOCK): Float32Array {
  const add = (a: number, b: number) => Math.fround(a + b);
  return Float32Array.from({ length: size }, (_, o) => {
    const partials: number[] = [];
    for (let r0 = 0; r0 < rows; r0 += rowsPerSplit) {
      let partial = 0;
      for (let row = r0; row < Math.min(r0 + rowsPerSplit, rows); row++) partial = add(partial, dy[row * size + o]);
      partials.push(partial);
    }
    let total = 0;
    for (let s0 = 0; s0 < partials.length; s0 += block) total = add(total, partials.slice(s0, s0 + block).reduce(add, 0));
    return total;
  });
}

describe('the order of the batch sums, bit for bit (the bias gradient of lowrank(rank: 2) + bias())', () => {
  const cases = [
    { label: '300 rows in two 256-row splits: one block, the same sum as one running sum over the splits', rows: 300, rowsPerSplit: undefined },
    { label: `${2 * SUM_BLOCK + 452} one-row splits: blocks of ${SUM_BLOCK}, ${SUM_BLOCK} and 452 partials`, rows: 2 * SUM_BLOCK + 452, rowsPerSplit: 1 },
  ];
  for (const { label, rows, rowsPerSplit } of cases)
    it(label, async () => {
      const c = await gradientCase(LOWRANK, 'webgpu', 3, rows, { rowsPerSplit });
      try {
        const got = (await c.runner.backward(c.x, c.dy, rows)).grads.get('lr.1.bias')!;
        const want = Array.from(f32BiasGradient(c.dy, rows, LOWRANK.out, rowsPerSplit ?? 256));
        expect(Array.from(got)).toEqual(want);
        // The order shows: past one block, one running sum over the partials rounds differently.
        const oneSum = Array.from(f32BiasGradient(c.dy, rows, LOWRANK.out, rowsPerSplit ?? 256, Infinity));
        if (rows / (rowsPerSplit ?? 256) > SUM_BLOCK) expect(oneSum).not.toEqual(want);
        else expect(oneSum).toEqual(want);
      } finally {
        c.runner.destroy();
      }
    });
});
