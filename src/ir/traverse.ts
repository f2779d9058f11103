/**
 * Traversal of the expression IR for the passes: every walk over IrExpr goes through these, so
 * the one exhaustive switch over node kinds lives here and a new node kind is a compile error
 * here (and in the passes that must decide what it means), never a node passed over silently.
 */
import { assertNever } from '../util/assert.js';
import type { BiasExpr, BsrExpr, ChainExpr, IrExpr, KsExpr, PermExpr, SumExpr } from './ir.js';

/** A node without children. */
export type LeafExpr = KsExpr | BsrExpr | PermExpr | BiasExpr;

/** The node's children, in order (none for a leaf). */
export function childrenOf(e: IrExpr): readonly IrExpr[] {
  switch (e.kind) {
    case 'chain':
      return e.stages;
    case 'sum':
      return e.terms;
    case 'ks':
    case 'bsr':
    case 'perm':
    case 'bias':
      return [];
    default:
      return assertNever(e, 'IR node');
  }
}

/** The node with each child replaced by `f(child)` (a leaf comes back as it is). */
export function mapChildren(e: IrExpr, f: (child: IrExpr) => IrExpr): IrExpr {
  switch (e.kind) {
    case 'chain':
      return { ...e, stages: e.stages.map(f) };
    case 'sum':
      return { ...e, terms: e.terms.map(f) };
    case 'ks':
    case 'bsr':
    case 'perm':
    case 'bias':
      return e;
    default:
      return assertNever(e, 'IR node');
  }
}

/** Every leaf replaced by `f(leaf)`, chains and sums rebuilt around the results. */
export function mapLeaves(e: IrExpr, f: (leaf: LeafExpr) => IrExpr): IrExpr {
  switch (e.kind) {
    case 'chain':
    case 'sum':
      return mapChildren(e, (child) => mapLeaves(child, f));
    case 'ks':
    case 'bsr':
    case 'perm':
    case 'bias':
      return f(e);
    default:
      return assertNever(e, 'IR node');
  }
}

/** How a bottom-up rewrite rebuilds a chain and a sum whose children it has rewritten already. */
export interface CompositeRewrite {
  readonly chain: (e: ChainExpr) => IrExpr;
  readonly sum: (e: SumExpr) => IrExpr;
}

/**
 * Bottom-up rewrite of the chains and sums: children first, then the node rebuilt from the
 * rewritten children goes to `rewrite`; leaves stay as they are.
 */
export function rewriteComposites(e: IrExpr, rewrite: CompositeRewrite): IrExpr {
  switch (e.kind) {
    case 'chain':
      return rewrite.chain({ ...e, stages: e.stages.map((s) => rewriteComposites(s, rewrite)) });
    case 'sum':
      return rewrite.sum({ ...e, terms: e.terms.map((t) => rewriteComposites(t, rewrite)) });
    case 'ks':
    case 'bsr':
    case 'perm':
    case 'bias':
      return e;
    default:
      return assertNever(e, 'IR node');
  }
}
