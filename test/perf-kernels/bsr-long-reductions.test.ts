/**
 * Long reductions in the block-sparse kernels: an output of a bsr op sums its block row's
 * blocks × bw terms, which is long either through one wide block (block: [1, 2^17], the
 * forward; a tall forward block makes the input gradient's bsr-t-direct op wide) or through
 * many narrow blocks in one block row. Above BLOCKED_SUM_FROM terms (decided from the pattern's
 * longest row at codegen time) bsr-direct, bsr-t-direct and bsr-tiled sum in blocks of about
 * SUM_BLOCK terms (reduction.ts); each case is checked against the float64 op reference within
 * the 1e-5 contract and within BLOCKED_TOL, which the single running f32 sum misses on these
 * cases (measured before the change: see docs/numerics.md "Long reductions"). Rows of at most
 * BLOCKED_SUM_FROM terms keep their kernel text (no `_block` loop).
 */
import { describe, expect, it } from 'vitest';
import { bsrCase, type OpsCase } from '../../bench/cases.js';
import { bsrDirect } from '../../src/codegen/wgsl/bsr-direct.js';
import { bsrTransposedDirect } from '../../src/codegen/wgsl/bsr-transposed.js';
import { bsrTiled, type BsrTiledSchedule } from '../../src/codegen/wgsl/fast/bsr-tiled.js';
import type { DirectSchedule, KernelFamily } from '../../src/codegen/wgsl/family.js';
import type { Schedule } from '../../src/codegen/wgsl/kernel.js';
import { BLOCKED_SUM_FROM, SUM_BLOCK } from '../../src/codegen/wgsl/reduction.js';
import type { BsrOp } from '../../src/ir/ir.js';
import { compileKernels } from '../../src/compile-kernels.js';
import { expectModuleMatches, LIMITS, opError, TOL } from './support.js';

/** What blocked sums of about 2^17 terms meet on these cases and one running f32 sum does not. */
const BLOCKED_TOL = 2e-6;
const K = 2 ** 17;

/** `count` blocks of one block row, columns 0..count-1. */
const oneRow = (count: number): [number, number][] => Array.from({ length: count }, (_, j) => [0, j]);

/** The input-gradient op of a forward bsr case (backward.ts transposedOp): sizes and blocks swapped, weights read transposed. */
function transposedCase(forward: OpsCase<BsrOp>): OpsCase<BsrOp> {
  const op = forward.ops[0];
  const t: BsrOp = { ...op, rows: op.cols, cols: op.rows, bh: op.bw, bw: op.bh, blocks: op.blocks.map(([i, j]) => [j, i] as const), input: op.output, output: op.input, transposed: true };
  return { ...forward, ops: [t], buffers: [{ name: 'x', size: op.rows }, { name: 'y', size: op.cols }], in: op.rows, out: op.cols };
}

function textOf<S extends Schedule>(family: KernelFamily<'bsr', S>, c: OpsCase<BsrOp>, schedule: S): string {
  return family.emit(c.ops[0], schedule, { entryPoint: 'k', opIndex: 0, storage: 'f32', params: c.params, buffers: c.buffers }).wgsl;
}

/** A direct schedule that loops (not fully unrolled) with one output per thread. */
function looping<S extends DirectSchedule<string>>(family: KernelFamily<'bsr', S>, op: BsrOp): S {
  const s = family.candidates(op, LIMITS).find((x) => x.outputsPerThread === 1 && x.unroll < op.bw && x.workgroupSize === 64);
  expect(s).toBeDefined();
  return s!;
}

/** The tiled candidate doing the least work per workgroup (SwiftShader is slow). */
function cheapestTiled(op: BsrOp): BsrTiledSchedule {
  const all = bsrTiled.candidates(op, LIMITS) as BsrTiledSchedule[];
  expect(all.length).toBeGreaterThan(0);
  return [...all].sort((x, y) => x.rows - y.rows || y.tk - x.tk)[0];
}

async function expectBlocked<S extends Schedule>(family: KernelFamily<'bsr', S>, c: OpsCase<BsrOp>, s: S, loop: string, batch: number): Promise<void> {
  expect(textOf(family, c, s)).toContain(loop);
  const err = await opError(family, c, 0, s, batch);
  expect(err, JSON.stringify(s)).toBeLessThan(TOL);
  expect(err, JSON.stringify(s)).toBeLessThan(BLOCKED_TOL);
}

describe(`block-sparse kernels: rows of about 2^17 terms within ${BLOCKED_TOL} of float64`, () => {
  // Two 1 x 2^17 blocks (a 2 x 2^17 matrix): the in-block loop sums in blocks (i_j_block).
  const wide = bsrCase(2, K, 1, K, [[0, 0], [1, 0]]);
  // One block row of 43,700 blocks of 4 x 3 (131,100 terms, not a multiple of a block): runs of whole blocks (z_block).
  const narrow = bsrCase(4, 3 * 43700, 4, 3, oneRow(43700));

  it('bsr-direct: one wide block per row, batch 3', async () => {
    await expectBlocked(bsrDirect, wide, looping(bsrDirect, wide.ops[0]), 'i_j_block', 3);
  });
  it('bsr-direct: 43,700 narrow blocks in one row, batch 4', async () => {
    await expectBlocked(bsrDirect, narrow, looping(bsrDirect, narrow.ops[0]), 'z_block', 4);
  });
  it('bsr-t-direct: the input gradient of 2^17 x 1 blocks (a tall forward block), batch 2', async () => {
    const c = transposedCase(bsrCase(K, 2, K, 1, [[0, 0], [0, 1]]));
    await expectBlocked(bsrTransposedDirect, c, looping(bsrTransposedDirect, c.ops[0]), 'i_j_block', 2);
  });
  it('bsr-t-direct: the input gradient of one block column of 43,700 narrow blocks, batch 4', async () => {
    const c = transposedCase(bsrCase(3 * 43700, 4, 3, 4, oneRow(43700).map(([i, j]) => [j, i])));
    await expectBlocked(bsrTransposedDirect, c, looping(bsrTransposedDirect, c.ops[0]), 'k_block', 4);
  });
  it('bsr-tiled: 8 x 2^17 blocks, batch 2 (runs of whole chunks, across the block)', async () => {
    const c = bsrCase(16, K, 8, K, [[0, 0], [1, 0]]);
    await expectBlocked(bsrTiled, c, cheapestTiled(c.ops[0]), 'ch_block', 2);
  });
  it('bsr-tiled: 2^15 blocks of 8 x 4 in one row, pipelined, batch 1', async () => {
    const c = bsrCase(8, K, 8, 4, oneRow(K / 4));
    const s = (bsrTiled.candidates(c.ops[0], LIMITS) as BsrTiledSchedule[]).filter((x) => x.pipeline).sort((x, y) => x.rows - y.rows)[0];
    await expectBlocked(bsrTiled, c, s, 'ch_block', 1);
  });
});

describe(`rows of ${BLOCKED_SUM_FROM} terms keep one running sum, longer rows sum blocks of ${SUM_BLOCK}`, () => {
  const cases: [string, OpsCase<BsrOp>, OpsCase<BsrOp>, string][] = [
    ['a block row of 8 x 8 blocks', bsrCase(8, BLOCKED_SUM_FROM, 8, 8, oneRow(BLOCKED_SUM_FROM / 8)), bsrCase(8, BLOCKED_SUM_FROM + 8, 8, 8, oneRow(BLOCKED_SUM_FROM / 8 + 1)), 'z'],
    ['one wide block', bsrCase(8, BLOCKED_SUM_FROM, 8, BLOCKED_SUM_FROM, [[0, 0]]), bsrCase(8, BLOCKED_SUM_FROM + 8, 8, BLOCKED_SUM_FROM + 8, [[0, 0]]), 'i_j'],
  ];
  for (const [name, short, long, loop] of cases)
    it(`bsr-direct and bsr-tiled, ${name}`, () => {
      const d = looping(bsrDirect, long.ops[0]);
      expect(bsrDirect.candidates(short.ops[0], LIMITS)).toContainEqual(d);
      expect(textOf(bsrDirect, short, d)).not.toContain('_block');
      expect(textOf(bsrDirect, long, d)).toContain(`for (var ${loop}_block = 0u; ${loop}_block < ${loop === 'z' ? 'z_terms' : `${BLOCKED_SUM_FROM + 8}u`}; ${loop}_block += ${SUM_BLOCK}u) {`);
      const t = cheapestTiled(long.ops[0]);
      expect(bsrTiled.candidates(short.ops[0], LIMITS)).toContainEqual(t);
      expect(textOf(bsrTiled, short, t)).not.toContain('_block');
      const text = textOf(bsrTiled, long, t);
      expect(text).toContain(`for (var ch_block = 0u; ch_block < ch_terms; ch_block += ${SUM_BLOCK}u) {`);
      expect(text).toContain('acc_0_0 = acc_0_0_before + acc_0_0;');
    });
});

describe('a module as users build it (untuned)', () => {
  it(`sparse(block: [1, 2^17], pattern: band(width: 1)) 2^18 -> 2 runs within ${BLOCKED_TOL} of float64 (MapRunner, batches 1 and 3)`, async () => {
    const result = compileKernels(`module wide\nmap f : ${2 * K} -> 2 = sparse(block: [1, ${K}], pattern: band(width: 1))\n`, 'wide.mon');
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const out = { ...result.outputs!, module: result.module! };
    expect(out.wgsl).toContain('_block');
    await expectModuleMatches(out, [1, 3], BLOCKED_TOL);
  });
});
