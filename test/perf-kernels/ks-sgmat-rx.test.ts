/**
 * ks-sgmat's session-19 knob `rx`: each warp stages rows in staging-rows.ts's order (bits 1 and 2 of
 * the row swapped), the swap taken from lid once so that every staging pass adds a constant (session
 * 19's `ro`, the same rows swapped in every pass's index, lost on the H100: ks-sgmat.ts). The counted
 * store wavefronts it is built on, the schedule space (after every other candidate; d = 1 at tk 32 +
 * pad 8 only), the WGSL, and results through the subgroup-matrix emulation on SwiftShader against the
 * float64 op reference (relative Frobenius error 1e-5: the emulation runs f16 as f32, so it proves the
 * indexing).
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
type Knobs = Partial<Pick<KsSgmatSchedule, 'acc16' | 'stage' | 'sg' | 'sgc' | 'pad' | 'ku' | 'rx'>>;
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

describe('ks-sgmat rx: the schedule space', () => {
  it('offers the padded written-out tilings of tk 32 with rx last, each an earlier candidate with rx added, d = 1 only, never a default', () => {
    for (const [name, op] of KS_SGMAT_SPACE_OPS) {
      const all = ksSgmat.candidates(op, H200);
      const rx = all.filter((s) => s.rx !== undefined);
      expect(all.slice(all.length - rx.length), name).toEqual(rx);
      const before = new Set(all.slice(0, all.length - rx.length).map(scheduleKey));
      for (const { rx: flag, ...twin } of rx) {
        expect(flag === true && twin.tk === 32 && twin.pad === 8 && twin.ku === true && Number(twin.sg ?? 1) * Number(twin.sgc ?? 1) > 1, JSON.stringify(twin)).toBe(true);
        expect(before.has(scheduleKey(twin)), JSON.stringify(twin)).toBe(true);
      }
      expect(rx.length > 0, name).toBe(op.d === 1);
      expect(ksSgmat.defaultSchedule(op, H200).rx, name).toBeUndefined();
    }
    const deep = ksSgmat.candidates(KS_SGMAT_SPACE_OPS[2][1], H200);
    expect(deep).toContainEqual(sgmat(64, 64, 32, { acc16: true, stage: true, sg: 4, sgc: 2, ku: true, pad: 8, rx: true }));
    // One subgroup stages 4 rows per pass: a pass would move the swapped bits.
    expect(deep.some((s) => s.rx === true && s.sg === undefined && s.sgc === undefined)).toBe(false);
  });
});

describe('ks-sgmat rx: the WGSL (4096 -> 1024 first factor K(4, 256, 1024, 1))', () => {
  const c = monarchCase(4096, 1024, 4);
  const wgsl = (s: KsSgmatSchedule) => ksSgmat.emit(c.ops[0] as KsOp, s, contextFor(c, 'k', 0, 'f16')).wgsl;

  it('takes the swap from lid once and only changes the staged rows of source and W: the same loads, stores, MMAs and barriers', () => {
    const base = sgmat(64, 64, 32, { acc16: true, stage: true, sg: 4, sgc: 2, ku: true, pad: 8 });
    const plain = wgsl(base);
    const spread = wgsl({ ...base, rx: true });
    expect(spread.split('let rx = ').length - 1).toBe(1);
    expect(spread).toContain('let rx = ((((lid / 8u) >> 1u) ^ ((lid / 8u) >> 2u)) & 1u) * 6u;');
    expect(spread).toContain('let r = (((lid / 8u) ^ rx) + (e - lid) / 8u);');
    expect(spread).toContain('let bb = (((lid / 8u) ^ rx) + (e - lid) / 8u) % 128u;');
    const rest = (k: string) => k.split('\n').filter((l) => !/^\s*let (r|bb|rx) = /.test(l));
    expect(rest(spread)).toEqual(rest(plain));
  });
});

describe('ks-sgmat rx, emulated, against the float64 reference', () => {
  // SwiftShader compiles it in 20-70 s on this machine (the emulation's unrolled code): one case.
  it('4 x 2 subgroups, acc16 + stage (the 4096 -> 1024 seed form; 4 chunks of 32 γ, batch 70)', async () => {
    const deep = ks(1, 64, 128, 1, 'x', 'y', 'w');
    const s = sgmat(16, 32, 32, { acc16: true, stage: true, sg: 4, sgc: 2, ku: true, pad: 8, rx: true });
    const error = await kernelError(oneOp(deep), 0, 1, emulatedEmit((ctx) => ksSgmat.emit(deep, s, ctx)), 70, 'f32');
    expect(error, JSON.stringify(s)).toBeLessThan(TOL);
  });
});
