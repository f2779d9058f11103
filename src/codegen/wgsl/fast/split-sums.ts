/**
 * The partial sums of a reduction split over `parts` groups of invocations (ks-dtiled's `wres` with `sk`; session 29's
 * contiguous form shared it until it lost and left): the invocation of part `h` and slot `slot` (WGSL names) holds the vec4 accumulators `accs`; parts 1.. put theirs
 * in the workgroup array `ps` ((parts − 1) · accs.length · slots vec4s; accumulator i of part p + 1 at
 * (p · accs.length + i) · slots + slot, so consecutive lanes write consecutive vec4s), one barrier, and part 0 adds
 * them. Part 0 reads them before any invocation passes the next chunk's barrier (doubleBufferedLoop), after which they
 * are written again.
 */
import { mul, sum, u, type U32Expr } from '../scaffold.js';

export function combinedParts(ps: string, accs: readonly string[], parts: number, slots: number): string[] {
  const at = (p: U32Expr, i: number) => `${ps}[${sum(mul(sum(mul(p, accs.length), u(i)), slots), 'slot')}]`;
  const out = ['if (h > 0u) {', ...accs.map((a, i) => `  ${at('h - 1u', i)} = ${a};`), '}', 'workgroupBarrier();', 'if (h == 0u) {'];
  for (let p = 0; p < parts - 1; p++) out.push(...accs.map((a, i) => `  ${a} += ${at(u(p), i)};`));
  out.push('}');
  return out;
}
