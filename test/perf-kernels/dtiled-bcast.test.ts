/**
 * ks-dtiled's `bcast` schedules (one δ per warp, δ-major staged tiles, results stored through
 * workgroup memory) against the float64 op reference on SwiftShader: square and rectangular
 * Monarch strided factors, batches that leave the last row tile partial, several register rows
 * per thread (the epilogue's rounds), a > 1 with bias and accumulation, and a property over random
 * shapes. Tolerance: SPEC §6 f32, relative Frobenius error 1e-5. Also: the flags come after the
 * earlier candidates (whose order is unchanged) and decode to themselves; their bank claims.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { bcastLayout, ksDtiled, type KsDtiledSchedule } from '../../src/codegen/wgsl/fast/ks-dtiled.js';
import type { KsOp } from '../../src/ir/ir.js';
import { LIMITS, opError, TOL } from './support.js';

const H200 = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };

const bcast = (op: KsOp, limits = LIMITS): KsDtiledSchedule[] => ksDtiled.candidates(op, limits).filter((s) => s.bcast === true);

/** The bcast candidate with the given knobs (it must exist). */
function pick(op: KsOp, knobs: Partial<KsDtiledSchedule>): KsDtiledSchedule {
  const s = bcast(op).find((c) => Object.entries(knobs).every(([k, v]) => c[k] === v));
  expect(s, JSON.stringify(knobs)).toBeDefined();
  return s!;
}

describe('ks-dtiled bcast', () => {
  it('monarch 64 op1 (d = 8): two register rows of vec4 per thread, batch 37 (a partial row tile)', async () => {
    const c = monarchCase(64, 64, 8);
    const s = pick(c.ops[1], { rows: 32, cols: 8, dtile: 8, rr: 8, rb: 4, pipeline: true });
    expect(await opError(ksDtiled, c, 1, s, 37), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('rectangular monarch 192 -> 96 op1 (b = c = 12, d = 8), unpipelined, one β tile per thread row, batch 5', async () => {
    const c = monarchCase(192, 96, 8);
    const s = pick(c.ops[1], { dtile: 8, rr: 8, rb: 4, pipeline: false });
    expect(await opError(ksDtiled, c, 1, s, 5), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('rectangular monarch 48 -> 96 op1 (d = 4, one vec4 of δ per row and γ), staged by δ or (grun) by γ runs', async () => {
    const c = monarchCase(48, 96, 4);
    const s = pick(c.ops[1], { dtile: 4, rr: 4, rb: 4, pipeline: true });
    expect(s.grun, 'bcast twins come before their grun twins').toBeUndefined();
    expect(await opError(ksDtiled, c, 1, s, 9), JSON.stringify(s)).toBeLessThan(TOL);
    const g = pick(c.ops[1], { dtile: 4, rr: 4, rb: 8, pipeline: false, grun: true });
    expect(await opError(ksDtiled, c, 1, g, 9), JSON.stringify(g)).toBeLessThan(TOL);
  });

  it('two register rows per epilogue round (er 2): 8 rows per thread (4 rounds) and 4 (2 rounds)', async () => {
    const c = monarchCase(64, 64, 8);
    for (const knobs of [{ rows: 32, cols: 8, rr: 8, rb: 4, pipeline: true }, { rows: 32, cols: 4, tk: 8, rr: 4, rb: 4, pipeline: false }]) {
      const s = pick(c.ops[1], { ...knobs, dtile: 8, er: 2 });
      expect(await opError(ksDtiled, c, 1, s, 37), JSON.stringify(s)).toBeLessThan(TOL);
    }
  });

  it('accumulates and adds the bias at the logical output index (a > 1), weights staged by scalars or vec4', async () => {
    const op = ks(2, 8, 4, 8, 'x', 'y', 'w', { accumulate: true, bias: { tensor: 'b', offset: 0, length: 128 } });
    const base = {
      name: 'bias',
      ops: [op],
      buffers: [{ name: 'x', size: 64 }, { name: 'y', size: 128 }],
      in: 64,
      out: 128,
      flopsPerRow: 0,
    };
    // Weights at offset 130 (not a multiple of 4: scalar staging), then 128 (vec4 staging).
    const unaligned: OpsCase = { ...base, params: [{ name: 'b', shape: [128], offset: 0 }, { name: 'w', shape: [16, 8, 4], offset: 130 }], paramSize: 642 };
    const aligned: OpsCase = { ...base, params: [{ name: 'b', shape: [128], offset: 0 }, { name: 'w', shape: [16, 8, 4], offset: 128 }], paramSize: 640 };
    const s = pick(op, { rows: 32, dtile: 8, rr: 8, rb: 4, pipeline: true });
    expect(await opError(ksDtiled, unaligned, 0, s, 7), JSON.stringify(s)).toBeLessThan(TOL);
    expect(await opError(ksDtiled, aligned, 0, s, 7), JSON.stringify(s)).toBeLessThan(TOL);
    const twoRows = pick(op, { rows: 32, dtile: 8, rr: 8, rb: 4, pipeline: true, er: 2 });
    expect(await opError(ksDtiled, aligned, 0, twoRows, 7), JSON.stringify(twoRows)).toBeLessThan(TOL);
  });

  it('staged tiles in planes (pl) and a looped epilogue (el), session 12: one and two epilogue rows per round, grun, batch 37', async () => {
    const c = monarchCase(64, 64, 8);
    const knobs = { rows: 32, cols: 8, rr: 8, rb: 4, pipeline: true, dtile: 8 };
    for (const more of [{ pl: true }, { pl: true, er: 2 }, { el: true }, { el: true, er: 2, pl: true }]) {
      const s = pick(c.ops[1], { ...knobs, ...more });
      expect(await opError(ksDtiled, c, 1, s, 37), JSON.stringify(s)).toBeLessThan(TOL);
    }
    const r = monarchCase(48, 96, 4);
    for (const more of [{ pl: true }, { el: true }]) {
      const g = pick(r.ops[1], { dtile: 4, rr: 4, rb: 8, pipeline: false, grun: true, ...more });
      expect(await opError(ksDtiled, r, 1, g, 9), JSON.stringify(g)).toBeLessThan(TOL);
    }
  });

  it('el keeps a bcast kernel small: the portable d = 4 default of short reductions (8 rounds of 8 passes, el since session 12) in a third of the text', () => {
    // γ = 16: from γ = 64 the portable default is session 13's unrolled 64 x 64 form (defaults.ts fourBlocksSmallWide).
    const c = monarchCase(64, 256, 4);
    const { el, ...unrolled } = ksDtiled.defaultSchedule(c.ops[1], LIMITS);
    expect([unrolled.bcast, el]).toEqual([true, true]);
    const size = (t: KsDtiledSchedule) => ksDtiled.emit(c.ops[1], t, contextFor(c, 'k', 1, 'f32')).wgsl.length;
    expect(size({ ...unrolled, el })).toBeLessThan(size(unrolled) / 2.5);
  });

  // Random strided factors: d a multiple of 4, b and c multiples of 4 (not powers of two), a ≥ 1, any batch.
  test.prop(
    [fc.integer({ min: 1, max: 2 }), fc.constantFrom(4, 8, 12), fc.constantFrom(4, 12, 20), fc.constantFrom(4, 8, 12), fc.integer({ min: 1, max: 40 }), fc.nat()],
    { numRuns: 3 },
  )('random shapes and schedules match the reference', async (a, b, c, d, batch, choice) => {
    const op = ks(a, b, c, d, 'x', 'y', 'w');
    const all = bcast(op);
    expect(all.length).toBeGreaterThan(0);
    const s = all[choice % all.length];
    const oc: OpsCase = {
      name: 'random',
      ops: [op],
      params: [{ name: 'w', shape: [a * d, b, c], offset: 0 }],
      paramSize: a * d * b * c,
      buffers: [{ name: 'x', size: a * c * d }, { name: 'y', size: a * b * d }],
      in: a * c * d,
      out: a * b * d,
      flopsPerRow: 0,
    };
    expect(await opError(ksDtiled, oc, 0, s, batch), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('is offered after every earlier schedule and survives decoding (the defaults: dtiled.test.ts)', () => {
    for (const c of [monarchCase(4096, 4096, 64), monarchCase(16384, 16384, 128), monarchCase(1024, 4096, 4)]) {
      const op = c.ops[1];
      // The `pl` and `el` twins come after these (tiled-staging.test.ts), and session 28's `wres` forms after every staged one.
      const all = ksDtiled.candidates(op, H200).filter((s) => s.pl === undefined && s.el === undefined && s.wres === undefined);
      const first = all.findIndex((s) => s.bcast === true);
      expect(first, c.name).toBeGreaterThan(0);
      expect(all.slice(first).every((s) => s.bcast === true), c.name).toBe(true);
      expect(all.slice(0, first).some((s) => 'bcast' in s), c.name).toBe(false);
      for (const s of [all[0], all[first], all[all.length - 1]]) expect(ksDtiled.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
      // In order: measured, bcast, grun (only where d = 4), then er 2 twins of both.
      const stage = (s: KsDtiledSchedule) => (s.bcast !== true ? 0 : s.er === 2 ? 3 : s.grun === true ? 2 : 1);
      const stages = all.map(stage);
      expect(stages.every((v, i) => i === 0 || v >= stages[i - 1]), c.name).toBe(true);
      expect(stages.includes(2), c.name).toBe(op.d === 4);
      expect(stages.includes(3), c.name).toBe(true);
      expect(all.filter((s) => s.grun === true).every((s) => s.dtile === 4), c.name).toBe(true);
    }
    // The session-10 plan's 512-invocation form at n=4096 fits the H200 (35 KiB of workgroup memory).
    const op = monarchCase(4096, 4096, 64).ops[1];
    expect(bcast(op, H200)).toContainEqual({ family: 'ks-dtiled', rows: 64, cols: 64, dtile: 8, tk: 8, rr: 8, rb: 8, pipeline: true, bcast: true });
  });
});

/**
 * The layout's bank claims, per warp (32 invocations, 32 banks of 4-byte words), for the bcast
 * candidates of the f32 strided factors monarch-goal times whose warps hold one δ (NB·NR ≥ 32
 * invocations per δ), β tiles of multiples of 32 and runs of at most 8 δ, as every planned form:
 * staging stores conflict-free (weights 2-way with chunks of 16 γ), operand reads and epilogue
 * writes one wavefront per 8 distinct vec4, epilogue reads conflict-free. (Smaller tiles may
 * conflict; they are slower anyway.)
 */
describe('ks-dtiled bcast workgroup-memory banks', () => {
  const ops = [monarchCase(4096, 4096, 64), monarchCase(16384, 16384, 128), monarchCase(1024, 4096, 4)].map((c) => c.ops[1]);
  const lanes = Array.from({ length: 32 }, (_, lid) => lid);
  /** Most distinct words one bank serves (1: conflict-free). */
  const conflict = (words: readonly number[]) => {
    const perBank = new Map<number, Set<number>>();
    for (const w of words) perBank.set(w % 32, (perBank.get(w % 32) ?? new Set()).add(w));
    return Math.max(...[...perBank.values()].map((b) => b.size));
  };
  /** Wavefronts of a warp's vec4 access: its distinct vec4s' words, most per bank. */
  const wavefronts = (vec4s: readonly number[]) => conflict(vec4s.flatMap((v) => [0, 1, 2, 3].map((q) => 4 * v + q)));
  const regular = (s: KsDtiledSchedule) => (s.cols / s.rb) * (s.rows / s.rr) >= 32 && s.cols % 32 === 0 && s.dtile <= 8;

  test.prop([fc.constantFrom(0, 1, 2), fc.nat()], { numRuns: 60 })('staging, operand reads and epilogue', (which, choice) => {
    const all = bcast(ops[which], H200).filter(regular);
    expect(all.length).toBeGreaterThan(0);
    const s = all[choice % all.length];
    const L = bcastLayout(s);
    const { rows: TR, cols: TB, dtile: TD, tk: TK, rr: RR, rb: RB } = s;
    const [V, NR, NB, KV] = [TD / 4, TR / RR, TB / RB, TK / 4];
    const what = JSON.stringify(s);
    // Staging items: source (δ vec4 fastest, row, γ), weights (γ vec4 fastest, β, δ); lane q of each vec4.
    for (let q = 0; q < 4; q++) {
      // grun (d = dtile = 4, V = 1): γ fastest, then row.
      const x = lanes.map((e) =>
        s.grun === true ? (e % TK) * L.xPlane + q * L.xLine + (Math.floor(e / TK) % TR) : Math.floor(e / (V * TR)) * L.xPlane + ((e % V) * 4 + q) * L.xLine + (Math.floor(e / V) % TR),
      );
      expect(conflict(x), `source staging ${what}`).toBe(s.grun === true && TK > 8 ? 2 : 1);
      const w = lanes.map((e) => ((e % KV) * 4 + q) * L.wPlane + Math.floor(e / (KV * TB)) * L.wLine + (Math.floor(e / KV) % TB));
      expect(conflict(w), `weight staging ${what}`).toBe(TK <= 8 ? 1 : 2);
    }
    const tb = (lid: number) => lid % NB;
    const tr = (lid: number) => Math.floor(lid / NB) % NR;
    const dd = (lid: number) => Math.floor(lid / (NB * NR));
    const once = (v: readonly number[]) => Math.ceil(new Set(v).size / 8);
    for (let iv = 0; iv < RR / 4; iv++) {
      const a = lanes.map((l) => (dd(l) * L.xLine) / 4 + tr(l) + iv * NR);
      expect(wavefronts(a), `source reads ${what}`).toBe(once(a));
    }
    for (let j = 0; j < RB / 4; j++) {
      const b = lanes.map((l) => (dd(l) * L.wLine) / 4 + tb(l) + j * NB);
      expect(wavefronts(b), `weight reads ${what}`).toBe(once(b));
      const o = lanes.map((l) => (tr(l) * L.oRow + dd(l) * L.oLine) / 4 + tb(l) + j * NB);
      expect(wavefronts(o), `epilogue writes ${what}`).toBe(once(o));
    }
    const out = lanes.map((e) => Math.floor(e / (TD * TB)) * L.oRow + (e % TD) * L.oLine + (Math.floor(e / TD) % TB));
    expect(conflict(out), `epilogue reads ${what}`).toBe(1);
  });

  it("n=4096's 512-invocation form reads 4 wavefronts per warp per γ (one δ per warp)", () => {
    const s = { family: 'ks-dtiled', rows: 64, cols: 64, dtile: 8, tk: 8, rr: 8, rb: 8, pipeline: true, bcast: true } as const;
    const L = bcastLayout(s);
    const perGamma = [0, 1].map((iv) => lanes.map((l) => (Math.floor(l / 64) * L.xLine) / 4 + (Math.floor(l / 8) % 8) + iv * 8));
    const wPerGamma = [0, 1].map((j) => lanes.map((l) => (Math.floor(l / 64) * L.wLine) / 4 + (l % 8) + j * 8));
    expect([...perGamma, ...wPerGamma].reduce((n, v) => n + wavefronts(v), 0)).toBe(4);
  });
});
