/**
 * ks-tiled's session-10 layout knobs, `ilv` (register tiles interleaved by vec4 over rows and β)
 * and `pad` (staged lines 4 words longer), against the float64 op reference on SwiftShader:
 * Monarch's first factor (vec4 staging and stores), a rectangular dense product (b not a multiple
 * of the tile: guarded β), a strided factor (scalar staging and stores), bias and accumulation,
 * batches that leave the last row tile partial. Tolerance: SPEC §6 f32, relative Frobenius error
 * 1e-5. Also: the flags leave every other schedule alone.
 */
import { describe, expect, it } from 'vitest';
import { denseCase, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksTiled, type KsTiledSchedule } from '../../src/codegen/wgsl/fast/ks-tiled.js';
import type { KsOp } from '../../src/ir/ir.js';
import { LIMITS, opError, TOL } from './support.js';

const H200 = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };

/** The candidate with these knobs, `ilv` and `pad` included (absent = off). */
function pick(op: KsOp, knobs: Partial<KsTiledSchedule>): KsTiledSchedule {
  const want: Partial<KsTiledSchedule> = { ilv: undefined, pad: undefined, ...knobs };
  const s = ksTiled.candidates(op, LIMITS).find((c) => Object.entries(want).every(([k, v]) => c[k] === v));
  expect(s, JSON.stringify(knobs)).toBeDefined();
  return s!;
}

describe('ks-tiled ilv and pad', () => {
  it('monarch 256 op0 (d = 1, vec4 stores): 8x8 tiles, batch 150 (the second row tile partial)', async () => {
    const c = monarchCase(256, 256, 8);
    const s = pick(c.ops[0], { rows: 128, cols: 32, rr: 8, rb: 8, pipeline: true, ilv: true });
    expect(await opError(ksTiled, c, 0, s, 150), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('monarch 256 op0: padded lines, alone and with ilv, chunks of 8 γ', async () => {
    const c = monarchCase(256, 256, 8);
    for (const ilv of [undefined, true]) {
      const s = pick(c.ops[0], { rows: 64, cols: 32, tk: 8, rr: 8, rb: 4, pipeline: true, ilv, pad: true });
      expect(await opError(ksTiled, c, 0, s, 70), JSON.stringify(s)).toBeLessThan(TOL);
    }
  });

  it('dense 40 -> 52 (β past the last tile guarded), 8 rows x 4 β per thread, unpipelined', async () => {
    const c = denseCase(40, 52);
    const s = pick(c.ops[0], { rows: 64, cols: 32, rr: 8, rb: 4, pipeline: false, ilv: true });
    expect(await opError(ksTiled, c, 0, s, 9), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('strided factor with bias and accumulation (a > 1, d = 2: scalar stores), 4 rows x 8 β per thread', async () => {
    const op = ks(2, 8, 4, 2, 'x', 'y', 'w', { accumulate: true, bias: { tensor: 'b', offset: 0, length: 32 } });
    const c: OpsCase = {
      name: 'bias',
      ops: [op],
      params: [{ name: 'b', shape: [32], offset: 0 }, { name: 'w', shape: [4, 8, 4], offset: 32 }],
      paramSize: 160,
      buffers: [{ name: 'x', size: 16 }, { name: 'y', size: 32 }],
      in: 16,
      out: 32,
      flopsPerRow: 0,
    };
    const s = pick(op, { rr: 4, rb: 8, dtile: 2, ilv: true });
    expect(await opError(ksTiled, c, 0, s, 11), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('strided factor (d = 2: scalar staging) with padded lines and bias', async () => {
    const op = ks(1, 8, 8, 2, 'x', 'y', 'w', { bias: { tensor: 'b', offset: 0, length: 16 } });
    const c: OpsCase = {
      name: 'pad',
      ops: [op],
      params: [{ name: 'b', shape: [16], offset: 0 }, { name: 'w', shape: [2, 8, 8], offset: 16 }],
      paramSize: 144,
      buffers: [{ name: 'x', size: 16 }, { name: 'y', size: 16 }],
      in: 16,
      out: 16,
      flopsPerRow: 0,
    };
    const s = pick(op, { rr: 4, rb: 4, dtile: 2, tk: 8, pad: true });
    expect(await opError(ksTiled, c, 0, s, 6), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('are offered after every measured schedule (ilv not for 4x4 tiles, pad for chunks of 8 or more), are the default from γ = 64 only, and survive decoding', () => {
    for (const c of [monarchCase(4096, 4096, 64), monarchCase(16384, 16384, 128), denseCase(1024, 4096)]) {
      const op = c.ops[0];
      // The `pl` (and ks-dtiled's `el`) twins come after these (tiled-staging.test.ts).
      const all = ksTiled.candidates(op, H200).filter((s) => s.pl === undefined && s.el === undefined);
      const first = all.findIndex((s) => s.ilv === true);
      const firstPad = all.findIndex((s) => s.pad === true);
      expect(first, c.name).toBeGreaterThan(0);
      expect(firstPad, c.name).toBeGreaterThan(first);
      expect(all.slice(first, firstPad).every((s) => s.ilv === true && s.pad === undefined && (s.rr > 4 || s.rb > 4)), c.name).toBe(true);
      expect(all.slice(firstPad).every((s) => s.pad === true && s.tk >= 8), c.name).toBe(true);
      expect(all.slice(firstPad).some((s) => s.ilv === true) && all.slice(firstPad).some((s) => s.ilv === undefined), c.name).toBe(true);
      expect(all.slice(0, first).some((s) => 'ilv' in s || 'pad' in s), c.name).toBe(false);
      const def = ksTiled.defaultSchedule(op, H200);
      // Long reductions (γ ≥ 128 since session 12: n=16384 and the dense case here) take both, and since session 13 n=4096's
      // blocks (γ = 64); smaller blocks neither (the first factor of n=1024's nblocks 32 below).
      expect([def.ilv, def.pad], c.name).toEqual([true, true]);
      for (const s of [all[0], all[first], all[firstPad], all[all.length - 1]]) expect(ksTiled.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
    }
    const small = ksTiled.defaultSchedule(monarchCase(1024, 1024, 32).ops[0], H200);
    expect([small.ilv, small.pad]).toEqual([undefined, undefined]);
  });
});
