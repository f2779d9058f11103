/**
 * Every op kind's kernels on the WebGPU adapter against the float64 CPU executor: ks with
 * identity and permuted index maps, bsr, bias ops, accumulation, bias epilogues, chains through
 * temporaries. SPEC §6: f32 relative Frobenius error 1e-5.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { IndexMap } from '../../src/ir/ir.js';
import { executeProgram } from '../../src/runtime/cpu-executor.js';
import { runProgramOnGpu } from '../support/gpu.js';
import { ProgramBuilder, randomArray, randomBlocks, randomIndexMap, relativeError, rng, type BuiltProgram } from '../support/programs.js';

const TOL = 1e-5;

async function expectMatches(built: BuiltProgram, batch: number, seed = 7): Promise<void> {
  const { program, packed } = built;
  const x = randomArray(batch * program.in, rng(seed));
  const y = await runProgramOnGpu(program, packed, x, batch);
  const ref = executeProgram(program, packed, x, batch);
  expect(y.length).toBe(batch * program.out);
  expect(relativeError(y, ref)).toBeLessThan(TOL);
}

const ks = (a: number, b: number, c: number, d: number) => ({ a, b, c, d });

describe('ks-direct', () => {
  it.each([
    [ks(1, 7, 5, 1), 3],
    [ks(3, 4, 6, 5), 1],
    [ks(4, 16, 16, 1), 5],
    [ks(1, 9, 9, 16), 2],
    [ks(5, 1, 3, 7), 3],
    [ks(2, 3, 1, 4), 4],
  ])('K%o, batch %i, identity maps', async (k, batch) => {
    const n = k.a * k.c * k.d;
    const m = k.a * k.b * k.d;
    await expectMatches(new ProgramBuilder('m', n, m, rng(1)).ks(k, 'x', 'y').build(), batch);
  });

  it('transposed input and output (the Monarch pattern)', async () => {
    // y = K(1, 6, 4, 4) applied to transpose(4, 4) x, written through transpose(6, 4).
    const input: IndexMap = { size: 16, steps: [{ shape: [4, 4], perm: [1, 0] }] };
    const output: IndexMap = { size: 24, steps: [{ shape: [6, 4], perm: [1, 0] }] };
    await expectMatches(new ProgramBuilder('m', 16, 24, rng(2)).ks(ks(1, 6, 4, 4), 'x', 'y', { input, output }).build(), 3);
  });

  it('index maps whose steps do not line up (opaque composition)', async () => {
    // transpose(2, 6) then transpose(3, 4) over 12 elements: boundaries 6 and 4 share no refinement.
    const input: IndexMap = { size: 12, steps: [{ shape: [2, 6], perm: [1, 0] }, { shape: [3, 4], perm: [1, 0] }] };
    const output: IndexMap = { size: 15, steps: [{ shape: [3, 5], perm: [1, 0] }, { shape: [5, 3], perm: [1, 0] }, { shape: [15], perm: [0] }] };
    await expectMatches(new ProgramBuilder('m', 12, 15, rng(3)).ks(ks(1, 5, 4, 3), 'x', 'y', { input, output }).build(), 2);
  });

  test.prop(
    [
      fc.record({
        a: fc.integer({ min: 1, max: 5 }),
        // a·b·d and a·c·d stay <= 240.
        b: fc.integer({ min: 1, max: 8 }),
        c: fc.integer({ min: 1, max: 8 }),
        d: fc.integer({ min: 1, max: 6 }),
        batch: fc.constantFrom(1, 2, 3, 5),
        inSteps: fc.integer({ min: 0, max: 2 }),
        outSteps: fc.integer({ min: 0, max: 2 }),
        seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      }),
    ],
    { numRuns: 12 },
  )('random shapes and index maps', async ({ a, b, c, d, batch, inSteps, outSteps, seed }) => {
    const r = rng(seed);
    const n = a * c * d;
    const m = a * b * d;
    const built = new ProgramBuilder('m', n, m, r)
      .ks({ a, b, c, d }, 'x', 'y', { input: randomIndexMap(n, inSteps, r), output: randomIndexMap(m, outSteps, r) })
      .build();
    await expectMatches(built, batch, seed);
  });
});

describe('bsr-direct', () => {
  it('a random pattern with index maps and empty block rows', async () => {
    const r = rng(4);
    const blocks = randomBlocks(5, 4, 0.4, r).filter(([i]) => i !== 2);
    const built = new ProgramBuilder('m', 24, 20, r)
      .bsr({ rows: 20, cols: 24, bh: 4, bw: 6, blocks }, 'x', 'y', { input: randomIndexMap(24, 1, r), output: randomIndexMap(20, 2, r) })
      .build();
    await expectMatches(built, 3);
  });

  it('an empty pattern writes zeros (and the bias)', async () => {
    const built = new ProgramBuilder('m', 8, 6, rng(5)).bsr({ rows: 6, cols: 8, bh: 3, bw: 4, blocks: [] }, 'x', 'y', { bias: true }).build();
    await expectMatches(built, 2);
  });

  test.prop(
    [
      fc.record({
        gridRows: fc.integer({ min: 1, max: 6 }),
        gridCols: fc.integer({ min: 1, max: 6 }),
        bh: fc.integer({ min: 1, max: 7 }),
        bw: fc.integer({ min: 1, max: 7 }),
        density: fc.double({ min: 0, max: 1, noNaN: true }),
        batch: fc.constantFrom(1, 3),
        seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      }),
    ],
    { numRuns: 8 },
  )('random patterns', async ({ gridRows, gridCols, bh, bw, density, batch, seed }) => {
    const r = rng(seed);
    const rows = gridRows * bh;
    const cols = gridCols * bw;
    const built = new ProgramBuilder('m', cols, rows, r)
      .bsr({ rows, cols, bh, bw, blocks: randomBlocks(gridRows, gridCols, density, r) }, 'x', 'y', { input: randomIndexMap(cols, 1, r) })
      .build();
    await expectMatches(built, batch, seed);
  });
});

describe('bias, sums and chains', () => {
  it('a bias op alone, through an output map', async () => {
    // A map y = bias: its only op writes the bias; x is unread.
    const built = new ProgramBuilder('m', 10, 10, rng(6)).bias(10, 'y', { output: randomIndexMap(10, 1, rng(9)) }).build();
    await expectMatches(built, 3);
  });

  it('a sum: the second term accumulates, a bias op accumulates last', async () => {
    const r = rng(7);
    const built = new ProgramBuilder('m', 12, 12, r)
      .ks(ks(3, 4, 4, 1), 'x', 'y')
      .ks(ks(1, 3, 3, 4), 'x', 'y', { accumulate: true, input: randomIndexMap(12, 1, r), output: randomIndexMap(12, 1, r) })
      .bias(12, 'y', { accumulate: true, output: randomIndexMap(12, 1, r) })
      .build();
    await expectMatches(built, 5);
  });

  it('bias epilogues on plain and accumulating ops, indexed by the logical output', async () => {
    const transposed = (r: number, c: number): IndexMap => ({ size: r * c, steps: [{ shape: [r, c], perm: [1, 0] }] });
    const built = new ProgramBuilder('m', 18, 12, rng(8))
      .ks(ks(2, 3, 3, 2), 'x', 'y', { bias: true, output: transposed(3, 4) })
      .bsr({ rows: 12, cols: 18, bh: 4, bw: 3, blocks: [[0, 1], [1, 0], [1, 5], [2, 2]] }, 'x', 'y', { accumulate: true, bias: true, output: transposed(2, 6) })
      .build();
    await expectMatches(built, 3);
  });

  it('a chain through temporaries (one reused) mixing ks and bsr', async () => {
    const r = rng(9);
    const b = new ProgramBuilder('m', 16, 10, r);
    const t0 = b.temp(20);
    const t1 = b.temp(15);
    b.ks(ks(4, 5, 4, 1), 'x', t0, { output: randomIndexMap(20, 1, r) })
      .ks(ks(1, 3, 4, 5), t0, t1, { input: randomIndexMap(20, 2, r) })
      .bsr({ rows: 10, cols: 15, bh: 5, bw: 5, blocks: [[0, 0], [0, 2], [1, 1]] }, t1, 'y', { bias: true });
    await expectMatches(b.build(), 3);
  });

  it('a batch of 0 gives an empty result', async () => {
    const { program, packed } = new ProgramBuilder('m', 6, 6, rng(10)).ks(ks(2, 3, 3, 1), 'x', 'y').build();
    expect(await runProgramOnGpu(program, packed, new Float32Array(0), 0)).toEqual(new Float32Array(0));
  });
});
