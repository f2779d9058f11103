/** The expression traversal the passes share: what each helper visits and rebuilds. */
import { describe, expect, it } from 'vitest';
import type { IrExpr } from '../../src/ir/ir.js';
import { parseIrMap } from '../../src/ir/parse.js';
import { printIrMap } from '../../src/ir/printer.js';
import { childrenOf, mapChildren, mapLeaves, rewriteComposites } from '../../src/ir/traverse.js';
import { dedent } from './text.js';

const MAP = parseIrMap(
  dedent(`
    map f : 8 -> 8 f32
    param f.w (1,8,8)
    param f.b (8)
    sum
      chain
        ks(a=1 b=8 c=8 d=1) w=f.w[0:64] in=[] out=[]
        perm(size=8) map=[(2,4):(1,0)]
      bias(size=8) b=f.b[0:8] out=[]
  `),
);

/** Every node kind in pre-order, as the helpers see the tree. */
function kinds(e: IrExpr): string[] {
  return [e.kind, ...childrenOf(e).flatMap(kinds)];
}

describe('traverse', () => {
  it('childrenOf lists a chain’s stages and a sum’s terms in order, nothing for a leaf', () => {
    expect(kinds(MAP.body)).toEqual(['sum', 'chain', 'ks', 'perm', 'bias']);
  });

  it('mapChildren rebuilds one level only', () => {
    const seen: string[] = [];
    const same = mapChildren(MAP.body, (c) => (seen.push(c.kind), c));
    expect(seen).toEqual(['chain', 'bias']);
    expect(same).toEqual(MAP.body);
  });

  it('mapLeaves reaches every leaf, chains and sums rebuilt around the results', () => {
    const seen: string[] = [];
    const out = mapLeaves(MAP.body, (leaf) => (seen.push(leaf.kind), leaf.kind === 'perm' ? { kind: 'chain', stages: [], span: leaf.span } : leaf));
    expect(seen).toEqual(['ks', 'perm', 'bias']);
    expect(kinds(out)).toEqual(['sum', 'chain', 'ks', 'chain', 'bias']);
  });

  it('rewriteComposites goes bottom-up: a node sees its children already rewritten', () => {
    const order: string[] = [];
    const out = rewriteComposites(MAP.body, {
      chain: (c) => (order.push(`chain of ${c.stages.length}`), c.stages[0]),
      sum: (s) => (order.push(`sum of ${s.terms.map((t) => t.kind).join(',')}`), s),
    });
    expect(order).toEqual(['chain of 2', 'sum of ks,bias']);
    expect(printIrMap({ ...MAP, body: out })).toContain('sum\n  ks(a=1 b=8 c=8 d=1)');
  });
});
