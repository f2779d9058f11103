/**
 * ks-sgmat-strided's `ku` knob (session 14): the staged-W schedules (rg, wstage; W not resident)
 * ran a row chunk's γ chunks as a WGSL loop, which the driver does not unroll (ks-sgmat's chunks of
 * 32 cost 1.55x looped, session 13); `ku` writes them out as session 6's form always did. The
 * schedule space, the WGSL, and results through the subgroup-matrix emulation against float64.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase } from '../../bench/cases.js';
import { ksSgmatStrided, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import type { KsOp } from '../../src/ir/ir.js';
import { EMULATED, emulatedError, H200, knobSpace, schedule } from './sgmat-strided-support.js';
import { TOL_F16 } from './support.js';

const staged = (s: Parameters<typeof schedule>[0], rg: number): KsSgmatStridedSchedule => ({ ...schedule(s), rg, wstage: true });
const written = (s: KsSgmatStridedSchedule): KsSgmatStridedSchedule => ({ ...s, ku: true });

describe('ks-sgmat-strided ku: staged W with its γ chunks written out', () => {
  it('offers every staged-W schedule of a strided factor with 16 γ chunks or fewer with ku, before pd; never the default', () => {
    for (const { name, op, all, withKnob: ku, at, twinned } of knobSpace('ku')) {
      expect(ku.length, name).toBeGreaterThan(0);
      expect(twinned, name).toBe(true);
      for (const s of ku) expect(s.ku === true && s.wstage === true && op.c / s.tk <= 16, JSON.stringify(s)).toBe(true);
      expect(all.slice(at, at + ku.length), name).toEqual(ku);
      expect(all.slice(at + ku.length).every((s) => s.pd === 2), name).toBe(true);
      expect(ksSgmatStrided.defaultSchedule(op, H200).ku, name).toBeUndefined();
    }
  });

  it('writes the γ loop out: no loop over kc, the chunk offsets constant (1024 -> 4096, 64 x 64 warp tiles, chunks of 32)', () => {
    const c = monarchCase(1024, 4096, 4);
    const op = c.ops[1] as KsOp;
    const s = staged({ dtile: 4, cols: 64, sb: 64, mr: 4, chunks: 2, tk: 32, wres: false }, 1);
    expect(ksSgmatStrided.candidates(op, H200)).toContainEqual(written(s));
    const looped = ksSgmatStrided.emit(op, s, contextFor(c, 'k', 1, 'f16')).wgsl;
    const out = ksSgmatStrided.emit(op, written(s), contextFor(c, 'k', 1, 'f16')).wgsl;
    expect(looped).toContain('for (var kc = 0u; kc < 8u; kc++) {');
    expect(out).not.toContain('var kc');
    // The same multiply-adds per chunk, 8 chunks: 8 times the loop body's.
    const mmas = (w: string) => w.split('subgroupMatrixMultiplyAccumulate(').length - 1;
    expect(mmas(out)).toBe(8 * mmas(looped));
    expect(ksSgmatStrided.decode(JSON.parse(JSON.stringify(written(s))))).toEqual(written(s));
  });

  const wide = monarchCase(256, 256, 8); // K(1, 32, 32, 8)
  const cases: [string, KsSgmatStridedSchedule, number][] = [
    ['4 δ, 2 row groups of 32 rows, 2 γ chunks', written(staged({ dtile: 4, cols: 32, sb: 32, mr: 2, chunks: 2, tk: 16, wres: false }, 2)), 45],
    ['2 δ, 2 β groups of 64-row warp tiles', written(staged({ dtile: 2, cols: 32, sb: 16, mr: 4, chunks: 1, tk: 16, wres: false }, 1)), 70],
  ];
  for (const [name, s, batch] of cases)
    it(`${name} (batch ${batch}), emulated, against float64`, async () => {
      expect(ksSgmatStrided.candidates(wide.ops[1] as KsOp, EMULATED)).toContainEqual(s);
      expect(await emulatedError(wide, s, batch), JSON.stringify(s)).toBeLessThan(TOL_F16);
    });
});
