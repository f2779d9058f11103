/**
 * ks-tiled's `wres` form (src/codegen/wgsl/fast/ks-tiled-wres.ts: the contiguous factor with W
 * resident in registers, ab α blocks per workgroup, rows streamed in chunks through two halves of
 * workgroup memory) against the float64 op reference on SwiftShader (SPEC §6 f32, relative error
 * 1e-5): several and partial row tiles, chunks of 4 and 8 rows, the reduction whole or split in 2
 * or 4, a bias with accumulation, weights at offsets that are and are not multiples of 4. On the
 * H100/H200 limits: the shapes session 29's plan times are candidates within the register budget,
 * after every staged form, and no default is one.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksTiled, type KsTiledSchedule } from '../../src/codegen/wgsl/fast/ks-tiled.js';
import { LIMITS, opError, sample, TOL } from './support.js';

const HOPPER = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };
const wres = (all: readonly KsTiledSchedule[]) => all.filter((s) => s.wres === true);

describe('ks-tiled wres', () => {
  it('matches the reference over several and partial row tiles (Monarch 1024 with 32 blocks, K(32,32,32,1))', async () => {
    const c = monarchCase(1024, 1024, 32);
    const all = wres(ksTiled.candidates(c.ops[0], LIMITS));
    const picks = [
      all.find((s) => s.rows === 256 && s.sk === undefined && s.rr === 4 && s.ab === 8),
      all.find((s) => s.rows === 256 && s.sk === 2 && s.rr === 4 && s.ab === 8 && s.cols === 32),
      all.find((s) => s.rows === 256 && s.sk === 2 && s.rr === 8 && s.ab === 4),
      all.find((s) => s.rows === 256 && s.sk === 4 && s.rr === 8 && s.ab === 2),
      all.find((s) => s.rows === 256 && s.sk === 4 && s.rr === 4 && s.ab === 8 && s.cols === 16),
    ];
    expect(picks.every((s) => s !== undefined)).toBe(true);
    // 600 rows: three row tiles of 256, the last partial, and chunks past the batch.
    for (const s of picks) expect(await opError(ksTiled, c, 0, s!, 600), JSON.stringify(s)).toBeLessThan(TOL);
    expect(await opError(ksTiled, c, 0, all[all.length - 1], 37), JSON.stringify(all[all.length - 1])).toBeLessThan(TOL);
  });

  it('accumulates and adds the bias (a > 1), vec4 weights or not', async () => {
    const op = ks(8, 16, 16, 1, 'x', 'y', 'w', { accumulate: true, bias: { tensor: 'b', offset: 0, length: 128 } });
    const c: OpsCase = {
      name: 'bias',
      ops: [op],
      params: [{ name: 'b', shape: [128], offset: 0 }, { name: 'w', shape: [8, 16, 16], offset: 130 }],
      paramSize: 130 + 2048,
      buffers: [{ name: 'x', size: 128 }, { name: 'y', size: 128 }],
      in: 128,
      out: 128,
      flopsPerRow: 0,
    };
    const all = wres(ksTiled.candidates(op, LIMITS));
    const split = all.find((s) => s.sk === 2);
    expect(split).toBeDefined();
    for (const s of [...sample(all, 2), split!]) expect(await opError(ksTiled, c, 0, s, 7), JSON.stringify(s)).toBeLessThan(TOL);
    const aligned: OpsCase = { ...c, params: [{ name: 'b', shape: [128], offset: 0 }, { name: 'w', shape: [8, 16, 16], offset: 128 }], paramSize: 128 + 2048 };
    for (const s of [all[0], split!]) expect(await opError(ksTiled, aligned, 0, s, 9), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('offers the planned shapes on Hopper within the register budget, after the staged forms, never as a default; none for d > 1', () => {
    const plan: [OpsCase, Partial<KsTiledSchedule>][] = [
      [monarchCase(4096, 4096, 64), { rows: 1024, cols: 64, rr: 4, ab: 8, sk: 2 }],
      [monarchCase(4096, 4096, 64), { rows: 512, cols: 64, rr: 8, ab: 4, sk: 2 }],
      [monarchCase(4096, 4096, 64), { rows: 512, cols: 64, rr: 4, ab: 8, sk: 4 }],
      [monarchCase(16384, 16384, 128), { rows: 512, cols: 128, rr: 4, ab: 2, sk: 4 }],
    ];
    for (const [c, shape] of plan) {
      const op = c.ops[0];
      const all = ksTiled.candidates(op, HOPPER);
      expect(all, c.name).toContainEqual({ family: 'ks-tiled', dtile: 1, tk: op.c, rb: 4, vec4: true, pipeline: true, ...shape, wres: true });
      const first = all.findIndex((s) => s.wres === true);
      expect(all.slice(first).every((s) => s.wres === true), c.name).toBe(true);
      expect(ksTiled.defaultSchedule(op, HOPPER).wres, c.name).toBeUndefined();
      for (const s of wres(all)) {
        const sk = (s.sk as number | undefined) ?? 1;
        const threads = (s.ab as number) * (s.cols / 4) * sk;
        const floats = (op.c / sk) * 4;
        expect(floats, JSON.stringify(s)).toBeLessThanOrEqual(128);
        expect(threads * floats, JSON.stringify(s)).toBeLessThanOrEqual(32768);
      }
      expect(wres(ksTiled.candidates(c.ops[1], HOPPER)), c.name).toEqual([]);
    }
    // Two halves of 4 rows × 8 α × 17 vec4s, and 4 rows of partial sums for 128 slots: 25 KiB; 8 α × 16 β groups × 2 parts.
    const c = monarchCase(4096, 4096, 64);
    const s: KsTiledSchedule = { family: 'ks-tiled', rows: 1024, cols: 64, dtile: 1, tk: 64, rr: 4, rb: 4, vec4: true, pipeline: true, ab: 8, sk: 2, wres: true };
    const k = ksTiled.emit(c.ops[0], s, contextFor(c, 'k', 0, 'f32'));
    expect(k.wgsl).toContain('array<vec4<f32>, 1088>');
    expect(k.wgsl).toContain('array<vec4<f32>, 512>');
    expect(k.wgsl).toContain('k0 < min(1024u, batch - row0)');
    expect(k.workgroupSize).toEqual([256, 1, 1]);
    expect(k.dispatch).toEqual({ kind: 'tiled', rowsPerWorkgroup: 1024, workgroupsPerRowTile: 8 });
    expect(ksTiled.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });
});
