/**
 * The session-11 staging knob `pl` of ks-tiled and ks-dtiled (staged tiles as arrays of planes)
 * against the float64 op reference on SwiftShader (its `db` twin, two copies of the staged tiles,
 * lost on the H100 and left the candidates in session 12): Monarch's first factor (vec4 staging and stores), a rectangular dense product (β past the last tile
 * guarded), a reduction long enough to sum in blocks, strided factors with bias and accumulation
 * (scalar staging), ks-dtiled's bcast, grun and two-row epilogue forms, batches that leave the last
 * row tile partial, and random shapes. Tolerance: SPEC §6 f32, relative Frobenius error 1e-5.
 * Also: the twins come after every earlier candidate, decode to themselves, and leave the defaults.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { denseCase, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksTiled, type KsTiledSchedule } from '../../src/codegen/wgsl/fast/ks-tiled.js';
import { ksDtiled, type KsDtiledSchedule } from '../../src/codegen/wgsl/fast/ks-dtiled.js';
import { BLOCKED_SUM_FROM } from '../../src/codegen/wgsl/reduction.js';
import type { KsOp } from '../../src/ir/ir.js';
import type { Schedule } from '../../src/codegen/wgsl/kernel.js';
import { LIMITS, opError, TOL } from './support.js';

const H200 = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };

/** The candidate of `family` with these knobs (`pl` on unless given; absent optional flags = off); it must exist. */
function pick<S extends Schedule>(all: readonly S[], knobs: Record<string, unknown>): S {
  const want: Record<string, unknown> = { pl: true, ...knobs };
  const s = all.find((c) => Object.entries(want).every(([k, v]) => c[k] === v));
  expect(s, JSON.stringify(knobs)).toBeDefined();
  return s!;
}
// ks-tiled offers pl on padded lines only.
const tiled = (op: KsOp, knobs: Partial<KsTiledSchedule>) => pick(ksTiled.candidates(op, LIMITS), { ilv: undefined, pad: true, ku: undefined, ...knobs });
const dtiled = (op: KsOp, knobs: Partial<KsDtiledSchedule>) => pick(ksDtiled.candidates(op, LIMITS), { grun: undefined, er: undefined, el: undefined, ku: undefined, ...knobs });

/** A one-op case: weights `w` (a·d, b, c) at `wOffset`, optional bias `b` at 0. */
function opCase(op: KsOp, wOffset = 0): OpsCase {
  const { a, b, c, d } = op;
  const bias = op.bias ? [{ name: 'b', shape: [a * b * d], offset: 0 }] : [];
  return {
    name: 'op',
    ops: [op],
    params: [...bias, { name: 'w', shape: [a * d, b, c], offset: wOffset }],
    paramSize: wOffset + a * d * b * c,
    buffers: [{ name: 'x', size: a * c * d }, { name: 'y', size: a * b * d }],
    in: a * c * d,
    out: a * b * d,
    flopsPerRow: 0,
  };
}

describe('ks-tiled pl', () => {
  it('monarch 256 op0 (vec4 staging and stores), interleaved 8x4 tiles, batch 150', async () => {
    const c = monarchCase(256, 256, 8);
    const s = tiled(c.ops[0], { rows: 64, cols: 32, tk: 8, rr: 8, rb: 4, ilv: true });
    expect(await opError(ksTiled, c, 0, s, 150), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('monarch 256 op0 in planes (vec4 staging, the plane index γ alone), unpipelined, batch 70; and with each chunk written out (ku)', async () => {
    const c = monarchCase(256, 256, 8);
    for (const ku of [undefined, true]) {
      const s = tiled(c.ops[0], { rows: 64, cols: 32, tk: 8, rr: 8, rb: 4, ilv: true, pipeline: false, ku });
      expect(await opError(ksTiled, c, 0, s, 70), JSON.stringify(s)).toBeLessThan(TOL);
    }
  });

  it('dense 48 -> 52 (β past the last tile guarded), 8x8 tiles in planes, batch 9', async () => {
    const c = denseCase(48, 52);
    const s = tiled(c.ops[0], { rows: 64, cols: 64, tk: 8, rr: 8, rb: 8 });
    expect(await opError(ksTiled, c, 0, s, 9), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it(`a reduction of ${2 * BLOCKED_SUM_FROM} terms (summed in blocks), batch 5`, async () => {
    const c = denseCase(2 * BLOCKED_SUM_FROM, 64);
    const s = tiled(c.ops[0], { rows: 64, cols: 64, tk: 8, rr: 4, rb: 4 });
    expect(await opError(ksTiled, c, 0, s, 5), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('strided factor with bias and accumulation (a > 1, d = 2: scalar staging and stores, planes of γ and δ), batch 11', async () => {
    const op = ks(2, 8, 16, 2, 'x', 'y', 'w', { accumulate: true, bias: { tensor: 'b', offset: 0, length: 32 } });
    for (const ku of [undefined, true]) {
      const s = tiled(op, { dtile: 2, tk: 8, rr: 4, rb: 4, ku });
      expect(await opError(ksTiled, opCase(op, 32), 0, s, 11), JSON.stringify(s)).toBeLessThan(TOL);
    }
  });
});

describe('ks-dtiled pl', () => {
  it('rectangular monarch 64 -> 128 op1 (d = 4): bcast with grun, batch 9', async () => {
    const c = monarchCase(64, 128, 4);
    const s = dtiled(c.ops[1], { dtile: 4, tk: 8, rr: 4, rb: 8, bcast: true, grun: true });
    expect(await opError(ksDtiled, c, 1, s, 9), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('monarch 64 op1 (d = 8): bcast, two register rows per epilogue round, batch 37', async () => {
    const c = monarchCase(64, 64, 8);
    const s = dtiled(c.ops[1], { rows: 32, cols: 8, dtile: 8, rr: 8, rb: 4, bcast: true, er: 2 });
    expect(await opError(ksDtiled, c, 1, s, 37), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('monarch 64 op1 (d = 8), δ-fastest form in planes, unpipelined, batch 37; it and bcast (er 2) with each chunk written out (ku)', async () => {
    const c = monarchCase(64, 64, 8);
    for (const more of [{ bcast: undefined }, { bcast: undefined, ku: true }, { bcast: true, er: 2, ku: true }]) {
      const s = dtiled(c.ops[1], { rows: 32, cols: 8, dtile: 8, rr: 8, rb: 4, pipeline: false, ...more });
      expect(await opError(ksDtiled, c, 1, s, 37), JSON.stringify(s)).toBeLessThan(TOL);
    }
  });

  it('δ-fastest form in planes with bias and accumulation (a > 1), weights staged by scalars or vec4, batch 7', async () => {
    const op = ks(2, 8, 8, 8, 'x', 'y', 'w', { accumulate: true, bias: { tensor: 'b', offset: 0, length: 128 } });
    const s = dtiled(op, { rows: 32, dtile: 8, tk: 4, rr: 8, rb: 4, bcast: undefined });
    expect(await opError(ksDtiled, opCase(op, 130), 0, s, 7), JSON.stringify(s)).toBeLessThan(TOL);
    expect(await opError(ksDtiled, opCase(op, 128), 0, s, 7), JSON.stringify(s)).toBeLessThan(TOL);
  });

  // Random strided factors: d a multiple of 4, b and c multiples of 4, any batch.
  test.prop([fc.integer({ min: 1, max: 2 }), fc.constantFrom(4, 12, 20), fc.constantFrom(8, 24), fc.constantFrom(4, 8, 12), fc.integer({ min: 1, max: 40 }), fc.nat()], { numRuns: 2 })(
    'random shapes and schedules match the reference',
    async (a, b, c, d, batch, choice) => {
      const op = ks(a, b, c, d, 'x', 'y', 'w');
      const all = ksDtiled.candidates(op, LIMITS).filter((s) => s.pl === true);
      expect(all.length).toBeGreaterThan(0);
      const s = all[choice % all.length];
      expect(await opError(ksDtiled, opCase(op), 0, s, batch), JSON.stringify(s)).toBeLessThan(TOL);
    },
  );
});

describe('pl candidates', () => {
  const ops = [monarchCase(4096, 4096, 64), monarchCase(1024, 4096, 4), monarchCase(4096, 1024, 4), monarchCase(16384, 16384, 128)].flatMap((c) => c.ops);
  for (const [name, family] of [['ks-tiled', ksTiled], ['ks-dtiled', ksDtiled]] as const)
    it(`${name}: pl twins (then ks-dtiled's el twins, then ku twins of the planed ones, then ks-dtiled's pad twins, then ks-tiled's session-16 rt twins) come last, decode to themselves, no db; defaults: pl + ku from γ = 64 (ks-tiled), pl + ku (ks-dtiled)`, () => {
      for (const op of ops) {
        const offered: readonly Schedule[] = family.candidates(op, H200);
        if (offered.length === 0) continue;
        const what = `K(${op.a},${op.b},${op.c},${op.d})`;
        // ks-dtiled's `wres` forms (session 28: W resident, not staged) come after every staged one; the order below is the staged forms'.
        const firstWres = offered.findIndex((s) => s.wres === true);
        const all = firstWres < 0 ? offered : offered.slice(0, firstWres);
        expect(offered.slice(all.length).every((s) => s.wres === true), what).toBe(true);
        expect(all.some((s) => 'db' in s), what).toBe(false);
        const firstPl = all.findIndex((s) => s.pl === true);
        expect(firstPl, what).toBeGreaterThan(0);
        expect(all.slice(0, firstPl).some((s) => 'pl' in s || 'el' in s), what).toBe(false);
        // Then (session 12) ks-dtiled's bcast ones with el, and the planed ones with ku.
        const firstKu = all.findIndex((s) => s.ku === true);
        const firstEl = all.findIndex((s) => s.el === true);
        const lastPl = firstEl < 0 ? firstKu : firstEl;
        expect(firstKu, what).toBeGreaterThan(firstPl);
        expect(all.slice(firstPl, lastPl).every((s) => s.pl === true && s.ku === undefined), what).toBe(true);
        expect(all.slice(lastPl, firstKu).every((s) => s.el === true && s.bcast === true), what).toBe(true);
        // Session 14: then (ks-dtiled) the padded twins of its δ-fastest planed ones, with ku or not, last. Session 14's `kb`
        // (chunks looped in steps of written-out γ) lost every case timed and left the candidates in session 15.
        expect(all.some((s) => 'kb' in s), what).toBe(false);
        const firstPadded = family === ksDtiled ? all.findIndex((s) => s.pad === true) : all.length;
        expect(firstPadded, what).toBeGreaterThan(firstKu);
        expect(all.slice(firstKu, firstPadded).every((s) => s.ku === true && s.pl === true && s.el === undefined), what).toBe(true);
        expect(all.slice(firstPadded).every((s) => s.pad === true && s.pl === true && s.bcast === undefined), what).toBe(true);
        // Session 15's dw, bw, se and sv (ks-dtiled's warp tiles and staged epilogue) lost every case timed (H100, s16 call 1) and left.
        expect(all.some((s) => 'dw' in s || 'se' in s || 'sv' in s), what).toBe(false);
        // ks-tiled: twins of the padded schedules; ks-dtiled: pl for the δ-fastest form, then (session 12) for the bcast form.
        if (family === ksTiled) expect(all.slice(firstPl).every((s) => s.pad === true), what).toBe(true);
        else {
          const planed = all.slice(firstPl, lastPl);
          const firstBcast = planed.findIndex((s) => s.bcast === true);
          expect(firstBcast, what).toBeGreaterThan(0);
          expect(planed.slice(0, firstBcast).every((s) => s.bcast === undefined), what).toBe(true);
          expect(planed.slice(firstBcast).every((s) => s.bcast === true), what).toBe(true);
          expect(firstEl, what).toBeGreaterThan(firstPl);
        }
        for (const s of [all[firstPl], all[lastPl - 1], all[all.length - 1]]) expect(family.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
        const def = family.defaultSchedule(op, H200);
        // ks-tiled: planes and ku from γ = 64 (ku since session 13; every first factor here), neither for smaller blocks (code
        // size; the strided factors' γ here); ks-dtiled (session 12): planes and ku everywhere.
        const long = op.c >= 64 ? true : undefined;
        expect([def.pl, def.ku], what).toEqual(family === ksTiled ? [long, long] : [true, true]);
      }
    });
});
