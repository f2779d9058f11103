/**
 * The tuner's seeds (src/tuner/seeds.ts) take ks-sgmat's f16-sum twin of its default where the
 * adapter has f16 results (KB-2, s16: acc16 + stage 19% faster than the default on 4096 -> 1024's
 * first factor on the H100, two knobs away, which a capped search did not reach); a tuned build
 * may sum in f16 (numerics.md) and the float64 check gates it. No twin without f16 results.
 * Likewise ks-sgmat-strided's acc16 twin of a strided factor's default (KB-2, s17: n = 4096 -2.4%,
 * n = 16384 -4.3% on the H100).
 */
import { describe, expect, it } from 'vitest';
import { monarchCase } from '../../bench/cases.js';
import { f16SumTwin } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import { stridedF16SumTwins } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { DEFAULT_LIMITS, type TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { opSearch, storageLimits } from '../../src/tuner/seeds.js';

const H200: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', 'chromium-experimental-subgroup-matrix', 'subgroups'] };

describe.each([
  ['first factor (4096 -> 1024)', monarchCase(4096, 1024, 4).ops[0] as KsOp, f16SumTwin, 'ks-sgmat'],
  ['strided factor (n = 4096)', monarchCase(4096, 4096, 64).ops[1] as KsOp, (op: KsOp, l: TargetLimits) => stridedF16SumTwins(op, l)[0], 'ks-sgmat-strided'],
  ['strided factor (1024 -> 4096, d = 4)', monarchCase(1024, 4096, 4).ops[1] as KsOp, (op: KsOp, l: TargetLimits) => stridedF16SumTwins(op, l)[0], 'ks-sgmat-strided'],
] as const)("the tuner's seeds of a Monarch %s", (_, op, twinOf, family) => {
  it(`hold ${family}'s f16-sum twin of its default where the adapter has f16 results, once, among the candidates`, () => {
    const twin = twinOf(op, H200);
    expect(twin).toMatchObject({ family, acc16: true });
    const { seeds, space } = opSearch(op, storageLimits(H200, 'f16'));
    expect(seeds.filter((s) => JSON.stringify(s) === JSON.stringify(twin))).toHaveLength(1);
    expect(space).toContainEqual(twin);
  });

  it('hold no f16-sum schedule without f16 results: f32 storage, the portable limits', () => {
    for (const limits of [storageLimits(H200, 'f32'), DEFAULT_LIMITS]) expect(opSearch(op, limits).seeds.some((s) => s.acc16 === true)).toBe(false);
  });
});

describe("the tuner's seeds of Monarch n = 4096's strided factor", () => {
  it('hold the read-once f16-sum form at 16 and at 32 row chunks: the default keeps 16 for small batches, the tuner times both at the batch; each also in one epilogue round (et 2: H100, s25 call 1, 0.1845 and 0.1741 ms)', () => {
    const op = monarchCase(4096, 4096, 64).ops[1] as KsOp;
    const { seeds } = opSearch(op, storageLimits(H200, 'f16'));
    const forms = seeds.flatMap((s) => (s.family === 'ks-sgmat-strided' && s.acc16 === true ? [[s.chunks, s.et]] : []));
    expect(forms).toEqual([[16, undefined], [16, 2], [32, undefined], [32, 2]]);
  });
});

describe("the tuner's seed of a d = 4 strided factor (Monarch with 4 blocks)", () => {
  it('is the 64-row f16-sum form with its last epilogue round written out during the next row chunk, at 8 and 32 row chunks (H100, s22 call 2: 1024 -> 4096 0.2831 at 32; 4096 -> 1024 0.0935 at 8, 0.1516 at 16)', () => {
    const seed = { family: 'ks-sgmat-strided', dtile: 4, cols: 64, sb: 16, mr: 4, tk: 32, wres: true, sw: true, acc16: true, et: 2, ow: true };
    for (const [n, m] of [[1024, 4096], [4096, 1024]]) {
      const op = monarchCase(n, m, 4).ops[1] as KsOp;
      expect(stridedF16SumTwins(op, H200), `${n} -> ${m}`).toEqual([{ ...seed, chunks: 8 }, { ...seed, chunks: 32 }]);
      const { seeds } = opSearch(op, storageLimits(H200, 'f16'));
      expect(seeds.filter((s) => s.family === 'ks-sgmat-strided' && s.ow === true).map((s) => s.chunks), `${n} -> ${m} tuner seeds`).toEqual([8, 32]);
    }
  });
});

describe("the tuner's d = 4 seed at the batch it times (REV s23 3)", () => {
  it('is the one whose grid keeps 128 workgroups at the most rows each: 32 row chunks at 1024 -> 4096, 8 at 4096 -> 1024 (B = 16384; H100: 0.2831 vs 0.3000 ms, 0.0935 vs 0.2655); both where the batch is not known', () => {
    const chunksOf = (n: number, m: number, batch?: number) =>
      opSearch(monarchCase(n, m, 4).ops[1] as KsOp, storageLimits(H200, 'f16'), undefined, batch).seeds.flatMap((s) => (s.family === 'ks-sgmat-strided' && s.ow === true ? [s.chunks] : []));
    expect(chunksOf(1024, 4096, 16384)).toEqual([32]);
    expect(chunksOf(4096, 1024, 16384)).toEqual([8]);
    // A small batch: the most workgroups there are (8 row chunks).
    expect(chunksOf(1024, 4096, 512)).toEqual([8]);
    expect(chunksOf(4096, 1024)).toEqual([8, 32]);
  });
});
