/**
 * ks-sgmat's session-12 candidates: the 8-subgroup grids (2 x 4, 4 x 2), the default of wide
 * first factors since the H100's call 2 (in chunks of 64 written out since session 13; ks-sgmat-shared.test.ts checks the default). The
 * schedule space (after session 11's candidates), the WGSL, and results through the
 * subgroup-matrix emulation on SwiftShader against the float64 op reference: the staging and
 * epilogue over 256 invocations, batches that are not a multiple of the workgroup's rows.
 * Tolerance: relative Frobenius error 1e-5 (the emulation runs f16 as f32: it proves the indexing).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksSgmat, SUBGROUP_MATRIX_FEATURE, type KsSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { kernelError, KS_SGMAT_SPACE_OPS, oneOp, TOL } from './support.js';

const H200: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', SUBGROUP_MATRIX_FEATURE, 'subgroups'] };

type Knobs = Partial<Pick<KsSgmatSchedule, 'acc16' | 'stage' | 'sg' | 'sgc' | 'db' | 'dbu'>>;
const sgmat = (rows: number, cols: number, tk: number, knobs: Knobs = {}): KsSgmatSchedule => ({ family: 'ks-sgmat', rows, cols, dtile: 1, tk, ...knobs });

function error(c: OpsCase, s: KsSgmatSchedule, batch: number): Promise<number> {
  return kernelError(c, 0, 1, emulatedEmit((ctx) => ksSgmat.emit(c.ops[0] as KsOp, s, ctx)), batch, 'f32');
}

const subgroups = (s: KsSgmatSchedule) => Number(s.sg ?? 1) * Number(s.sgc ?? 1);

describe('ks-sgmat 8 subgroups: the schedule space', () => {
  const firsts = KS_SGMAT_SPACE_OPS;

  it('offers the 8-subgroup grids last (before session 13\'s ku ones, ks-sgmat-written.test.ts), plain and db + dbu', () => {
    for (const [name, op] of firsts) {
      const all = ksSgmat.candidates(op, H200).filter((s) => s.ku === undefined);
      const eight = all.filter((s) => subgroups(s) === 8);
      expect(eight.length, name).toBeGreaterThan(0);
      expect(all.slice(all.length - eight.length), name).toEqual(eight);
      for (const s of eight) expect(['2x4', '4x2'].includes(`${s.sg}x${s.sgc}`) && s.db === s.dbu && op.b % (s.cols * Number(s.sgc)) === 0, JSON.stringify(s)).toBe(true);
      expect(new Set(all.map((s) => JSON.stringify(s))).size, name).toBe(all.length);
    }
    // 4096 -> 1024's 128 x 256 tile of 8 subgroups, double-buffered with constant halves.
    expect(ksSgmat.candidates(firsts[2][1], H200)).toContainEqual(sgmat(64, 64, 16, { sg: 2, sgc: 4, db: true, dbu: true }));
  });

  it('offers 8 subgroups only within the workgroup size limit', () => {
    expect(ksSgmat.candidates(firsts[2][1], { ...H200, maxWorkgroupSize: 128 }).some((s) => subgroups(s) === 8)).toBe(false);
  });

});

describe('ks-sgmat 8 subgroups: the WGSL (4096 -> 1024 first factor K(4, 256, 1024, 1))', () => {
  const c = monarchCase(4096, 1024, 4);

  it('2 x 4 subgroups: 256 invocations over 128 rows x 256 β, rows from sgid % 2, β from sgid / 2', () => {
    const k = ksSgmat.emit(c.ops[0] as KsOp, sgmat(64, 64, 16, { sg: 2, sgc: 4, db: true, dbu: true }), contextFor(c, 'k', 0, 'f16'));
    expect(k.workgroupSize).toEqual([256, 1, 1]);
    expect(k.dispatch).toMatchObject({ rowsPerWorkgroup: 128 });
    expect(k.wgsl).toContain('let sgr = sgid % 2u;');
    expect(k.wgsl).toContain('let sgb = sgid / 2u;');
    expect(k.wgsl).toContain('var<workgroup> k_ws: array<f16, 8192>;');
  });
});

describe('ks-sgmat 8 subgroups, emulated, against the float64 reference', () => {
  const wide = ks(1, 64, 32, 1, 'x', 'y', 'w'); // 4 β tiles per row, two chunks of 16
  const cases: [string, OpsCase, KsSgmatSchedule, number][] = [
    ['2 x 4 subgroups, db + dbu, acc16 + stage (batch 45)', oneOp(wide), sgmat(16, 16, 16, { acc16: true, stage: true, sg: 2, sgc: 4, db: true, dbu: true }), 45],
    ['4 x 2 subgroups, f32 per-tile epilogue, tk 32 (batch 70)', oneOp(wide), sgmat(16, 32, 32, { sg: 4, sgc: 2 }), 70],
    ['2 x 4 subgroups of 16 x 16, f32, db + dbu: the form of the default within 32 KiB (batch 37)', oneOp(wide), sgmat(16, 16, 16, { sg: 2, sgc: 4, db: true, dbu: true }), 37],
  ];
  for (const [name, c, s, batch] of cases)
    it(name, async () => {
      expect(await error(c, s, batch), JSON.stringify(s)).toBeLessThan(TOL);
    });
});
