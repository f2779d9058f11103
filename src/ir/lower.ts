/**
 * Lowering: a map's structure model (src/model) becomes expression IR, node for node: every
 * K(a,b,c,d) factor a block matmul with identity index maps, a block-sparse factor a `bsr`, a
 * transpose an explicit `perm`, biases, chains and sums as they are. Permutations are folded
 * away later by `fold-permutations`. Nothing here knows a constructor: their factors are the model's.
 */
import { syntheticSpan } from '../dsl/span.js';
import type { CheckedMap, Dtype } from '../dsl/structure.js';
import { modelOf } from '../model/build.js';
import type { ModelMap, ModelNode } from '../model/types.js';
import { assertNever } from '../util/assert.js';
import type { Span } from '../util/span.js';
import { identityMap, transposeMap } from './index-map.js';
import type { IrExpr, IrMap } from './ir.js';

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
export function lowerNode(n: ModelNode, tied = new Map<string, IrExpr>()): IrExpr {
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
    case 'chain':
      return { kind: 'chain', stages: n.stages.map((s) => lowerNode(s, tied)), span };
    case 'sum':
      return { kind: 'sum', terms: n.terms.map((t) => lowerNode(t, tied)), span };
    case 'tied': {
      let ir = tied.get(n.map);
      if (ir === undefined) {
        ir = lowerNode(n.body, tied);
        tied.set(n.map, ir);
      }
      return ir;
    }
    default:
      return assertNever(n, 'model node');
  }
}
