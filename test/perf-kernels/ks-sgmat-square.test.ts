/**
 * ks-sgmat's session-28 candidates: square workgroup tiles of 8 subgroups with f16 sums (64 x 128 on
 * 4 x 2 subgroups, 128 x 64 on 2 x 4: 256 rows x 256 β per workgroup) through the staged epilogue,
 * steps written out, padded chunks of 32 γ; and squareTwin, the tuner's seed of the first of them
 * where the batch fills the GPU. The schedule space (last, after session 13's written-out ones; only
 * where b ≥ 256), the seed, the WGSL, and results through the subgroup-matrix emulation on
 * SwiftShader against the float64 op reference: both grids over two chunks of 16 γ, batches that end
 * inside the second workgroup. The offered chunks of 32 padded take 44 KiB, over SwiftShader's 32:
 * the grids' index arithmetic is the same at any chunk, and padded chunks of 32 on 8 subgroups are
 * ks-sgmat-written.test.ts's; on the H100 (session 28 call A) both offered forms passed the float64
 * check (1.2e-3). Tolerance: the f16 contract's 3e-3 (relative Frobenius error): the emulation keeps
 * the workgroup arrays f16 (packed, to fit), so staged operands and the f16 epilogue tile round
 * (3.3e-4 here), where a wrong index gives errors of order 1.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase } from '../../bench/cases.js';
import { ksSgmat, squareTwin, SUBGROUP_MATRIX_FEATURE, type KsSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { opSearch, storageLimits } from '../../src/tuner/seeds.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { isSixteenSquare, isSquareTile, kernelError, KS_SGMAT_SPACE_OPS, oneOp, TOL_F16 } from './support.js';

const H200: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', SUBGROUP_MATRIX_FEATURE, 'subgroups'] };

const square = (rows: number, cols: number, tk: number, pad?: number): KsSgmatSchedule => ({
  family: 'ks-sgmat', rows, cols, dtile: 1, tk, acc16: true, stage: true, ...(rows === 64 ? { sg: 4, sgc: 2 } : { sg: 2, sgc: 4 }), ku: true, ...(pad === undefined ? {} : { pad }),
});
/** Session 31's: 4 x 4 subgroups of 64 x 64 (the same 256 x 256 workgroup tile), padded chunks of 32. */
const sixteen: KsSgmatSchedule = { family: 'ks-sgmat', rows: 64, cols: 64, dtile: 1, tk: 32, acc16: true, stage: true, sg: 4, sgc: 4, ku: true, pad: 8 };
/** Its tile unpadded with other knobs (SwiftShader's 32 KiB and 256 invocations hold no 4 x 4 grid of padded chunks of 32). */
const unpaddedSixteen = (knobs: Partial<KsSgmatSchedule>): KsSgmatSchedule => {
  const { pad: _, ...rest } = sixteen;
  return { ...rest, ...knobs } as KsSgmatSchedule;
};

describe('ks-sgmat square tiles: the schedule space', () => {
  it('offers them last, on the wide first factors only (b ≥ 256), within 48 KiB', () => {
    for (const [name, op] of KS_SGMAT_SPACE_OPS) {
      const all = ksSgmat.candidates(op, H200);
      const offered = all.filter(isSquareTile);
      expect(all.slice(all.length - offered.length), name).toEqual(offered);
      expect(offered.length > 0, name).toBe(op.b >= 256 && op.d === 1);
    }
    // 4096 -> 1024's K(4, 256, 1024, 1): chunks of 32 padded (8 subgroups: 40 KiB staged + 4 KiB of epilogue; 16:
    // 40 + 8, the limit); 64 does not fit. The 16-subgroup one first, then session 28's.
    expect(ksSgmat.candidates(KS_SGMAT_SPACE_OPS[2][1], H200).filter(isSquareTile)).toEqual([sixteen, square(128, 64, 32, 8), square(64, 128, 32, 8)]);
    expect(ksSgmat.candidates(KS_SGMAT_SPACE_OPS[2][1], { ...H200, maxWorkgroupSize: 256 }).filter(isSquareTile)).toEqual([square(128, 64, 32, 8), square(64, 128, 32, 8)]);
    expect(ksSgmat.candidates(KS_SGMAT_SPACE_OPS[2][1], { ...H200, maxWorkgroupStorageBytes: 49152 - 2 }).some(isSixteenSquare)).toBe(false);
    expect(ksSgmat.candidates(KS_SGMAT_SPACE_OPS[2][1], { ...H200, maxWorkgroupSize: 128 }).some(isSquareTile)).toBe(false);
  });
});

describe("ks-sgmat square tiles: the tuner's seed (squareTwin)", () => {
  const deep = monarchCase(4096, 1024, 4).ops[0] as KsOp;
  const squareSeeds = (op: KsOp, batch?: number) => opSearch(op, storageLimits(H200, 'f16'), undefined, batch).seeds.filter((s) => isSquareTile(s as KsSgmatSchedule));

  it('is 4 x 4 of 64 x 64 in padded chunks of 32, a candidate, at 4096 -> 1024 where the batch keeps 128 workgroups (B = 16384: 256; H100, s31 call 1, 0.1377 vs 0.1485 ms for 128 x 64 on 2 x 4)', () => {
    expect(squareTwin(deep, H200, 16384)).toEqual(sixteen);
    expect(ksSgmat.candidates(deep, H200)).toContainEqual(squareTwin(deep, H200));
    expect(squareSeeds(deep, 16384)).toEqual([sixteen]);
    expect(squareSeeds(deep, 8192)).toEqual([sixteen]);
    // Where the batch is not known, seeded too: the tuner times it.
    expect(squareSeeds(deep)).toEqual([sixteen]);
  });

  it('is 128 x 64 on 2 x 4 (s28 call A, 0.1488 vs 0.1703 ms) where 512 invocations are not allowed', () => {
    const fewer = { ...H200, maxWorkgroupSize: 256 };
    expect(squareTwin(deep, fewer, 16384)).toEqual(square(128, 64, 32, 8));
    expect(ksSgmat.candidates(deep, fewer)).toContainEqual(squareTwin(deep, fewer));
  });

  it('is not seeded where its grid leaves the GPU half idle (B = 4096: 64 workgroups; H100, s28 call A, 0.0783 vs 0.0536 ms; s31 call 1, 16 subgroups 0.0677 vs 0.0500 for 4 x 4 of 64 x 32)', () => {
    expect(squareTwin(deep, H200, 4096)).toBeUndefined();
    expect(squareSeeds(deep, 4096)).toEqual([]);
  });

  it('is none at shallow or narrow first factors, strided factors, or without f16 results', () => {
    for (const [name, op] of KS_SGMAT_SPACE_OPS.filter(([, op]) => op !== KS_SGMAT_SPACE_OPS[2][1])) expect(squareTwin(op, H200, 16384), name).toBeUndefined();
    expect(squareTwin(deep, { ...H200, features: ['shader-f16'] }, 16384)).toBeUndefined();
    expect(squareTwin(deep, { ...H200, maxWorkgroupSize: 128 }, 16384)).toBeUndefined();
  });
});

describe('ks-sgmat square tiles: the WGSL (4096 -> 1024 first factor K(4, 256, 1024, 1))', () => {
  const c = monarchCase(4096, 1024, 4);

  it('128 x 64 on 2 x 4 subgroups: 256 invocations over 256 rows x 256 β, 32 f16 result matrices per subgroup', () => {
    const k = ksSgmat.emit(c.ops[0] as KsOp, square(128, 64, 32, 8), contextFor(c, 'k', 0, 'f16'));
    expect(k.workgroupSize).toEqual([256, 1, 1]);
    expect(k.dispatch).toMatchObject({ rowsPerWorkgroup: 256, workgroupsPerRowTile: 4 });
    expect(k.wgsl.split('= subgroup_matrix_result<f16, 16, 16>();').length - 1).toBe(32);
    expect(k.wgsl).toContain('var<workgroup> k_xs: array<f16, 10240>;');
    expect(k.wgsl).toContain('var<workgroup> k_ws: array<f16, 10240>;');
  });

  it('64 x 64 on 4 x 4 subgroups: 512 invocations over 256 rows x 256 β, 16 f16 result matrices per subgroup, 48 KiB', () => {
    const k = ksSgmat.emit(c.ops[0] as KsOp, sixteen, contextFor(c, 'k', 0, 'f16'));
    expect(k.workgroupSize).toEqual([512, 1, 1]);
    expect(k.dispatch).toMatchObject({ rowsPerWorkgroup: 256, workgroupsPerRowTile: 4 });
    expect(k.wgsl.split('= subgroup_matrix_result<f16, 16, 16>();').length - 1).toBe(16);
    expect(k.wgsl).toContain('var<workgroup> k_xs: array<f16, 10240>;');
    expect(k.wgsl).toContain('var<workgroup> k_ws: array<f16, 10240>;');
    // 16 subgroups' epilogue tiles of 16 x 16 f16.
    expect(k.wgsl).toContain('array<f16, 4096>;');
  });
});

describe('ks-sgmat square tiles, emulated, against the float64 reference', () => {
  // f16 workgroup arrays kept f16 (packed): 20 KiB in chunks of 16, within SwiftShader's 32.
  const PACKED = { packWorkgroupF16: true };
  const wide = ks(1, 256, 32, 1, 'x', 'y', 'w');
  const cases: [string, KsSgmatSchedule, number][] = [
    ['64 x 128 on 4 x 2, chunks of 16 (two), batch 300', square(64, 128, 16), 300],
    ['128 x 64 on 2 x 4, chunks of 16 (two), batch 270', square(128, 64, 16), 270],
    // The 16-subgroup square's 64 x 64 subgroup tile and its grid arithmetic (sgid % sg, sgid / sg) on the grids
    // SwiftShader can hold (256 invocations at most; 4 x 4 needs 512): 4 subgroups along the rows, and along β.
    ['64 x 64 on 4 x 2 (the 16-subgroup tile, 4 along the rows), chunks of 16 (two), batch 300', unpaddedSixteen({ tk: 16, sgc: 2 }), 300],
    ['64 x 64 on 2 x 4 (4 along β), chunks of 16 (two), batch 150', unpaddedSixteen({ tk: 16, sg: 2 }), 150],
  ];
  for (const [name, s, batch] of cases)
    it(name, async () => {
      expect(await kernelError(oneOp(wide), 0, 1, emulatedEmit((ctx) => ksSgmat.emit(wide, s, ctx), PACKED), batch, 'f32'), JSON.stringify(s)).toBeLessThan(TOL_F16);
    }, 300_000);
});
