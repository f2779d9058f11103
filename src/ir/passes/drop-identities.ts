/**
 * drop-identities: empty chains (the identity, left behind when permutations cancel, e.g.
 * `transpose(4, 8) @ transpose(8, 4)`) vanish from the chains that hold them, and the chains and
 * sums this leaves with one element are unwrapped. An identity that cannot vanish (the whole map,
 * or a sum term: `dense() + transpose(4, 8) @ transpose(8, 4)`) would need a copy kernel, which
 * monc never emits: that is a located error.
 */
import { IrCompileError, IR_ERRORS } from '../errors.js';
import type { ChainExpr, IrExpr, IrMap } from '../ir.js';

export function dropIdentities(map: IrMap): IrMap {
  const body = dropExpr(map.body);
  if (body.kind === 'chain' && isIdentity(body)) throw identityError(body);
  return { ...map, body };
}

function isIdentity(e: IrExpr): boolean {
  return e.kind === 'chain' && e.stages.length === 0;
}

function identityError(e: ChainExpr): IrCompileError {
  return new IrCompileError(
    IR_ERRORS.identityTerm,
    'this is the identity map: computing it would need a kernel that only copies data, which monc never emits',
    e.span,
  );
}

function dropExpr(e: IrExpr): IrExpr {
  switch (e.kind) {
    case 'chain': {
      const stages = e.stages.map(dropExpr).filter((s) => !isIdentity(s)).flatMap((s) => (s.kind === 'chain' ? s.stages : [s]));
      return stages.length === 1 ? stages[0] : { ...e, stages };
    }
    case 'sum': {
      const terms = e.terms.map(dropExpr).flatMap((t) => (t.kind === 'sum' ? t.terms : [t]));
      const identity = terms.find((t): t is ChainExpr => t.kind === 'chain' && isIdentity(t));
      if (identity) throw identityError(identity);
      return terms.length === 1 ? terms[0] : { ...e, terms };
    }
    default:
      return e;
  }
}
