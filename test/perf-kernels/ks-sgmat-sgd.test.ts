/**
 * ks-sgmat's session-20 knob `sgd` (d > 1): one subgroup per δ of the workgroup's dtile, each holding
 * its own δ's rows x β tiles (64 x 64 in f32 fit where 4 δ allow 32 x 32), the dtile subgroups of a
 * (rows, β) slice sharing that slice's staged tiles and epilogue. The schedule space, the WGSL, and
 * results through the subgroup-matrix emulation on SwiftShader against the float64 op reference
 * (relative Frobenius error 1e-5: the emulation runs f16 as f32, so it checks the indexing).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import { ksSgmat, SUBGROUP_MATRIX_FEATURE, type KsSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { kernelError, oneOp, TOL } from './support.js';

const H200: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', SUBGROUP_MATRIX_FEATURE, 'subgroups'] };

type Knobs = Partial<Pick<KsSgmatSchedule, 'acc16' | 'stage' | 'sg' | 'sgc' | 'pad' | 'ku' | 'db' | 'dbu'>>;
const sgd = (rows: number, cols: number, tk: number, knobs: Knobs = {}): KsSgmatSchedule => ({ family: 'ks-sgmat', rows, cols, dtile: 4, tk, sgd: true, ...knobs });

describe('ks-sgmat sgd: the schedule space', () => {
  const wide = monarchCase(1024, 4096, 4).ops[1] as KsOp; // K(1, 1024, 256, 4)
  const first = monarchCase(1024, 4096, 4).ops[0] as KsOp; // K(4, 256, 256, 1)

  it('offers sgd only where d > 1, at 4 δ, on 4 or 8 subgroups, and fits 64 x 64 f32 tiles that 4 δ per subgroup do not', () => {
    expect(ksSgmat.candidates(first, H200).some((s) => s.sgd !== undefined)).toBe(false);
    const all = ksSgmat.candidates(wide, H200);
    const offered = all.filter((s) => s.sgd !== undefined);
    expect(offered.length).toBeGreaterThan(0);
    for (const s of offered) {
      expect(s.dtile, JSON.stringify(s)).toBe(4);
      expect(Number(s.sg ?? 1) * Number(s.sgc ?? 1), JSON.stringify(s)).toBeLessThanOrEqual(2);
      expect(s.epi === undefined && s.band === undefined && s.gload === undefined, JSON.stringify(s)).toBe(true);
    }
    expect(offered).toContainEqual(sgd(64, 64, 32, { ku: true, pad: 8 }));
    expect(all).not.toContainEqual({ ...sgd(64, 64, 32, { ku: true, pad: 8 }), sgd: undefined });
    expect(new Set(all.map(scheduleKey)).size).toBe(all.length);
    // Not a default until timed on the GPU.
    expect(ksSgmat.defaultSchedule(wide, H200).sgd).toBeUndefined();
  });

  it('decodes sgd', () => {
    const s = sgd(64, 64, 32, { ku: true, pad: 8 });
    expect(ksSgmat.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });
});

describe('ks-sgmat sgd: the WGSL (1024 -> 4096 strided factor K(1, 1024, 256, 4))', () => {
  const c = monarchCase(1024, 4096, 4);
  const wgsl = (s: KsSgmatSchedule) => ksSgmat.emit(c.ops[1] as KsOp, s, contextFor(c, 'k', 1, 'f16')).wgsl;

  it('gives each of 4 subgroups one δ plane of the shared tiles: one δ of loads and MMAs per subgroup, one tile store each', () => {
    const k = wgsl(sgd(64, 64, 32, { ku: true, pad: 8 }));
    expect(k).toContain('@workgroup_size(128');
    expect(k).toContain('let sgdd = sgq % 4u;');
    // Left matrices of δ plane sgdd (64 rows of 40 halves each), right ones likewise (64 β).
    expect(k).toContain('subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&k_xs, sgdd * 2560u + 16u, 40u);');
    expect(k).toContain('subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, col_major>(&k_ws, sgdd * 2560u + 656u, 40u);');
    // 16 result tiles, 2 steps of 4 + 4 loads and 16 MMAs each.
    expect(k.split('subgroupMatrixMultiplyAccumulate(').length - 1).toBe(32);
    expect(k).toContain('subgroupMatrixStore<row_major>(&k_cs, sgdd * 256u, acc_0_0_0, 16u);');
    expect(k).toContain('var<workgroup> k_cs: array<f32, 1024>;');
  });
});

describe('ks-sgmat sgd, emulated, against the float64 reference', () => {
  const strided = ks(1, 32, 32, 4, 'x', 'y', 'w'); // 4 δ, 2 β tiles, 2 steps of 16 γ
  const cases: [string, OpsCase, KsSgmatSchedule, number][] = [
    // SwiftShader compiles each in 10-60 s on this machine (the emulation's unrolled code): one case, two slices of
    // 4 δ subgroups (each slice's rows and cs, each subgroup's δ plane), f16 sums through the per-tile epilogue.
    ['2 x 1 δ groups of 16 x 16, f16 sums (batch 37)', oneOp(strided), sgd(16, 16, 16, { acc16: true, stage: true, sg: 2, ku: true }), 37],
  ];
  for (const [name, c, s, batch] of cases)
    it(name, async () => {
      const error = await kernelError(c, 0, 1, emulatedEmit((ctx) => ksSgmat.emit(c.ops[0] as KsOp, s, ctx)), batch, 'f32');
      expect(error, JSON.stringify(s)).toBeLessThan(TOL);
    });
});
