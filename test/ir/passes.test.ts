/** Each pass on Before/After IR text. */
import { describe, expect, it } from 'vitest';
import { parseIrMap } from '../../src/ir/parse.js';
import { dropIdentities } from '../../src/ir/passes/drop-identities.js';
import { flatten } from '../../src/ir/passes/flatten.js';
import { foldPermutations } from '../../src/ir/passes/fold-permutations.js';
import { simplifyIndexMaps } from '../../src/ir/passes/simplify-index-maps.js';
import { irProblems, VERIFY_FINAL } from '../../src/ir/passes/verify.js';
import { dedent, passCodes, runPass } from './text.js';

describe('flatten', () => {
  it('merges nested chains and sums and unwraps single elements', () => {
    const before = `
      map f : 8 -> 8 f32
      param f.w (1,8,8)
      sum
        chain
          chain
            ks(a=1 b=8 c=8 d=1) w=f.w[0:64] in=[] out=[]
            ks(a=2 b=4 c=4 d=1) w=f.w[0:32] in=[] out=[]
          chain
            ks(a=4 b=2 c=2 d=1) w=f.w[0:16] in=[] out=[]
        sum
          ks(a=1 b=8 c=8 d=1) w=f.w[0:64] in=[] out=[]
          sum
            ks(a=8 b=1 c=1 d=1) w=f.w[0:8] in=[] out=[]
    `;
    expect(runPass(flatten, before)).toBe(
      dedent(`
        map f : 8 -> 8 f32
        param f.w (1,8,8)
        sum
          chain
            ks(a=1 b=8 c=8 d=1) w=f.w[0:64] in=[] out=[]
            ks(a=2 b=4 c=4 d=1) w=f.w[0:32] in=[] out=[]
            ks(a=4 b=2 c=2 d=1) w=f.w[0:16] in=[] out=[]
          ks(a=1 b=8 c=8 d=1) w=f.w[0:64] in=[] out=[]
          ks(a=8 b=1 c=1 d=1) w=f.w[0:8] in=[] out=[]
      `),
    );
  });
});

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

describe('simplify-index-maps', () => {
  it('drops size-1 axes and identity steps, merges steps that compose, keeps the rest', () => {
    const before = `
      map s : 24 -> 24 f32
      param s.w (1,24,24)
      chain
        ks(a=1 b=24 c=24 d=1) w=s.w[0:576] in=[(1,24):(1,0) (2,3,4):(0,1,2)] out=[(4,6):(1,0) (6,4):(1,0)]
        ks(a=1 b=24 c=24 d=1) w=s.w[0:576] in=[(2,3,4):(2,0,1)] out=[(4,6):(1,0) (2,12):(1,0)]
        ks(a=1 b=24 c=24 d=1) w=s.w[0:576] in=[(4,6):(1,0) (3,8):(1,0)] out=[(4,6):(1,0) (4,6):(1,0)]
    `;
    expect(runPass(simplifyIndexMaps, before)).toBe(
      dedent(`
        map s : 24 -> 24 f32
        param s.w (1,24,24)
        chain
          ks(a=1 b=24 c=24 d=1) w=s.w[0:576] in=[] out=[]
          ks(a=1 b=24 c=24 d=1) w=s.w[0:576] in=[(6,4):(1,0)] out=[(8,3):(1,0)]
          ks(a=1 b=24 c=24 d=1) w=s.w[0:576] in=[(12,2):(1,0)] out=[(4,6):(1,0) (4,6):(1,0)]
      `),
    );
  });
});

describe('drop-identities', () => {
  it('removes empty chains and unwraps what is left', () => {
    const before = `
      map d : 4 -> 4 f32
      param d.w (1,4,4)
      chain
        chain
        ks(a=1 b=4 c=4 d=1) w=d.w[0:16] in=[] out=[]
        chain
    `;
    expect(runPass(dropIdentities, before)).toBe(
      dedent(`
        map d : 4 -> 4 f32
        param d.w (1,4,4)
        ks(a=1 b=4 c=4 d=1) w=d.w[0:16] in=[] out=[]
      `),
    );
  });

  it('reports an identity that is the whole map or a sum term (E0702) and withholds the map', () => {
    const whole = 'map d : 4 -> 4 f32\nchain\n';
    const term = `
      map d : 4 -> 4 f32
      param d.w (1,4,4)
      sum
        ks(a=1 b=4 c=4 d=1) w=d.w[0:16] in=[] out=[]
        chain
          chain
    `;
    for (const map of [whole, term]) expect(passCodes(dropIdentities, map)).toEqual({ codes: ['E0702'], result: false });
  });
});

describe('verify', () => {
  it('accepts well-formed IR', () => {
    const ok = parseIrMap(dedent(`
      map v : 8 -> 4 f32
      param v.w (2,2,4)
      param v.b (4)
      sum
        ks(a=2 b=2 c=4 d=1) w=v.w[0:16] in=[(2,4):(1,0)] out=[]
        bias(size=4) b=v.b[0:4] out=[]
    `));
    expect(irProblems(ok, VERIFY_FINAL)).toEqual([]);
  });

  it('reports broken chains, sums, maps, slices and surviving perms', () => {
    const bad = parseIrMap(dedent(`
      map v : 8 -> 8 f32
      param v.w (2,2,4)
      sum
        chain
          ks(a=2 b=2 c=4 d=1) w=v.w[0:16] in=[] out=[(3,2):(1,0)]
          ks(a=1 b=8 c=8 d=1) w=v.w[0:64] in=[(2,2,2):(0,0,1)] out=[]
        perm(size=8) map=[]
        bsr(rows=8 cols=8 bh=4 bw=4) blocks=[(1,0) (0,1) (2,0)] w=nope[0:48] in=[] out=[]
        ks(a=1 b=4 c=8 d=1) w=v.w[0:32] in=[] out=[]
    `));
    const problems = irProblems(bad, VERIFY_FINAL).join('\n');
    expect(problems).toMatch(/stage 0 gives 4 values but stage 1 reads 8/);
    expect(problems).toMatch(/output map: step 0: shape \(3,2\) does not multiply to 4/);
    expect(problems).toMatch(/not a permutation of the axes/);
    expect(problems).toMatch(/slice \[0:64\] outside 'v.w'/);
    expect(problems).toMatch(/a permutation survived fold-permutations/);
    expect(problems).toMatch(/unknown parameter tensor 'nope'/);
    expect(problems).toMatch(/block \(0,1\) out of row-major order/);
    expect(problems).toMatch(/block \(2,0\) outside the 2x2 grid/);
    expect(problems).toMatch(/terms give different sizes/);
  });
});
