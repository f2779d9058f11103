/**
 * ks-sgmat-strided's `tr` knob (session 18): the strided source staged as 4 γ × 4 δ blocks of one
 * row, rotated by their δ run (as `sw`) and written as runs of 4 consecutive γ (8 aligned bytes)
 * into four δ planes, instead of 16 two-byte scalars to 16 rows. Offered as twins of the swizzled
 * d > 1 forms (session 6's, the f16-result ones, 16 row chunks); never an untimed default. The
 * layout puts a half-warp's 8-byte stores on 32 distinct banks; results through the
 * subgroup-matrix emulation against float64.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase } from '../../bench/cases.js';
import { ksSgmatStrided, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { stridedSgmatLayout } from '../../src/codegen/wgsl/fast/ks-sgmat-strided-layout.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import type { KsOp } from '../../src/ir/ir.js';
import { acc16, EMULATED, emulatedError, GOAL_SHAPES, H200, N4096, schedule } from './sgmat-strided-support.js';
import { TOL_F16 } from './support.js';

const transposed = (s: KsSgmatStridedSchedule): KsSgmatStridedSchedule => ({ ...s, tr: true });
const op1 = N4096.ops[1] as KsOp;

describe('ks-sgmat-strided tr: the schedule space', () => {
  it('offers each tr schedule beside its twin without it, only with vec4 runs along δ (d > 1) and swizzled lanes; no default takes it', () => {
    for (const [name, c] of GOAL_SHAPES)
      for (const op of c.ops as KsOp[]) {
        const all = ksSgmatStrided.candidates(op, H200);
        const keys = new Set(all.map(scheduleKey));
        const tr = all.filter((s) => s.tr !== undefined);
        expect(tr.length > 0, `${name} d = ${op.d}`).toBe(op.d > 1);
        for (const s of tr) {
          const { tr: _, ...twin } = s;
          expect(s.tr === true && s.sw === true && keys.has(scheduleKey(twin)) && stridedSgmatLayout(op, s).srcVec === 4, JSON.stringify(s)).toBe(true);
        }
        expect(ksSgmatStrided.defaultSchedule(op, H200).tr, name).toBeUndefined();
      }
    const def = ksSgmatStrided.defaultSchedule(op1, H200);
    expect(ksSgmatStrided.candidates(op1, H200)).toContainEqual(transposed(def));
    expect(ksSgmatStrided.decode(JSON.parse(JSON.stringify(transposed(def))))).toEqual(transposed(def));
  });

  it('puts the 8-byte stores of each half-warp on 32 distinct banks (n = 4096 default, 16 δ; 8 δ); its planes ≡ 8 or 16 words mod 32', () => {
    for (const s of [ksSgmatStrided.defaultSchedule(op1, H200), { ...ksSgmatStrided.defaultSchedule(op1, H200), dtile: 8, cols: 64, chunks: 4, tk: 32 }]) {
      const { plane, tkp } = stridedSgmatLayout(op1, transposed(s));
      expect((plane / 2) % 32, JSON.stringify(s)).toBe(s.dtile === 16 ? 8 : 16);
      const runs = s.dtile / 4;
      const quads = s.tk / 4;
      for (let q = 0; q < 4; q++)
        for (let half = 0; half < 2; half++) {
          const banks = new Set<number>();
          for (let lane = 16 * half; lane < 16 * half + 16; lane++) {
            const dv = lane % runs;
            const k = (Math.floor(lane / runs) % quads) * 4;
            const r = Math.floor(lane / (runs * quads));
            const word = ((dv * 4 + ((q + dv) & 3)) * plane + r * tkp + k) / 2;
            banks.add(word % 32).add((word + 1) % 32);
          }
          // 16 δ: 4 runs × 4 γ quads; 8 δ with γ chunks of 32: 2 runs × 8 quads; one row, 32 words each.
          expect(banks.size, `${JSON.stringify(s)} step ${q} half ${half}`).toBe(32);
        }
    }
  });

  it('writes γ runs of 4 consecutive halves per δ plane from constant lanes (no vector indexed at run time)', () => {
    const wgsl = ksSgmatStrided.emit(op1, transposed(ksSgmatStrided.defaultSchedule(op1, H200)), contextFor(N4096, 'k', 1, 'f16')).wgsl;
    expect(wgsl).toContain('var pf0_0: array<vec4<f16>, 4>;');
    expect(wgsl).toContain('{ let qq = (1u + dv) & 3u; k_xs[(dv * 4u + qq) * 784u + r * 24u + k] = w0[1]; k_xs[(dv * 4u + qq) * 784u + r * 24u + k + 1u] = w1[1]; k_xs[(dv * 4u + qq) * 784u + r * 24u + k + 2u] = w2[1]; k_xs[(dv * 4u + qq) * 784u + r * 24u + k + 3u] = w3[1]; }');
    expect(wgsl).not.toMatch(/\w\[qq\]/);
  });
});

describe('ks-sgmat-strided tr: results, emulated, against float64', () => {
  it('16 δ (every rotation) as 8 subgroups of 2, f16 results, 2 row chunks (batch 37)', async () => {
    const square = monarchCase(256, 256, 16); // K(1, 16, 16, 16)
    const s = transposed({ ...acc16({ dtile: 16, cols: 16, sb: 16, mr: 1, chunks: 2, tk: 16, wres: true }), ds: 2, sw: true });
    expect(ksSgmatStrided.candidates(square.ops[1] as KsOp, EMULATED)).toContainEqual(s);
    expect(await emulatedError(square, s, 37)).toBeLessThan(TOL_F16);
  });

  it('8 δ, f32 results, 2 γ chunks of 16, bias and accumulation (batch 21)', async () => {
    const wide = monarchCase(256, 256, 8); // K(1, 32, 32, 8)
    const op = wide.ops[1] as KsOp;
    const biased: KsOp = { ...op, accumulate: true, bias: { tensor: 'blkdiag2', offset: 0, length: 256 } };
    const s = transposed({ ...schedule({ dtile: 8, cols: 16, sb: 16, mr: 1, chunks: 2, tk: 16, wres: true }), sw: true });
    expect(ksSgmatStrided.candidates(biased, EMULATED)).toContainEqual(s);
    expect(await emulatedError(wide, s, 21, 1, biased)).toBeLessThan(TOL_F16);
  });

  it('4 δ (one run), loads two γ chunks ahead (pd 2, the d = 4 defaults\' form), 16 row chunks (batch 300)', async () => {
    const c = monarchCase(1024, 1024, 16); // K(1, 64, 64, 16)
    const s = transposed({ ...schedule({ dtile: 4, cols: 16, sb: 16, mr: 1, chunks: 16, tk: 16, wres: true }), sw: true, pd: 2 });
    expect(ksSgmatStrided.candidates(c.ops[1] as KsOp, EMULATED)).toContainEqual(s);
    expect(await emulatedError(c, s, 300)).toBeLessThan(TOL_F16);
  });
});
