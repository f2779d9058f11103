/**
 * A staged reduction loop over two halves of workgroup memory (ks-sgmat's `db`): the loop's
 * `let buf = (k0 / tk) % 2` names the half chunk k0 is stored to and read from (the caller's
 * staging stores and `compute` add buf times a tile to their offsets). Chunk i+1 is fetched into
 * registers while chunk i is multiplied, as in the pipelined `stagedLoop`, and stored at the top
 * of the next iteration into the half chunk i−1 was read from: every invocation finished reading
 * it before chunk i's barrier, so that single barrier per chunk orders both the stores before the
 * reads and the reads before the next overwrite (stagedLoop needs a second one after `compute`).
 * After the loop nobody writes the halves again, so none follows it.
 *
 * `unrolled` (an even number of chunks): the loop steps two chunks at a time, each in a block of
 * its own where `buf` is a constant (`const buf = 0u;`, then 1u), so every offset into the halves
 * is a constant expression as in the single-buffered loop (a runtime `buf` makes each matrix
 * load's offset, and the bounds check Dawn's robustness adds to it, a runtime value).
 *
 * `compute` may be a function of the chunk's start (its WGSL expression): a kernel whose chunks
 * are rows rather than a reduction (ks-dtiled's `wres`) writes each chunk's results in it, and
 * may end the loop early at `end` (a workgroup-uniform expression: its rows past the batch).
 */
import { invariant } from '../../../util/assert.js';
import { div, mod, u, type U32Expr } from '../scaffold.js';
import type { Staging } from './wgsl-text.js';

export function doubleBufferedLoop(s: Staging, total: number, tk: number, compute: readonly string[] | ((at: U32Expr) => readonly string[]), unrolled = false, end?: U32Expr): string[] {
  const indent = (ls: readonly string[], by = '  ') => ls.map((l) => by + l);
  const computeAt = (at: U32Expr) => (typeof compute === 'function' ? compute(at) : compute);
  const next: U32Expr = `k0 + ${u(tk)}`;
  if (unrolled) {
    invariant(total % (2 * tk) === 0, 'doubleBufferedLoop: unrolled needs an even number of chunks');
    const after: U32Expr = `k0 + ${u(2 * tk)}`;
    const half = (buf: number, at: U32Expr, fetch: readonly string[]) => ['{', `  const buf = ${u(buf)};`, ...indent(s.stash(at)), '  workgroupBarrier();', ...indent(fetch), ...indent(computeAt(at)), '}'];
    return [
      ...s.registers,
      ...s.fetch(u(0)),
      `for (var k0 = 0u; k0 < ${end === undefined ? u(total) : `min(${u(total)}, ${end})`}; k0 += ${u(2 * tk)}) {`,
      ...indent(half(0, 'k0', s.fetch(next))),
      ...indent(half(1, next, [`if (${after} < ${u(total)}) {`, ...indent(s.fetch(after)), '}'])),
      '}',
    ];
  }
  return [
    ...s.registers,
    ...s.fetch(u(0)),
    `for (var k0 = 0u; k0 < ${u(total)}; k0 += ${u(tk)}) {`,
    `  let buf = ${mod(div('k0', tk), 2)};`,
    ...indent(s.stash('k0')),
    '  workgroupBarrier();',
    `  if (${next} < ${u(total)}) {`,
    ...indent(s.fetch(next), '    '),
    '  }',
    ...indent(computeAt('k0')),
    '}',
  ];
}
