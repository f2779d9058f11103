/**
 * flatten: nested chains become one chain and nested sums one sum (both are associative), and a
 * chain or sum of a single element is that element. A chain of factors (monarch inside a
 * composition, say) thus becomes one straight sequence of stages.
 */
import type { IrExpr, IrMap } from '../ir.js';
import { rewriteComposites } from '../traverse.js';

export function flatten(map: IrMap): IrMap {
  return { ...map, body: flattenExpr(map.body) };
}

export function flattenExpr(e: IrExpr): IrExpr {
  return rewriteComposites(e, {
    chain: (c) => {
      const stages = c.stages.flatMap((s) => (s.kind === 'chain' ? s.stages : [s]));
      return stages.length === 1 ? stages[0] : { ...c, stages };
    },
    sum: (s) => {
      const terms = s.terms.flatMap((t) => (t.kind === 'sum' ? t.terms : [t]));
      return terms.length === 1 ? terms[0] : { ...s, terms };
    },
  });
}
