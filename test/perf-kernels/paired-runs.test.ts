/**
 * Session 19's staged copies with runs of two chunks (paired-runs.ts): ks-tiled's `pr` (both vec4
 * copies) against the float64 op reference on SwiftShader, 2 to 8 chunks, pipelined or not, batches
 * ending inside a row tile; where it is offered (written-out 8x8 tiles of one δ whose chunks pair
 * up, no row tiles); its text. ks-dtiled's `wr` (the weights' copy) is tested in dtiled.test.ts.
 * Tolerance: SPEC §6 f32 (1e-5).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksTiled, type KsTiledSchedule } from '../../src/codegen/wgsl/fast/ks-tiled.js';
import { LIMITS, opError, TOL } from './support.js';

const H200 = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };

describe('ks-tiled runs of two chunks (pr)', () => {
  it('is offered only as a twin of a written-out 8x8 tile of one δ whose chunks pair up, without row tiles', () => {
    const c = monarchCase(4096, 4096, 64);
    const all = ksTiled.candidates(c.ops[0], H200);
    const paired = all.filter((s) => s.pr === true);
    expect(paired.length).toBeGreaterThan(0);
    for (const s of paired) {
      expect(s.ku === true && s.rr === 8 && s.rb === 8 && s.dtile === 1 && s.rt === undefined && 64 % (2 * s.tk) === 0, JSON.stringify(s)).toBe(true);
      const { pr: _, ...twin } = s;
      expect(all).toContainEqual(twin);
    }
    // n = 4096's default (128 × 64, chunks of 16) has a twin; chunks of 32 (two per 64 γ) too; none where γ = 12.
    const def = ksTiled.defaultSchedule(c.ops[0], H200);
    expect(paired).toContainEqual({ ...def, pr: true });
    expect(ksTiled.candidates(monarchCase(192, 96, 8).ops[0], LIMITS).filter((s) => s.pr === true && s.tk === 8)).toEqual([]);
    // Its text: both copies hold twice the prefetch registers (8 + 4 vec4 where the default holds 4 + 2) and fetch at even chunks.
    const wgsl = ksTiled.emit(c.ops[0], { ...def, pr: true }, contextFor(c, 'k', 0, 'f32')).wgsl;
    expect(wgsl.match(/var pf\d+_\d+: vec4<f32>;/g)?.length).toBe(12);
    expect(wgsl).toContain('let odd = ((k0 + 16u) / 16u) % 2u;');
  });

  it('matches the reference: 2 and 4 chunks (n = 1024 op0, K(32,32,32,1), batch 150) and 8 (n = 4096 op0, batch 20), pipelined or not', async () => {
    const base = { family: 'ks-tiled', dtile: 1, vec4: true, ilv: true, pad: true, pl: true, ku: true, pr: true, rr: 8, rb: 8 } as const;
    const cases: [OpsCase, number, KsTiledSchedule][] = [
      [monarchCase(1024, 1024, 32), 150, { ...base, rows: 128, cols: 32, tk: 16, pipeline: true }],
      [monarchCase(1024, 1024, 32), 150, { ...base, rows: 128, cols: 32, tk: 8, pipeline: false }],
      [monarchCase(4096, 4096, 64), 20, { ...base, rows: 128, cols: 32, tk: 8, pipeline: true }],
    ];
    for (const [c, batch, s] of cases) {
      expect(ksTiled.candidates(c.ops[0], LIMITS), JSON.stringify(s)).toContainEqual(s);
      expect(await opError(ksTiled, c, 0, s, batch), JSON.stringify(s)).toBeLessThan(TOL);
    }
  });
});
