/**
 * ks-sgmat's `pd`: the double-buffered reduction loop (double-buffered-loop.ts, unrolled by two,
 * constant halves) with each chunk's global loads issued two chunks ahead instead of one.
 *
 * Why: with one chunk ahead, the loads of chunk i+1 have only chunk i's multiplies to land in
 * (16 MMAs per subgroup for a 16-deep chunk of a 64x64 subgroup tile: a few hundred cycles), less
 * than a load's latency from L2 or memory. Two register sets, one per half (`even` holds the
 * chunks stored to half 0, `odd` those to half 1), give each load two chunks' multiplies.
 *
 * The order per chunk is the double-buffered loop's: store the registers into the chunk's half,
 * one barrier, issue the loads of the chunk two ahead into the registers just stored, multiply.
 * The half written at chunk i was last read by chunk i−2's multiplies, which every invocation
 * finished before chunk i−1's barrier; the register set reloaded at chunk i was stored at chunk i.
 */
import { invariant } from '../../../util/assert.js';
import { u, type U32Expr } from '../u32.js';
import type { Staging } from './wgsl-text.js';

export function twoAheadLoop(even: Staging, odd: Staging, total: number, tk: number, compute: readonly string[]): string[] {
  invariant(total % (2 * tk) === 0, 'twoAheadLoop: needs an even number of chunks');
  const indent = (ls: readonly string[], by = '  ') => ls.map((l) => by + l);
  const ahead = (at: U32Expr, s: Staging): string[] => [`if (${at} < ${u(total)}) {`, ...indent(s.fetch(at)), '}'];
  const half = (buf: number, at: U32Expr, s: Staging, next: U32Expr) => ['{', `  const buf = ${u(buf)};`, ...indent(s.stash(at)), '  workgroupBarrier();', ...indent(ahead(next, s)), ...indent(compute), '}'];
  return [
    ...even.registers,
    ...odd.registers,
    ...even.fetch(u(0)),
    ...odd.fetch(u(tk)),
    `for (var k0 = 0u; k0 < ${u(total)}; k0 += ${u(2 * tk)}) {`,
    ...indent(half(0, 'k0', even, `k0 + ${u(2 * tk)}`)),
    ...indent(half(1, `k0 + ${u(tk)}`, odd, `k0 + ${u(3 * tk)}`)),
    '}',
  ];
}
