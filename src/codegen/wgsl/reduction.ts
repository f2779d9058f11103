/**
 * The inner reduction loop of the matmul kernels, unrolled by a schedule knob, and the source
 * index inside it: the part of the index that depends on the loop variable is a constant when
 * the loop is fully unrolled, an affine stride when the fields allow, and the rendered fields
 * otherwise. The part that does not depend on it is hoisted by the caller.
 */
import { evaluateIndex, renderIndex, splitByVar, type IndexExpr } from './index-map.js';
import { u } from './scaffold.js';
import type { U32Expr } from './u32.js';

/** One iteration as the loop body sees it; `constant` is the loop variable's value when known. */
export interface Iteration {
  readonly constant?: number;
}

/**
 * `for name in [0, count)`, unrolled `unroll` times (a divisor of count; == count unrolls fully).
 * Each iteration is a block that declares `name`, so bodies may declare their own `let`s.
 */
export function unrolledLoop(name: string, count: number, unroll: number, body: (it: Iteration) => readonly string[]): string[] {
  const block = (value: U32Expr, it: Iteration) => ['{', `  let ${name} = ${value};`, ...body(it).map((l) => `  ${l}`), '}'];
  if (unroll >= count) return Array.from({ length: count }, (_, k) => block(u(k), { constant: k })).flat();
  const base = `${name}_0`;
  const copies = Array.from({ length: unroll }, (_, k) => block(k === 0 ? base : `${base} + ${u(k)}`, {})).flat();
  return [`for (var ${base} = 0u; ${base} < ${u(count)}; ${base} += ${u(unroll)}) {`, ...copies.map((l) => `  ${l}`), '}'];
}

/**
 * A source index split for a loop over `loopVar`: `hoisted` (WGSL, loop-invariant; undefined
 * when nothing can be hoisted) and `inLoop(it)`, the index inside an iteration.
 */
export function loopIndex(e: IndexExpr, loopVar: string): { readonly hoisted?: U32Expr; inLoop(it: Iteration): U32Expr } {
  const split = splitByVar(e, loopVar);
  if (!split) return { inLoop: () => renderIndex(e) };
  const hoisted = renderIndex(split.rest);
  return {
    hoisted,
    inLoop(it) {
      if (it.constant !== undefined) return u(evaluateIndex(split.part, { [loopVar]: it.constant }));
      return renderIndex(split.part);
    },
  };
}
