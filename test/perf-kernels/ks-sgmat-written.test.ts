/**
 * ks-sgmat's session-13 knob `ku`: each staged chunk's 16-deep steps written out (constant matrix
 * offsets) instead of a WGSL loop over them. The schedule space (after session 12's candidates; the
 * default of wide first factors since s13 call 1, ks-sgmat-shared.test.ts), the WGSL of a long chunk, and results through the subgroup-matrix
 * emulation on SwiftShader against the float64 op reference: chunks of 32 and 64 γ, single and
 * double-buffered, padded rows, several δ per workgroup, batches that end inside a workgroup.
 * Tolerance: relative Frobenius error 1e-5 (the emulation runs f16 as f32: it proves the indexing).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import { ksSgmat, SUBGROUP_MATRIX_FEATURE, type KsSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { isSquareTile, kernelError, KS_SGMAT_SPACE_OPS, oneOp, TOL } from './support.js';

const H200: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', SUBGROUP_MATRIX_FEATURE, 'subgroups'] };

type Knobs = Partial<Pick<KsSgmatSchedule, 'acc16' | 'stage' | 'sg' | 'sgc' | 'db' | 'dbu' | 'pad' | 'ku'>>;
const sgmat = (rows: number, cols: number, tk: number, knobs: Knobs = {}, dtile = 1): KsSgmatSchedule => ({ family: 'ks-sgmat', rows, cols, dtile, tk, ...knobs });
const count = (text: string, what: string) => text.split(what).length - 1;

describe('ks-sgmat ku: the schedule space', () => {
  it('offers the staged tilings with their steps written out last, then those with pad 8; the default of wide first factors and of b = 64 ones (session 16) only', () => {
    for (const [name, op] of KS_SGMAT_SPACE_OPS) {
      // Session 28's square tiles (written out too) follow them: ks-sgmat-square.test.ts.
      const all = ksSgmat.candidates(op, H200).filter((s) => !isSquareTile(s));
      const written = all.filter((s) => s.ku !== undefined);
      expect(all.slice(all.length - written.length), name).toEqual(written);
      const before = new Set(all.slice(0, all.length - written.length).map(scheduleKey));
      const plain = written.filter((s) => s.pad === undefined);
      const padded = written.filter((s) => s.pad !== undefined);
      expect(written, name).toEqual([...plain, ...padded]);
      for (const s of plain) {
        const { ku: _, ...twin } = s;
        // Every one is an earlier candidate written out: a chunk of 2 steps or more, several subgroups or db + dbu; not db's runtime halves.
        expect(before.has(scheduleKey(twin)), JSON.stringify(s)).toBe(true);
        expect(s.tk > 16 || Number(s.sg ?? 1) * Number(s.sgc ?? 1) > 1 || s.dbu === true, JSON.stringify(s)).toBe(true);
        expect(s.db === undefined || s.dbu === true, JSON.stringify(s)).toBe(true);
        expect(s.gload === undefined && s.epi === undefined && s.band === undefined, JSON.stringify(s)).toBe(true);
      }
      const plainKeys = new Set(plain.map(scheduleKey));
      for (const { pad, ...twin } of padded) expect(pad === 8 && plainKeys.has(scheduleKey(twin)), JSON.stringify(twin)).toBe(true);
      expect(new Set(all.map(scheduleKey)).size, name).toBe(all.length);
      expect(ksSgmat.defaultSchedule(op, H200).ku === true, name).toBe(op.d === 1 && op.b >= 64);
    }
    // 4096 -> 1024's first factor K(4, 256, 1024, 1): the default's 8 subgroups in chunks of 32
    // padded and double-buffered (48 KiB: the limit), and of 64 single-buffered; 64 double-buffered does not fit.
    const deep = KS_SGMAT_SPACE_OPS[2][1];
    const offered = ksSgmat.candidates(deep, H200);
    expect(offered).toContainEqual(sgmat(64, 32, 32, { sg: 2, sgc: 4, db: true, dbu: true, ku: true, pad: 8 }));
    expect(offered).toContainEqual(sgmat(64, 32, 64, { sg: 2, sgc: 4, ku: true, pad: 8 }));
    expect(offered).not.toContainEqual(sgmat(64, 32, 64, { sg: 2, sgc: 4, db: true, dbu: true, ku: true }));
    expect(offered).toContainEqual(sgmat(64, 32, 16, { sg: 2, sgc: 4, db: true, dbu: true, ku: true, pad: 8 }));
  });
});

describe('ks-sgmat ku: the WGSL (4096 -> 1024 first factor K(4, 256, 1024, 1))', () => {
  const c = monarchCase(4096, 1024, 4);
  const wgsl = (s: KsSgmatSchedule) => ksSgmat.emit(c.ops[0] as KsOp, s, contextFor(c, 'k', 0, 'f16')).wgsl;

  it('writes the 4 steps of a 64-deep chunk out at constant offsets: no loop over kk, the same loads and MMAs per step', () => {
    const looped = wgsl(sgmat(64, 32, 64, { sg: 2, sgc: 4, pad: 8 }));
    const written = wgsl(sgmat(64, 32, 64, { sg: 2, sgc: 4, pad: 8, ku: true }));
    expect(looped).toContain('for (var kk = 0u; kk < 64u; kk += 16u) {');
    expect(written).not.toContain('kk');
    // 4 left + 2 right matrices and 8 MMAs per step; the loop has one step's, the written form 4.
    expect(count(written, 'subgroupMatrixLoad<')).toBe(4 * count(looped, 'subgroupMatrixLoad<'));
    expect(count(written, 'subgroupMatrixMultiplyAccumulate(')).toBe(4 * count(looped, 'subgroupMatrixMultiplyAccumulate('));
    // Step 3's first left matrix: the subgroup's rows, then 48 γ in (rows 72 halves apart).
    expect(written).toContain('subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&k_xs, sgr * 4608u + 48u, 72u);');
    // The barriers are the staging's: the same count.
    expect(count(written, 'workgroupBarrier()')).toBe(count(looped, 'workgroupBarrier()'));
  });

  it('keeps the offsets constant in the double-buffered halves (db + dbu)', () => {
    const k = wgsl(sgmat(64, 32, 32, { sg: 2, sgc: 4, db: true, dbu: true, pad: 8, ku: true }));
    expect(k).toContain('var<workgroup> k_xs: array<f16, 10240>;');
    expect(k).toContain('subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, col_major>(&k_ws, buf * 5120u + sgb * 1280u + 656u, 40u);');
    expect(k).not.toContain('kk');
  });
});

describe('ks-sgmat ku, emulated, against the float64 reference', () => {
  const deep = ks(1, 64, 128, 1, 'x', 'y', 'w'); // 4 β tiles per row, 8 steps of 16 γ
  const strided = ks(1, 16, 32, 4, 'x', 'y', 'w'); // 4 δ per workgroup: every δ's matrices per step
  const cases: [string, OpsCase, KsSgmatSchedule, number][] = [
    // SwiftShader compiles each in 10-60 s on this machine (the emulation's unrolled code), so the cases are few.
    ['2 x 2 subgroups, tk 32, db + dbu, pad 8 (batch 45)', oneOp(deep), sgmat(16, 16, 32, { sg: 2, sgc: 2, db: true, dbu: true, pad: 8, ku: true }), 45],
    // The default's form since session 13 (its pad 8 would pass the 32 KiB here).
    ['2 x 4 subgroups, tk 64, single-buffered (batch 37)', oneOp(deep), sgmat(16, 16, 64, { sg: 2, sgc: 4, ku: true }), 37],
    ['4 x 2 subgroups, acc16 + stage, tk 32 (batch 70)', oneOp(deep), sgmat(16, 32, 32, { acc16: true, stage: true, sg: 4, sgc: 2, ku: true }), 70],
    ['4 δ per workgroup, tk 32 (batch 21)', oneOp(strided), sgmat(16, 16, 32, { ku: true }, 4), 21],
  ];
  for (const [name, c, s, batch] of cases)
    it(name, async () => {
      const error = await kernelError(c, 0, 1, emulatedEmit((ctx) => ksSgmat.emit(c.ops[0] as KsOp, s, ctx)), batch, 'f32');
      expect(error, JSON.stringify(s)).toBeLessThan(TOL);
    });
});
