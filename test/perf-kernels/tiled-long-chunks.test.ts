/**
 * ks-tiled's session-18 chunks of 64 γ (twins of the written-out chunks of 32 where γ ≥ 64; the
 * unpadded tile where the padded one does not fit) against the float64 op reference on SwiftShader:
 * K(2, 64, 64, 1) (vec4 staging and stores) with a batch that ends inside a workgroup, padded, and
 * unpadded with 2 row tiles (one chunk per tile). Also where they are offered (after the chunks of
 * 32, only where γ ≥ 64, never by default). Tolerance: SPEC §6 f32 (1e-5).
 */
import { describe, expect, it } from 'vitest';
import { ks, monarchCase, type OpsCase } from '../../bench/cases.js';
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

/** A chunk-of-64 schedule with these knobs; `offered`: it must be a candidate on the H200's limits. */
function long(knobs: Partial<KsTiledSchedule>, offered = true): KsTiledSchedule {
  const s = { family: 'ks-tiled', dtile: 1, tk: 64, rr: 8, rb: 4, vec4: true, pipeline: true, ilv: true, pl: true, ku: true, ...knobs } as KsTiledSchedule;
  if (offered) expect(ksTiled.candidates(op, H200), JSON.stringify(knobs)).toContainEqual(s);
  return s;
}

describe('ks-tiled chunks of 64 γ', () => {
  // SwiftShader allows 32 KiB of workgroup storage and compiles slowly: 32 x 64 padded (a candidate), and 64 x 32 unpadded
  // with 2 row tiles (one chunk per tile; not a candidate at this size, its text that of the unpadded ones offered).
  it('K(2,64,64,1): 32 x 64 padded, 64 x 32 unpadded with 2 row tiles, batch 300', async () => {
    for (const s of [long({ rows: 32, cols: 64, pad: true }), long({ rows: 64, cols: 32, rt: 2 }, false)])
      expect(await opError(ksTiled, c, 0, s, 300), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('is offered after the chunks of 32 where γ ≥ 64, padded where it fits, never by default', () => {
    for (const m of [monarchCase(4096, 4096, 64), monarchCase(16384, 16384, 128)]) {
      const all = ksTiled.candidates(m.ops[0], H200);
      const first = all.findIndex((s) => s.tk === 64);
      expect(first, m.name).toBeGreaterThan(all.findIndex((s) => s.tk === 32 && s.ku === true));
      // Every one is a written-out twin of a chunk-of-32 candidate; unpadded only where padded would not fit.
      for (const s of all.filter((t) => t.tk === 64)) {
        const { rt: _, ...base } = s;
        expect(all, JSON.stringify(s)).toContainEqual({ ...base, tk: 32, pad: true });
        if (s.pad !== true) expect(all, JSON.stringify(s)).not.toContainEqual({ ...s, pad: true });
        expect(ksTiled.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
      }
      expect(ksTiled.defaultSchedule(m.ops[0], H200).tk, m.name).toBe(16);
    }
    expect(ksTiled.candidates(monarchCase(1024, 1024, 32).ops[0], H200).some((s) => s.tk === 64)).toBe(false);
  });
});
