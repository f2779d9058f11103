/**
 * The untuned build's kernel choice (families.ts `defaultSchedule`, `defaultPartition`): tiled
 * families where blocks are at least 8 x 8, the direct kernels otherwise, chain fusion only for
 * small radices; always valid within the portable DEFAULT_LIMITS.
 */
import { describe, expect, it } from 'vitest';
import { bsrCase, ks } from '../../bench/cases.js';
import { compileKernels } from '../../src/compile-kernels.js';
import { candidates, DEFAULT_LIMITS, defaultPartition, defaultSchedule } from '../../src/codegen/wgsl/index.js';
import type { Op } from '../../src/ir/ir.js';

const familyOf = (op: Op) => defaultSchedule(op, DEFAULT_LIMITS).family;

describe('untuned defaults', () => {
  it('ks: ks-tiled for contiguous blocks, ks-dvec for strided factors, ks-direct for small blocks', () => {
    expect(familyOf(ks(64, 64, 64, 1, 'x', 'y', 'w'))).toBe('ks-tiled');
    expect(familyOf(ks(1, 1024, 1024, 1, 'x', 'y', 'w'))).toBe('ks-tiled');
    expect(familyOf(ks(1, 64, 64, 64, 'x', 'y', 'w'))).toBe('ks-dvec');
    // Strided, but d not a multiple of 4: ks-dvec does not apply, ks-tiled does.
    expect(familyOf(ks(1, 8, 8, 6, 'x', 'y', 'w'))).toBe('ks-tiled');
    expect(familyOf(ks(512, 2, 2, 1, 'x', 'y', 'w'))).toBe('ks-direct');
    expect(familyOf(ks(4, 4, 16, 4, 'x', 'y', 'w'))).toBe('ks-direct');
  });

  it('bsr: bsr-tiled for blocks of two rows or more, bsr-direct for one-row blocks', () => {
    expect(familyOf(bsrCase(64, 64, 16, 16, [[0, 0], [1, 2], [3, 3]]).ops[0])).toBe('bsr-tiled');
    expect(familyOf(bsrCase(8, 16, 1, 4, [[0, 0], [5, 2]]).ops[0])).toBe('bsr-direct');
  });

  it('every default is among the candidates within the portable limits', () => {
    for (const op of [ks(64, 64, 64, 1, 'x', 'y', 'w'), ks(1, 64, 64, 64, 'x', 'y', 'w'), ks(512, 2, 2, 1, 'x', 'y', 'w'), bsrCase(64, 64, 16, 16, [[0, 0]]).ops[0]])
      expect(candidates(op, DEFAULT_LIMITS)).toContainEqual(defaultSchedule(op, DEFAULT_LIMITS));
  });

  it('fuses runs of small-radix factors only', () => {
    const program = (expr: string, n: number) => compileKernels(`module t\nmap m : ${n} -> ${n} = ${expr}\n`, 't.mon').programs![0];
    expect(defaultPartition(program('butterfly(radix: 2)', 256), DEFAULT_LIMITS)).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
    expect(defaultPartition(program('monarch(order: 3)', 4096), DEFAULT_LIMITS)).toEqual([[0], [1], [2]]);
    expect(defaultPartition(program('monarch(nblocks: 16)', 256), DEFAULT_LIMITS)).toEqual([[0], [1]]);
  });
});
