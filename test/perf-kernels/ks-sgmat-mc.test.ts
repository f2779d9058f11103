/**
 * ks-sgmat's session-12 knob `mc` (sgmat-matrix-copy.ts): the operand chunks staged as 16x16
 * matrix copies, each subgroup its share of the tiles; and the 8-subgroup grids (2 x 4, 4 x 2).
 * The schedule space (d = 1 only, after every other candidate), the WGSL, and results through the
 * subgroup-matrix emulation on SwiftShader against the float64 op reference: one and several
 * subgroups, tiles that do not divide among the subgroups, db + dbu halves, pad, each epilogue
 * (f32 per tile, acc16 direct stores, acc16 + stage), a bias, accumulate, and batches whose last
 * row tiles reach past the batch (copied lane by lane, rows clamped). Tolerance: relative
 * Frobenius error 1e-5 (the emulation runs f16 as f32).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksSgmat, SUBGROUP_MATRIX_FEATURE, type KsSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { kernelError, oneOp, TOL } from './support.js';

const H200: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', SUBGROUP_MATRIX_FEATURE, 'subgroups'] };

type Knobs = Partial<Pick<KsSgmatSchedule, 'acc16' | 'stage' | 'sg' | 'sgc' | 'db' | 'dbu' | 'pad' | 'pd'>>;
const mc = (rows: number, cols: number, tk: number, knobs: Knobs = {}): KsSgmatSchedule => ({ family: 'ks-sgmat', rows, cols, dtile: 1, tk, ...knobs, mc: true });

function error(c: OpsCase, s: KsSgmatSchedule, batch: number): Promise<number> {
  return kernelError(c, 0, 1, emulatedEmit((ctx) => ksSgmat.emit(c.ops[0] as KsOp, s, ctx)), batch, 'f32');
}

const count = (text: string, what: string) => text.split(what).length - 1;

describe('ks-sgmat mc: the schedule space', () => {
  const firsts: [string, KsOp][] = [
    ['n=4096', monarchCase(4096, 4096, 64).ops[0] as KsOp],
    ['1024->4096', monarchCase(1024, 4096, 4).ops[0] as KsOp],
    ['4096->1024', monarchCase(4096, 1024, 4).ops[0] as KsOp],
  ];

  it('offers 8 subgroups (2 x 4, 4 x 2) after session 11, then mc, for d = 1 only, on the staged tilings', () => {
    for (const [name, op] of firsts) {
      const all = ksSgmat.candidates(op, H200);
      const first = all.findIndex((s) => s.mc !== undefined);
      // pd follows (below).
      const mcs = all.slice(first, all.findIndex((s) => s.pd !== undefined));
      const eightPlain = all.filter((s) => Number(s.sg ?? 1) * Number(s.sgc ?? 1) === 8 && s.mc === undefined && s.pd === undefined);
      expect(eightPlain.length, name).toBeGreaterThan(0);
      expect(all.slice(first - eightPlain.length, first), name).toEqual(eightPlain);
      for (const s of eightPlain) expect(['2x4', '4x2'].includes(`${s.sg}x${s.sgc}`) && s.db === s.dbu, JSON.stringify(s)).toBe(true);
      // acc16's direct stores (no stage) only on the 32/64 tilings, up to 4 subgroups.
      const direct = mcs.filter((s) => s.acc16 === true && s.stage === undefined);
      expect(direct.length, name).toBeGreaterThan(0);
      for (const s of direct) expect([32, 64].includes(s.rows) && [32, 64].includes(s.cols) && Number(s.sg ?? 1) * Number(s.sgc ?? 1) <= 4, JSON.stringify(s)).toBe(true);
      expect(first, name).toBeGreaterThan(0);
      expect(mcs.every((s) => s.mc === true && s.gload === undefined && s.band === undefined), name).toBe(true);
      // Every plain 8-subgroup schedule again with mc.
      const copied = new Set(mcs.map((s) => JSON.stringify({ ...s, mc: undefined })));
      for (const s of eightPlain) expect(copied.has(JSON.stringify({ ...s, mc: undefined })), JSON.stringify(s)).toBe(true);
      for (const s of mcs) expect(s.pad === undefined || s.tk >= 32, JSON.stringify(s)).toBe(true);
      expect(new Set(all.map((s) => JSON.stringify(s))).size, name).toBe(all.length);
    }
    expect(ksSgmat.candidates(monarchCase(4096, 4096, 64).ops[1] as KsOp, H200).some((s) => s.mc !== undefined)).toBe(false);
  });

  it('offers pd last: every db + dbu candidate again but the banded ones', () => {
    for (const [name, op] of firsts) {
      const all = ksSgmat.candidates(op, H200);
      const first = all.findIndex((s) => s.pd !== undefined);
      const twoAhead = all.slice(first);
      expect(twoAhead.every((s) => s.pd === true), name).toBe(true);
      expect(twoAhead.map(({ pd: _, ...rest }) => rest), name).toEqual(all.slice(0, first).filter((s) => s.dbu === true && s.band === undefined));
      expect(twoAhead.some((s) => s.mc === true) && twoAhead.some((s) => s.mc === undefined), name).toBe(true);
    }
    // 4096 -> 1024's 128 x 128 tile of 8 subgroups, double-buffered with constant halves, tk 32 padded.
    expect(ksSgmat.candidates(firsts[2][1], H200)).toContainEqual(mc(64, 32, 32, { sg: 2, sgc: 4, db: true, dbu: true, pad: 8 }));
  });

  it('decodes mc; refuses it with d > 1 or gload', () => {
    const s = mc(64, 64, 16, { sg: 2, sgc: 2, db: true, dbu: true });
    expect(ksSgmat.decode(s)).toEqual(s);
    const c = monarchCase(4096, 4096, 64);
    expect(() => ksSgmat.emit(c.ops[1] as KsOp, { ...mc(16, 64, 16), dtile: 4 }, contextFor(c, 'k', 1, 'f16'))).toThrow(/mc/);
    expect(() => ksSgmat.emit(c.ops[0] as KsOp, { ...mc(64, 64, 16, { acc16: true }), gload: true }, contextFor(c, 'k', 0, 'f16'))).toThrow(/mc/);
  });
});

describe('ks-sgmat mc: the WGSL (4096 -> 1024 first factor K(4, 256, 1024, 1))', () => {
  const c = monarchCase(4096, 1024, 4);
  const emit = (s: KsSgmatSchedule) => ksSgmat.emit(c.ops[0] as KsOp, s, contextFor(c, 'k', 0, 'f16')).wgsl;

  it('2 x 2 subgroups, db + dbu: two x and two W tiles per subgroup per chunk, loaded as matrices, stored into the constant half', () => {
    const k = emit(mc(64, 64, 16, { sg: 2, sgc: 2, db: true, dbu: true }));
    expect(count(k, 'var mcx')).toBe(2);
    expect(count(k, 'var mcw')).toBe(2);
    expect(k).toContain('mcx1 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&k_src, tr * 4096u + alpha * 1024u + k0 + 16u, 4096u);');
    expect(k).toContain('let tr = row0 + (4u + sgid) * 16u;');
    expect(k).toContain('subgroupMatrixStore<row_major>(&k_xs, at, mcx0, 16u);');
    expect(k).toContain('let at = buf * 2048u + (4u + sgid) * 256u;');
    expect(k).toContain('const buf = 1u;');
    // The builtins read arrays of scalars: x and W are viewed as f16 (the default views them as vec4).
    expect(k).toMatch(/k_src: array<f16>/);
    expect(k).toMatch(/k_params: array<f16>/);
    expect(emit({ ...mc(64, 64, 16, { sg: 2, sgc: 2, db: true, dbu: true }), mc: undefined })).toMatch(/k_src: array<vec4<f16>>/);
  });

  it('tk 32, pad 8, 2 x 4 subgroups (128 x 128): 16 x and 16 W tiles per chunk, two of each per subgroup, rows 40 halves apart', () => {
    const k = emit(mc(64, 32, 32, { sg: 2, sgc: 4, db: true, dbu: true, pad: 8 }));
    expect(count(k, 'var mcx')).toBe(2);
    expect(k).toContain('(&k_ws, buf * 5120u + ((8u + sgid) / 2u) * 640u + ((8u + sgid) % 2u) * 16u, mcw1, 40u);');
  });
});

describe('ks-sgmat pd: loads two chunks ahead (4096 -> 1024 first factor)', () => {
  const c = monarchCase(4096, 1024, 4);
  const emit = (s: KsSgmatSchedule) => ksSgmat.emit(c.ops[0] as KsOp, s, contextFor(c, 'k', 0, 'f16')).wgsl;

  it('two register sets, chunks 0 and 1 fetched before the loop, each half refetching two chunks ahead; one barrier per chunk', () => {
    const { mc: _, ...plain } = mc(64, 64, 16, { sg: 2, sgc: 2, db: true, dbu: true });
    const k = emit({ ...plain, pd: true });
    expect(k).toContain('var pf0_0: vec4<f16>;');
    expect(k).toContain('var pg0_0: vec4<f16>;');
    expect(k).toContain('if (k0 + 32u < 1024u) {');
    expect(k).toContain('if (k0 + 48u < 1024u) {');
    expect(count(k, 'workgroupBarrier();')).toBe(count(emit(plain), 'workgroupBarrier();'));
    const m = emit(mc(64, 64, 16, { sg: 2, sgc: 2, db: true, dbu: true, pd: true }));
    expect(m).toContain('var mcx0 = subgroup_matrix_left<f16, 16, 16>();');
    expect(m).toContain('var mdx0 = subgroup_matrix_left<f16, 16, 16>();');
    expect(() => emit({ ...plain, dbu: undefined, pd: true })).toThrow(/pd/);
  });
});

describe('ks-sgmat mc, emulated, against the float64 reference', () => {
  const rect = monarchCase(256, 128, 8); // K(8, 16, 32, 1): two chunks of 16 γ
  const wide = ks(1, 64, 32, 1, 'x', 'y', 'w'); // 4 β tiles per row, two chunks of 16
  const cases: [string, OpsCase, KsSgmatSchedule, number][] = [
    ['one subgroup, f32 per-tile epilogue (batch 19: the last row tile copied lane by lane)', rect, mc(32, 16, 16), 19],
    ['sg 2, acc16 direct stores, then the staged last workgroup (batch 40)', rect, mc(16, 16, 16, { acc16: true, sg: 2 }), 40],
    ['sgc 2, db + dbu, acc16 direct stores (batch 37: the last workgroup staged)', oneOp(wide), mc(16, 32, 16, { acc16: true, sgc: 2, db: true, dbu: true }), 37],
    ['db + dbu, sg 2, acc16 + stage (batch 37)', rect, mc(16, 16, 16, { acc16: true, stage: true, sg: 2, db: true, dbu: true }), 37],
    ['tk 32, pad 8, one subgroup (batch 33)', rect, mc(16, 16, 32, { pad: 8 }), 33],
    ['8 subgroups (2 x 4), tk 32: 4 x and 8 W tiles per chunk among 8 subgroups (batch 45)', oneOp(wide), mc(16, 16, 32, { sg: 2, sgc: 4 }), 45],
    ['4 x 2 subgroups, db (runtime halves), f32 (batch 70)', oneOp(wide), mc(16, 32, 16, { sg: 4, sgc: 2, db: true }), 70],
  ];
  for (const [name, c, s, batch] of cases)
    it(name, async () => {
      expect(await error(c, s, batch), JSON.stringify(s)).toBeLessThan(TOL);
    });

  it('pd: two chunks ahead, mc with sg 2 x sgc 2, and the scalar staging (4 chunks: two iterations) (batch 37)', async () => {
    const deep = oneOp(ks(1, 32, 64, 1, 'x', 'y', 'w'));
    expect(await error(deep, mc(16, 16, 16, { sg: 2, sgc: 2, db: true, dbu: true, pd: true }), 37)).toBeLessThan(TOL);
    const { mc: _, ...plain } = mc(16, 16, 16, { acc16: true, stage: true, sg: 2, db: true, dbu: true, pd: true });
    expect(await error(deep, plain, 37)).toBeLessThan(TOL);
  });

  it('8 subgroups without mc (2 x 4, db + dbu, acc16 + stage: the staging and epilogue over 256 invocations) (batch 45)', async () => {
    const { mc: _, ...plain } = mc(16, 16, 16, { acc16: true, stage: true, sg: 2, sgc: 4, db: true, dbu: true });
    expect(await error(oneOp(wide), plain, 45)).toBeLessThan(TOL);
  });

  it('a bias and accumulate (the one-round staged path), sg 2 x sgc 2, acc16 (batch 21)', async () => {
    const biased = oneOp({ ...wide, accumulate: true, bias: { tensor: 'b', offset: 0, length: 64 } });
    expect(await error(biased, mc(16, 16, 16, { acc16: true, sg: 2, sgc: 2 }), 21)).toBeLessThan(TOL);
  });

  // Not with packWorkgroupF16: the emulation stores a left matrix from every lane holding a row
  // of it, and its packed arrays' xor updates cancel when two lanes write the same half at once.
  it("n = 4096's 64x64 blocks, sg 2, db + dbu, acc16 + stage (batch 144)", async () => {
    const c = monarchCase(256, 256, 4); // K(4, 64, 64, 1) first
    expect(await error(c, mc(64, 64, 16, { acc16: true, stage: true, sg: 2, db: true, dbu: true }), 144)).toBeLessThan(TOL);
  }, 180_000);

  it('a tile copied to the wrong place, or the last tile read unclamped, fails the reference check', async () => {
    const corrupt = (s: KsSgmatSchedule, from: string, to: string) =>
      emulatedEmit((ctx) => {
        const k = ksSgmat.emit(rect.ops[0] as KsOp, s, ctx);
        expect(k.wgsl).toContain(from);
        return { ...k, wgsl: k.wgsl.replaceAll(from, to) };
      });
    const two = mc(16, 16, 16, { sg: 2 });
    expect(await kernelError(rect, 0, 1, corrupt(two, 'row0 + sgid * 16u', 'row0'), 32, 'f32')).toBeGreaterThan(0.1);
    expect(await kernelError(rect, 0, 1, corrupt(mc(32, 16, 16), 'if (tr + 16u <= batch) {', 'if (true) {'), 19, 'f32')).toBeGreaterThan(0.1);
  });
});
