/**
 * The staged reduction loop of the tiled families (wgsl-text.ts stagedLoop) with its sums
 * blocked: a reduction longer than BLOCKED_SUM_FROM runs as blocks of whole chunks, each summed
 * from zero into the accumulators and added to their totals once (reduction.ts blockedSum); a
 * shorter one is stagedLoop's text unchanged. `doubleBufferedSum` is the same reduction over two
 * copies of the staged tiles (the `db` knob of ks-tiled and ks-dtiled).
 */
import { blockedSum, type Accumulator } from '../reduction.js';
import { sum, u } from '../scaffold.js';
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
 * The pipelined staged reduction with two copies of the staged tiles: chunk i is multiplied from
 * copy i % 2 while chunk i + 1, whose global loads were issued before the multiply, goes to the
 * other copy after it, so ONE barrier per chunk separates the writes of a copy from its reads
 * (stagedSum needs two: a single copy cannot be refilled before every invocation has read it).
 * The loop takes two chunks per iteration, so each copy's workgroup offsets are constants in its
 * text. `stages[i]` stashes into copy i (both share the registers and global loads: the same
 * `prefix`); `compute[i]` reads copy i. `total` must be a multiple of 2·tk (every chunk full).
 */
export function doubleBufferedSum(
  stages: readonly [Staging, Staging],
  total: number,
  tk: number,
  compute: readonly [readonly string[], readonly string[]],
  accumulators: readonly Accumulator[],
): string[] {
  const indent = (ls: readonly string[], by = '  ') => ls.map((l) => by + l);
  const [s0, s1] = stages;
  const next = sum('k0', u(tk));
  const after = sum('k0', u(2 * tk));
  return blockedSum({
    name: 'k',
    count: total,
    step: 2 * tk,
    accumulators,
    loop: (first, end) => [
      ...s0.registers,
      ...s0.fetch(first),
      ...s0.stash(first),
      'workgroupBarrier();',
      `for (var k0 = ${first}; k0 < ${end}; k0 += ${u(2 * tk)}) {`,
      ...indent(s1.fetch(next)),
      ...indent(compute[0]),
      ...indent(s1.stash(next)),
      '  workgroupBarrier();',
      `  if (${after} < ${end}) {`,
      ...indent(s0.fetch(after), '    '),
      '  }',
      ...indent(compute[1]),
      `  if (${after} < ${end}) {`,
      ...indent(s0.stash(after), '    '),
      '  }',
      '  workgroupBarrier();',
      '}',
    ],
  });
}
