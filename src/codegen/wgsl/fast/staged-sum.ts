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
