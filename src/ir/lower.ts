/**
 * Lowering: a checked structure becomes expression IR in which every constructor is a chain of
 * block matmuls K(a,b,c,d) (or one block-sparse matmul), `transpose` an explicit `perm`, and the
 * index maps are all the identity. Permutations are folded away later by `fold-permutations`.
 */
import { paramsOf } from '../dsl/params.js';
import { syntheticSpan, type Span } from '../dsl/span.js';
import type { CheckedMap, Dtype, Structure } from '../dsl/structure.js';
import { assertNever } from '../util/assert.js';
import { identityMap, product, transposeMap } from './index-map.js';
import type { IrExpr, IrMap, KsExpr } from './ir.js';

export function lowerMap(map: CheckedMap, dtype: Dtype): IrMap {
  return {
    name: map.name,
    in: map.in,
    out: map.out,
    dtype,
    params: paramsOf(map.structure).map((p) => ({ name: p.name, shape: p.shape })),
    body: lowerStructure(map.structure),
    span: map.span ?? map.structure.span ?? syntheticSpan(),
  };
}

/** K(a,b,c,d) with weights `tensor[offset : offset + a·d·b·c]` and identity index maps. */
function ks(a: number, b: number, c: number, d: number, tensor: string, offset: number, span: Span): KsExpr {
  return {
    kind: 'ks',
    a,
    b,
    c,
    d,
    weight: { tensor, offset, length: a * d * b * c },
    input: identityMap(a * c * d),
    output: identityMap(a * b * d),
    span,
  };
}

/**
 * The IR of a structure. A reference's target is lowered once per call and its IR shared by every
 * use (the IR is immutable), so lowering costs the module's text, not its expansion: an alias
 * chain of n maps is n steps, not n²/2.
 */
export function lowerStructure(s: Structure, lowered = new Map<string, IrExpr>()): IrExpr {
  const lower = (t: Structure) => lowerStructure(t, lowered);
  const span = s.span ?? syntheticSpan();
  const name = (p: string) => `${s.path}.${p}`;
  const chain = (stages: IrExpr[]): IrExpr => ({ kind: 'chain', stages, span });
  switch (s.kind) {
    case 'dense':
      return ks(1, s.out, s.in, 1, name('weight'), 0, span);
    case 'ks':
      return ks(s.a, s.b, s.c, s.d, name('w'), 0, span);
    case 'blockdiag': {
      const k = s.nblocks;
      return ks(k, s.out / k, s.in / k, 1, name('weight'), 0, span);
    }
    case 'transpose':
      return { kind: 'perm', map: transposeMap(s.r, s.c), span };
    case 'monarch': {
      const k = s.nblocks;
      return chain([ks(k, s.q, s.p, 1, name('blkdiag1'), 0, span), ks(1, s.s, s.r, k, name('blkdiag2'), 0, span)]);
    }
    case 'monarch_order':
      return chain(
        s.radices.map((b, i) => ks(product(s.radices.slice(i + 1)), b, b, product(s.radices.slice(0, i)), name(`factor${i}`), 0, span)),
      );
    case 'butterfly': {
      const r = s.radix;
      const n = s.in;
      const levels = [...Array(s.levels).keys()];
      if (s.stride === 'decreasing') levels.reverse();
      // twiddle[t] is the (n/r, r, r) slab of the factor with stride r^t.
      return chain(levels.map((t) => ks(n / (r * r ** t), r, r, r ** t, name('twiddle'), t * n * r, span)));
    }
    case 'lowrank':
      return chain([ks(1, s.rank, s.in, 1, name('V'), 0, span), ks(1, s.out, s.rank, 1, name('U'), 0, span)]);
    case 'sparse':
      return {
        kind: 'bsr',
        rows: s.out,
        cols: s.in,
        bh: s.bh,
        bw: s.bw,
        blocks: s.blocks,
        weight: { tensor: name('values'), offset: 0, length: s.blocks.length * s.bh * s.bw },
        input: identityMap(s.in),
        output: identityMap(s.out),
        span,
      };
    case 'bias':
      return { kind: 'bias', size: s.out, param: { tensor: name('bias'), offset: 0, length: s.out }, output: identityMap(s.out), span };
    case 'sum':
      return { kind: 'sum', terms: s.terms.map(lower), span };
    case 'chain':
      // Source order is `f0 @ f1 @ …` (f0 applied last); IR stages are in application order.
      return chain([...s.factors].reverse().map(lower));
    case 'ref': {
      let ir = lowered.get(s.map);
      if (ir === undefined) {
        ir = lower(s.target);
        lowered.set(s.map, ir);
      }
      return ir;
    }
    default:
      return assertNever(s, 'structure');
  }
}
