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
 * Loops longer than this sum in blocks (`accumulators` of unrolledLoop): an f32 running sum of K
 * terms rounds with an error growing like √K (K at worst), past 1e-5 relative from about 2¹⁷
 * terms, while blocks of SUM_BLOCK terms added once each give √SUM_BLOCK + √(K/SUM_BLOCK). Up to
 * this length one running sum is within 1e-6, and every example's kernel text stays as it was.
 */
export const BLOCKED_SUM_FROM = 4096;
/** Terms per block of a blocked sum (rounded up to a multiple of the unroll). */
export const SUM_BLOCK = 1024;

/**
 * `for name in [0, count)`, unrolled `unroll` times (a divisor of count; == count unrolls fully).
 * Each iteration is a block that declares `name`, so bodies may declare their own `let`s.
 * `accumulators` names the f32 sums the body adds into: a loop longer than BLOCKED_SUM_FROM then
 * runs in blocks (blockedSum; the body is unchanged).
 */
export function unrolledLoop(name: string, count: number, unroll: number, body: (it: Iteration) => readonly string[], accumulators: readonly string[] = []): string[] {
  const block = (value: U32Expr, it: Iteration) => ['{', `  let ${name} = ${value};`, ...body(it).map((l) => `  ${l}`), '}'];
  if (unroll >= count) return Array.from({ length: count }, (_, k) => block(u(k), { constant: k })).flat();
  const base = `${name}_0`;
  const copies = Array.from({ length: unroll }, (_, k) => block(k === 0 ? base : `${base} + ${u(k)}`, {})).flat();
  const loop = (from: U32Expr, to: U32Expr) => [`for (var ${base} = ${from}; ${base} < ${to}; ${base} += ${u(unroll)}) {`, ...copies.map((l) => `  ${l}`), '}'];
  return blockedSum({ name, count, step: unroll, accumulators: accumulators.map((acc) => ({ name: acc, zero: '0.0' })), loop });
}

/** A sum a reduction loop adds into: its name and the zero of its type (`0.0`, `vec4<f32>(0.0)`). */
export interface Accumulator {
  readonly name: string;
  readonly zero: string;
}

/** A reduction loop over [0, count) that adds into `accumulators` (blockedSum says how). */
export interface SumLoop<Count extends number | U32Expr> {
  readonly name: string;
  readonly count: Count;
  readonly step: number;
  readonly accumulators: readonly Accumulator[];
  readonly loop: (from: U32Expr, to: U32Expr) => readonly string[];
}

/**
 * A reduction over [0, count) that adds into `accumulators`: `loop(from, to)` renders the loop
 * over [from, to), stepping by `step` (its unroll, or the chunk of a staged loop). Up to
 * BLOCKED_SUM_FROM terms (or with no accumulators) that is `loop(0, count)` unchanged; a longer
 * reduction runs it over blocks of about SUM_BLOCK terms (a multiple of `step`, so every block
 * starts where a chunk of the plain loop would), each summed from zero and added to its
 * accumulator once. The blocks' loop is uniform (bounds are constants), so a `loop` may hold
 * barriers. `name` prefixes the block variable and is unique within the kernel.
 */
export function blockedSum(o: SumLoop<number>): string[] {
  const { count, accumulators } = o;
  if (accumulators.length === 0 || count <= BLOCKED_SUM_FROM) return [...o.loop(u(0), u(count))];
  return inBlocks({ ...o, count: u(count) });
}

/**
 * blockedSum for a reduction whose length is known only at run time: `count` is a uniform u32
 * WGSL expression (the batch splits of a gradient's partials). It always runs in blocks; a
 * reduction of at most one block's terms is the plain loop's sum added to zero once, the same
 * value bit for bit (0.0 + s == s), so short run-time reductions keep their results.
 */
export function runtimeBlockedSum(o: SumLoop<U32Expr>): string[] {
  if (o.accumulators.length === 0) return [...o.loop(u(0), o.count)];
  return inBlocks(o);
}

/** The blocks of blockedSum over [0, count): SUM_BLOCK terms rounded up to a multiple of `step`. */
function inBlocks(o: SumLoop<U32Expr>): string[] {
  const size = Math.ceil(SUM_BLOCK / o.step) * o.step;
  const start = `${o.name}_block`;
  return [
    `for (var ${start} = 0u; ${start} < ${o.count}; ${start} += ${u(size)}) {`,
    ...o.accumulators.flatMap((acc) => [`  let ${acc.name}_before = ${acc.name};`, `  ${acc.name} = ${acc.zero};`]),
    ...o.loop(start, `min(${start} + ${u(size)}, ${o.count})`).map((l) => `  ${l}`),
    ...o.accumulators.map((acc) => `  ${acc.name} = ${acc.name}_before + ${acc.name};`),
    '}',
  ];
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
