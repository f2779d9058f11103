/**
 * ks-sgmat-strided's `ow` knob: the epilogue's last round stores its tiles into the result slots at
 * the end of a row chunk and writes them to the destination during the next row chunk's first γ
 * phases (the last row chunk's after the loop). Offered last where d ≤ 4, as twins of the long-row forms (the
 * defaults among them) and the d = 4 seeds' neighbours; never a default. Results through the subgroup-matrix
 * emulation on SwiftShader against float64, across row chunks and batches that end inside one.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksSgmatStrided, stridedF16SumTwins, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { EMULATED, emulatedError, H200, itMatchesFloat64, knobSpace, N4096, oneBetaPerItem, schedule, unfiltered } from './sgmat-strided-support.js';
import { kernelError, TOL_F16 } from './support.js';

type Knobs = Parameters<typeof schedule>[0];
const overlapped = (s: Knobs, extra: Partial<KsSgmatStridedSchedule> = {}): KsSgmatStridedSchedule => ({ ...schedule(s), sw: true, ...extra, ow: true });
const barriers = (wgsl: string) => wgsl.match(/workgroupBarrier\(\);/g)?.length ?? 0;
const without = ({ ow: _, ...s }: KsSgmatStridedSchedule): KsSgmatStridedSchedule => s;

describe('ks-sgmat-strided ow: the schedule space', () => {
  it('offers ow last where d ≤ 4, as twins of candidates, never with db or looped γ chunks; the defaults and f16-sum seeds there have theirs; never the default', () => {
    for (const { name, op, all, withKnob, at } of knobSpace('ow')) {
      // Session 22 call 1 (H100): ow lost or tied at n = 4096 and n = 16384 (16 δ per workgroup), won at d = 4.
      if (op.d > 4) {
        expect(withKnob, name).toEqual([]);
        continue;
      }
      expect(at, name).toBeGreaterThan(0);
      expect(all.slice(at).every((s) => s.ow === true), name).toBe(true);
      // Every ow form has its twin without ow but the d = 4 seed's neighbours (8 and 32 row chunks, pd 2 with f16 sums).
      const keys = new Set(all.map(scheduleKey));
      const untwinned = withKnob.filter(({ ow: _, ...s }) => !keys.has(scheduleKey(s)));
      expect(untwinned.length, name).toBeGreaterThan(0);
      expect(untwinned.every((s) => s.mr === 4 && s.acc16 === true && (s.chunks !== 16 || s.pd === 2)), name).toBe(true);
      expect(withKnob.every((s) => s.db === undefined && s.rg === undefined && op.c / s.tk >= 2), name).toBe(true);
      const d = ksSgmatStrided.defaultSchedule(op, H200);
      expect(d.ow, name).toBeUndefined();
      expect(all, name).toContainEqual({ ...d, ow: true });
      for (const seed of stridedF16SumTwins(op, H200)) expect(all, `${name} ${JSON.stringify(seed)}`).toContainEqual({ ...seed, ow: true });
    }
    const s = { ...ksSgmatStrided.defaultSchedule(N4096.ops[1] as KsOp, H200), ow: true };
    expect(ksSgmatStrided.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });
});

// The space offers ow where d ≤ 4 only; the emitter places the deferred tiles alike at any d, checked here on n = 4096's
// strided factor (16 δ: two β tiles per subgroup in 16-row chunks, the shortest phases) with the default's form without ob.
describe('ks-sgmat-strided ow WGSL (n = 4096)', () => {
  const op = N4096.ops[1] as KsOp;
  const ctx = contextFor(N4096, 'k', 1, 'f16');
  const emit = (s: KsSgmatStridedSchedule) => ksSgmatStrided.emit(op, s, ctx).wgsl;
  const body = (wgsl: string) => wgsl.slice(wgsl.indexOf('for (var ch = 0u;'));

  it('the default (two rounds of one tile): the second round is written in the next row chunk\'s first γ phase, and after the loop', () => {
    const d = oneBetaPerItem(ksSgmatStrided.defaultSchedule(op, H200));
    const k = emit({ ...d, ow: true });
    // Per row chunk 2·4 − 1 γ barriers and 3 of the epilogue's two rounds -> one fewer in the loop, one after it.
    expect(barriers(emit(d))).toBe(7 + 3);
    expect(barriers(k)).toBe(7 + 2 + 1);
    const phases = body(k).split('workgroupBarrier();');
    // γ phase 0 (after the first barrier) writes the previous row chunk's second β tile (beta0 + g·32 + 16) at rows rp.
    expect(phases[1]).toContain('if (ch > 0u) {');
    expect(phases[1]).toContain('let rp = r0 - 16u;');
    expect(phases[1]).toContain('let beta = beta0 + g * 32u + 16u + bb;');
    expect(phases[1].indexOf('k_dst[at]')).toBeLessThan(phases[1].indexOf('subgroupMatrixMultiplyAccumulate'));
    // The last phase stores that tile and ends the loop; the last row chunk's rows are written after it.
    const tail = k.slice(k.lastIndexOf('subgroupMatrixStore'));
    expect(tail).toMatch(/subgroupMatrixStore<row_major>\(&k_os, sg \* \d+u, acc_0_1, 16u\);\s*\}\s*workgroupBarrier\(\);/);
    expect(tail).toContain('let rp = row0 + min(15u, (batch - 1u - row0) / 16u) * 16u;');
  });

  it('one round of two f16 tiles (the f16-sum seed, et 2): a barrier after the last multiply-adds, the tiles in γ phases 0 and 1', () => {
    const seed: KsSgmatStridedSchedule = { ...oneBetaPerItem(ksSgmatStrided.defaultSchedule(op, H200)), acc16: true, et: 2 };
    const k = emit({ ...seed, ow: true });
    // 7 γ barriers and the round's one -> 8 in the loop (one after the last multiply-adds), one after it.
    expect(barriers(emit(seed))).toBe(7 + 1);
    expect(barriers(k)).toBe(8 + 1);
    // Between barriers: the stash of γ chunk kc at 2·kc, its prefetch, deferred tiles and multiply-adds at 2·kc + 1.
    const phases = body(k).split('workgroupBarrier();');
    expect(phases[1]).toContain('let beta = beta0 + g * 32u + bb;');
    expect(phases[1]).not.toContain('16u + bb;');
    expect(phases[3]).toContain('let beta = beta0 + g * 32u + 16u + bb;');
    expect(phases[5]).not.toContain('let rp');
    // Both stores right after the last multiply-adds, before the barrier that guards the staged source.
    expect(phases[7]).toMatch(/acc_0_0, 16u\);\s*subgroupMatrixStore<row_major>\(&k_os, \d+u \+ sg \* \d+u, acc_0_1, 16u\);\s*$/);
  });

  it('leaves the WGSL of the same schedule without ow unchanged by the rest of the space (the twin\'s text differs only by ow)', () => {
    const d = oneBetaPerItem(ksSgmatStrided.defaultSchedule(op, H200));
    expect(emit(without({ ...d, ow: true }))).toBe(emit(d));
  });
});

describe('ks-sgmat-strided ow results, emulated, against the float64 reference', () => {
  const cases: [string, OpsCase, KsSgmatStridedSchedule, number][] = [
    ['d = 4, two rounds of one tile, 4 γ chunks, 32-row chunks (the batch ends in the third)', monarchCase(256, 256, 4), overlapped({ dtile: 4, cols: 16, sb: 16, mr: 2, chunks: 16, tk: 16, wres: true }), 80],
    ['d = 4, a pd 2 neighbour of the d = 4 seed: 64-row f16 tiles in one round over 3 γ phases, 4 γ chunks two ahead (the batch ends in the third row chunk)', monarchCase(256, 256, 4), overlapped({ dtile: 4, cols: 16, sb: 16, mr: 4, chunks: 16, tk: 16, wres: true }, { acc16: true, et: 4, pd: 2 }), 150],
    ['d = 4, one round of two f16 tiles, 2 γ chunks, 16-row chunks (two row tiles; the batch ends in the second\'s third chunk)', monarchCase(256, 256, 4), overlapped({ dtile: 4, cols: 32, sb: 32, mr: 1, chunks: 16, tk: 32, wres: true }, { acc16: true, et: 2 }), 300],
  ];
  itMatchesFloat64(cases);

  it('adds the bias and accumulates (vec4 stores, f32 slots) in the deferred tiles too (batch 70)', async () => {
    const [, c, s] = cases[0];
    const op: KsOp = { ...(c.ops[1] as KsOp), accumulate: true, bias: { tensor: 'blkdiag2', offset: 0, length: 256 } };
    expect(ksSgmatStrided.candidates(op, EMULATED)).toContainEqual(s);
    expect(await emulatedError(c, s, 70, 1, op)).toBeLessThan(TOL_F16);
  });
});

describe('ks-sgmat-strided ow: the check can fail', () => {
  it('fails a kernel that writes the deferred tiles at the current row chunk\'s rows', async () => {
    const [, c, s, batch] = ['', monarchCase(256, 256, 4), overlapped({ dtile: 4, cols: 16, sb: 16, mr: 2, chunks: 16, tk: 16, wres: true }), 80] as const;
    const op = c.ops[1] as KsOp;
    const broken = emulatedEmit((ctx) => {
      const k = unfiltered(ksSgmatStrided.emit(op, s, ctx));
      expect(k.wgsl).toContain('let rp = r0 - 32u;');
      return { ...k, wgsl: k.wgsl.replace('let rp = r0 - 32u;', 'let rp = r0;') };
    }, { packWorkgroupF16: true });
    expect(await kernelError(c, 1, 1, broken, batch, 'f32')).toBeGreaterThan(0.1);
  });
});
