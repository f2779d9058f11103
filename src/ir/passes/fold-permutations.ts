/**
 * fold-permutations: every `perm` disappears into the index maps of neighbouring block matmuls
 * (SPEC §3: no step exists only to move data). A perm before a stage goes into that stage's
 * input map (distributed over every term of a sum; a `bias` ignores its input); failing that, a
 * perm after a stage goes into its output map (every term of a sum, `bias` terms included).
 * Consecutive perms compose first; a composition that is the identity is dropped.
 *
 * Semantics used: a perm P moves in[i] to out[P(i)]. So `A then P` writes A's logical output l
 * to P(outA(l)) (output map outA·P), and `P then B` reads B's logical input j from
 * P⁻¹(inB(j)) (input map inB·P⁻¹).
 */
import { Code } from '../../dsl/codes.js';
import { diagnostic, reported, type Diagnostic, type Reported } from '../../dsl/diagnostics.js';
import { assertNever } from '../../util/assert.js';
import { composeIndexMaps, invertIndexMap, isIdentityMap } from '../index-map.js';
import type { ChainExpr, IndexMap, IrExpr, IrMap, PermExpr } from '../ir.js';
import { rewriteComposites } from '../traverse.js';

/** The map without perms, or an E0701 for every permutation that no block matmul can absorb. */
export function foldPermutations(map: IrMap): Reported<IrMap> {
  const found: Diagnostic[] = [];
  const body = foldExpr(map.body, found);
  if (body.kind === 'perm') found.push(unfusable(body));
  return reported({ ...map, body }, found);
}

function unfusable(p: PermExpr): Diagnostic {
  return diagnostic(
    Code.UnfusablePermutation,
    'this permutation has no block matmul next to it to absorb it; monc never emits a kernel that only moves data',
    p.span,
  );
}

/**
 * The expression without perm nodes, except that an expression that is only a permutation comes
 * back as one `perm` (for the enclosing chain to place) and one that is the identity as an empty
 * chain. A permutation that cannot be placed goes into `found` (and out of the expression).
 */
function foldExpr(e: IrExpr, found: Diagnostic[]): IrExpr {
  return rewriteComposites(e, {
    chain: (c) => foldChain(c.stages, c, found),
    sum: (s) => {
      for (const t of s.terms) if (t.kind === 'perm') found.push(unfusable(t));
      return s;
    },
  });
}

function foldChain(stages: readonly IrExpr[], chain: ChainExpr, found: Diagnostic[]): IrExpr {
  const out: IrExpr[] = [];
  /** Puts a non-identity perm before `next` into `next`'s input, or else into the output of the stage before it. */
  const place = (p: PermExpr, next: IrExpr | undefined): IrExpr | undefined => {
    const absorbed = next && absorbInput(next, p.map);
    if (absorbed) return absorbed;
    const prev = out.length > 0 ? absorbOutput(out[out.length - 1], p.map) : null;
    if (prev) out[out.length - 1] = prev;
    else found.push(unfusable(p));
    return next;
  };
  let pending = null as PermExpr | null;
  for (const stage of stages) {
    if (stage.kind === 'perm') {
      pending = pending === null ? stage : { ...pending, map: composeIndexMaps(pending.map, stage.map) };
    } else if (stage.kind === 'chain' && stage.stages.length === 0) {
      // An empty chain is the identity: it neither needs nor absorbs anything.
    } else {
      out.push(pending === null || isIdentityMap(pending.map) ? stage : place(pending, stage)!);
      pending = null;
    }
  }
  if (pending !== null && !isIdentityMap(pending.map)) {
    if (out.length === 0) return pending;
    place(pending, undefined);
  }
  return { ...chain, stages: out };
}

/** `e` reading its input through `map` first, or null when some part of it cannot absorb that. */
function absorbInput(e: IrExpr, map: IndexMap): IrExpr | null {
  switch (e.kind) {
    case 'ks':
    case 'bsr':
      return { ...e, input: composeIndexMaps(e.input, invertIndexMap(map)) };
    case 'bias':
      return e;
    case 'chain': {
      const first = e.stages.length > 0 ? absorbInput(e.stages[0], map) : null;
      return first && { ...e, stages: [first, ...e.stages.slice(1)] };
    }
    case 'sum': {
      const terms = e.terms.map((t) => absorbInput(t, map));
      return terms.every((t): t is IrExpr => t !== null) ? { ...e, terms } : null;
    }
    case 'perm':
      return null;
    default:
      return assertNever(e, 'IR node');
  }
}

/** `e` with `map` applied to where it writes, or null when some part of it cannot absorb that. */
function absorbOutput(e: IrExpr, map: IndexMap): IrExpr | null {
  switch (e.kind) {
    case 'ks':
    case 'bsr':
    case 'bias':
      return { ...e, output: composeIndexMaps(e.output, map) };
    case 'chain': {
      const n = e.stages.length;
      const last = n > 0 ? absorbOutput(e.stages[n - 1], map) : null;
      return last && { ...e, stages: [...e.stages.slice(0, n - 1), last] };
    }
    case 'sum': {
      const terms = e.terms.map((t) => absorbOutput(t, map));
      return terms.every((t): t is IrExpr => t !== null) ? { ...e, terms } : null;
    }
    case 'perm':
      return null;
    default:
      return assertNever(e, 'IR node');
  }
}
