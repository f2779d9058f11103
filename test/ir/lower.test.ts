/** Lowering of each constructor to block matmuls (printed IR). */
import { describe, expect, it } from 'vitest';
import { syntheticSpan } from '../../src/dsl/span.js';
import { lowerMap } from '../../src/ir/lower.js';
import { printIrMap } from '../../src/ir/printer.js';
import { bias, blockdiag, butterfly, chain, checkedMap, dense, ks, lowrank, monarch, monarchOrder, ref, sparse, sum, transpose, type Build } from './structures.js';
import { dedent } from './text.js';

const lowered = (name: string, build: Build) => printIrMap(lowerMap(checkedMap(name, build), 'f32'));

describe('lower', () => {
  it('dense, ks, blockdiag: one block matmul each', () => {
    expect(lowered('d', dense(12, 8))).toBe(dedent(`
      map d : 12 -> 8 f32
      param d.weight (8,12)
      ks(a=1 b=8 c=12 d=1) w=d.weight[0:96] in=[] out=[]
    `));
    expect(lowered('k', ks(2, 3, 4, 5))).toBe(dedent(`
      map k : 40 -> 30 f32
      param k.w (10,3,4)
      ks(a=2 b=3 c=4 d=5) w=k.w[0:120] in=[] out=[]
    `));
    expect(lowered('b', blockdiag(768, 384, 4))).toBe(dedent(`
      map b : 768 -> 384 f32
      param b.weight (4,96,192)
      ks(a=4 b=96 c=192 d=1) w=b.weight[0:73728] in=[] out=[]
    `));
  });

  it('monarch(nblocks): blkdiag1 as K(k,q,p,1), then blkdiag2 as K(1,s,r,k), marked as one pair', () => {
    expect(lowered('up', monarch(48, 96, 4))).toBe(dedent(`
      map up : 48 -> 96 f32
      param up.blkdiag1 (4,12,12)
      param up.blkdiag2 (4,24,12)
      chain
        ks(a=4 b=12 c=12 d=1) w=up.blkdiag1[0:576] in=[] out=[] pair=0.0
        ks(a=1 b=24 c=12 d=4) w=up.blkdiag2[0:1152] in=[] out=[] pair=0.1
    `));
    expect(lowered('down', monarch(96, 48, 4))).toContain('ks(a=4 b=12 c=24 d=1) w=down.blkdiag1[0:1152]');
  });

  it('two monarch(nblocks) in one chain: one pair each, numbered in application order', () => {
    const text = lowered('two', chain(monarch(16, 16, 4), monarch(16, 16, 4)));
    expect([...text.matchAll(/pair=(\d+\.\d)/g)].map((m) => m[1])).toEqual(['0.0', '0.1', '1.0', '1.1']);
  });

  it('monarch(order): factor i is K(∏_{j>i} b_j, b_i, b_i, ∏_{j<i} b_j)', () => {
    expect(lowered('deep', monarchOrder([2, 3, 4]))).toBe(dedent(`
      map deep : 24 -> 24 f32
      param deep.factor0 (12,2,2)
      param deep.factor1 (8,3,3)
      param deep.factor2 (6,4,4)
      chain
        ks(a=12 b=2 c=2 d=1) w=deep.factor0[0:48] in=[] out=[]
        ks(a=4 b=3 c=3 d=2) w=deep.factor1[0:72] in=[] out=[]
        ks(a=1 b=4 c=4 d=6) w=deep.factor2[0:96] in=[] out=[]
    `));
  });

  it('butterfly: one factor per level, slicing twiddle[t]; decreasing reverses the order; no pair mark even where two levels have the Monarch shapes', () => {
    expect(lowered('bf', butterfly(3, 2))).toBe(dedent(`
      map bf : 9 -> 9 f32
      param bf.twiddle (2,3,3,3)
      chain
        ks(a=3 b=3 c=3 d=1) w=bf.twiddle[0:27] in=[] out=[]
        ks(a=1 b=3 c=3 d=3) w=bf.twiddle[27:54] in=[] out=[]
    `));
    expect(lowered('bf', butterfly(2, 3, 'decreasing'))).toBe(dedent(`
      map bf : 8 -> 8 f32
      param bf.twiddle (3,4,2,2)
      chain
        ks(a=1 b=2 c=2 d=4) w=bf.twiddle[32:48] in=[] out=[]
        ks(a=2 b=2 c=2 d=2) w=bf.twiddle[16:32] in=[] out=[]
        ks(a=4 b=2 c=2 d=1) w=bf.twiddle[0:16] in=[] out=[]
    `));
  });

  it('lowrank: V then U; sparse: one bsr; transpose: a perm; bias: a bias term', () => {
    expect(lowered('lr', lowrank(12, 6, 2))).toBe(dedent(`
      map lr : 12 -> 6 f32
      param lr.U (6,2)
      param lr.V (2,12)
      chain
        ks(a=1 b=2 c=12 d=1) w=lr.V[0:24] in=[] out=[]
        ks(a=1 b=6 c=2 d=1) w=lr.U[0:12] in=[] out=[]
    `));
    expect(lowered('pf', sum(sparse(8, 8, 4, 2, [[0, 0], [1, 3]]), bias(8)))).toBe(dedent(`
      map pf : 8 -> 8 f32
      param pf.0.values (2,4,2)
      param pf.1.bias (8)
      sum
        bsr(rows=8 cols=8 bh=4 bw=2) blocks=[(0,0) (1,3)] w=pf.0.values[0:16] in=[] out=[]
        bias(size=8) b=pf.1.bias[0:8] out=[]
    `));
  });

  it("chains in application order; refs keep the target map's parameter names (and its pair marks), once", () => {
    const base = monarch(16, 16, 4)('base');
    expect(lowered('m', sum(chain(ref('base', base), transpose(2, 8), ref('base', base)), dense(16, 16)))).toBe(dedent(`
      map m : 16 -> 16 f32
      param base.blkdiag1 (4,4,4)
      param base.blkdiag2 (4,4,4)
      param m.1.weight (16,16)
      sum
        chain
          chain
            ks(a=4 b=4 c=4 d=1) w=base.blkdiag1[0:64] in=[] out=[] pair=0.0
            ks(a=1 b=4 c=4 d=4) w=base.blkdiag2[0:64] in=[] out=[] pair=0.1
          perm(size=16) map=[(2,8):(1,0)]
          chain
            ks(a=4 b=4 c=4 d=1) w=base.blkdiag1[0:64] in=[] out=[] pair=0.0
            ks(a=1 b=4 c=4 d=4) w=base.blkdiag2[0:64] in=[] out=[] pair=0.1
        ks(a=1 b=16 c=16 d=1) w=m.1.weight[0:256] in=[] out=[]
    `));
  });

  it("gives every node a span, the structure's own where it has one", () => {
    const span = { file: 'f.mon', start: { offset: 3, line: 1, column: 4 }, end: { offset: 9, line: 1, column: 10 } };
    const ir = lowerMap({ name: 'd', in: 4, out: 4, structure: { ...dense(4, 4)('d'), span } }, 'f32');
    expect(ir.body.span).toEqual(span);
    expect(ir.span).toEqual(span);
    expect(lowerMap(checkedMap('d', dense(4, 4)), 'f32').body.span).toEqual(syntheticSpan());
  });
});
