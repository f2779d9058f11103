/**
 * ks-sgmat's session-23 knob `xg` (d = 1): in a workgroup of whole row tiles the left matrices are
 * loaded straight from x (row stride = the input row length) and only W is staged; xg 1 loads them in
 * the step that multiplies them, xg 2 a chunk ahead into matrix variables. The last partial row tile
 * takes the staged reduction. The schedule space (after every other candidate, never a default), the
 * WGSL of 4096 -> 1024's f16-sum seed with xg, and results through the subgroup-matrix emulation on
 * SwiftShader against the float64 op reference, batches ending inside a workgroup so that both paths
 * run. Tolerance: relative Frobenius error 1e-5 (the emulation runs f16 as f32: it proves the indexing).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import { f16SumTwin, ksSgmat, SUBGROUP_MATRIX_FEATURE, type KsSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import type { EmittedKernel, TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KernelContext } from '../../src/codegen/wgsl/scaffold.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { kernelError, KS_SGMAT_SPACE_OPS, oneOp, TOL } from './support.js';

const H200: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', SUBGROUP_MATRIX_FEATURE, 'subgroups'] };

type Knobs = Partial<Pick<KsSgmatSchedule, 'acc16' | 'stage' | 'sg' | 'sgc' | 'pad' | 'ku' | 'xg'>>;
const sgmat = (rows: number, cols: number, tk: number, knobs: Knobs = {}): KsSgmatSchedule => ({ family: 'ks-sgmat', rows, cols, dtile: 1, tk, ...knobs });
const count = (text: string, what: string) => text.split(what).length - 1;

describe('ks-sgmat xg: the schedule space', () => {
  it('offers xg 1 and 2 last, each the twin of an earlier written-out, single-buffered candidate of several subgroups, at d = 1 only; never a default', () => {
    for (const [name, op] of KS_SGMAT_SPACE_OPS) {
      const all = ksSgmat.candidates(op, H200);
      const fromX = all.filter((s) => s.xg !== undefined);
      expect(all.slice(all.length - fromX.length), name).toEqual(fromX);
      expect(fromX.length > 0, name).toBe(op.d === 1);
      const before = new Set(all.slice(0, all.length - fromX.length).map(scheduleKey));
      for (const s of fromX) {
        const { xg, ...twin } = s;
        expect(xg === 1 || xg === 2, JSON.stringify(s)).toBe(true);
        expect(before.has(scheduleKey(twin)), JSON.stringify(s)).toBe(true);
        expect(s.ku === true && s.db === undefined && Number(s.sg ?? 1) * Number(s.sgc ?? 1) > 1, JSON.stringify(s)).toBe(true);
      }
      expect(new Set(all.map(scheduleKey)).size, name).toBe(all.length);
      expect(ksSgmat.defaultSchedule(op, H200).xg, name).toBeUndefined();
      expect(f16SumTwin(op, H200)?.xg, name).toBeUndefined();
    }
    // 4096 -> 1024's f16-sum seed (4 x 2 subgroups of 64 x 64, chunks of 32) with both.
    const seed = f16SumTwin(KS_SGMAT_SPACE_OPS[2][1], H200);
    expect(seed).toEqual(sgmat(64, 64, 32, { sg: 4, sgc: 2, ku: true, pad: 8, acc16: true, stage: true }));
    const offered = ksSgmat.candidates(KS_SGMAT_SPACE_OPS[2][1], H200);
    for (const xg of [1, 2]) expect(offered).toContainEqual({ ...seed, xg });
  });
});

describe('ks-sgmat xg: the WGSL (4096 -> 1024 first factor K(4, 256, 1024, 1), its f16-sum seed)', () => {
  const c = monarchCase(4096, 1024, 4);
  const wgsl = (s: KsSgmatSchedule) => ksSgmat.emit(c.ops[0] as KsOp, s, contextFor(c, 'k', 0, 'f16')).wgsl;
  const seed = sgmat(64, 64, 32, { sg: 4, sgc: 2, ku: true, pad: 8, acc16: true, stage: true });
  const [whole1, staged1] = wgsl({ ...seed, xg: 1 }).split('} else {');
  const [whole2, staged2] = wgsl({ ...seed, xg: 2 }).split('} else {');

  it('loads the left matrices of whole row tiles from x (row stride 4096) and stages only W there', () => {
    for (const whole of [whole1, whole2]) {
      expect(whole).toContain('if (row0 + 256u <= batch) {');
      expect(whole).toContain('@binding(1) var<storage, read> k_src: array<f16>;');
      expect(whole).not.toContain('k_xs[');
      expect(whole).not.toContain('&k_xs');
      expect(count(whole, 'k_ws[')).toBeGreaterThan(0);
      // 2 barriers per chunk, as the staged path.
      expect(count(whole, 'workgroupBarrier()')).toBe(2);
    }
    // xg 1: step 2's third row tile of the subgroup, 16 γ into the chunk.
    expect(whole1).toContain('let l0_2 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&k_src, (row0 + sgr * 64u + 32u) * 4096u + alpha * 1024u + k0 + 16u, 4096u);');
    // The staged path (the last partial row tile) reads xs as the seed does.
    for (const staged of [staged1, staged2]) expect(staged).toContain('&k_xs, sgr * 2560u');
  });

  it('xg 2 loads the first chunk before the loop and the next after the MMAs, into the variables they multiply', () => {
    expect(whole2).toContain('var xl1_3 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&k_src, (row0 + sgr * 64u + 48u) * 4096u + alpha * 1024u + 16u, 4096u);');
    expect(whole2).toContain('xl1_3 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&k_src, (row0 + sgr * 64u + 48u) * 4096u + alpha * 1024u + k0 + 48u, 4096u);');
    expect(whole2).toContain('acc_0_3_3 = subgroupMatrixMultiplyAccumulate(xl1_3, r0_3, acc_0_3_3);');
    const lastMma = whole2.lastIndexOf('subgroupMatrixMultiplyAccumulate(');
    expect(whole2.indexOf('if (k0 + 32u < 1024u) {\n', lastMma)).toBeGreaterThan(lastMma);
    // 8 matrices declared, 8 reloaded: no other left loads.
    expect(count(whole2, 'subgroupMatrixLoad<subgroup_matrix_left')).toBe(16);
  });
});

describe('ks-sgmat xg, emulated, against the float64 reference', () => {
  const deep = ks(1, 64, 128, 1, 'x', 'y', 'w'); // 4 chunks of 32 γ
  const blocks = ks(2, 32, 64, 1, 'x', 'y', 'w'); // 2 blocks: x's rows hold both α's columns
  const emit = (c: OpsCase, s: KsSgmatSchedule, edit: (wgsl: string) => string = (w) => w) =>
    emulatedEmit((ctx: KernelContext): EmittedKernel => {
      const k = ksSgmat.emit(c.ops[0] as KsOp, s, ctx);
      return { ...k, wgsl: edit(k.wgsl) };
    });
  const cases: [string, OpsCase, KsSgmatSchedule, number][] = [
    // SwiftShader compiles each in 10-60 s on this machine (the emulation's unrolled code), so the cases are few.
    ['xg 1, 2 x 2 subgroups, tk 32 (batch 45: one whole row tile, then the staged path)', oneOp(deep), sgmat(16, 16, 32, { sg: 2, sgc: 2, ku: true, xg: 1 }), 45],
    ['xg 2, 2 x 2 subgroups, tk 32 (batch 45)', oneOp(deep), sgmat(16, 16, 32, { sg: 2, sgc: 2, ku: true, xg: 2 }), 45],
    ['xg 2, 4 x 2 subgroups, acc16 + stage, pad 8 (batch 70)', oneOp(deep), sgmat(16, 32, 32, { acc16: true, stage: true, sg: 4, sgc: 2, ku: true, pad: 8, xg: 2 }), 70],
    ['xg 1, 2 blocks, 2 x 2 subgroups, tk 64 (batch 64: whole row tiles only)', oneOp(blocks), sgmat(16, 16, 64, { sg: 2, sgc: 2, ku: true, xg: 1 }), 64],
  ];
  for (const [name, c, s, batch] of cases)
    it(name, async () => {
      const error = await kernelError(c, 0, 1, emit(c, s), batch, 'f32');
      expect(error, JSON.stringify(s)).toBeLessThan(TOL);
    });

  it('fails when xg 2 reloads the wrong γ (the chunk ahead of the second step read as the first step\'s): the check can fail', async () => {
    const s = sgmat(16, 16, 32, { sg: 2, sgc: 2, ku: true, xg: 2 });
    const broken = (w: string) => {
      expect(w).toContain('+ k0 + 48u, 128u);');
      return w.replaceAll('+ k0 + 48u, 128u);', '+ k0 + 32u, 128u);');
    };
    const error = await kernelError(oneOp(deep), 0, 1, emit(oneOp(deep), s, broken), 32, 'f32');
    expect(error).toBeGreaterThan(0.05);
  });
});
