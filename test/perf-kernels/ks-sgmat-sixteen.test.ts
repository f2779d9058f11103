/**
 * ks-sgmat's session-28 16-subgroup candidates: 64 x 32 or 32 x 64 f32-sum tiles on a 4 x 4 grid of
 * subgroups (512 invocations: 256 rows x 128 β or 128 x 256 per workgroup), steps written out, chunks
 * of 32 also padded. The schedule space (after session 13's written-out ones, before the square tiles;
 * only within 512 invocations) and the WGSL. Their results are not run here: SwiftShader allows 256
 * invocations per workgroup; the grid's offsets are the 2 x 4 and 4 x 2 grids' (ks-sgmat-eight.test.ts,
 * ks-sgmat-written.test.ts run those through the emulation), and the GPU checks every candidate against
 * float64 before timing it.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase } from '../../bench/cases.js';
import { isSixteenSubgroups, isSquareTile, ksSgmat, SUBGROUP_MATRIX_FEATURE, type KsSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { KS_SGMAT_SPACE_OPS } from './support.js';

const H200: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', SUBGROUP_MATRIX_FEATURE, 'subgroups'] };
const sixteen = (rows: number, cols: number, tk: number, pad?: number): KsSgmatSchedule => ({ family: 'ks-sgmat', rows, cols, dtile: 1, tk, sg: 4, sgc: 4, ku: true, ...(pad === undefined ? {} : { pad }) });

describe('ks-sgmat 16 subgroups: the schedule space', () => {
  it('offers them right before the square tiles, where b is a multiple of 128 and 512 invocations are allowed', () => {
    for (const [name, op] of KS_SGMAT_SPACE_OPS) {
      const all = ksSgmat.candidates(op, H200).filter((s) => !isSquareTile(s));
      const offered = all.filter(isSixteenSubgroups);
      expect(all.slice(all.length - offered.length), name).toEqual(offered);
      expect(offered.length > 0, name).toBe(op.b >= 128 && op.d === 1);
    }
    const deep = KS_SGMAT_SPACE_OPS[2][1];
    expect(ksSgmat.candidates(deep, H200).filter(isSixteenSubgroups)).toEqual([
      sixteen(32, 64, 16), sixteen(32, 64, 32), sixteen(64, 32, 16), sixteen(64, 32, 32), sixteen(32, 64, 32, 8), sixteen(64, 32, 32, 8),
    ]);
    expect(ksSgmat.candidates(deep, { ...H200, maxWorkgroupSize: 256 }).some(isSixteenSubgroups)).toBe(false);
  });
});

describe('ks-sgmat 16 subgroups: the WGSL (4096 -> 1024 first factor K(4, 256, 1024, 1))', () => {
  it('64 x 32 on 4 x 4: 512 invocations over 256 rows x 128 β, rows from sgid % 4, β from sgid / 4, 8 f32 result matrices each', () => {
    const c = monarchCase(4096, 1024, 4);
    const k = ksSgmat.emit(c.ops[0] as KsOp, sixteen(64, 32, 32, 8), contextFor(c, 'k', 0, 'f16'));
    expect(k.workgroupSize).toEqual([512, 1, 1]);
    expect(k.dispatch).toMatchObject({ rowsPerWorkgroup: 256, workgroupsPerRowTile: 8 });
    expect(k.wgsl).toContain('let sgr = sgid % 4u;');
    expect(k.wgsl).toContain('let sgb = sgid / 4u;');
    expect(k.wgsl.split('= subgroup_matrix_result<f32, 16, 16>();').length - 1).toBe(8);
  });
});
