/**
 * ks-dtiled's session-15 knobs of the δ-fastest form against the float64 op reference on
 * SwiftShader: a warp's lanes as `dw` δ × `bw` β tiles × 32 / (dw · bw) row tiles, and the staged
 * epilogue (`se`, results through workgroup memory as [ρ][δ][β]; `sv`: its stores vec4s of 4 δ), alone and together, at
 * n = 256 and n = 1024 (d = 16, 32), with odd batches (a partial last row tile), bias and
 * accumulation. Also: where they are offered (after the padded ones, on the H200's limits at
 * n = 4096 and 16384) and that they decode to themselves. Tolerance: SPEC §6 f32 (1e-5).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksDtiled, type KsDtiledSchedule } from '../../src/codegen/wgsl/fast/ks-dtiled.js';
import { LIMITS, opError, TOL } from './support.js';

const H200 = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };

/** The δ-fastest padded schedule with ku and these knobs; it must be a candidate on `limits`. */
function padded(c: OpsCase, index: number, knobs: Partial<KsDtiledSchedule>, limits = LIMITS): KsDtiledSchedule {
  const s = { family: 'ks-dtiled', pipeline: true, pl: true, ku: true, pad: true, ...knobs } as KsDtiledSchedule;
  expect(ksDtiled.candidates(c.ops[index], limits), JSON.stringify(knobs)).toContainEqual(s);
  return s;
}

describe('ks-dtiled warp tiles (dw, bw) and staged epilogue (se)', () => {
  const warps = [{ dw: 2, bw: 4 }, { dw: 4, bw: 2 }, { dw: 8, bw: 2 }] as const;

  // (2 δ × 4 β tiles runs below, with and without se.)
  it('n = 256 (K(1,16,16,16)): 4 δ × 2 β tiles, 8 δ × 2 β tiles, se alone, batch 37', async () => {
    const c = monarchCase(256, 256, 16);
    const shape = { rows: 32, cols: 16, dtile: 8, tk: 8, rr: 8, rb: 4 };
    for (const knobs of [{ dw: 4, bw: 2 }, { dw: 8, bw: 2 }, { se: true }]) {
      const s = padded(c, 1, { ...shape, ...knobs });
      expect(await opError(ksDtiled, c, 1, s, 37), JSON.stringify(s)).toBeLessThan(TOL);
    }
  }, 300_000);

  it('n = 1024 (K(1,32,32,32)): 2 δ × 4 β tiles with se storing vec4s (sv), 8x8 tiles, batch 19', async () => {
    const c = monarchCase(1024, 1024, 32);
    const s = padded(c, 1, { rows: 32, cols: 32, dtile: 8, tk: 4, rr: 8, rb: 8, dw: 2, bw: 4, se: true, sv: true });
    expect(await opError(ksDtiled, c, 1, s, 19), JSON.stringify(s)).toBeLessThan(TOL);
  }, 300_000);

  it('adds the bias at the logical output index and accumulates (a = 2), batch 7', async () => {
    const op = ks(2, 16, 8, 16, 'x', 'y', 'w', { accumulate: true, bias: { tensor: 'b', offset: 0, length: 512 } });
    const c: OpsCase = {
      name: 'bias',
      ops: [op],
      params: [{ name: 'b', shape: [512], offset: 0 }, { name: 'w', shape: [32, 16, 8], offset: 512 }],
      paramSize: 512 + 32 * 16 * 8,
      buffers: [{ name: 'x', size: 256 }, { name: 'y', size: 512 }],
      in: 256,
      out: 512,
      flopsPerRow: 0,
    };
    for (const knobs of [{ dw: 2, bw: 4 }, { dw: 2, bw: 4, se: true }, { se: true, sv: true }]) {
      const s = padded(c, 0, { rows: 32, cols: 16, dtile: 8, tk: 8, rr: 8, rb: 4, ...knobs });
      expect(await opError(ksDtiled, c, 0, s, 7), JSON.stringify(s)).toBeLessThan(TOL);
    }
  }, 300_000);

  it('is offered after the padded ones on the H200 at n = 4096 and 16384, for the 8x8 default shape, and decodes to itself', () => {
    for (const c of [monarchCase(4096, 4096, 64), monarchCase(16384, 16384, 128)]) {
      const op = c.ops[1];
      const all = ksDtiled.candidates(op, H200);
      const first = all.findIndex((s) => s.dw !== undefined || s.se === true);
      expect(first, c.name).toBeGreaterThan(all.findIndex((s) => s.pad === true));
      expect(all.slice(first).every((s) => s.pad === true && s.ku === true && s.bcast === undefined), c.name).toBe(true);
      const def = ksDtiled.defaultSchedule(op, H200);
      expect(def.dw === undefined && def.se === undefined, c.name).toBe(true);
      for (const knobs of [...warps, { dw: 2, bw: 4, se: true }, { se: true }, { dw: 2, bw: 4, se: true, sv: true }]) {
        const s = padded(c, 1, { rows: 64, cols: 64, dtile: 8, tk: 8, rr: 8, rb: 8, ...knobs }, H200);
        expect(ksDtiled.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
      }
      // The lanes of 2 δ × 4 β tiles × 4 row tiles: the warp's place in the workgroup from lid / 32.
      const wgsl = ksDtiled.emit(op, padded(c, 1, { rows: 64, cols: 64, dtile: 8, tk: 8, rr: 8, rb: 8, dw: 2, bw: 4 }, H200), contextFor(c, 'k', 1, 'f32')).wgsl;
      expect(wgsl).toContain('let dd = (wi / 4u) * 2u + lid % 2u;');
    }
  });

  it('is refused where the warp tile does not split the workgroup, with bcast, or where a thread row of results outgrows a plane (se)', () => {
    const op = monarchCase(256, 256, 16).ops[1];
    const base = { family: 'ks-dtiled', rows: 16, cols: 16, dtile: 8, tk: 8, rr: 4, rb: 4, pipeline: true, pl: true, ku: true, pad: true };
    const all = ksDtiled.candidates(op, LIMITS);
    expect(all).toContainEqual({ ...base, dw: 2, bw: 4 });
    // 1 δ × 4 β tiles needs 8 row tiles (there are 4); 16 δ exceed the tile's 8; bcast has its own lanes; a thread row's
    // 8 δ × (16 + 4) β + 4 words (41 vec4) exceed the source's 37-vec4 planes.
    // sv stores what se staged: not without it.
    for (const bad of [{ dw: 1, bw: 4 }, { dw: 16, bw: 2 }, { dw: 2, bw: 4, bcast: true }, { se: true }, { dw: 2, bw: 4, sv: true }]) expect(all).not.toContainEqual({ ...base, ...bad });
  });
});
