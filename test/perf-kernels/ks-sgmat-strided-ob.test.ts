/**
 * ks-sgmat-strided's `ob` knob: each invocation of the epilogue's write-out takes ob consecutive β of one row and δ run,
 * one store per β, after its row, bounds test and δ. Offered as ob 2, after every other schedule, as twins of the long-row
 * forms of 16 δ or more per workgroup (H100, session 25: it won there, lost at d = 4; ob 4 lost everywhere); n = 4096's
 * and n = 16384's defaults take it. Results through the subgroup-matrix emulation on SwiftShader against float64, across
 * row chunks and batches that end inside one, at 8 δ (16 δ take 512 invocations, above the emulation's 256).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksSgmatStrided, stridedF16SumTwins, stridedSgmatLayout, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { acc16, bankConflict, emulatedError, H200, knobSpace, N4096, oneBetaPerItem, schedule, unfiltered } from './sgmat-strided-support.js';
import { kernelError, TOL_F16 } from './support.js';

type Knobs = Parameters<typeof schedule>[0];
/** `s`'s knobs with swizzled lanes, `extra`, and ob β per write-out item. */
const items = (s: Knobs, ob: number, extra: Partial<KsSgmatStridedSchedule> = {}): KsSgmatStridedSchedule => ({ ...schedule(s), sw: true, ...extra, ob });

describe('ks-sgmat-strided ob: the schedule space', () => {
  it('offers ob 2 last, as twins of candidates of 16 δ or more per workgroup only (not at d = 4, not where d = 1); the defaults of 16 δ take it, and the f16-sum seeds built from them', () => {
    for (const { name, op, all, withKnob, at, twinned } of knobSpace('ob')) {
      const d = ksSgmatStrided.defaultSchedule(op, H200);
      if (op.d === 4) {
        expect(withKnob, name).toEqual([]);
        expect(d.ob, name).toBeUndefined();
        continue;
      }
      expect(at, name).toBeGreaterThan(0);
      expect(all.slice(at).every((s) => s.ob === 2), name).toBe(true);
      expect(twinned, name).toBe(true);
      expect(withKnob.every((s) => s.dtile >= 16 && s.chunks >= 16), name).toBe(true);
      // n = 4096 (H100, session 25 call 1): the default 0.2062 ms with ob 2 vs 0.2156; n = 16384 by the same bank reading.
      expect(d, name).toMatchObject({ dtile: 16, ob: 2 });
      expect(all, name).toContainEqual(oneBetaPerItem(d));
      const seeds = stridedF16SumTwins(op, H200);
      expect(seeds.length, name).toBeGreaterThan(0);
      for (const seed of seeds) expect(seed.ob, `${name} ${JSON.stringify(seed)}`).toBe(2);
    }
    const contiguous = monarchCase(4096, 4096, 64).ops[0] as KsOp;
    expect(ksSgmatStrided.candidates(contiguous, H200).some((s) => s.ob !== undefined)).toBe(false);
    const s = ksSgmatStrided.defaultSchedule(N4096.ops[1] as KsOp, H200);
    expect(ksSgmatStrided.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });
});

describe('ks-sgmat-strided ob WGSL (n = 4096)', () => {
  const op = N4096.ops[1] as KsOp;
  const ctx = contextFor(N4096, 'k', 1, 'f16');
  const emit = (s: KsSgmatStridedSchedule) => ksSgmatStrided.emit(op, s, ctx).wgsl;
  // The f16-sum seed at 32 row chunks in one round of two tiles (et 2): session 22's best n = 4096 strided form.
  const seeds = stridedF16SumTwins(op, H200);
  const best: KsSgmatStridedSchedule = { ...oneBetaPerItem(seeds[seeds.length - 1]), et: 2 };

  it('ob 2: one write-out pass per tile (1024 items of two stores), the row and δ once per item', () => {
    const plain = emit(best);
    const k = emit({ ...best, ob: 2 });
    // 32 slots x 256 halves / 4 per store: 2048 stores, two passes of 1024 invocations without ob, one with ob 2.
    expect(plain.match(/let e = lid \+ 1024u;/g)?.length).toBe(2);
    expect(k).not.toContain('let e = lid + 1024u;');
    expect(k.match(/k_dst\[at\] = v;/g)?.length).toBe(plain.match(/k_dst\[at\] = v;/g)?.length);
    const pass = k.slice(k.indexOf('let bq = '), k.indexOf('k_dst[at] = v;', k.indexOf('let bb = bq * 2u + 1u;')));
    expect(pass).toContain('let bq = (e / 4u) % 8u;');
    expect(pass).toContain('let g = (e / 32u) % 2u;');
    expect(pass).toContain('let r = e / 64u;');
    expect(pass.match(/let delta = /g)?.length).toBe(1);
    expect(pass.match(/if \(row < batch\)/g)?.length).toBe(1);
    expect(pass).toMatch(/let bb = bq \* 2u;\s*let beta = beta0 \+ g \* 32u \+ bb;/);
  });
});

describe('ks-sgmat-strided ob epilogue banks (a warp reading f16 slots, two halves a word)', () => {
  // The read of rotated step q, store k, by invocation e of a warp (e < 32): run dv fastest, then the
  // item's β pair or quad bq, then the β group (ks-sgmat-strided.ts, `place`), for one row of the round's tile.
  const words = (td: number, groups: number, ob: number, slot: number, q: number, k: number) =>
    Array.from({ length: 32 }, (_, e) => {
      const runs = td / 4;
      const dv = e % runs;
      const bq = Math.floor(e / runs) % (16 / ob);
      const g = Math.floor(e / (runs * (16 / ob))) % groups;
      const r = Math.floor(e / (runs * (16 / ob) * groups));
      return Math.floor(((g * td + dv * 4 + ((q + dv) & 3)) * slot + r * 16 + bq * ob + k) / 2);
    });
  // n = 4096's read-once forms (16 δ, two β groups of 32): ob 2 reads one β group per warp (where it won). The d = 4
  // seeds (one δ run, four β groups of 16): without ob a warp reads two β groups, 16 slots apart (16 words: opposite bank
  // halves); with ob 2 four, the first and third on the same banks (where it lost: not offered).
  const d4 = monarchCase(1024, 4096, 4).ops[1] as KsOp;
  const cases = [
    ['16 δ, 2 β groups', N4096.ops[1] as KsOp, { dtile: 16, cols: 64, sb: 32, mr: 1, chunks: 16, tk: 16, wres: true }, [[1, 1], [2, 1]]],
    ['4 δ, 4 β groups', d4, { dtile: 4, cols: 64, sb: 16, mr: 4, chunks: 16, tk: 32, wres: true }, [[1, 1], [2, 2]]],
  ] as const;
  for (const [name, op, knobs, limits] of cases)
    for (const [ob, most] of limits)
      it(`${name}, ob ${ob}: at most ${most} word(s) per bank`, () => {
        const s = { ...acc16(knobs), ob };
        const { slot } = stridedSgmatLayout(op, s);
        const warpWords = (q: number, k: number) => words(knobs.dtile, knobs.cols / knobs.sb, ob, slot, q, k);
        for (let q = 0; q < 4; q++) for (let k = 0; k < ob; k++) expect(bankConflict(warpWords(q, k)), `q ${q}, k ${k}, slot ${slot}`).toBeLessThanOrEqual(most);
        expect(bankConflict(warpWords(0, 0))).toBe(most);
      });
});

describe('ks-sgmat-strided ob results, emulated, against the float64 reference', () => {
  // The write-out of ob 2 at 8 δ (two δ runs; the offered forms of 16 δ take 512 invocations, above the emulation's 256).
  const eight = monarchCase(256, 256, 8);
  const f32Rounds = items({ dtile: 8, cols: 16, sb: 16, mr: 2, chunks: 16, tk: 16, wres: true }, 2);
  const cases: [string, OpsCase, KsSgmatStridedSchedule, number][] = [
    ['d = 8, f32 slots in two rounds of one tile, 16 row chunks of 32 rows (the batch ends in the third)', eight, f32Rounds, 80],
    ['d = 8, the same loading two γ chunks ahead (pd 2)', eight, { ...f32Rounds, pd: 2 }, 80],
    ['d = 16 (8 δ per workgroup), one round of two f16 tiles, 16-row chunks (the batch ends in the third row chunk)', monarchCase(1024, 1024, 16), items({ dtile: 8, cols: 32, sb: 32, mr: 1, chunks: 16, tk: 32, wres: true }, 2, { acc16: true, et: 2 }), 40],
  ];
  for (const [name, c, s, batch] of cases)
    it(`${name} (batch ${batch})`, async () => {
      expect(await emulatedError(c, s, batch), JSON.stringify(s)).toBeLessThan(TOL_F16);
    });

  it('adds the bias and accumulates (vec4 stores, f32 slots) (batch 70)', async () => {
    const op: KsOp = { ...(eight.ops[1] as KsOp), accumulate: true, bias: { tensor: 'blkdiag2', offset: 0, length: 256 } };
    expect(await emulatedError(eight, f32Rounds, 70, 1, op)).toBeLessThan(TOL_F16);
  });
});

describe('ks-sgmat-strided ob: the check can fail', () => {
  it('fails a kernel whose second store of an item writes the first β again', async () => {
    const c = monarchCase(256, 256, 8);
    const s = items({ dtile: 8, cols: 16, sb: 16, mr: 2, chunks: 16, tk: 16, wres: true }, 2);
    const op = c.ops[1] as KsOp;
    const broken = emulatedEmit((ctx) => {
      const k = unfiltered(ksSgmatStrided.emit(op, s, ctx));
      expect(k.wgsl).toContain('let bb = bq * 2u + 1u;');
      return { ...k, wgsl: k.wgsl.replaceAll('let bb = bq * 2u + 1u;', 'let bb = bq * 2u;') };
    }, { packWorkgroupF16: true });
    expect(await kernelError(c, 1, 1, broken, 80, 'f32')).toBeGreaterThan(0.1);
  });
});

