/**
 * drop-identities: empty chains (the identity, left behind when permutations cancel, e.g.
 * `transpose(4, 8) @ transpose(8, 4)`) vanish from the chains that hold them, and the chains and
 * sums this leaves with one element are unwrapped. An identity that cannot vanish (the whole map,
 * or a sum term: `dense() + transpose(4, 8) @ transpose(8, 4)`) would need a copy kernel, which
 * monc never emits: that is reported, located (E0702).
 */
import { Code } from '../../dsl/codes.js';
import { diagnostic, reported, type Diagnostic, type Reported } from '../../dsl/diagnostics.js';
import type { IrExpr, IrMap } from '../ir.js';
import { rewriteComposites } from '../traverse.js';

/** The map without identities, or an E0702 for every identity that cannot vanish. */
export function dropIdentities(map: IrMap): Reported<IrMap> {
  const found: Diagnostic[] = [];
  const body = dropExpr(map.body, found);
  if (isIdentity(body)) found.push(identityError(body));
  return reported({ ...map, body }, found);
}

function isIdentity(e: IrExpr): boolean {
  return e.kind === 'chain' && e.stages.length === 0;
}

function identityError(e: IrExpr): Diagnostic {
  return diagnostic(
    Code.IdentityTerm,
    'this is the identity map: computing it would need a kernel that only copies data, which monc never emits',
    e.span,
  );
}

function dropExpr(e: IrExpr, found: Diagnostic[]): IrExpr {
  return rewriteComposites(e, {
    chain: (c) => {
      const stages = c.stages.filter((s) => !isIdentity(s)).flatMap((s) => (s.kind === 'chain' ? s.stages : [s]));
      return stages.length === 1 ? stages[0] : { ...c, stages };
    },
    sum: (s) => {
      const terms = s.terms.flatMap((t) => (t.kind === 'sum' ? t.terms : [t]));
      for (const t of terms) if (isIdentity(t)) found.push(identityError(t));
      return terms.length === 1 ? terms[0] : { ...s, terms };
    },
  });
}
