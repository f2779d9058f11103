/**
 * ks-tiled's `ilv` schedules (register tiles interleaved by vec4 over rows and β) against the
 * float64 op reference on SwiftShader: Monarch's first factor (vec4 stores), a rectangular dense
 * product (b not a multiple of the tile: guarded β), a strided factor (scalar stores), bias and
 * accumulation, batches that leave the last row tile partial. Tolerance: SPEC §6 f32, relative
 * Frobenius error 1e-5. Also: the flag leaves every other schedule alone.
 */
import { describe, expect, it } from 'vitest';
import { denseCase, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksTiled, type KsTiledSchedule } from '../../src/codegen/wgsl/fast/ks-tiled.js';
import type { KsOp } from '../../src/ir/ir.js';
import { LIMITS, opError, TOL } from './support.js';

const H200 = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };

function pick(op: KsOp, knobs: Partial<KsTiledSchedule>): KsTiledSchedule {
  const s = ksTiled.candidates(op, LIMITS).find((c) => c.ilv === true && Object.entries(knobs).every(([k, v]) => c[k] === v));
  expect(s, JSON.stringify(knobs)).toBeDefined();
  return s!;
}

describe('ks-tiled ilv', () => {
  it('monarch 256 op0 (d = 1, vec4 stores): 8x8 tiles, batch 150 (the second row tile partial)', async () => {
    const c = monarchCase(256, 256, 8);
    const s = pick(c.ops[0], { rows: 128, cols: 32, rr: 8, rb: 8, pipeline: true });
    expect(await opError(ksTiled, c, 0, s, 150), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('dense 40 -> 52 (β past the last tile guarded), 8 rows x 4 β per thread, unpipelined', async () => {
    const c = denseCase(40, 52);
    const s = pick(c.ops[0], { rows: 64, cols: 32, rr: 8, rb: 4, pipeline: false });
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
    const s = pick(op, { rr: 4, rb: 8, dtile: 2 });
    expect(await opError(ksTiled, c, 0, s, 11), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('is offered after every measured schedule (not for 4x4 tiles), leaves the default alone, and survives decoding', () => {
    for (const c of [monarchCase(4096, 4096, 64), monarchCase(16384, 16384, 128), denseCase(1024, 4096)]) {
      const op = c.ops[0];
      const all = ksTiled.candidates(op, H200);
      const first = all.findIndex((s) => s.ilv === true);
      expect(first, c.name).toBeGreaterThan(0);
      expect(all.slice(first).every((s) => s.ilv === true && (s.rr > 4 || s.rb > 4)), c.name).toBe(true);
      expect(all.slice(0, first).some((s) => 'ilv' in s), c.name).toBe(false);
      expect(ksTiled.defaultSchedule(op, H200).ilv, c.name).toBeUndefined();
      for (const s of [all[0], all[first]]) expect(ksTiled.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
    }
  });
});
