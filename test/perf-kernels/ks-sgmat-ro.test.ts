/**
 * ks-sgmat's session-19 knob `ro`: each warp stages rows in staging-rows.ts's order (bits 1 and 2 of
 * the row swapped). The counted store wavefronts it is built on, the schedule space (after every
 * other candidate, d = 1 at tk 32 + pad 8 only), the WGSL, and results through the subgroup-matrix
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

describe('ks-sgmat ro: the schedule space', () => {
  it('offers the padded written-out tilings of tk 32 with ro last, each an earlier candidate with ro added, d = 1 only', () => {
    for (const [name, op] of KS_SGMAT_SPACE_OPS) {
      const all = ksSgmat.candidates(op, H200);
      const ro = all.filter((s) => s.ro !== undefined);
      expect(all.slice(all.length - ro.length), name).toEqual(ro);
      const before = new Set(all.slice(0, all.length - ro.length).map(scheduleKey));
      for (const { ro: flag, ...twin } of ro) {
        expect(flag === true && twin.tk === 32 && twin.pad === 8 && twin.ku === true, JSON.stringify(twin)).toBe(true);
        expect(before.has(scheduleKey(twin)), JSON.stringify(twin)).toBe(true);
      }
      expect(ro.length > 0, name).toBe(op.d === 1);
      expect(ksSgmat.defaultSchedule(op, H200).ro, name).toBeUndefined();
    }
    const deep = KS_SGMAT_SPACE_OPS[2][1];
    expect(ksSgmat.candidates(deep, H200)).toContainEqual(sgmat(64, 64, 32, { acc16: true, stage: true, sg: 4, sgc: 2, ku: true, pad: 8, ro: true }));
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

describe('ks-sgmat ro, emulated, against the float64 reference', () => {
  const deep = ks(1, 64, 128, 1, 'x', 'y', 'w'); // 4 β tiles per row, 4 chunks of 32 γ
  const cases: [string, KsSgmatSchedule, number][] = [
    // SwiftShader compiles each in 10-60 s on this machine (the emulation's unrolled code), so the cases are few.
    ['4 x 2 subgroups, acc16 + stage (the 4096 -> 1024 seed form; batch 70)', sgmat(16, 32, 32, { acc16: true, stage: true, sg: 4, sgc: 2, ku: true, pad: 8, ro: true }), 70],
    ['2 x 2 subgroups, f32 sums (batch 45)', sgmat(16, 16, 32, { sg: 2, sgc: 2, ku: true, pad: 8, ro: true }), 45],
  ];
  for (const [name, s, batch] of cases)
    it(name, async () => {
      const error = await kernelError(oneOp(deep), 0, 1, emulatedEmit((ctx) => ksSgmat.emit(deep, s, ctx)), batch, 'f32');
      expect(error, JSON.stringify(s)).toBeLessThan(TOL);
    });
});
