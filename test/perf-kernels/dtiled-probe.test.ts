/**
 * The bench-only probes (src/codegen/wgsl/fast/sgmat-probe.ts) on ks-dtiled, the f32 strided factor (session 21):
 * no candidate or default carries one; a probe's WGSL is its schedule's with guards added and nothing taken away;
 * on SwiftShader each probed stage really leaves the dispatch (the results go wrong) where the schedule without it
 * matches the float64 reference (SPEC §6 f32, 1e-5).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase } from '../../bench/cases.js';
import { ksDtiled, type KsDtiledSchedule } from '../../src/codegen/wgsl/fast/ks-dtiled.js';
import { PROBES } from '../../src/codegen/wgsl/fast/sgmat-probe.js';
import { LIMITS, opError, TOL } from './support.js';

const HOPPER = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };
const N4096 = monarchCase(4096, 4096, 64);
const code = (wgsl: string) => wgsl.replaceAll('if (batch == 0xffffffffu) {', '{').replace(/[\s{}]/g, '');

describe('ks-dtiled probes', () => {
  it('are never candidates or defaults, decode as written, and refuse out on bcast', () => {
    const op = N4096.ops[1];
    expect(ksDtiled.candidates(op, HOPPER).some((s) => 'probe' in s)).toBe(false);
    expect('probe' in ksDtiled.defaultSchedule(op, HOPPER)).toBe(false);
    const def = ksDtiled.defaultSchedule(op, HOPPER);
    for (const probe of PROBES) expect(ksDtiled.decode({ ...def, probe })).toEqual({ ...def, probe });
    const { pad: _pad, ...unpadded } = def;
    expect(() => ksDtiled.emit(op, { ...unpadded, bcast: true, probe: 'out' } as KsDtiledSchedule, contextFor(N4096, 'k', 1, 'f32'))).toThrow(/out probe/);
  });

  it('add guards and take nothing away (the default; its bcast twin but for out)', () => {
    const op = N4096.ops[1];
    const def = ksDtiled.defaultSchedule(op, HOPPER);
    const { pad: _pad, ...unpadded } = def;
    for (const s of [def, { ...unpadded, bcast: true }]) {
      const base = ksDtiled.emit(op, s, contextFor(N4096, 'k', 1, 'f32')).wgsl;
      for (const probe of PROBES.filter((p) => p !== 'out' || s.bcast !== true)) {
        const wgsl = ksDtiled.emit(op, { ...s, probe } as KsDtiledSchedule, contextFor(N4096, 'k', 1, 'f32')).wgsl;
        expect(wgsl, probe).toContain('if (batch == 0xffffffffu) {');
        expect(code(wgsl), probe).toBe(code(base));
      }
    }
  });

  it('each probe takes its stage out of the dispatch on SwiftShader', async () => {
    const c = monarchCase(64, 64, 8);
    const s = ksDtiled.candidates(c.ops[1], LIMITS).find((x) => x.pad === true && x.pipeline);
    expect(s).toBeDefined();
    expect(await opError(ksDtiled, c, 1, s!, 9)).toBeLessThan(TOL);
    for (const probe of PROBES) expect(await opError(ksDtiled, c, 1, { ...s!, probe }, 9), probe).toBeGreaterThan(1e-2);
  });
});
