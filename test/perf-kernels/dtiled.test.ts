/**
 * ks-dtiled (the strided factor with one δ per invocation and ks-tiled's register tiles) against
 * the float64 op reference on SwiftShader: default and a spread of candidates, pipelined or not,
 * partial row tiles (odd batches), rectangular Monarch, a > 1 with bias and accumulation.
 * Tolerance: SPEC §6 f32, relative Frobenius error 1e-5.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksDtiled } from '../../src/codegen/wgsl/fast/ks-dtiled.js';
import { candidates as allCandidates } from '../../src/codegen/wgsl/families.js';
import { defaultAndSample, LIMITS, opError, sample, TOL } from './support.js';

describe('ks-dtiled', () => {
  const cases: [string, OpsCase, number][] = [
    ['monarch 64 op1 (d = 8)', monarchCase(64, 64, 8), 9],
    ['rectangular monarch 64 -> 128 op1 (d = 8, b = 16)', monarchCase(64, 128, 8), 3],
    ['rectangular monarch 192 -> 96 op1 (d = 8, c = 12)', monarchCase(192, 96, 8), 7],
    ['rectangular monarch 48 -> 96 op1 (d = 4)', monarchCase(48, 96, 4), 5],
  ];
  for (const [name, c, batch] of cases) {
    it(`${name}: default and sampled candidates match the reference`, async () => {
      const op = c.ops[1];
      const all = ksDtiled.candidates(op, LIMITS);
      const schedules = defaultAndSample(ksDtiled.defaultSchedule(op, LIMITS), all, 2);
      expect(all.some((s) => s.pipeline) && all.some((s) => !s.pipeline)).toBe(true);
      for (const s of schedules) expect(await opError(ksDtiled, c, 1, s, batch), JSON.stringify(s)).toBeLessThan(TOL);
    });
  }

  it('accumulates and adds the bias at the logical output index (a > 1), vec4 weights or not', async () => {
    const op = ks(2, 8, 4, 8, 'x', 'y', 'w', { accumulate: true, bias: { tensor: 'b', offset: 0, length: 128 } });
    const c: OpsCase = {
      name: 'bias',
      ops: [op],
      params: [{ name: 'b', shape: [128], offset: 0 }, { name: 'w', shape: [16, 8, 4], offset: 130 }],
      paramSize: 642,
      buffers: [{ name: 'x', size: 64 }, { name: 'y', size: 128 }],
      in: 64,
      out: 128,
      flopsPerRow: 0,
    };
    const all = ksDtiled.candidates(op, LIMITS);
    expect(all.length).toBeGreaterThan(0);
    for (const s of sample(all, 3)) expect(await opError(ksDtiled, c, 0, s, 7), JSON.stringify(s)).toBeLessThan(TOL);
    // The weights at an offset that is a multiple of 4: the vec4 staging.
    const aligned: OpsCase = { ...c, params: [{ name: 'b', shape: [128], offset: 0 }, { name: 'w', shape: [16, 8, 4], offset: 128 }], paramSize: 640 };
    for (const s of sample(all, 2)) expect(await opError(ksDtiled, aligned, 0, s, 5), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('pads the δ-fastest staging (`pad`): planed twins offered, within the limits, matching the reference', async () => {
    const h200 = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };
    // n=4096's strided factor on the H100/H200 limits: the default's padded twin fits 48 KiB (16 · 8 · (145 + 145) bytes).
    const big = monarchCase(4096, 4096, 64).ops[1];
    const def = ksDtiled.defaultSchedule(big, h200);
    expect(ksDtiled.candidates(big, h200)).toContainEqual({ ...def, pad: true });
    const wgsl = ksDtiled.emit(big, { ...def, pad: true }, contextFor(monarchCase(4096, 4096, 64), 'k', 1, 'f32')).wgsl;
    expect(wgsl).toContain('array<array<vec4<f32>, 145>, 8>');
    for (const [c, batch] of [[monarchCase(64, 64, 8), 9], [monarchCase(48, 96, 4), 5]] as const) {
      const padded = ksDtiled.candidates(c.ops[1], LIMITS).filter((s) => s.pad === true);
      expect(padded.length, c.name).toBeGreaterThan(0);
      expect(padded.every((s) => s.pl === true && s.bcast !== true), c.name).toBe(true);
      for (const s of sample(padded, 3)) expect(await opError(ksDtiled, c, 1, s, batch), JSON.stringify(s)).toBeLessThan(TOL);
    }
  });

  it('defaults to the schedules measured best on Hopper (H100 and H200) where the limits allow them', () => {
    const h200 = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };
    const base = { family: 'ks-dtiled', rows: 64, cols: 64, dtile: 8, tk: 8, rr: 8, rb: 8, pipeline: true };
    // Session 12 (H100): in planes with ku, 1.0119 / 0.2643 ms vs 1.1276 / 0.2928 (pl alone), 1.1462 / 0.2984 (neither).
    const fourBlocks = { ...base, rows: 128, dtile: 4, bcast: true, grun: true, pl: true, ku: true };
    const cases: [OpsCase, Record<string, unknown>][] = [
      // Session 12 (H100): the 8x8 form in planes with each chunk written out (ku), 0.4161 ms vs bcast 0.4219; n=16384 0.7414 vs 0.7664 without ku.
      // Session 14 (H200): with padded staging (pad), n=4096 0.3846 vs 0.4195 ms, n=16384 0.6761 vs 0.7441.
      [monarchCase(4096, 4096, 64), { ...base, pl: true, ku: true, pad: true }],
      [monarchCase(16384, 16384, 128), { ...base, pl: true, ku: true, pad: true }],
      [monarchCase(1024, 4096, 4), fourBlocks],
      [monarchCase(4096, 1024, 4), fourBlocks],
    ];
    for (const [c, want] of cases) {
      expect(ksDtiled.defaultSchedule(c.ops[1], h200), c.name).toEqual(want);
      expect(ksDtiled.candidates(c.ops[1], LIMITS), c.name).toContainEqual(ksDtiled.defaultSchedule(c.ops[1], LIMITS));
    }
  });

  it('applies only to strided factors with d a multiple of 4 and identity maps, and is offered to the tuner', () => {
    const [op0, op1] = monarchCase(64, 64, 8).ops;
    expect(ksDtiled.candidates(op0, LIMITS)).toEqual([]);
    expect(ksDtiled.candidates({ ...op1, output: { size: 64, steps: [{ shape: [8, 8], perm: [1, 0] }] } }, LIMITS)).toEqual([]);
    expect(ksDtiled.candidates(monarchCase(32, 32, 2).ops[1], LIMITS)).toEqual([]);
    expect(allCandidates(op1, LIMITS).some((s) => s.family === 'ks-dtiled')).toBe(true);
  });
});
