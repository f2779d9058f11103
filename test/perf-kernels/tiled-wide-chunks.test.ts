/**
 * ks-tiled's session-18 wide chunks (`kb` 16: chunks of 32, and of 64 where γ ≥ 64, staged whole and
 * computed as a loop of steps of 16 written-out γ; unpadded where the padded tiles do not fit)
 * against the float64 op reference on SwiftShader: K(2, 64, 64, 1) (vec4 staging and stores) with a
 * batch that ends inside a workgroup: chunks of 32 padded, of 64 padded, and of 64 unpadded with 2
 * row tiles (one chunk per tile). Also where they are offered (after the written-out chunks, never
 * by default) and the loop's text. Tolerance: SPEC §6 f32 (1e-5).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksTiled, type KsTiledSchedule } from '../../src/codegen/wgsl/fast/ks-tiled.js';
import { opError, TOL } from './support.js';

const H200 = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };

const op = ks(2, 64, 64, 1, 'x', 'y', 'w');
const c: OpsCase = {
  name: 'K(2,64,64,1)',
  ops: [op],
  params: [{ name: 'w', shape: [2, 64, 64], offset: 0 }],
  paramSize: 2 * 64 * 64,
  buffers: [{ name: 'x', size: 128 }, { name: 'y', size: 128 }],
  in: 128,
  out: 128,
  flopsPerRow: 0,
};

/** A wide-chunk schedule with these knobs; `offered`: it must be a candidate on the H200's limits. */
function wide(knobs: Partial<KsTiledSchedule>, offered = true): KsTiledSchedule {
  const s = { family: 'ks-tiled', dtile: 1, tk: 64, rr: 8, rb: 4, vec4: true, pipeline: true, ilv: true, pl: true, kb: 16, ...knobs } as KsTiledSchedule;
  if (offered) expect(ksTiled.candidates(op, H200), JSON.stringify(knobs)).toContainEqual(s);
  return s;
}

describe('ks-tiled wide chunks (kb 16)', () => {
  // SwiftShader allows 32 KiB of workgroup storage: 32-64 rows x 32-64 β (the last is not a candidate at this size).
  it('K(2,64,64,1): chunks of 32 and 64 padded, 64 unpadded with 2 row tiles, batch 300', async () => {
    for (const s of [wide({ rows: 32, cols: 64, tk: 32, pad: true }), wide({ rows: 32, cols: 64, pad: true }), wide({ rows: 64, cols: 32, rt: 2 }, false)])
      expect(await opError(ksTiled, c, 0, s, 300), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('is offered after the written-out chunks, for chunks of 32 and (γ ≥ 64) 64, never by default; loops in steps of 16', () => {
    for (const m of [monarchCase(4096, 4096, 64), monarchCase(16384, 16384, 128)]) {
      const all = ksTiled.candidates(m.ops[0], H200);
      const first = all.findIndex((s) => s.kb !== undefined);
      expect(first, m.name).toBeGreaterThan(all.findIndex((s) => s.ku === true));
      const wides = all.filter((s) => s.kb !== undefined);
      expect(wides.every((s) => s.kb === 16 && s.pl === true && s.ku === undefined && (s.tk === 32 || s.tk === 64)), m.name).toBe(true);
      expect(wides.some((s) => s.tk === 64 && s.pad === undefined && s.rows === 128 && s.cols === 64), m.name).toBe(true);
      for (const s of wides) expect(ksTiled.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
      expect(ksTiled.defaultSchedule(m.ops[0], H200).kb, m.name).toBeUndefined();
    }
    expect(ksTiled.candidates(monarchCase(1024, 1024, 32).ops[0], H200).some((s) => s.kb !== undefined && s.tk === 64)).toBe(false);
    const k = ksTiled.emit(op, wide({ rows: 64, cols: 64, rb: 8, pad: true }), contextFor(c, 'k', 0, 'f32'));
    expect(k.wgsl).toContain('for (var kk = 0u; kk < 64u; kk += 16u) {');
    expect(k.wgsl).toContain('let k = kk + 15u;');
    expect(k.wgsl).not.toContain('const k = ');
  });
});
