/**
 * The untuned build's kernel choice (families.ts `defaultSchedule`, `defaultPartition`): tiled
 * families where blocks are at least 8 x 8, the direct kernels otherwise, chain fusion only for
 * small radices; always valid within the portable DEFAULT_LIMITS.
 */
import { describe, expect, it } from 'vitest';
import { bsrCase, ks, monarchCase } from '../../bench/cases.js';
import { compileKernels } from '../../src/compile-kernels.js';
import { candidates, DEFAULT_LIMITS, defaultPartition, defaultSchedule } from '../../src/codegen/wgsl/index.js';
import type { Op } from '../../src/ir/ir.js';
import { ksDtiled } from '../../src/codegen/wgsl/fast/ks-dtiled.js';
import { ksTiled } from '../../src/codegen/wgsl/fast/ks-tiled.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';

const H200: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', 'chromium-experimental-subgroup-matrix', 'subgroups'] };
/** What f32 storage may use on it (the tensor-core families take f16 operands). */
const H200_F32: TargetLimits = { ...H200, features: ['chromium-experimental-subgroup-matrix', 'subgroups'] };
/** The Monarch shapes measured on the H200 (docs/performance.md): n -> m, nblocks. */
const MONARCHS = [monarchCase(4096, 4096, 64), monarchCase(1024, 4096, 4), monarchCase(4096, 1024, 4), monarchCase(16384, 16384, 128)];
/** n=4096's best first-factor schedule of session 4, f32 (bench/results/s4/call2, call3): blocks of γ < 64 since session 13. */
const FIRST_BEST = { family: 'ks-tiled', rows: 64, cols: 64, dtile: 1, tk: 8, rr: 8, rb: 4, vec4: true, pipeline: true };
/**
 * A long reduction's (γ ≥ 128 since session 12: n=16384's, 1024 -> 4096's and 4096 -> 1024's first factors; dense layers):
 * 128 × 128, 8x8, chunks of 16, ilv + pad + pl, and (session 13) each chunk written out, ku (H100, s12 call 2).
 */
const LONG_BEST = { ...FIRST_BEST, rows: 128, cols: 128, tk: 16, rb: 8, ilv: true, pad: true, pl: true, ku: true };
/** Blocks of γ = 64 (n=4096's first factor, session 13): 128 × 64 with the long reduction's knobs (H100 and H200, s12 calls 2 and 5). */
const WIDE_BEST = { ...LONG_BEST, cols: 64 };

const familyOf = (op: Op) => defaultSchedule(op, DEFAULT_LIMITS).family;

describe('untuned defaults', () => {
  it('ks-tiled defaults to the measured best first factor of every Monarch measured, on the H200 and on portable limits (it fits both)', () => {
    for (const c of MONARCHS)
      for (const limits of [H200_F32, DEFAULT_LIMITS]) {
        // The long reduction's tile on portable limits: chunks of 8 (16 would need 16.5 KiB); n=4096's (γ = 64) fits them.
        const want = c.ops[0].c < 128 ? WIDE_BEST : limits === H200_F32 ? LONG_BEST : { ...LONG_BEST, tk: 8 };
        expect(ksTiled.defaultSchedule(c.ops[0], limits), c.name).toEqual(want);
        expect(defaultSchedule(c.ops[0], limits), c.name).toEqual(want);
      }
    // Blocks of γ < 64 keep session 4's shape.
    for (const limits of [H200_F32, DEFAULT_LIMITS]) expect(ksTiled.defaultSchedule(ks(4, 64, 32, 1, 'x', 'y', 'w'), limits)).toEqual(FIRST_BEST);
    // Dense layers: the tile of dense 4096³'s best on the H100 (128 × 128, 8x8 tiles, chunks of 16, pipelined), with the long reduction's flags.
    expect(ksTiled.defaultSchedule(ks(1, 4096, 4096, 1, 'x', 'y', 'w'), H200_F32)).toEqual(LONG_BEST);
  });

  it('strided factors: ks-dtiled at its measured best where the target holds it; on portable limits ks-dvec from d = 8, ks-dtiled at d = 4', () => {
    const best = (cols: number, dtile: number, tk: number) => ({ family: 'ks-dtiled', rows: 64, cols, dtile, tk, rr: 8, rb: 8, pipeline: true });
    // H100, session 12: d >= 8 the δ-fastest 8x8 form, in planes (session 11) with each chunk written out (ku); d = 4 bcast + grun, 128 rows (session 10), with pl and ku.
    const fourBlocks = { ...best(64, 4, 8), rows: 128, bcast: true, grun: true, pl: true, ku: true };
    // Session 14: the d >= 8 form with padded staging (pad).
    const strided = { ...best(64, 8, 8), pl: true, ku: true, pad: true };
    const wants = [strided, fourBlocks, fourBlocks, strided];
    MONARCHS.forEach((c, i) => {
      expect(defaultSchedule(c.ops[1], H200_F32), c.name).toEqual(wants[i]);
      // Portable limits (H100, f32): ks-dtiled's own portable default beat ks-dvec's at d = 4 (s11 1.468 vs 1.681 ms; s12 with el 1.4596 vs 1.5838), not at d = 8 (0.609 vs 0.504).
      expect(defaultSchedule(c.ops[1], DEFAULT_LIMITS).family, c.name).toBe(c.ops[1].d >= 8 ? 'ks-dvec' : 'ks-dtiled');
      // Its own default there is the nearest that fits: 512 (1024) invocations do not, so fewer β (not fewer rows).
      const portable = ksDtiled.defaultSchedule(c.ops[1], DEFAULT_LIMITS);
      expect(candidates(c.ops[1], DEFAULT_LIMITS)).toContainEqual(portable);
      if (c.ops[1].d >= 8) expect(portable).toEqual({ ...best(32, 8, 4), pl: true, ku: true, pad: true });
      // d = 4, γ ≥ 64 (both cases here, γ = 256; session 13): 64 × 64 × 4 δ, chunks of 4, bcast + grun in planes with ku (H100 1.1494 vs 1.4508 ms).
      else expect(portable).toEqual({ ...best(64, 4, 4), bcast: true, grun: true, pl: true, ku: true });
    });
    // d = 4 with γ < 64 (a small map): session 12's measured portable shape, its epilogue looped (el) so its text stays ks-dvec's size.
    expect(ksDtiled.defaultSchedule(monarchCase(64, 256, 4).ops[1], DEFAULT_LIMITS)).toEqual({ ...best(32, 4, 4), rows: 128, bcast: true, grun: true, el: true });
    // 32 KiB of workgroup storage is not the measured shape's 48 KiB: ks-dvec at d = 8; at d = 4 ks-dtiled's nearest shape.
    expect(defaultSchedule(MONARCHS[0].ops[1], { ...H200_F32, maxWorkgroupSize: 256, maxWorkgroupStorageBytes: 32768 }).family).toBe('ks-dvec');
    expect(defaultSchedule(MONARCHS[1].ops[1], { ...H200_F32, maxWorkgroupStorageBytes: 32768 }).family).toBe('ks-dtiled');
  });

  it('tensor cores on tensor-core targets: ks-sgmat for contiguous factors, ks-sgmat-strided (not ks-sgmat) for strided ones', () => {
    for (const c of MONARCHS) {
      // Wide first factors (b ≥ 128, an even number of 16-deep chunks): 2 x 4 subgroups of 64 x 32, double-buffered (session 12, H100);
      // in written-out padded chunks of 64 γ where c allows (session 13 call 1, H100).
      const wide = c.ops[0].b >= 128 && (c.ops[0].c / 16) % 2 === 0;
      const long = wide && c.ops[0].c % 64 === 0;
      // b = 64 (n = 4096): 4 x 2 subgroups of 64 x 32 in written-out padded chunks of 16 (session 16 call 2, H100).
      const narrow = c.ops[0].b === 64;
      const shape = long ? { cols: 32, tk: 64, sg: 2, sgc: 4, ku: true, pad: 8 } : wide ? { cols: 32, tk: 16, sg: 2, sgc: 4, db: true, dbu: true } : narrow ? { cols: 32, tk: 16, sg: 4, sgc: 2, ku: true, pad: 8 } : { cols: 64, tk: 16 };
      expect(defaultSchedule(c.ops[0], H200), c.name).toEqual({ family: 'ks-sgmat', rows: 64, dtile: 1, ...shape });
      expect(defaultSchedule(c.ops[1], H200).family, c.name).toBe('ks-sgmat-strided');
    }
  });

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
