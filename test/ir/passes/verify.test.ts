/** verify: the invariants of the expression IR, on well-formed and broken IR text. */
import { describe, expect, it } from 'vitest';
import { parseIrMap } from '../../../src/ir/parse.js';
import { irProblems, VERIFY_FINAL } from '../../../src/ir/passes/verify.js';
import { dedent } from '../text.js';

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
        bsr(rows=8 cols=8 bh=3 bw=4) blocks=[(0,0)] w=v.w[0:12] in=[] out=[]
        ks(a=1 b=4 c=8 d=1) w=v.w[0:32] in=[] out=[]
    `));
    const problems = irProblems(bad, VERIFY_FINAL).join('\n');
    expect(problems).toMatch(/stage 0 gives 4 values but stage 1 reads 8/);
    expect(problems).toMatch(/output map: step 0: shape \(3,2\) does not multiply to 4/);
    expect(problems).toMatch(/not a permutation of the axes/);
    expect(problems).toMatch(/slice \[0:64\] outside 'v.w'/);
    expect(problems).toMatch(/a permutation survived fold-permutations/);
    expect(problems).toMatch(/unknown parameter tensor 'nope'/);
    // decodeManifest's words for a bsr op's blocks (program-problems.ts blockProblems: one rule, REV s23 2).
    expect(problems).toContain('block 1 (0, 1) does not follow block 0 (1, 0): a bsr op lists each block once, in row-major order of (I, J)');
    expect(problems).toContain('block 2 (2, 0) lies outside the 8×8 matrix of 4×4 blocks');
    expect(problems).toContain('3×4 blocks do not tile its 8×8 matrix');
    expect(problems).toMatch(/terms give different sizes/);
  });
});
