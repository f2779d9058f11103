/**
 * ks-tiled's session-16 row tiles per workgroup (`rt`: one staged loop over the tiles' chunks, an
 * epilogue at each tile's end) against the float64 op reference on SwiftShader: n = 1024's first
 * factor (vec4 staging and stores) with batches that end inside a workgroup's tiles, pipelined or
 * not, and a strided op with bias and accumulation (scalar staging and stores). Also: where they
 * are offered (after every earlier candidate, not for long reductions or where a tile would start
 * inside a chunk), the dispatch and row origin, and that they decode to themselves; ks-dtiled and
 * the 8x16 / 16x8 tiles, which lost on the H100 (s16 call 2), are not offered. Tolerance: SPEC §6 f32 (1e-5).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksTiled, type KsTiledSchedule } from '../../src/codegen/wgsl/fast/ks-tiled.js';
import { ksDtiled } from '../../src/codegen/wgsl/fast/ks-dtiled.js';
import { LIMITS, opError, TOL } from './support.js';

const H200 = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };

/** The written-out padded planed schedule with these knobs; it must be a candidate on `limits`. */
function written(c: OpsCase, knobs: Partial<KsTiledSchedule>, limits = LIMITS): KsTiledSchedule {
  const s = { family: 'ks-tiled', dtile: 1, vec4: true, pipeline: true, ilv: true, pad: true, pl: true, ku: true, ...knobs } as KsTiledSchedule;
  expect(ksTiled.candidates(c.ops[0], limits), JSON.stringify(knobs)).toContainEqual(s);
  return s;
}

describe('ks-tiled row tiles (rt)', () => {
  it('n = 1024 op0 (K(32,32,32,1)): 2 and 4 row tiles of 128 rows, and 4 unpipelined, batch 300 (the last workgroup partly past the batch)', async () => {
    const c = monarchCase(1024, 1024, 32);
    for (const knobs of [{ rt: 2 }, { rt: 4 }, { rt: 4, pipeline: false }]) {
      const s = written(c, { rows: 128, cols: 32, tk: 8, rr: 8, rb: 8, ...knobs });
      expect(await opError(ksTiled, c, 0, s, 300), JSON.stringify(s)).toBeLessThan(TOL);
    }
  });

  it('a strided op with bias and accumulation (a = 2, d = 2: scalar staging and stores), 2 row tiles, batch 150', async () => {
    const op = ks(2, 32, 16, 2, 'x', 'y', 'w', { accumulate: true, bias: { tensor: 'b', offset: 0, length: 128 } });
    const c: OpsCase = {
      name: 'bias',
      ops: [op],
      params: [{ name: 'b', shape: [128], offset: 0 }, { name: 'w', shape: [4, 32, 16], offset: 128 }],
      paramSize: 128 + 4 * 32 * 16,
      buffers: [{ name: 'x', size: 64 }, { name: 'y', size: 128 }],
      in: 64,
      out: 128,
      flopsPerRow: 0,
    };
    const s = written(c, { rows: 128, cols: 32, tk: 8, rr: 8, rb: 8, rt: 2, ilv: undefined });
    expect(await opError(ksTiled, c, 0, s, 150), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('is offered last on the H200 for γ ≤ 256 (n = 4096, 16384; not 4096 -> 1024), never by default, decodes to itself; ks-dtiled has none', () => {
    for (const [c, short] of [[monarchCase(4096, 4096, 64), true], [monarchCase(16384, 16384, 128), true], [monarchCase(4096, 1024, 4), false]] as const) {
      const op = c.ops[0];
      const all = ksTiled.candidates(op, H200);
      const first = all.findIndex((s) => s.rt !== undefined);
      expect(first >= 0, c.name).toBe(short);
      if (short) {
        expect(first, c.name).toBeGreaterThan(all.findIndex((s) => s.ku === true));
        expect(all.slice(first).every((s) => (s.rt === 2 || s.rt === 4) && s.rr === 8 && s.rb === 8 && s.ku === true), c.name).toBe(true);
      }
      expect(all.some((s) => s.rr === 16 || s.rb === 16), c.name).toBe(false);
      expect(ksTiled.defaultSchedule(op, H200).rt, c.name).toBeUndefined();
      for (const s of all.slice(first)) expect(ksTiled.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
      expect(ksDtiled.candidates(c.ops[1], H200).some((s) => 'rt' in s), c.name).toBe(false);
    }
    // Two row tiles of 128: one workgroup per 256 rows, the second tile's rows from (k0 / 64) · 128.
    const c = monarchCase(4096, 4096, 64);
    const k = ksTiled.emit(c.ops[0], written(c, { rows: 128, cols: 64, tk: 16, rr: 8, rb: 8, rt: 2 }, H200), contextFor(c, 'k', 0, 'f32'));
    expect(k.dispatch).toEqual({ kind: 'tiled', rowsPerWorkgroup: 256, workgroupsPerRowTile: 64 });
    expect(k.wgsl).toContain('let row0 = row_tile * 256u;');
    expect(k.wgsl).toContain('let tile_row0 = row0 + (k0 / 64u) * 128u;');
  });

  it('is refused where a tile would start inside a chunk', () => {
    const all = ksTiled.candidates(ks(1, 64, 24, 1, 'x', 'y', 'w'), H200);
    // γ = 24 in chunks of 16: the second tile would start inside a chunk.
    expect(all.some((s) => s.rt !== undefined && s.tk === 16)).toBe(false);
    expect(all.some((s) => s.rt !== undefined && s.tk === 8)).toBe(true);
  });
});
