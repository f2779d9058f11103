/**
 * A staged copy whose global runs span two chunks (session 19's `wr` / `pr`): wgsl-text.ts
 * transposedTile's vec4 copy of a (lines × tk) tile, except that the loads of an even chunk
 * fetch 2·tk γ per line (runs of 2·tk·4 bytes, so a warp asks L2 for half as many lines) into
 * twice the prefetch registers, an odd chunk fetches nothing, and each chunk stores the half it
 * owns: the invocation holding γ quartet kv of a pair stores it at chunk parity kv / (tk / 4).
 * The chunks must pair up (γ a multiple of 2·tk, the chunk loop starting at even chunks: blocked
 * sums start at multiples of SUM_BLOCK) and tk be a multiple of 4.
 */
import { invariant } from '../../../util/assert.js';
import { binding, div, mod, mul, sum, u } from '../scaffold.js';
import { LANES, toF32, type StagedCopy, type transposedTile } from './wgsl-text.js';

/** transposedTile's options but `vec4` (always: at(t, 0, k0) a multiple of 4); at(t, k, k0) is read for k < 2·tk at even chunks. */
export function pairedTile(o: Omit<Parameters<typeof transposedTile>[0], 'vec4'>): StagedCopy {
  invariant(o.tk % 4 === 0, 'pairedTile: chunks of whole vec4s');
  const per = o.tk / 4;
  const t = binding('t', div('e', 2 * per));
  const kv = binding('kv', mod('e', 2 * per));
  return {
    count: o.lines * 2 * per,
    register: 'vec4<f32>',
    item: (k0) => [...t.decl, ...kv.decl, `let odd = ${mod(div(k0, o.tk), 2)};`],
    load: (v, k0) => [`if (odd == 0u) { ${v} = ${toF32(o.storage, `${o.buffer}[${div(o.at(t.ref, mul(kv.ref, 4), k0), 4)}]`, true)}; }`],
    store: (v) => [`if (odd == ${div(kv.ref, per)}) {`, ...LANES.map((l, q) => `  ${o.slot(sum(mul(mod(kv.ref, per), 4), u(q)), t.ref)} = ${v}.${l};`), '}'],
  };
}
