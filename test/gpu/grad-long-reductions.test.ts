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
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { BLOCKED_SUM_FROM, SUM_BLOCK } from '../../src/codegen/wgsl/reduction.js';
import type { CheckedMap } from '../../src/dsl/structure.js';
import { DEFAULT_ROWS_PER_SPLIT } from '../../src/ir/passes/backward.js';
import { blockdiag, bias, checkedMap, lowrank, sum } from '../ir/structures.js';
import { compileModuleForTest } from '../training/compile.js';
import { frobeniusError, gradientCase, runnerFor, type GradientCase } from '../training/support.js';

const B = 2 ** 17;
/** Below the 1e-5 gradient contract: blocked sums meet it, one running sum of 2^17 terms does not. */
const BLOCKED_TOL = 2e-6;
const LOWRANK = checkedMap('lr', sum(lowrank(8, 8, 2), bias(8)));

/** A build of the module: its label and rowsPerSplit (the default when absent). */
interface Build {
  readonly label: string;
  readonly rowsPerSplit?: number;
}

const BUILDS: Readonly<Record<'default' | 'perRow' | 'oneSplit', Build>> = {
  default: { label: 'default splits (512 partials)' },
  perRow: { label: 'one row per split (the reduce kernel sums 2^17 partials)', rowsPerSplit: 1 },
  oneSplit: { label: 'one split (the gradient kernels sum 2^17 rows)', rowsPerSplit: B },
};

/**
 * The maps, the gradient families they run and the builds they run in on the device. blockdiag
 * only in one split: its default splits keep their text, and wgrad-staged over 2^17 one-row
 * splits is 2^17 workgroups (most of a minute on SwiftShader) for the reduce kernel lowrank runs.
 */
const MAPS: readonly { readonly label: string; readonly map: CheckedMap; readonly families: readonly string[]; readonly builds: readonly (keyof typeof BUILDS)[] }[] = [
  { label: 'lowrank(rank: 2) + bias() 8 -> 8', map: LOWRANK, families: ['wgrad-tiled', 'bgrad'], builds: ['default', 'perRow', 'oneSplit'] },
  { label: 'blockdiag(nblocks: 2) 32 -> 16', map: checkedMap('bd', blockdiag(32, 16, 2)), families: ['wgrad-staged'], builds: ['oneSplit'] },
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
  for (const { label, map, builds } of MAPS) {
    // One batch and its float64 gradients per map, shared by its builds.
    let data: Promise<GradientCase> | undefined;
    for (const build of builds.map((b) => BUILDS[b]))
      it(`${label}, ${build.label}`, async () => {
        data ??= gradientCase(map, 'cpu', 7, B).then((c) => (c.runner.destroy(), c));
        const { x, dy, params, want } = await data;
        const runner = await runnerFor(map, 'webgpu', 'f32', build.rowsPerSplit);
        try {
          runner.loadParams(params);
          const got = await runner.backward(x, dy, B);
          const errors = new Map([...want.grads].map(([name, g]) => [name, frobeniusError(got.grads.get(name)!, g)]));
          expect(errors.size).toBeGreaterThan(0);
          for (const [name, error] of errors) expect(error, name).toBeLessThan(BLOCKED_TOL);
        } finally {
          runner.destroy();
        }
      });
  }
});

/**
 * A bias gradient as the kernels sum it, in f32: each split's rows in order into a partial
 * (bgrad; in blocks of SUM_BLOCK rows when a split is longer than BLOCKED_SUM_FROM), then the
 * partials in blocks of `splitsBlock`, each from zero and added to the total once (reduce).
 * `splitsBlock` Infinity is one running sum over the partials, as the reduce kernel summed them
 * before the blocks; with at most SUM_BLOCK partials the two are the same.
 */
function f32BiasGradient(dy: Float32Array, rows: number, size: number, rowsPerSplit: number, splitsBlock = SUM_BLOCK): Float32Array {
  const add = (a: number, b: number) => Math.fround(a + b);
  const inBlocks = (terms: readonly number[], block: number) => {
    let total = 0;
    for (let k = 0; k < terms.length; k += block) total = add(total, terms.slice(k, k + block).reduce(add, 0));
    return total;
  };
  const rowsBlock = rowsPerSplit > BLOCKED_SUM_FROM ? SUM_BLOCK : Infinity;
  return Float32Array.from({ length: size }, (_, o) => {
    const partials: number[] = [];
    for (let r0 = 0; r0 < rows; r0 += rowsPerSplit) {
      const split = Array.from({ length: Math.min(rowsPerSplit, rows - r0) }, (_, k) => dy[(r0 + k) * size + o]);
      partials.push(inBlocks(split, rowsBlock));
    }
    return inBlocks(partials, splitsBlock);
  });
}

/** The bias gradient of `map` (its bias tensor `biasName`) on the device, and the f32 emulation of the kernels' order. */
async function biasGradients(map: CheckedMap, biasName: string, rows: number, rowsPerSplit: number | undefined, seed: number) {
  const c = await gradientCase(map, 'webgpu', seed, rows, { rowsPerSplit });
  try {
    const got = (await c.runner.backward(c.x, c.dy, rows)).grads.get(biasName)!;
    const split = rowsPerSplit ?? DEFAULT_ROWS_PER_SPLIT;
    return { got: Array.from(got), want: Array.from(f32BiasGradient(c.dy, rows, map.out, split)), oneSum: Array.from(f32BiasGradient(c.dy, rows, map.out, split, Infinity)) };
  } finally {
    c.runner.destroy();
  }
}

describe('the order of the batch sums, bit for bit (bias gradients: f32 additions only)', () => {
  it('300 rows in two 256-row splits: one block, the same sum as one running sum over the splits', async () => {
    const { got, want, oneSum } = await biasGradients(LOWRANK, 'lr.1.bias', 300, undefined, 3);
    expect(got).toEqual(want);
    expect(oneSum).toEqual(want);
  });

  it(`${2 * SUM_BLOCK + 452} one-row splits: blocks of ${SUM_BLOCK}, ${SUM_BLOCK} and 452 partials`, async () => {
    const { got, want, oneSum } = await biasGradients(LOWRANK, 'lr.1.bias', 2 * SUM_BLOCK + 452, 1, 3);
    expect(got).toEqual(want);
    // The order shows: past one block, one running sum over the partials rounds differently.
    expect(oneSum).not.toEqual(want);
  });

  test.prop(
    [fc.integer({ min: 1, max: 12_000 }), fc.constantFrom(1, 3, 7, 256, 5000), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 5 })],
    // Batch 1, and 5000-row splits summed in blocks of rows: 12,000 rows, the last split short.
    { numRuns: 4, examples: [[1, 256, 5, 2], [12_000, 5000, 7, 3]] },
  )('random batches, splits (one row to 5000 rows) and widths', async (rows, rowsPerSplit, out, inputs) => {
    const map = checkedMap('p', sum(lowrank(inputs, out, 1), bias(out)));
    const { got, want } = await biasGradients(map, 'p.1.bias', rows, rowsPerSplit, rows);
    expect(got).toEqual(want);
  });
});
