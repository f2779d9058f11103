/**
 * backward: program text in, backward program text out (Before/After), its invariants, and the
 * backward program run by the CPU executor against the float64 reference VJP for random
 * structures of every constructor (sums with bias, chains with transposes, weight tying).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { CheckedMap } from '../../../src/dsl/structure.js';
import { parseIrMap } from '../../../src/ir/parse.js';
import { backward } from '../../../src/ir/passes/backward.js';
import { schedule } from '../../../src/ir/passes/schedule.js';
import { backwardProblems } from '../../../src/ir/passes/verify-backward.js';
import { compileBackward, compileMap } from '../../../src/ir/pipeline.js';
import { printBackwardProgram } from '../../../src/ir/printer.js';
import { executeBackwardProgram } from '../../../src/runtime/cpu-executor.js';
import { packParams, unpackParams } from '../../../src/runtime/params.js';
import { dedent } from '../text.js';
import { butterfly, checkedMap, monarch, randomParams, randomStructure, randomValues, relativeError, rng, SMALL_SIZES, sparse } from '../structures.js';
import { referenceBackward } from '../../support/reference.js';

const derived = (text: string, rowsPerSplit?: number) => {
  const program = backward(schedule(parseIrMap(dedent(text))), { rowsPerSplit });
  expect(backwardProblems(program)).toEqual([]);
  return printBackwardProgram(program);
};

describe('backward (Before/After)', () => {
  it('monarch: the intermediate is recomputed, the factors run transposed in reverse, weight gradients reduce', () => {
    expect(
      derived(`
        map m : 8 -> 8 f32
        param m.blkdiag1 (2,4,4)
        param m.blkdiag2 (2,4,4)
        chain
          ks(a=2 b=4 c=4 d=1) w=m.blkdiag1[0:32] in=[] out=[]
          ks(a=1 b=4 c=4 d=2) w=m.blkdiag2[0:32] in=[] out=[]
      `),
    ).toBe(
      dedent(`
        backward m : 8 -> 8 f32
        param m.blkdiag1 (2,4,4) @0
        param m.blkdiag2 (2,4,4) @32
        paramSize 64
        buffers x[8] dy[8] dx[8] v0[8] dv0[8]
        partials p0[32] p1[32] rowsPerSplit 256
        op 0: v0 = ks(a=2 b=4 c=4 d=1) w=m.blkdiag1[0:32] in=[] out=[] src=x
        op 1: dv0 = ks(a=1 b=4 c=4 d=2) w=m.blkdiag2[0:32] in=[] out=[] transposed src=dy
        op 2: p0 = wgrad ks(a=1 b=4 c=4 d=2) w=m.blkdiag2[0:32] in=[] out=[] src=v0 dy=dy
        op 3: grad m.blkdiag2[0:32] = reduce p0
        op 4: dx = ks(a=2 b=4 c=4 d=1) w=m.blkdiag1[0:32] in=[] out=[] transposed src=dv0
        op 5: p1 = wgrad ks(a=2 b=4 c=4 d=1) w=m.blkdiag1[0:32] in=[] out=[] src=x dy=dv0
        op 6: grad m.blkdiag1[0:32] = reduce p1
      `),
    );
  });

  it('sum with bias: every term gets dy, dx accumulates, the bias epilogue gets a column sum; maps swap', () => {
    expect(
      derived(
        `
        map s : 4 -> 6 f32
        param s.0.weight (6,4)
        param s.1.values (1,2,2)
        param s.2.bias (6)
        sum
          ks(a=1 b=6 c=4 d=1) w=s.0.weight[0:24] in=[] out=[]
          bsr(rows=6 cols=4 bh=2 bw=2) blocks=[(2,1)] w=s.1.values[0:4] in=[(2,2):(1,0)] out=[]
          bias(size=6) b=s.2.bias[0:6] out=[]
      `,
        3,
      ),
    ).toBe(
      dedent(`
        backward s : 4 -> 6 f32
        param s.0.weight (6,4) @0
        param s.1.values (1,2,2) @24
        param s.2.bias (6) @32
        paramSize 38
        buffers x[4] dy[6] dx[4]
        partials p0[4] p1[24] p2[6] rowsPerSplit 3
        op 0: dx = bsr(rows=4 cols=6 bh=2 bw=2) blocks=[(1,2)] w=s.1.values[0:4] in=[] out=[(2,2):(1,0)] transposed src=dy
        op 1: p0 = wgrad bsr(rows=6 cols=4 bh=2 bw=2) blocks=[(2,1)] w=s.1.values[0:4] in=[(2,2):(1,0)] out=[] src=x dy=dy
        op 2: grad s.1.values[0:4] = reduce p0
        op 3: dx += ks(a=1 b=4 c=6 d=1) w=s.0.weight[0:24] in=[] out=[] transposed src=dy
        op 4: p1 = wgrad ks(a=1 b=6 c=4 d=1) w=s.0.weight[0:24] in=[] out=[] src=x dy=dy
        op 5: grad s.0.weight[0:24] = reduce p1
        op 6: p2 = bgrad(size=6) out=[] dy=dy
        op 7: grad s.2.bias[0:6] = reduce p2
      `),
    );
  });

  it('tied weights: the second use accumulates into the same gradient slice; reused temporaries are renamed', () => {
    expect(
      derived(`
        map t : 4 -> 4 f32
        param t.weight (4,4)
        chain
          ks(a=1 b=4 c=4 d=1) w=t.weight[0:16] in=[] out=[]
          ks(a=1 b=4 c=4 d=1) w=t.weight[0:16] in=[] out=[]
          ks(a=1 b=4 c=4 d=1) w=t.weight[0:16] in=[] out=[]
      `),
    ).toBe(
      dedent(`
        backward t : 4 -> 4 f32
        param t.weight (4,4) @0
        paramSize 16
        buffers x[4] dy[4] dx[4] v0[4] v1[4] dv1[4] dv0[4]
        partials p0[16] p1[16] p2[16] rowsPerSplit 256
        op 0: v0 = ks(a=1 b=4 c=4 d=1) w=t.weight[0:16] in=[] out=[] src=x
        op 1: v1 = ks(a=1 b=4 c=4 d=1) w=t.weight[0:16] in=[] out=[] src=v0
        op 2: dv1 = ks(a=1 b=4 c=4 d=1) w=t.weight[0:16] in=[] out=[] transposed src=dy
        op 3: p0 = wgrad ks(a=1 b=4 c=4 d=1) w=t.weight[0:16] in=[] out=[] src=v1 dy=dy
        op 4: grad t.weight[0:16] = reduce p0
        op 5: dv0 = ks(a=1 b=4 c=4 d=1) w=t.weight[0:16] in=[] out=[] transposed src=dv1
        op 6: p1 = wgrad ks(a=1 b=4 c=4 d=1) w=t.weight[0:16] in=[] out=[] src=v0 dy=dv1
        op 7: grad t.weight[0:16] += reduce p1
        op 8: dx = ks(a=1 b=4 c=4 d=1) w=t.weight[0:16] in=[] out=[] transposed src=dv0
        op 9: p2 = wgrad ks(a=1 b=4 c=4 d=1) w=t.weight[0:16] in=[] out=[] src=x dy=dv0
        op 10: grad t.weight[0:16] += reduce p2
      `),
    );
  });

  it('butterfly: disjoint twiddle slices each write their own part of one tensor', () => {
    const text = derived(`
      map bf : 4 -> 4 f32
      param bf.twiddle (2,2,2,2)
      chain
        ks(a=2 b=2 c=2 d=1) w=bf.twiddle[0:8] in=[] out=[]
        ks(a=1 b=2 c=2 d=2) w=bf.twiddle[8:16] in=[] out=[]
    `);
    expect(text).toContain('op 3: grad bf.twiddle[8:16] = reduce p0');
    expect(text).toContain('op 6: grad bf.twiddle[0:8] = reduce p1');
  });

  it('a map that is only a bias has a zero input gradient', () => {
    const text = derived(`
      map b : 3 -> 3 f32
      param b.bias (3)
      bias(size=3) b=b.bias[0:3] out=[]
    `);
    expect(text).toContain('dx = 0');
    expect(text).toContain('grad b.bias[0:3] = reduce p0');
  });
});

/** The backward program on the CPU against referenceBackward (params rounded to f32 on both sides). */
function checkAgainstReference(map: CheckedMap, seed: number, batch: number, rowsPerSplit: number) {
  const random = rng(seed);
  const params = randomParams(map.structure, random);
  const x = randomValues(random, batch * map.in);
  const dy = randomValues(random, batch * map.out);
  const program = compileMap(map, 'f32');
  const derivedProgram = compileBackward(program, { rowsPerSplit });
  const packed = packParams(program.params, program.paramSize, params);
  const rounded = new Map([...params].map(([k, v]) => [k, Float64Array.from(v, Math.fround)]));
  const got = executeBackwardProgram(derivedProgram, packed, x, dy, batch);
  const want = referenceBackward(map.structure, rounded, x, dy, batch);
  expect(relativeError(got.dx, want.dx)).toBeLessThan(1e-9);
  const grads = unpackParams(program.params, got.grad);
  expect([...grads.keys()].sort()).toEqual([...want.grads.keys()].sort());
  for (const [name, g] of want.grads) expect(relativeError(grads.get(name)!, g), name).toBeLessThan(1e-6);
  // No permutation ops: every op is a block matmul, a bias or a gradient reduction step.
  expect(derivedProgram.ops.every((op) => ['ks', 'bsr', 'bias', 'wgrad', 'bgrad', 'reduce'].includes(op.kind))).toBe(true);
  // One input-gradient op per matmul, one wgrad per matmul with weights, recomputation below the forward op count.
  const matmuls = program.ops.filter((op) => op.kind !== 'bias').length;
  const withWeights = program.ops.filter((op) => op.kind !== 'bias' && op.weight.length > 0).length;
  expect(derivedProgram.ops.filter((op) => op.kind === 'wgrad').length).toBe(withWeights);
  expect(derivedProgram.ops.filter((op) => (op.kind === 'ks' || op.kind === 'bsr') && op.transposed).length).toBe(matmuls);
  expect(derivedProgram.ops.filter((op) => (op.kind === 'ks' || op.kind === 'bsr') && !op.transposed).length).toBeLessThan(Math.max(1, program.ops.length));
}

describe('backward programs match the reference VJP', () => {
  it('named structures: rectangular monarch, butterfly radix 3 decreasing, flat sparse, several splits', () => {
    checkAgainstReference(checkedMap('m', monarch(12, 18, 3)), 1, 5, 2);
    checkAgainstReference(checkedMap('b', butterfly(3, 2, 'decreasing')), 2, 7, 3);
    checkAgainstReference(checkedMap('s', sparse(8, 8, 2, 2, [[0, 0], [0, 1], [1, 1], [2, 3], [3, 2]])), 3, 1, 1);
  });

  const sizes = fc.constantFrom(...SMALL_SIZES);
  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), sizes, sizes, fc.integer({ min: 0, max: 3 }), fc.constantFrom(1, 2, 3, 5), fc.constantFrom(1, 2, 256)], { numRuns: 150 })(
    'random structures',
    (seed, n, m, depth, batch, rowsPerSplit) => {
      checkAgainstReference(checkedMap('m', randomStructure(rng(seed ^ 0x5eed), n, m, depth)), seed, batch, rowsPerSplit);
    },
  );
});

describe('backward edge cases', () => {
  it('a sparse map without blocks: zero gradients, no reduction for its empty values', () => {
    checkAgainstReference(checkedMap('s', sparse(4, 6, 2, 2, [])), 5, 2, 1);
    const text = printBackwardProgram(compileBackward(compileMap(checkedMap('s', sparse(4, 6, 2, 2, [])), 'f32')));
    expect(text).not.toContain('reduce');
    expect(text).toContain('transposed src=dy');
  });
});
