/**
 * ks-sgmat-strided's `et` knob: each subgroup moves `et` result tiles out per epilogue round
 * (slots q·S + sg), so a row chunk's epilogue passes 2·mr·nb/et − 1 barriers instead of
 * 2·mr·nb − 1. Offered for strided factors in session 6's form, after every other candidate, where
 * the slots fit; never a default (no GPU has timed it). Results through the subgroup-matrix
 * emulation on SwiftShader against float64 (SPEC §6 f16 tolerance: the emulated kernel keeps its
 * f16 workgroup arrays in f16), and a kernel whose second tile overwrites the first must fail.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase } from '../../bench/cases.js';
import { ksSgmatStrided, stridedSgmatLayout, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { EMULATED, emulatedError, H200, schedule, unfiltered, workgroupBytes } from './sgmat-strided-support.js';
import { kernelError, TOL_F16 } from './support.js';

const wide = monarchCase(256, 256, 8); // K(1, 32, 32, 8): two β tiles of 16 per subgroup at sb 32
const WIDE = wide.ops[1] as KsOp;
/** 4 δ × 32 β (one β group), 2 row tiles of 16: 4 subgroups with mr·nb = 4 result tiles each. */
const base = schedule({ dtile: 4, cols: 32, sb: 32, mr: 2, chunks: 2, tk: 16, wres: true });
const withTiles = (et: number): KsSgmatStridedSchedule => ({ ...base, et });

describe('ks-sgmat-strided epilogue rounds (et): the schedule space', () => {
  const ops: [string, KsOp][] = [
    ['n=4096 strided', monarchCase(4096, 4096, 64).ops[1] as KsOp],
    ['1024->4096 strided', monarchCase(1024, 4096, 4).ops[1] as KsOp],
    ['n=16384 strided', monarchCase(16384, 16384, 128).ops[1] as KsOp],
    ['n=4096 contiguous', monarchCase(4096, 4096, 64).ops[0] as KsOp],
  ];

  it('adds et 2, 4 or 8 to session-6-form strided schedules only, after every other candidate, within the memory limit', () => {
    for (const [name, op] of ops) {
      const all = ksSgmatStrided.candidates(op, H200).filter((s) => !s.acc16 && s.pd === undefined && s.ds === undefined && s.sw === undefined && s.db === undefined); // et with f16 results, pd, ds, sw, db: ks-sgmat-strided-acc16/-prefetch/-ds/-swizzle.test.ts
      const first = all.findIndex((s) => s.et !== undefined);
      const withEt = all.filter((s) => s.et !== undefined);
      if (op.d === 1) {
        expect(withEt, name).toEqual([]);
        continue;
      }
      expect(withEt.length, name).toBeGreaterThan(0);
      expect(all.slice(first).every((s) => s.et !== undefined), name).toBe(true);
      const keys = new Set(all.map(scheduleKey));
      for (const s of withEt) {
        expect([2, 4, 8]).toContain(s.et);
        expect(s.rg === undefined && s.wstage === undefined, JSON.stringify(s)).toBe(true);
        expect((s.mr * (s.sb / 16)) % (s.et as number), JSON.stringify(s)).toBe(0);
        const { et: _, ...without } = s;
        expect(keys.has(scheduleKey(without)), JSON.stringify(s)).toBe(true);
      }
    }
  });

  it('never puts et in a default (no GPU has timed it)', () => {
    for (const [, op] of ops) for (const limits of [H200, EMULATED]) if (ksSgmatStrided.candidates(op, limits).length > 0) expect(ksSgmatStrided.defaultSchedule(op, limits).et).toBeUndefined();
  });

  it('decodes et from a stored schedule, and no et where none was stored', () => {
    expect(ksSgmatStrided.decode(withTiles(4))).toEqual(withTiles(4));
    expect('et' in ksSgmatStrided.decode(base)).toBe(false);
  });

  it('holds et slots per subgroup and passes 2·mr·nb/et − 1 epilogue barriers per row chunk', () => {
    const ctx = contextFor(wide, 'k', 1, 'f16');
    const { plane, slot } = stridedSgmatLayout(WIDE, base);
    const barriers = (s: KsSgmatStridedSchedule) => ksSgmatStrided.emit(WIDE, s, ctx).wgsl.split('workgroupBarrier()').length - 1;
    const gamma = 2 * (32 / base.tk) - 1;
    for (const et of [1, 2, 4]) {
      const s = et === 1 ? base : withTiles(et);
      expect(workgroupBytes(ksSgmatStrided.emit(WIDE, s, ctx).wgsl)).toBe(2 * 4 * plane + 4 * 4 * slot * et);
      expect(barriers(s), `et ${et}`).toBe(gamma + (2 * 4) / et - 1);
    }
  });
});

describe('ks-sgmat-strided epilogue rounds (et), emulated, against the float64 reference', () => {
  for (const et of [2, 4])
    it(`d = 8, 4 result tiles per subgroup in rounds of ${et}, a batch ending mid-chunk (batch 45)`, async () => {
      expect(ksSgmatStrided.candidates(WIDE, EMULATED)).toContainEqual(withTiles(et));
      expect(await emulatedError(wide, withTiles(et), 45)).toBeLessThan(TOL_F16);
    });

  it('adds the bias and accumulates through a permuted output map (scalar stores), rounds of 2 (batch 21)', async () => {
    const permuted: KsOp = { ...WIDE, accumulate: true, bias: { tensor: 'blkdiag2', offset: 0, length: 256 }, output: { size: 256, steps: [{ shape: [32, 8], perm: [1, 0] }] } };
    expect(ksSgmatStrided.candidates(permuted, EMULATED)).toContainEqual(withTiles(2));
    expect(await emulatedError(wide, withTiles(2), 21, 1, permuted)).toBeLessThan(TOL_F16);
  });

  it("fails a kernel whose second tile of a round lands in the first one's slots (the check can fail)", async () => {
    const s = withTiles(2);
    const { slot } = stridedSgmatLayout(WIDE, s);
    const second = `${4 * slot}u + sg * ${slot}u`;
    const broken = emulatedEmit(
      (ctx) => {
        const k = unfiltered(ksSgmatStrided.emit(WIDE, s, ctx));
        expect(k.wgsl).toContain(second);
        return { ...k, wgsl: k.wgsl.replaceAll(second, `sg * ${slot}u`) };
      },
      { packWorkgroupF16: true },
    );
    expect(await kernelError(wide, 1, 1, broken, 45, 'f32')).toBeGreaterThan(0.1);
  });
});
