/**
 * The session-16 forms against the float64 op reference on SwiftShader: several row tiles per
 * workgroup (`rt`: one staged loop over the tiles' chunks, an epilogue at each tile's end) in
 * ks-tiled and ks-dtiled (the δ-fastest padded form), and ks-tiled's 8x16 / 16x8 register tiles
 * of up to 256 rows, at n = 1024 (Monarch's factors; vec4 staging and stores in the first) with
 * batches that end inside a workgroup's tiles, and on ops with bias and accumulation. Also: where
 * they are offered (after every earlier candidate, not for long reductions), the dispatch and row
 * origin of rt, and that they decode to themselves. Tolerance: SPEC §6 f32 (1e-5).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksTiled, type KsTiledSchedule } from '../../src/codegen/wgsl/fast/ks-tiled.js';
import { ksDtiled, type KsDtiledSchedule } from '../../src/codegen/wgsl/fast/ks-dtiled.js';
import { LIMITS, opError, TOL } from './support.js';

const H200 = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };

/** The written-out padded planed schedule with these knobs; it must be a candidate on `limits`. */
function written(c: OpsCase, index: number, knobs: Partial<KsTiledSchedule>, limits = LIMITS): KsTiledSchedule {
  const s = { family: 'ks-tiled', dtile: 1, vec4: true, pipeline: true, ilv: true, pad: true, pl: true, ku: true, ...knobs } as KsTiledSchedule;
  expect(ksTiled.candidates(c.ops[index], limits), JSON.stringify(knobs)).toContainEqual(s);
  return s;
}

/** ks-dtiled's padded schedule with ku and these knobs; it must be a candidate on `limits`. */
function dtiled(c: OpsCase, knobs: Partial<KsDtiledSchedule>, index = 1, limits = LIMITS): KsDtiledSchedule {
  const s = { family: 'ks-dtiled', pipeline: true, pl: true, ku: true, pad: true, ...knobs } as KsDtiledSchedule;
  expect(ksDtiled.candidates(c.ops[index], limits), JSON.stringify(knobs)).toContainEqual(s);
  return s;
}

/** One op K(a,b,c,d) accumulating into y with a bias at 0 and its weights after it. */
function biasCase(a: number, b: number, c: number, d: number): OpsCase {
  const [inputs, outputs] = [a * c * d, a * b * d];
  return {
    name: 'bias',
    ops: [ks(a, b, c, d, 'x', 'y', 'w', { accumulate: true, bias: { tensor: 'b', offset: 0, length: outputs } })],
    params: [{ name: 'b', shape: [outputs], offset: 0 }, { name: 'w', shape: [a * d, b, c], offset: outputs }],
    paramSize: outputs + a * d * b * c,
    buffers: [{ name: 'x', size: inputs }, { name: 'y', size: outputs }],
    in: inputs,
    out: outputs,
    flopsPerRow: 0,
  };
}

describe('ks-tiled row tiles (rt) and 8x16 / 16x8 register tiles', () => {
  it('n = 1024 op0 (K(32,32,32,1)): 2 and 4 row tiles of 128 rows, batch 300 (the last workgroup partly past the batch)', async () => {
    const c = monarchCase(1024, 1024, 32);
    for (const rt of [2, 4]) {
      const s = written(c, 0, { rows: 128, cols: 32, tk: 8, rr: 8, rb: 8, rt });
      expect(await opError(ksTiled, c, 0, s, 300), JSON.stringify(s)).toBeLessThan(TOL);
    }
  });

  it('n = 1024 op0: 256 rows of 8x16 tiles, 16x8 tiles with 2 row tiles, unpipelined 4 row tiles, batch 300', async () => {
    const c = monarchCase(1024, 1024, 32);
    for (const knobs of [{ rows: 256, rr: 8, rb: 16 }, { rows: 256, rr: 16, rb: 8, rt: 2 }, { rows: 128, rr: 8, rb: 8, rt: 4, pipeline: false }]) {
      const s = written(c, 0, { cols: 32, tk: 8, ...knobs });
      expect(await opError(ksTiled, c, 0, s, 300), JSON.stringify(s)).toBeLessThan(TOL);
    }
  });

  it('a strided op with bias and accumulation (a = 2, d = 2: scalar staging and stores), 2 row tiles, batch 150', async () => {
    const c = biasCase(2, 32, 16, 2);
    const s = written(c, 0, { rows: 128, cols: 32, tk: 8, rr: 8, rb: 8, rt: 2, ilv: undefined });
    expect(await opError(ksTiled, c, 0, s, 150), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('ks-dtiled, n = 1024 op1 (K(1,32,32,32)): 2 and 4 row tiles, batch 150', async () => {
    const c = monarchCase(1024, 1024, 32);
    for (const rt of [2, 4]) {
      const s = dtiled(c, { rows: 32, cols: 32, dtile: 8, tk: 4, rr: 8, rb: 8, rt });
      expect(await opError(ksDtiled, c, 1, s, 150), JSON.stringify(s)).toBeLessThan(TOL);
    }
  });

  it('ks-dtiled with bias and accumulation (a = 2), 2 row tiles, batch 70', async () => {
    const c = biasCase(2, 16, 8, 16);
    const s = dtiled(c, { rows: 32, cols: 16, dtile: 8, tk: 8, rr: 8, rb: 8, rt: 2 }, 0);
    expect(await opError(ksDtiled, c, 0, s, 70), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('is offered last on the H200 at n = 4096 and 16384 (rt for γ ≤ 256 only), keeps the defaults, decodes to itself', () => {
    for (const [c, short] of [[monarchCase(4096, 4096, 64), true], [monarchCase(16384, 16384, 128), true], [monarchCase(4096, 1024, 4), false]] as const) {
      const op = c.ops[0];
      const all = ksTiled.candidates(op, H200);
      const first = all.findIndex((s) => s.rt !== undefined || s.rr === 16 || s.rb === 16);
      expect(first, c.name).toBeGreaterThan(all.findIndex((s) => s.ku === true));
      expect(all.slice(first).every((s) => s.rt !== undefined || s.rr === 16 || s.rb === 16), c.name).toBe(true);
      expect(all.some((s) => s.rt !== undefined), c.name).toBe(short);
      const def = ksTiled.defaultSchedule(op, H200);
      expect([def.rt, def.rr, def.rb], c.name).toEqual([undefined, 8, 8]);
      for (const s of all.slice(first)) expect(ksTiled.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
    }
    // Two row tiles of 128: one workgroup per 256 rows, the second tile's rows from (k0 / 64) · 128.
    const c = monarchCase(4096, 4096, 64);
    const k = ksTiled.emit(c.ops[0], written(c, 0, { rows: 128, cols: 64, tk: 16, rr: 8, rb: 8, rt: 2 }, H200), contextFor(c, 'k', 0, 'f32'));
    expect(k.dispatch).toEqual({ kind: 'tiled', rowsPerWorkgroup: 256, workgroupsPerRowTile: 64 });
    expect(k.wgsl).toContain('let row0 = row_tile * 256u;');
    expect(k.wgsl).toContain('let tile_row0 = row0 + (k0 / 64u) * 128u;');
    // ks-dtiled: after the padded ones, at n = 4096 and 16384; not its default.
    for (const m of [c, monarchCase(16384, 16384, 128)]) {
      const all = ksDtiled.candidates(m.ops[1], H200);
      const first = all.findIndex((s) => s.rt !== undefined);
      expect(first, m.name).toBeGreaterThan(all.findIndex((s) => s.pad === true));
      expect(all.slice(first).every((s) => s.rt !== undefined && s.pad === true && s.ku === true && s.rr === 8 && s.rb === 8), m.name).toBe(true);
      expect(ksDtiled.defaultSchedule(m.ops[1], H200).rt, m.name).toBeUndefined();
      for (const s of all.slice(first)) expect(ksDtiled.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
    }
  });

  it('is refused where a tile would straddle chunks or the reduction sums in blocks', () => {
    const op = ks(1, 64, 24, 1, 'x', 'y', 'w');
    const all = ksTiled.candidates(op, H200);
    // γ = 24 in chunks of 16: the second tile would start inside a chunk.
    expect(all.some((s) => s.rt !== undefined && s.tk === 16)).toBe(false);
    expect(all.some((s) => s.rt !== undefined && s.tk === 8)).toBe(true);
  });
});
