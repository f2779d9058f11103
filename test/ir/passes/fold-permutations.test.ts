/** fold-permutations: every perm folded into the index maps of its neighbours, or reported (Before/After IR text). */
import { describe, expect, it } from 'vitest';
import { foldPermutations } from '../../../src/ir/passes/fold-permutations.js';
import { dedent, passCodes, runPass } from '../text.js';

describe('fold-permutations', () => {
  it("folds the SPEC's raw = transpose @ blockdiag @ transpose @ blockdiag into two ks and no perm", () => {
    const before = `
      map raw : 1024 -> 1024 f32
      param raw.1.weight (32,32,32)
      param raw.3.weight (32,32,32)
      chain
        ks(a=32 b=32 c=32 d=1) w=raw.3.weight[0:32768] in=[] out=[]
        perm(size=1024) map=[(32,32):(1,0)]
        ks(a=32 b=32 c=32 d=1) w=raw.1.weight[0:32768] in=[] out=[]
        perm(size=1024) map=[(32,32):(1,0)]
    `;
    expect(runPass(foldPermutations, before)).toBe(
      dedent(`
        map raw : 1024 -> 1024 f32
        param raw.1.weight (32,32,32)
        param raw.3.weight (32,32,32)
        chain
          ks(a=32 b=32 c=32 d=1) w=raw.3.weight[0:32768] in=[] out=[]
          ks(a=32 b=32 c=32 d=1) w=raw.1.weight[0:32768] in=[(32,32):(1,0)] out=[(32,32):(1,0)]
      `),
    );
  });

  it('puts a leading perm into the input map (inverted) and a trailing one into the output map', () => {
    const before = `
      map t : 12 -> 12 f32
      param t.w (1,12,12)
      chain
        perm(size=12) map=[(3,4):(1,0)]
        ks(a=1 b=12 c=12 d=1) w=t.w[0:144] in=[] out=[]
        perm(size=12) map=[(2,6):(1,0)]
    `;
    expect(runPass(foldPermutations, before)).toBe(
      dedent(`
        map t : 12 -> 12 f32
        param t.w (1,12,12)
        chain
          ks(a=1 b=12 c=12 d=1) w=t.w[0:144] in=[(4,3):(1,0)] out=[(2,6):(1,0)]
      `),
    );
  });

  it('distributes through sums: into every input before, every output (bias included) after', () => {
    const before = `
      map s : 16 -> 16 f32
      param s.w (1,16,16)
      param s.b (16)
      chain
        perm(size=16) map=[(2,8):(1,0)]
        sum
          ks(a=1 b=16 c=16 d=1) w=s.w[0:256] in=[] out=[]
          chain
            ks(a=2 b=8 c=8 d=1) w=s.w[0:128] in=[] out=[]
            ks(a=4 b=4 c=4 d=1) w=s.w[0:64] in=[] out=[]
          bias(size=16) b=s.b[0:16] out=[]
        perm(size=16) map=[(4,4):(1,0)]
    `;
    expect(runPass(foldPermutations, before)).toBe(
      dedent(`
        map s : 16 -> 16 f32
        param s.w (1,16,16)
        param s.b (16)
        chain
          sum
            ks(a=1 b=16 c=16 d=1) w=s.w[0:256] in=[(8,2):(1,0)] out=[(4,4):(1,0)]
            chain
              ks(a=2 b=8 c=8 d=1) w=s.w[0:128] in=[(8,2):(1,0)] out=[]
              ks(a=4 b=4 c=4 d=1) w=s.w[0:64] in=[] out=[(4,4):(1,0)]
            bias(size=16) b=s.b[0:16] out=[(4,4):(1,0)]
      `),
    );
  });

  it('composes consecutive perms, and drops them when they cancel', () => {
    const before = `
      map c : 12 -> 12 f32
      param c.w (1,12,12)
      chain
        ks(a=1 b=12 c=12 d=1) w=c.w[0:144] in=[] out=[]
        perm(size=12) map=[(3,4):(1,0)]
        perm(size=12) map=[(4,3):(1,0)]
        ks(a=1 b=12 c=12 d=1) w=c.w[0:144] in=[] out=[]
        perm(size=12) map=[(3,4):(1,0)]
        perm(size=12) map=[(2,6):(1,0)]
    `;
    expect(runPass(foldPermutations, before)).toBe(
      dedent(`
        map c : 12 -> 12 f32
        param c.w (1,12,12)
        chain
          ks(a=1 b=12 c=12 d=1) w=c.w[0:144] in=[] out=[]
          ks(a=1 b=12 c=12 d=1) w=c.w[0:144] in=[] out=[(3,4):(1,0) (2,6):(1,0)]
      `),
    );
  });

  it('folds backwards into the previous stage when the next cannot absorb (a sum with an identity term)', () => {
    const before = `
      map p : 4 -> 4 f32
      param p.w (1,4,4)
      chain
        ks(a=1 b=4 c=4 d=1) w=p.w[0:16] in=[] out=[]
        perm(size=4) map=[(2,2):(1,0)]
        sum
          ks(a=1 b=4 c=4 d=1) w=p.w[0:16] in=[] out=[]
          chain
    `;
    expect(runPass(foldPermutations, before)).toBe(
      dedent(`
        map p : 4 -> 4 f32
        param p.w (1,4,4)
        chain
          ks(a=1 b=4 c=4 d=1) w=p.w[0:16] in=[] out=[(2,2):(1,0)]
          sum
            ks(a=1 b=4 c=4 d=1) w=p.w[0:16] in=[] out=[]
            chain
      `),
    );
  });

  it('reports a permutation no matmul can absorb (E0701) and withholds the map', () => {
    const alone = `
      map t : 6 -> 6 f32
      perm(size=6) map=[(2,3):(1,0)]
    `;
    expect(passCodes(foldPermutations, alone)).toEqual({ codes: ['E0701'], result: false });
    const terms = `
      map t : 6 -> 6 f32
      param t.w (1,6,6)
      sum
        ks(a=1 b=6 c=6 d=1) w=t.w[0:36] in=[] out=[]
        perm(size=6) map=[(2,3):(1,0)]
        perm(size=6) map=[(3,2):(1,0)]
    `;
    // Every bare term is reported, not only the first.
    expect(passCodes(foldPermutations, terms)).toEqual({ codes: ['E0701', 'E0701'], result: false });
  });
});
