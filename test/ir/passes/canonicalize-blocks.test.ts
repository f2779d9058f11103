/**
 * canonicalize-blocks on Before/After IR text, the explicit `P L Pᵀ R` Monarch compiling to the
 * same ops as `monarch(nblocks:)`, and a property: on random block matmuls whose maps reorder
 * digits, the pass never adds map steps and the op computes the same thing (float64 CPU
 * executor, tolerance 1e-12 relative).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { simplifyIndexMap } from '../../../src/ir/index-map.js';
import type { IrMap, KsOp, Op, Program } from '../../../src/ir/ir.js';
import { parseIrMap } from '../../../src/ir/parse.js';
import { canonicalizeBlocks } from '../../../src/ir/passes/canonicalize-blocks.js';
import { schedule } from '../../../src/ir/passes/schedule.js';
import { compileMap } from '../../../src/ir/pipeline.js';
import { executeProgram } from '../../../src/runtime/cpu-executor.js';
import { bias, blockdiag, chain, checkedMap, lowrank, monarch, randomParams, randomValues, relativeError, rng, sum, transpose, type Build } from '../structures.js';
import { packParams } from '../../../src/runtime/params.js';
import { referenceApply } from '../../support/reference.js';
import { dedent, runPass } from '../text.js';

describe('canonicalize-blocks', () => {
  it('re-splits the folded P L Pᵀ factor K(32,32,32,1) through transposes as K(1,32,32,32) without maps', () => {
    const before = `
      map raw : 1024 -> 1024 f32
      param raw.1.weight (32,32,32)
      param raw.3.weight (32,32,32)
      chain
        ks(a=32 b=32 c=32 d=1) w=raw.3.weight[0:32768] in=[] out=[]
        ks(a=32 b=32 c=32 d=1) w=raw.1.weight[0:32768] in=[(32,32):(1,0)] out=[(32,32):(1,0)]
    `;
    expect(runPass(canonicalizeBlocks, before)).toBe(
      dedent(`
        map raw : 1024 -> 1024 f32
        param raw.1.weight (32,32,32)
        param raw.3.weight (32,32,32)
        chain
          ks(a=32 b=32 c=32 d=1) w=raw.3.weight[0:32768] in=[] out=[] pair=0.0
          ks(a=1 b=32 c=32 d=32) w=raw.1.weight[0:32768] in=[] out=[] pair=0.1
      `),
    );
  });

  it('marks the explicit pair with a group no lowered pair uses, and leaves marked pairs as they are', () => {
    const before = `
      map two : 16 -> 16 f32
      param two.m.blkdiag1 (4,4,4)
      param two.m.blkdiag2 (4,4,4)
      param two.1.weight (4,4,4)
      param two.3.weight (4,4,4)
      chain
        ks(a=4 b=4 c=4 d=1) w=two.m.blkdiag1[0:64] in=[] out=[] pair=3.0
        ks(a=1 b=4 c=4 d=4) w=two.m.blkdiag2[0:64] in=[] out=[] pair=3.1
        ks(a=4 b=4 c=4 d=1) w=two.3.weight[0:64] in=[] out=[]
        ks(a=4 b=4 c=4 d=1) w=two.1.weight[0:64] in=[(4,4):(1,0)] out=[(4,4):(1,0)]
    `;
    expect(runPass(canonicalizeBlocks, before)).toBe(
      dedent(`
        map two : 16 -> 16 f32
        param two.m.blkdiag1 (4,4,4)
        param two.m.blkdiag2 (4,4,4)
        param two.1.weight (4,4,4)
        param two.3.weight (4,4,4)
        chain
          ks(a=4 b=4 c=4 d=1) w=two.m.blkdiag1[0:64] in=[] out=[] pair=3.0
          ks(a=1 b=4 c=4 d=4) w=two.m.blkdiag2[0:64] in=[] out=[] pair=3.1
          ks(a=4 b=4 c=4 d=1) w=two.3.weight[0:64] in=[] out=[] pair=4.0
          ks(a=1 b=4 c=4 d=4) w=two.1.weight[0:64] in=[] out=[] pair=4.1
      `),
    );
  });

  it('marks the Monarch factors written canonical already, ks(…) @ blockdiag(…) (QA1 s29 Q802), and not the same factors strided first', () => {
    const before = `
      map f : 64 -> 64 f32
      param f.1.weight (8,8,8)
      param f.0.weight (8,8,8)
      chain
        ks(a=8 b=8 c=8 d=1) w=f.1.weight[0:512] in=[] out=[]
        ks(a=1 b=8 c=8 d=8) w=f.0.weight[0:512] in=[] out=[]
        ks(a=8 b=8 c=8 d=1) w=f.1.weight[0:512] in=[] out=[]
    `;
    expect(runPass(canonicalizeBlocks, before)).toBe(
      dedent(`
        map f : 64 -> 64 f32
        param f.1.weight (8,8,8)
        param f.0.weight (8,8,8)
        chain
          ks(a=8 b=8 c=8 d=1) w=f.1.weight[0:512] in=[] out=[] pair=0.0
          ks(a=1 b=8 c=8 d=8) w=f.0.weight[0:512] in=[] out=[] pair=0.1
          ks(a=8 b=8 c=8 d=1) w=f.1.weight[0:512] in=[] out=[]
      `),
    );
  });

  it('does not mark a factor it re-splits into another form than the strided Monarch factor', () => {
    // The second factor re-splits to K(2,4,5,3) (not a = 1): no Monarch pair, whatever precedes it.
    const before = `
      map r : 30 -> 24 f32
      param r.v (1,6,30)
      param r.w (6,4,5)
      chain
        ks(a=1 b=30 c=30 d=1) w=r.v[0:900] in=[] out=[]
        ks(a=6 b=4 c=5 d=1) w=r.w[0:120] in=[(2,3,5):(0,2,1)] out=[(2,3,4):(0,2,1)]
    `;
    expect(runPass(canonicalizeBlocks, before)).not.toContain('pair=');
  });

  it('moves part of the block index: K(6,4,5,1) through (2,3)-digit swaps becomes K(2,4,5,3)', () => {
    // in: logical (α1 α2 γ) of shape (2,3,5) read at (α1 γ α2); out likewise with β.
    const before = `
      map r : 30 -> 24 f32
      param r.w (6,4,5)
      ks(a=6 b=4 c=5 d=1) w=r.w[0:120] in=[(2,3,5):(0,2,1)] out=[(2,3,4):(0,2,1)]
    `;
    expect(runPass(canonicalizeBlocks, before)).toBe(
      dedent(`
        map r : 30 -> 24 f32
        param r.w (6,4,5)
        ks(a=2 b=4 c=5 d=3) w=r.w[0:120] in=[] out=[]
      `),
    );
  });

  // QA1 s31 Q1002: fold-permutations gave the transpose between the two Monarchs to the second's first factor (its input),
  // so the first's strided factor kept a transpose on its input and was neither re-split nor marked.
  const twoMonarchs = `
      map h : 64 -> 64 f32
      param h.1.weight (8,8,8)
      param h.3.weight (8,8,8)
      param h.5.weight (8,8,8)
      param h.7.weight (8,8,8)
      chain
        ks(a=8 b=8 c=8 d=1) w=h.7.weight[0:512] in=[] out=[]
        ks(a=8 b=8 c=8 d=1) w=h.5.weight[0:512] in=[(8,8):(1,0)] out=[]
        ks(a=8 b=8 c=8 d=1) w=h.3.weight[0:512] in=[(8,8):(1,0)] out=[]
        ks(a=8 b=8 c=8 d=1) w=h.1.weight[0:512] in=[(8,8):(1,0)] out=[(8,8):(1,0)]
    `;

  it('moves the map between two block matmuls to the side where both re-split with fewer steps: P L Pᵀ R @ P L Pᵀ R', () => {
    expect(runPass(canonicalizeBlocks, twoMonarchs)).toBe(
      dedent(`
        map h : 64 -> 64 f32
        param h.1.weight (8,8,8)
        param h.3.weight (8,8,8)
        param h.5.weight (8,8,8)
        param h.7.weight (8,8,8)
        chain
          ks(a=8 b=8 c=8 d=1) w=h.7.weight[0:512] in=[] out=[] pair=0.0
          ks(a=1 b=8 c=8 d=8) w=h.5.weight[0:512] in=[] out=[] pair=0.1
          ks(a=8 b=8 c=8 d=1) w=h.3.weight[0:512] in=[] out=[] pair=1.0
          ks(a=1 b=8 c=8 d=8) w=h.1.weight[0:512] in=[] out=[] pair=1.1
      `),
    );
  });

  it('the moved map computes the same (float64 CPU executor, 1e-12), and a move that saves nothing is not made', () => {
    const before = parseIrMap(dedent(twoMonarchs));
    const random = rng(7);
    const params = randomValues(random, 4 * 512);
    const x = randomValues(random, 3 * 64);
    const run = (map: IrMap) => executeProgram(schedule(map), params, x, 3);
    expect(relativeError(run(canonicalizeBlocks(before)), run(before))).toBeLessThan(1e-12);
    // A dense layer read through a transpose after a block-diagonal factor: the transpose on either side is one step.
    const tie = `
      map t : 12 -> 12 f32
      param t.v (3,4,4)
      param t.w (1,12,12)
      chain
        ks(a=3 b=4 c=4 d=1) w=t.v[0:48] in=[] out=[]
        ks(a=1 b=12 c=12 d=1) w=t.w[0:144] in=[(3,4):(1,0)] out=[]
    `;
    expect(runPass(canonicalizeBlocks, tie)).toBe(dedent(tie));
  });

  // QA1 s31 Q1002 again: where the stage after the junction is a sum, fold-permutations put the transpose into the input
  // of every term's first block matmul (a Monarch's first factor, lowrank's V).
  const beforeSum = `
      map h : 64 -> 64 f32
      param h.0.0.1.weight (8,8,8)
      param h.0.0.3.weight (8,8,8)
      param h.0.1.U (64,2)
      param h.0.1.V (2,64)
      param h.2.weight (8,8,8)
      param h.4.weight (8,8,8)
      chain
        ks(a=8 b=8 c=8 d=1) w=h.4.weight[0:512] in=[] out=[]
        ks(a=8 b=8 c=8 d=1) w=h.2.weight[0:512] in=[(8,8):(1,0)] out=[]
        sum
          chain
            ks(a=8 b=8 c=8 d=1) w=h.0.0.3.weight[0:512] in=[(8,8):(1,0)] out=[]
            ks(a=8 b=8 c=8 d=1) w=h.0.0.1.weight[0:512] in=[(8,8):(1,0)] out=[(8,8):(1,0)]
          chain
            ks(a=1 b=2 c=64 d=1) w=h.0.1.V[0:128] in=[(8,8):(1,0)] out=[]
            ks(a=1 b=64 c=2 d=1) w=h.0.1.U[0:128] in=[] out=[]
    `;

  it("moves the map off a sum's readers too: (P L Pᵀ R + lowrank) @ P L Pᵀ R", () => {
    expect(runPass(canonicalizeBlocks, beforeSum)).toBe(
      dedent(`
        map h : 64 -> 64 f32
        param h.0.0.1.weight (8,8,8)
        param h.0.0.3.weight (8,8,8)
        param h.0.1.U (64,2)
        param h.0.1.V (2,64)
        param h.2.weight (8,8,8)
        param h.4.weight (8,8,8)
        chain
          ks(a=8 b=8 c=8 d=1) w=h.4.weight[0:512] in=[] out=[] pair=1.0
          ks(a=1 b=8 c=8 d=8) w=h.2.weight[0:512] in=[] out=[] pair=1.1
          sum
            chain
              ks(a=8 b=8 c=8 d=1) w=h.0.0.3.weight[0:512] in=[] out=[] pair=0.0
              ks(a=1 b=8 c=8 d=8) w=h.0.0.1.weight[0:512] in=[] out=[] pair=0.1
            chain
              ks(a=1 b=2 c=64 d=1) w=h.0.1.V[0:128] in=[] out=[]
              ks(a=1 b=64 c=2 d=1) w=h.0.1.U[0:128] in=[] out=[]
      `),
    );
    const before = parseIrMap(dedent(beforeSum));
    const random = rng(11);
    const params = randomValues(random, schedule(before).paramSize);
    const x = randomValues(random, 2 * 64);
    const run = (map: IrMap) => executeProgram(schedule(map), params, x, 2);
    expect(relativeError(run(canonicalizeBlocks(before)), run(before))).toBeLessThan(1e-12);
  });

  // REV31-3: transpose(8, 8) is its own inverse, so the cases above pass with the move's inversion left out. These maps
  // are not (transposes of non-square shapes); each chain has a junction the pass moves (`monc check --ir`: the ks after
  // it loses its input map, transpose(3, 8) in the first), and the program must still compute the model (float64 CPU
  // executor against the reference, 1e-12). The second fails with the move's inversion left out (in the first the
  // uninverted map re-splits no better, so no move is made).
  it.each<[string, () => Build]>([
    ['transpose(8, 3) @ blockdiag(8) @ transpose(3, 8) @ blockdiag(8), twice', () => {
      const p = () => chain(transpose(8, 3), blockdiag(24, 24, 8), transpose(3, 8), blockdiag(24, 24, 8));
      return chain(p(), p());
    }],
    ['(transpose(3, 8) @ blockdiag(6) @ transpose(4, 6) @ blockdiag(3) + lowrank) @ transpose(2, 12) @ blockdiag(6)', () =>
      chain(sum(chain(transpose(3, 8), blockdiag(24, 24, 6), transpose(4, 6), blockdiag(24, 24, 3)), lowrank(24, 24, 2)), transpose(2, 12), blockdiag(24, 24, 6))],
  ])('a junction map that is not its own inverse moves as its inverse: %s', (_, build) => {
    const checked = checkedMap('z', build());
    const moved = compileMap(checked, 'f32');
    const random = rng(5);
    // Values exact in float32, so that packing the parameters does not round them.
    const params = new Map([...randomParams(checked.structure, random)].map(([k, v]) => [k, Float64Array.from(v, Math.fround)]));
    const x = randomValues(random, 3 * checked.in);
    const got = executeProgram(moved, packParams(moved.params, moved.paramSize, params), x, 3);
    expect(relativeError(got, referenceApply(checked.structure, params, x, 3))).toBeLessThan(1e-12);
  });

  it('leaves maps alone that are not a reorder of the block digits (a dense layer read through a transpose)', () => {
    const before = `
      map t : 12 -> 12 f32
      param t.w (1,12,12)
      ks(a=1 b=12 c=12 d=1) w=t.w[0:144] in=[(3,4):(1,0)] out=[]
    `;
    expect(runPass(canonicalizeBlocks, before)).toBe(dedent(before));
  });
});

/** The ops with parameter names replaced by `rename`, for comparing programs modulo names. */
function opsRenamed(program: Program, rename: ReadonlyMap<string, string>): Op[] {
  return program.ops.map((op) => (op.kind === 'bias' ? op : { ...op, weight: { ...op.weight, tensor: rename.get(op.weight.tensor)! }, span: undefined } as unknown as Op));
}

describe('the explicit Monarch compiles like monarch(nblocks:)', () => {
  it.each([32, 6])('transpose(k,k) @ blockdiag @ transpose(k,k) @ blockdiag with k = %i: the same ops, modulo parameter names', (k) => {
    const n = k * k;
    const raw = compileMap(checkedMap('raw', chain(transpose(k, k), blockdiag(n, n, k), transpose(k, k), blockdiag(n, n, k))), 'f32');
    const mon = compileMap(checkedMap('mon', monarch(n, n, k)), 'f32');
    const rawOps = opsRenamed(raw, new Map([['raw.3.weight', 'first'], ['raw.1.weight', 'second']]));
    const monOps = opsRenamed(mon, new Map([['mon.blkdiag1', 'first'], ['mon.blkdiag2', 'second']]));
    expect(rawOps).toEqual(monOps);
    expect((raw.ops[1] as KsOp).d).toBe(k);
    expect(raw.ops.map((op) => (op as KsOp).pair)).toEqual([{ group: 0, stage: 0 }, { group: 0, stage: 1 }]);
    expect(raw.buffers).toEqual(mon.buffers);
  });

  // QA1 s31 Q1002: two of them in one chain (P @ P) lowered to K(8,8,8,1) three times, one read through a transpose.
  it.each([8, 6])('two of them in one chain, k = %i: the same ops as monarch @ monarch, modulo parameter names', (k) => {
    const n = k * k;
    const explicit = () => chain(transpose(k, k), blockdiag(n, n, k), transpose(k, k), blockdiag(n, n, k));
    const raw = compileMap(checkedMap('raw', chain(explicit(), explicit())), 'f32');
    const mon = compileMap(checkedMap('mon', chain(monarch(n, n, k), monarch(n, n, k))), 'f32');
    const byOrder = (p: Program) => new Map(p.ops.flatMap((op) => (op.kind === 'bias' ? [] : [op.weight.tensor])).map((t, i) => [t, `w${i}`]));
    expect(opsRenamed(raw, byOrder(raw))).toEqual(opsRenamed(mon, byOrder(mon)));
    expect(raw.ops.map((op) => (op as KsOp).pair)).toEqual([0, 0, 1, 1].map((group, i) => ({ group, stage: i % 2 })));
  });

  it.each([8, 6])('(P + lowrank) @ P and (P + bias) @ P, k = %i: the ops of monarch, modulo parameter names and pair numbers', (k) => {
    const n = k * k;
    const explicit = () => chain(transpose(k, k), blockdiag(n, n, k), transpose(k, k), blockdiag(n, n, k));
    const byOrder = (p: Program) => new Map(p.ops.flatMap((op) => (op.kind === 'bias' ? [] : [op.weight.tensor])).map((t, i) => [t, `w${i}`]));
    // Pair groups numbered by first appearance (the explicit spelling numbers the sum's pair, marked first, 0); a bias
    // added by a block matmul named as the map's own.
    const ops = (p: Program) => {
      const groups = new Map<number, number>();
      return opsRenamed(p, byOrder(p)).map((op) => {
        if (op.kind !== 'ks') return op;
        if (op.pair && !groups.has(op.pair.group)) groups.set(op.pair.group, groups.size);
        return { ...op, pair: op.pair && { ...op.pair, group: groups.get(op.pair.group)! }, bias: op.bias && { ...op.bias, tensor: 'bias' } } as Op;
      });
    };
    for (const other of [lowrank(n, n, 2), bias(n)]) {
      const raw = compileMap(checkedMap('raw', chain(sum(explicit(), other), explicit())), 'f32');
      const mon = compileMap(checkedMap('mon', chain(sum(monarch(n, n, k), other), monarch(n, n, k))), 'f32');
      expect(ops(raw)).toEqual(ops(mon));
    }
  });
});

/** A one-op map K(a,b,c,d) whose maps are the digit swap (α1 x α2 δ) <-> (α1 α2 x δ) with α = α1·m + α2. */
function reorderedKs(a1: number, m: number, b: number, c: number, d: number, swapOut: boolean): IrMap {
  const a = a1 * m;
  const inMap = `[(${a1},${m},${c},${d}):(0,2,1,3)]`;
  const outMap = swapOut ? `[(${a1},${m},${b},${d}):(0,2,1,3)]` : '[]';
  return parseIrMap(
    dedent(`
      map p : ${a * c * d} -> ${a * b * d} f32
      param p.w (${a * d},${b},${c})
      ks(a=${a} b=${b} c=${c} d=${d}) w=p.w[0:${a * d * b * c}] in=${inMap} out=${outMap}
    `),
  );
}

/** The steps of the op's maps in canonical form (the pipeline simplifies maps before this pass). */
function mapSteps(map: IrMap): number {
  const ks = map.body;
  if (ks.kind !== 'ks') throw new Error('expected one ks');
  return simplifyIndexMap(ks.input).steps.length + simplifyIndexMap(ks.output).steps.length;
}

describe('canonicalize-blocks properties', () => {
  const dim = fc.integer({ min: 1, max: 5 });
  test.prop([dim, dim, dim, dim, dim, fc.boolean(), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 2 ** 31 - 1 })], { numRuns: 100 })(
    'same results, never more map steps; both maps reordering the same digits vanish',
    (a1, m, b, c, d, swapOut, batch, seed) => {
      const before = reorderedKs(a1, m, b, c, d, swapOut);
      const after = canonicalizeBlocks(before);
      expect(mapSteps(after)).toBeLessThanOrEqual(mapSteps(before));
      if (swapOut) expect(mapSteps(after)).toBe(0);
      const random = rng(seed);
      const params = randomValues(random, before.params[0].shape.reduce((p, v) => p * v, 1));
      const x = randomValues(random, batch * before.in);
      const run = (map: IrMap) => {
        const program = schedule(map);
        return executeProgram(program, params, x, batch);
      };
      expect(relativeError(run(after), run(before))).toBeLessThan(1e-12);
    },
  );
});
