/**
 * A small typed builder for the u32 index arithmetic of kernels: constants carry their value
 * (U32Const, written `<value>u`), so sums, products, quotients and remainders fold them by value
 * and never read a literal back from WGSL text. Other operands are text: a name, or an
 * expression the caller wrote.
 */
import { invariant } from '../../util/assert.js';

/**
 * A u32 constant whose value the builder knows: written as the WGSL literal `<value>u`. The
 * arithmetic below folds constants by value, never by reading them back from WGSL text.
 */
export class U32Const {
  constructor(readonly value: number) {
    invariant(Number.isInteger(value) && value >= 0 && value < 2 ** 32, `index constant ${value} does not fit u32`);
  }

  toString(): string {
    return `${this.value}u`;
  }
}

/** A u32 WGSL expression: a constant, or text (a name, or an expression its caller wrote). */
export type U32Expr = U32Const | string;

/** An unsigned WGSL literal. */
export function u(n: number): U32Const {
  return new U32Const(n);
}

/*
 * u32 arithmetic on WGSL expressions with a compile-time constant operand. Tile and radix sizes
 * are often 1 and offsets 0, so the identities are left out (`x * 1u` is `x`, `x % 1u` is `0u`)
 * and constant operands are folded, keeping the generated text readable.
 */

function valueOf(e: U32Expr): number | undefined {
  return e instanceof U32Const ? e.value : undefined;
}

/** `e` as the left operand of `*`, `/` or `%`: parenthesised unless it is one term already. */
function operand(e: U32Expr): string {
  if (e instanceof U32Const) return e.toString();
  let depth = 0;
  for (const ch of e) {
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === ' ' && depth === 0) return `(${e})`;
  }
  return e;
}

/** WGSL sum of index terms, leaving out absent and zero terms; constant terms fold into the first one. */
export function sum(...terms: readonly (U32Expr | undefined)[]): U32Expr {
  const present = terms.filter((t): t is U32Expr => t !== undefined);
  const constant = present.reduce((acc, t) => acc + (valueOf(t) ?? 0), 0);
  const first = present.findIndex((t) => valueOf(t) !== undefined);
  const kept = present.flatMap((t, i) => (valueOf(t) === undefined ? [t] : i === first && constant > 0 ? [u(constant)] : []));
  if (kept.length === 0) return u(0);
  return kept.length === 1 ? kept[0] : kept.join(' + ');
}

/** `e * k`. */
export function mul(e: U32Expr, k: number): U32Expr {
  const v = valueOf(e);
  if (k === 0) return u(0);
  if (v !== undefined) return u(v * k);
  return k === 1 ? e : `${operand(e)} * ${u(k)}`;
}

/** `e / k` (k > 0). */
export function div(e: U32Expr, k: number): U32Expr {
  const v = valueOf(e);
  if (v !== undefined) return u(Math.floor(v / k));
  return k === 1 ? e : `${operand(e)} / ${u(k)}`;
}

/** `e % k` (k > 0). */
export function mod(e: U32Expr, k: number): U32Expr {
  const v = valueOf(e);
  if (k === 1) return u(0);
  return v !== undefined ? u(v % k) : `${operand(e)} % ${u(k)}`;
}
