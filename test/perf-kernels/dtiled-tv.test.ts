/**
 * ks-dtiled's `tv` (session 21): the δ-fastest staging as transposed 4x4 blocks (4 vec4 loads into
 * a mat4x4, 4 vec4 stores of its transpose) against the float64 op reference on SwiftShader, and
 * the text it emits. Tolerance: SPEC §6 f32, relative Frobenius error 1e-5.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksDtiled, type KsDtiledSchedule } from '../../src/codegen/wgsl/fast/ks-dtiled.js';
import { LIMITS, opError, sample, TOL } from './support.js';

const HOPPER = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };

describe('ks-dtiled tv', () => {
  it('is offered as twins of the padded δ-fastest and the written-out bcast candidates without grun', () => {
    const op = monarchCase(4096, 4096, 64).ops[1];
    const all = ksDtiled.candidates(op, HOPPER);
    const tv = all.filter((s) => s.tv === true);
    expect(tv.length).toBeGreaterThan(0);
    expect(tv.every((s) => (s.pad === true && s.bcast !== true) || (s.bcast === true && s.ku === true && s.grun !== true))).toBe(true);
    expect(tv.some((s) => s.bcast === true)).toBe(true);
    const { tv: _, ...padded } = tv[0];
    expect(all).toContainEqual(padded);
    expect(ksDtiled.decode({ ...tv[0] })).toEqual(tv[0]);
  });

  it('stages the default shape and its bcast twin with 4 vec4 stores of a transposed block per item', () => {
    const c = monarchCase(4096, 4096, 64);
    const def = ksDtiled.defaultSchedule(c.ops[1], HOPPER);
    const wgsl = ksDtiled.emit(c.ops[1], { ...def, tv: true }, contextFor(c, 'k', 1, 'f32')).wgsl;
    const plain = ksDtiled.emit(c.ops[1], def, contextFor(c, 'k', 1, 'f32')).wgsl;
    expect(wgsl).toContain('var pf0_0: mat4x4<f32>;');
    // 64 rows × 8 γ × 2 δ vec4 blocks and 8 δ × 16 β blocks × 2 γ vec4s: 512 items, one each.
    expect(wgsl).not.toContain('var pf0_1');
    expect(wgsl).toContain('= transpose(pf0_0);');
    expect(wgsl).not.toMatch(/\]\[r % 4u\] = /);
    expect(plain).toMatch(/\]\[r % 4u\] = /);
    const { pad: _pad, ...unpadded } = def;
    const bcast = ksDtiled.emit(c.ops[1], { ...unpadded, bcast: true, tv: true }, contextFor(c, 'k', 1, 'f32')).wgsl;
    expect(bcast).toContain('= transpose(pf0_0);');
    expect(bcast).not.toMatch(/\]\[r % 4u\] = /);
  });

  const cases: [OpsCase, number][] = [
    [monarchCase(64, 64, 8), 9],
    [monarchCase(192, 96, 8), 7],
    [monarchCase(48, 96, 4), 5],
    [monarchCase(256, 256, 16), 13],
  ];
  for (const [c, batch] of cases)
    it(`${c.name}: sampled tv candidates match the reference`, async () => {
      const tv = ksDtiled.candidates(c.ops[1], LIMITS).filter((s): s is KsDtiledSchedule => s.tv === true);
      expect(tv.length).toBeGreaterThan(0);
      expect(tv.some((s) => s.pipeline) && tv.some((s) => !s.pipeline)).toBe(true);
      const [bcast, deltaFastest] = [tv.filter((s) => s.bcast === true), tv.filter((s) => s.bcast !== true)];
      expect(bcast.length * deltaFastest.length).toBeGreaterThan(0);
      for (const s of [...sample(deltaFastest, 2), ...sample(bcast, 2)]) expect(await opError(ksDtiled, c, 1, s, batch), JSON.stringify(s)).toBeLessThan(TOL);
    });
});
