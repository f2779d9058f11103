/**
 * ks-sgmat's session-19 knob `ro`: each warp stages rows in staging-rows.ts's order (bits 1 and 2 of
 * the row swapped), and its 128 x 64 f16-sum subgroup tiles on 2 x 2 grids. The counted store
 * wavefronts `ro` is built on, the schedule space (after every other candidate; `ro` at d = 1, tk 32 +
 * pad 8 only), the WGSL, and results through the subgroup-matrix
 * emulation on SwiftShader against the float64 op reference (relative Frobenius error 1e-5: the
 * emulation runs f16 as f32, so it proves the indexing).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase } from '../../bench/cases.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import { ksSgmat, SUBGROUP_MATRIX_FEATURE, type KsSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import { spreadPays, stagingStoreWavefronts } from '../../src/codegen/wgsl/fast/staging-rows.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { kernelError, KS_SGMAT_SPACE_OPS, oneOp, TOL } from './support.js';

const H200: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', SUBGROUP_MATRIX_FEATURE, 'subgroups'] };
type Knobs = Partial<Pick<KsSgmatSchedule, 'acc16' | 'stage' | 'sg' | 'sgc' | 'pad' | 'ku' | 'ro'>>;
const sgmat = (rows: number, cols: number, tk: number, knobs: Knobs = {}): KsSgmatSchedule => ({ family: 'ks-sgmat', rows, cols, dtile: 1, tk, ...knobs });

describe('staging-rows: the counted store wavefronts', () => {
  it('tk 32 + pad 8 (rows 40 halves apart): 3 wavefronts per store in row order, 2 with bits 1 and 2 swapped (16-bit and 64-bit stores)', () => {
    expect(stagingStoreWavefronts(32, 40, false, 1)).toBe(12);
    expect(stagingStoreWavefronts(32, 40, true, 1)).toBe(8);
    expect(stagingStoreWavefronts(32, 40, false, 4)).toBe(3);
    expect(stagingStoreWavefronts(32, 40, true, 4)).toBe(2);
    expect(spreadPays(32, 40)).toBe(true);
  });

  it('gains nothing where rows are already at 2 per store (tk 16, tk 64 + pad 8, unpadded tk 32)', () => {
    for (const [tk, stride] of [[16, 16], [16, 24], [32, 32], [64, 72]]) {
      expect(stagingStoreWavefronts(tk, stride, false, 1), `${tk}/${stride}`).toBe(8);
      expect(spreadPays(tk, stride), `${tk}/${stride}`).toBe(false);
    }
  });
});

describe('ks-sgmat session 19: the schedule space', () => {
  const big = (s: KsSgmatSchedule) => s.sg !== undefined && s.rows * s.cols === 128 * 64;
  it('offers, last, the padded written-out tilings of tk 32 with ro, then 2 x 2 grids of 128 x 64 / 64 x 128 f16-sum tiles, then those with ro; d = 1 only, never a default', () => {
    for (const [name, op] of KS_SGMAT_SPACE_OPS) {
      const all = ksSgmat.candidates(op, H200);
      const late = all.filter((s) => s.ro !== undefined || big(s));
      expect(all.slice(all.length - late.length), name).toEqual(late);
      const spread = late.filter((s) => !big(s));
      const bigs = late.filter((s) => big(s) && s.ro === undefined);
      expect(late, name).toEqual([...spread, ...bigs, ...late.filter((s) => big(s) && s.ro !== undefined)]);
      const before = new Set([...all.slice(0, all.length - late.length), ...bigs].map(scheduleKey));
      for (const { ro: flag, ...twin } of late.filter((s) => s.ro !== undefined)) {
        expect(flag === true && twin.tk === 32 && twin.pad === 8 && twin.ku === true, JSON.stringify(twin)).toBe(true);
        expect(before.has(scheduleKey(twin)), JSON.stringify(twin)).toBe(true);
      }
      for (const s of bigs) expect(s.acc16 && s.stage && s.sg === 2 && s.sgc === 2 && s.ku && s.pad === 8 && s.tk <= 32, JSON.stringify(s)).toBe(true);
      expect(spread.length > 0, name).toBe(op.d === 1);
      const d = ksSgmat.defaultSchedule(op, H200);
      expect(d.ro === undefined && !big(d), name).toBe(true);
    }
    const deep = ksSgmat.candidates(KS_SGMAT_SPACE_OPS[2][1], H200);
    expect(deep).toContainEqual(sgmat(64, 64, 32, { acc16: true, stage: true, sg: 4, sgc: 2, ku: true, pad: 8, ro: true }));
    expect(deep).toContainEqual(sgmat(128, 64, 32, { acc16: true, stage: true, sg: 2, sgc: 2, ku: true, pad: 8, ro: true }));
    expect(deep).toContainEqual(sgmat(64, 128, 16, { acc16: true, stage: true, sg: 2, sgc: 2, ku: true, pad: 8 }));
  });
});

describe('ks-sgmat ro: the WGSL (4096 -> 1024 first factor K(4, 256, 1024, 1))', () => {
  const c = monarchCase(4096, 1024, 4);
  const wgsl = (s: KsSgmatSchedule) => ksSgmat.emit(c.ops[0] as KsOp, s, contextFor(c, 'k', 0, 'f16')).wgsl;

  it('changes only the staged rows of source and W: the same loads, stores, MMAs and barriers', () => {
    const base = sgmat(64, 64, 32, { acc16: true, stage: true, sg: 4, sgc: 2, ku: true, pad: 8 });
    const plain = wgsl(base);
    const spread = wgsl({ ...base, ro: true });
    expect(spread).toContain('let r = (((e / 8u) & ~6u) | (((e / 8u) & 2u) << 1u) | (((e / 8u) & 4u) >> 1u));');
    expect(spread).toContain('let bb = ((((e / 8u) % 128u) & ~6u) | ((((e / 8u) % 128u) & 2u) << 1u) | ((((e / 8u) % 128u) & 4u) >> 1u));');
    const rest = (k: string) => k.split('\n').filter((l) => !/^\s*let (r|bb) = /.test(l));
    expect(rest(spread)).toEqual(rest(plain));
  });
});

describe('ks-sgmat session 19, emulated, against the float64 reference', () => {
  // SwiftShader compiles each in 20-70 s on this machine (the emulation's unrolled code), so the cases are few.
  it('ro on 4 x 2 subgroups, acc16 + stage (the 4096 -> 1024 seed form; batch 70)', async () => {
    const deep = ks(1, 64, 128, 1, 'x', 'y', 'w'); // 4 β tiles per row, 4 chunks of 32 γ
    const s = sgmat(16, 32, 32, { acc16: true, stage: true, sg: 4, sgc: 2, ku: true, pad: 8, ro: true });
    const error = await kernelError(oneOp(deep), 0, 1, emulatedEmit((ctx) => ksSgmat.emit(deep, s, ctx)), 70, 'f32');
    expect(error, JSON.stringify(s)).toBeLessThan(TOL);
  });

  // 32 result tiles per subgroup; unpadded tk 16, since the emulation's f32 copies of the staged tiles
  // must fit SwiftShader's 32 KiB (`ro` and pad are proven above).
  it('2 x 2 subgroups of 64 x 128 f16-sum tiles (batch 150)', async () => {
    const wide = ks(1, 256, 32, 1, 'x', 'y', 'w'); // one 2 x 2 grid of 64 x 128 tiles spans b
    const s = sgmat(64, 128, 16, { acc16: true, stage: true, sg: 2, sgc: 2, ku: true });
    const error = await kernelError(oneOp(wide), 0, 1, emulatedEmit((ctx) => ksSgmat.emit(wide, s, ctx)), 150, 'f32');
    expect(error, JSON.stringify(s)).toBeLessThan(TOL);
  });
});
