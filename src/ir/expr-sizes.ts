/** Logical input and output sizes of expression IR nodes. */
import { assertNever } from '../util/assert.js';
import type { IrExpr } from './ir.js';

/** The input size, or undefined when the node does not read its input (`bias`, or a chain/sum made only of those). */
export function exprIn(e: IrExpr): number | undefined {
  switch (e.kind) {
    case 'ks':
      return e.a * e.c * e.d;
    case 'bsr':
      return e.cols;
    case 'perm':
      return e.map.size;
    case 'bias':
      return undefined;
    case 'chain':
      return e.stages.length > 0 ? exprIn(e.stages[0]) : undefined;
    case 'sum':
      return e.terms.map(exprIn).find((n) => n !== undefined);
    default:
      return assertNever(e, 'IR node');
  }
}

/** The output size, or undefined for an empty chain (the identity, of any size). */
export function exprOut(e: IrExpr): number | undefined {
  switch (e.kind) {
    case 'ks':
      return e.a * e.b * e.d;
    case 'bsr':
      return e.rows;
    case 'perm':
      return e.map.size;
    case 'bias':
      return e.size;
    case 'chain':
      return e.stages.length > 0 ? exprOut(e.stages[e.stages.length - 1]) : undefined;
    case 'sum':
      return e.terms.map(exprOut).find((n) => n !== undefined);
    default:
      return assertNever(e, 'IR node');
  }
}
