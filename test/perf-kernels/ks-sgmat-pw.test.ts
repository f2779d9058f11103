/**
 * ks-sgmat's session-30 knob `pw` (W's chunk loaded in its own pass, only the source's fetched a chunk ahead:
 * partly-pipelined-loop.ts): the schedule space (last; single-buffered written-out padded 8-subgroup forms in chunks of
 * 32 or 64, and the square tiles), the WGSL of 4096 -> 1024's first factor with the default's tile, and results through
 * the subgroup-matrix emulation on SwiftShader against the float64 op reference (f32 and f16 sums, batches that end
 * inside a row tile). Tolerance: 1e-5 for f32 sums (the emulation runs f16 as f32: it proves the indexing), the f16
 * contract's 3e-3 where the workgroup arrays stay f16 (packed).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase } from '../../bench/cases.js';
import { register } from '../../src/codegen/wgsl/family.js';
import { ksSgmat, SUBGROUP_MATRIX_FEATURE, type KsSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { isSquareTile, kernelError, KS_SGMAT_SPACE_OPS, oneOp, TOL, TOL_F16 } from './support.js';

const H200: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', SUBGROUP_MATRIX_FEATURE, 'subgroups'] };
const subgroups = (s: KsSgmatSchedule) => Number(s.sg ?? 1) * Number(s.sgc ?? 1);
const DEFAULT_TILE: KsSgmatSchedule = { family: 'ks-sgmat', rows: 64, cols: 32, dtile: 1, tk: 64, sg: 2, sgc: 4, ku: true, pad: 8 };

describe('ks-sgmat pw: the schedule space', () => {
  it('offers the single-buffered written-out padded 8-subgroup forms of chunks of 32 or 64, and the square tiles, again with pw, last', () => {
    for (const [name, op] of KS_SGMAT_SPACE_OPS) {
      const all = ksSgmat.candidates(op, H200);
      const pw = all.filter((s) => s.pw === true);
      expect(all.slice(all.length - pw.length), name).toEqual(pw);
      const before = all.slice(0, all.length - pw.length).map((s) => JSON.stringify(s));
      for (const s of pw) {
        const { pw: _, ...twin } = s;
        expect(before.includes(JSON.stringify(twin)), JSON.stringify(s)).toBe(true);
        expect(subgroups(s) === 8 && s.tk >= 32 && s.ku === true && s.pad === 8 && s.db === undefined, JSON.stringify(s)).toBe(true);
      }
      expect(pw.some(isSquareTile), name).toBe(all.some(isSquareTile));
    }
    // 4096 -> 1024's first factor: its untuned default's tile, with pw.
    expect(ksSgmat.candidates(KS_SGMAT_SPACE_OPS[2][1], H200)).toContainEqual({ ...DEFAULT_TILE, pw: true });
  });
});

describe('ks-sgmat pw: the WGSL (4096 -> 1024 first factor K(4, 256, 1024, 1), the default tile)', () => {
  const c = monarchCase(4096, 1024, 4);
  const emit = (s: KsSgmatSchedule) => ksSgmat.emit(c.ops[0] as KsOp, s, contextFor(c, 'k', 0, 'f16')).wgsl;

  it("keeps only the source's 8 registers a chunk ahead; W's 8 are loaded and stored in the chunk's own pass", () => {
    const wgsl = emit({ ...DEFAULT_TILE, pw: true });
    const loop = wgsl.slice(wgsl.indexOf('for (var k0 = 0u;'));
    // W's loads come first in the loop, then the source's stores, then W's, then the one barrier before the next fetch.
    const firstW = loop.indexOf('pw0_0 = k_params[');
    expect(firstW).toBeGreaterThan(0);
    expect(firstW).toBeLessThan(loop.indexOf('k_xs['));
    expect(loop.indexOf('= pw0_7.x;')).toBeLessThan(loop.indexOf('workgroupBarrier();'));
    expect(loop.indexOf('pf0_0 = k_src[')).toBeGreaterThan(loop.indexOf('workgroupBarrier();'));
    expect(wgsl).not.toContain('pf1_');
    // Before the loop only the source is fetched.
    const prologue = wgsl.slice(0, wgsl.indexOf('for (var k0 = 0u;'));
    expect(prologue).toContain('pf0_7 = k_src[');
    expect(prologue).not.toContain('= k_params[');
    // Without pw: both fetched ahead (the default's text).
    expect(emit(DEFAULT_TILE)).toContain('pf1_7 = k_params[');
  });

  it('survives the registry (decode): what monc tune, monarch-goal and tuned builds emit is the pw kernel (REV30-1)', () => {
    const pw = { ...DEFAULT_TILE, pw: true };
    expect(ksSgmat.decode(pw)).toEqual(pw);
    const viaRegistry = register(ksSgmat).forOp(c.ops[0] as KsOp).emit(pw, contextFor(c, 'k', 0, 'f16'));
    expect(viaRegistry.wgsl).toBe(emit(pw));
    expect(viaRegistry.wgsl).not.toBe(emit(DEFAULT_TILE));
  });

  it('is refused with db', () => {
    expect(() => emit({ ...DEFAULT_TILE, tk: 32, db: true, pw: true })).toThrow(/pw/);
  });
});

describe('ks-sgmat pw, emulated, against the float64 reference', () => {
  const wide = ks(1, 64, 64, 1, 'x', 'y', 'w'); // 4 β tiles per row, chunks of 32: two
  const cases: [string, KsSgmatSchedule, number, number][] = [
    ['2 x 4 subgroups of 16 x 16, f32 sums, chunks of 32 (batch 45)', { family: 'ks-sgmat', rows: 16, cols: 16, dtile: 1, tk: 32, sg: 2, sgc: 4, ku: true, pad: 8, pw: true }, 45, TOL],
    ['4 x 2 subgroups of 16 x 32, f16 sums through the staged epilogue (batch 70)', { family: 'ks-sgmat', rows: 16, cols: 32, dtile: 1, tk: 32, sg: 4, sgc: 2, ku: true, pad: 8, acc16: true, stage: true, pw: true }, 70, TOL_F16],
  ];
  for (const [name, s, batch, tol] of cases)
    it(name, async () => {
      const packed = s.acc16 === true ? { packWorkgroupF16: true } : undefined;
      expect(await kernelError(oneOp(wide), 0, 1, emulatedEmit((ctx) => ksSgmat.emit(wide, s, ctx), packed), batch, 'f32'), JSON.stringify(s)).toBeLessThan(tol);
    }, 300_000);
});
