/**
 * ks-sgmat's session-18 knob `np`: no register prefetch of the next chunk (each chunk's global loads
 * stored to workgroup memory before its barrier), on the single-buffered written-out padded tilings
 * (the defaults' form). The schedule space (last; never a default), the WGSL of 4096 -> 1024's
 * default with it, and results through the subgroup-matrix emulation on SwiftShader against the
 * float64 op reference. Tolerance: relative Frobenius error 1e-5 (the emulation runs f16 as f32).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import { ksSgmat, SUBGROUP_MATRIX_FEATURE, type KsSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { kernelError, KS_SGMAT_SPACE_OPS, oneOp, TOL } from './support.js';

const H200: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', SUBGROUP_MATRIX_FEATURE, 'subgroups'] };

type Knobs = Partial<Pick<KsSgmatSchedule, 'acc16' | 'stage' | 'sg' | 'sgc' | 'pad' | 'ku' | 'np'>>;
const sgmat = (rows: number, cols: number, tk: number, knobs: Knobs = {}): KsSgmatSchedule => ({ family: 'ks-sgmat', rows, cols, dtile: 1, tk, ...knobs });

describe('ks-sgmat np: the schedule space', () => {
  it('offers np last, each the twin of an earlier single-buffered written-out padded tiling; no default takes it', () => {
    for (const [name, op] of KS_SGMAT_SPACE_OPS) {
      const all = ksSgmat.candidates(op, H200);
      const np = all.filter((s) => s.np !== undefined);
      expect(np.length, name).toBeGreaterThan(0);
      expect(all.slice(all.length - np.length), name).toEqual(np);
      const before = new Set(all.slice(0, all.length - np.length).map(scheduleKey));
      for (const { np: flag, ...twin } of np) {
        expect(flag === true && twin.ku === true && twin.pad === 8 && twin.db === undefined, JSON.stringify(twin)).toBe(true);
        expect(before.has(scheduleKey(twin)), JSON.stringify(twin)).toBe(true);
      }
      expect(ksSgmat.defaultSchedule(op, H200).np, name).toBeUndefined();
    }
    // 4096 -> 1024's first factor: its default (8 subgroups of 64 x 32, tk 64) without prefetch.
    expect(ksSgmat.candidates(KS_SGMAT_SPACE_OPS[2][1], H200)).toContainEqual(sgmat(64, 32, 64, { sg: 2, sgc: 4, ku: true, pad: 8, np: true }));
  });

  it('decodes np', () => {
    const s = sgmat(64, 32, 64, { sg: 2, sgc: 4, ku: true, pad: 8, np: true });
    expect(ksSgmat.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });
});

describe('ks-sgmat np: the WGSL (4096 -> 1024 first factor K(4, 256, 1024, 1))', () => {
  const c = monarchCase(4096, 1024, 4);
  const wgsl = (s: KsSgmatSchedule) => ksSgmat.emit(c.ops[0] as KsOp, s, contextFor(c, 'k', 0, 'f16')).wgsl;
  const def = sgmat(64, 32, 64, { sg: 2, sgc: 4, ku: true, pad: 8 });

  it('loads each chunk inside its own iteration, before its barrier: no prologue, no fetch of the next chunk', () => {
    const pipelined = wgsl(def);
    const unfetched = wgsl({ ...def, np: true });
    const beforeLoop = (k: string) => k.slice(0, k.indexOf('for (var k0'));
    expect(beforeLoop(pipelined)).toContain('k_src[');
    expect(beforeLoop(unfetched)).not.toContain('k_src[');
    expect(pipelined).toContain('if (k0 + 64u < 1024u) {');
    expect(unfetched).not.toContain('if (k0 + 64u < 1024u) {');
    // The global loads once (the pipelined form has them in its prologue too); the same stores,
    // matrix loads and barriers.
    const count = (k: string, what: string) => k.split(what).length - 1;
    for (const what of ['k_src[', 'k_params[']) expect(2 * count(unfetched, what), what).toBe(count(pipelined, what));
    for (const what of ['k_xs[', 'k_ws[', 'subgroupMatrixLoad<', 'workgroupBarrier()']) expect(count(unfetched, what), what).toBe(count(pipelined, what));
    // In the loop the chunk's loads come before its stores, and both before the first barrier.
    const loop = unfetched.slice(unfetched.indexOf('for (var k0'));
    expect(loop.indexOf('k_src[')).toBeLessThan(loop.indexOf('k_xs['));
    expect(loop.lastIndexOf('k_ws[', loop.indexOf('workgroupBarrier()'))).toBeGreaterThan(0);
  });
});

describe('ks-sgmat np, emulated, against the float64 reference', () => {
  const deep = ks(1, 64, 128, 1, 'x', 'y', 'w'); // 4 β tiles per row, 4 chunks of 32 γ
  const cases: [string, OpsCase, KsSgmatSchedule, number][] = [
    // The default's form (tk 64 with pad 8 would pass SwiftShader's 32 KiB here).
    ['2 x 4 subgroups, tk 32, f32 sums (batch 37)', oneOp(deep), sgmat(16, 16, 32, { sg: 2, sgc: 4, ku: true, pad: 8, np: true }), 37],
    ['4 x 2 subgroups, acc16 + stage, tk 32 (batch 70)', oneOp(deep), sgmat(16, 32, 32, { acc16: true, stage: true, sg: 4, sgc: 2, ku: true, pad: 8, np: true }), 70],
  ];
  for (const [name, c, s, batch] of cases)
    it(name, async () => {
      const error = await kernelError(c, 0, 1, emulatedEmit((ctx) => ksSgmat.emit(c.ops[0] as KsOp, s, ctx)), batch, 'f32');
      expect(error, JSON.stringify(s)).toBeLessThan(TOL);
    });
});
