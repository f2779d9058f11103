/**
 * The staged reduction loop of the tiled families (wgsl-text.ts stagedLoop) with its sums
 * blocked: a reduction longer than BLOCKED_SUM_FROM runs as blocks of whole chunks, each summed
 * from zero into the accumulators and added to their totals once (reduction.ts blockedSum); a
 * shorter one is stagedLoop's text unchanged.
 */
import { blockedSum, type Accumulator } from '../reduction.js';
import { u } from '../scaffold.js';
import { stagedChunks, type Staging } from './wgsl-text.js';

/** Vector accumulators `vec4<f32>` named by `names`. */
export function vec4Accumulators(names: readonly string[]): Accumulator[] {
  return names.map((name) => ({ name, zero: 'vec4<f32>(0.0)' }));
}

/** stagedLoop(s, total, tk, pipelined, compute), `compute` adding into `accumulators`. */
export function stagedSum(s: Staging, total: number, tk: number, pipelined: boolean, compute: readonly string[], accumulators: readonly Accumulator[]): string[] {
  return blockedSum({
    name: 'k',
    count: total,
    step: tk,
    accumulators,
    loop: (first, end) => stagedChunks(s, { variable: 'k0', first, end, step: u(tk), mayBeEmpty: false }, pipelined, compute),
  });
}

/**
 * The multiply-adds of one staged chunk: `inner` (reading the chunk's γ as `k`) in a WGSL loop
 * over its tk γ, or (`ku`, session 12) written out tk times, each in a block where `k` is a
 * constant, so a planed tile's plane index is a constant (no run-time clamp) and the operand reads
 * of later γ can be scheduled early whether or not the driver unrolls loops (session 12's `el`
 * showed it does not unroll an epilogue loop: 1.507 vs 1.146 ms). Session 14's `kb` (a loop in
 * steps of a few written-out γ) lost every case the H200 timed (2-24% slower than ku) and left.
 */
export function chunkSteps(tk: number, inner: readonly string[], writtenOut: boolean): string[] {
  const indent = (ls: readonly string[]) => ls.map((l) => `  ${l}`);
  if (!writtenOut) return [`for (var k = 0u; k < ${u(tk)}; k++) {`, ...indent(inner), '}'];
  return Array.from({ length: tk }, (_, k) => ['{', `  const k = ${u(k)};`, ...indent(inner), '}']).flat();
}
