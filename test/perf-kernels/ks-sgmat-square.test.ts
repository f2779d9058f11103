/**
 * ks-sgmat's session-28 candidates: square workgroup tiles of 8 subgroups with f16 sums (64 x 128 on
 * 4 x 2 subgroups, 128 x 64 on 2 x 4: 256 rows x 256 β per workgroup), through the staged epilogue
 * or stored direct, steps written out, rows padded by 8 halves at chunks of 32. The schedule space (last, after session 13's written-out
 * ones; only where b ≥ 256), the WGSL, and results through the subgroup-matrix emulation on
 * SwiftShader against the float64 op reference: two chunks of 16 on both grids and stored direct,
 * batches that end inside the second workgroup (the padded chunks of 32 take 44 KiB, over SwiftShader's 32).
 * Tolerance: the f16 contract's 3e-3 (relative Frobenius error): the emulation keeps the workgroup
 * arrays f16 (packed, to fit), so staged operands and the f16 epilogue tile round (3.3e-4 here),
 * where a wrong index gives errors of order 1; the f16 sums' own rounding is the tuner's check on the GPU.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase } from '../../bench/cases.js';
import { isSquareTile, ksSgmat, SUBGROUP_MATRIX_FEATURE, type KsSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { kernelError, KS_SGMAT_SPACE_OPS, oneOp, TOL_F16 } from './support.js';

const H200: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', SUBGROUP_MATRIX_FEATURE, 'subgroups'] };

const square = (rows: number, cols: number, tk: number, pad?: number, stage = true): KsSgmatSchedule => ({
  family: 'ks-sgmat', rows, cols, dtile: 1, tk, acc16: true, ...(stage ? { stage } : {}), ...(rows === 64 ? { sg: 4, sgc: 2 } : { sg: 2, sgc: 4 }), ku: true, ...(pad === undefined ? {} : { pad }),
});
const direct = (rows: number, cols: number, tk: number, pad?: number) => square(rows, cols, tk, pad, false);

describe('ks-sgmat square tiles: the schedule space', () => {
  it('offers them last, on the wide first factors only (b ≥ 256), within 48 KiB', () => {
    for (const [name, op] of KS_SGMAT_SPACE_OPS) {
      const all = ksSgmat.candidates(op, H200);
      const offered = all.filter(isSquareTile);
      expect(all.slice(all.length - offered.length), name).toEqual(offered);
      expect(offered.length > 0, name).toBe(op.b >= 256 && op.d === 1);
    }
    const deep = ksSgmat.candidates(KS_SGMAT_SPACE_OPS[2][1], H200).filter(isSquareTile);
    // 4096 -> 1024's K(4, 256, 1024, 1): chunks of 16 and 32, and 32 padded (40 KiB staged + 4 KiB of epilogue);
    // 64 does not fit. The staged epilogue's first, then the direct stores'.
    expect(deep).toEqual([
      square(128, 64, 16), square(128, 64, 32), square(64, 128, 16), square(64, 128, 32), square(128, 64, 32, 8), square(64, 128, 32, 8),
      direct(128, 64, 16), direct(128, 64, 32), direct(64, 128, 16), direct(64, 128, 32), direct(128, 64, 32, 8), direct(64, 128, 32, 8),
    ]);
    expect(ksSgmat.candidates(KS_SGMAT_SPACE_OPS[2][1], { ...H200, maxWorkgroupSize: 128 }).some(isSquareTile)).toBe(false);
  });
});

describe('ks-sgmat square tiles: the WGSL (4096 -> 1024 first factor K(4, 256, 1024, 1))', () => {
  const c = monarchCase(4096, 1024, 4);

  it('64 x 128 on 4 x 2 subgroups: 256 invocations over 256 rows x 256 β, 32 f16 result matrices per subgroup', () => {
    const k = ksSgmat.emit(c.ops[0] as KsOp, square(64, 128, 32, 8), contextFor(c, 'k', 0, 'f16'));
    expect(k.workgroupSize).toEqual([256, 1, 1]);
    expect(k.dispatch).toMatchObject({ rowsPerWorkgroup: 256, workgroupsPerRowTile: 4 });
    expect(k.wgsl.split('= subgroup_matrix_result<f16, 16, 16>();').length - 1).toBe(32);
    expect(k.wgsl).toContain('var<workgroup> k_xs: array<f16, 10240>;');
    expect(k.wgsl).toContain('var<workgroup> k_ws: array<f16, 10240>;');
  });
});

describe('ks-sgmat square tiles, emulated, against the float64 reference', () => {
  // f16 workgroup arrays kept f16 (packed): 20 KiB, within SwiftShader's 32 (the padded chunks of 32, 44 KiB, are not).
  const PACKED = { packWorkgroupF16: true };
  const wide = ks(1, 256, 32, 1, 'x', 'y', 'w');
  const cases: [string, KsSgmatSchedule, number][] = [
    ['64 x 128 on 4 x 2, chunks of 16 (two), batch 300', square(64, 128, 16), 300],
    ['128 x 64 on 2 x 4, chunks of 16 (two), batch 270', square(128, 64, 16), 270],
    ['64 x 128 on 4 x 2, direct stores, then the staged last row tile (batch 300)', direct(64, 128, 16), 300],
  ];
  for (const [name, s, batch] of cases)
    it(name, async () => {
      expect(await kernelError(oneOp(wide), 0, 1, emulatedEmit((ctx) => ksSgmat.emit(wide, s, ctx), PACKED), batch, 'f32'), JSON.stringify(s)).toBeLessThan(TOL_F16);
    }, 120_000);
});
