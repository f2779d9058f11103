/** simplify-index-maps: index maps in canonical form (Before/After IR text). */
import { describe, expect, it } from 'vitest';
import { simplifyIndexMaps } from '../../../src/ir/passes/simplify-index-maps.js';
import { dedent, runPass } from '../text.js';

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
