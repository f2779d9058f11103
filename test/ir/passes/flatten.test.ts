/** flatten: nested chains and sums merged, single elements unwrapped (Before/After IR text). */
import { describe, expect, it } from 'vitest';
import { flatten } from '../../../src/ir/passes/flatten.js';
import { dedent, runPass } from '../text.js';

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
