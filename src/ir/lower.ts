/**
 * Lowering: a map's structure model (src/model) becomes expression IR, node for node: every
 * K(a,b,c,d) factor a block matmul with identity index maps, a block-sparse factor a `bsr`, a
 * transpose an explicit `perm`, biases, chains and sums as they are. Permutations are folded
 * away later by `fold-permutations`. Nothing here knows a constructor's factors (they are the
 * model's); what a chain *is* survives only where kernels depend on it: the two factors of a chain
 * the model tags `monarch` carry a PairMark (numbered in lowering order), which fusion reads.
 */
import { syntheticSpan } from '../dsl/span.js';
import type { CheckedMap, Dtype } from '../dsl/structure.js';
import { modelOf } from '../model/build.js';
import type { ModelMap, ModelNode } from '../model/types.js';
import { assertNever, invariant } from '../util/assert.js';
import type { Span } from '../util/span.js';
import { identityMap, transposeMap } from './index-map.js';
import type { IrExpr, IrMap, KsExpr } from './ir.js';

export function lowerMap(map: CheckedMap, dtype: Dtype): IrMap {
  return lowerModel(modelOf(map), dtype, map.span ?? map.structure.span ?? syntheticSpan());
}

export function lowerModel(model: ModelMap, dtype: Dtype, span: Span): IrMap {
  return {
    name: model.name,
    in: model.in,
    out: model.out,
    dtype,
    params: model.params.map((p) => ({ name: p.name, shape: p.shape })),
    body: lowerNode(model.body),
    span,
  };
}

/**
 * The IR of a model node. A tied map's body is lowered once per map name and its IR shared by
 * every use (the IR is immutable), so lowering costs the module's text, not its expansion: an
 * alias chain of n maps is n steps, not n²/2.
 */
export function lowerNode(n: ModelNode, tied = new Map<string, IrExpr>(), pairs = { next: 0 }): IrExpr {
  const span = n.span ?? syntheticSpan();
  switch (n.kind) {
    case 'ks':
      return { kind: 'ks', a: n.a, b: n.b, c: n.c, d: n.d, weight: n.weight, input: identityMap(n.in), output: identityMap(n.out), span };
    case 'bsr':
      return {
        kind: 'bsr',
        rows: n.out,
        cols: n.in,
        bh: n.bh,
        bw: n.bw,
        blocks: n.blocks,
        weight: n.weight,
        input: identityMap(n.in),
        output: identityMap(n.out),
        span,
      };
    case 'transpose':
      return { kind: 'perm', map: transposeMap(n.r, n.c), span };
    case 'bias':
      return { kind: 'bias', size: n.out, param: n.param, output: identityMap(n.out), span };
    case 'chain': {
      const stages = n.stages.map((s) => lowerNode(s, tied, pairs));
      return { kind: 'chain', stages: n.constructorKind === 'monarch' ? markPair(stages, pairs.next++) : stages, span };
    }
    case 'sum':
      return { kind: 'sum', terms: n.terms.map((t) => lowerNode(t, tied, pairs)), span };
    case 'tied': {
      let ir = tied.get(n.map);
      if (ir === undefined) {
        ir = lowerNode(n.body, tied, pairs);
        tied.set(n.map, ir);
      }
      return ir;
    }
    default:
      return assertNever(n, 'model node');
  }
}

/** The two `ks` stages of a Monarch chain, marked as pair `group` (stage 0 applied first). */
function markPair(stages: readonly IrExpr[], group: number): IrExpr[] {
  const [first, second] = stages;
  invariant(stages.length === 2 && first.kind === 'ks' && second.kind === 'ks', 'lower: a monarch chain is not two ks factors');
  const marked = (e: KsExpr, stage: 0 | 1): KsExpr => ({ ...e, pair: { group, stage } });
  return [marked(first, 0), marked(second, 1)];
}
