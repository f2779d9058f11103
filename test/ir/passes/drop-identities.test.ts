/** drop-identities: identities vanish from chains, or are reported where they cannot (Before/After IR text). */
import { describe, expect, it } from 'vitest';
import { dropIdentities } from '../../../src/ir/passes/drop-identities.js';
import { dedent, passCodes, runPass } from '../text.js';

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
