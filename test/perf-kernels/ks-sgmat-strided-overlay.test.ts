/**
 * ks-sgmat-strided's `ov` knob: the epilogue's f16 result slots (acc16) overlaid on the staged
 * source in one workgroup array, so a workgroup needs the larger of the two instead of their sum:
 * n = 4096's read-once form (32 subgroups) then stages a whole-γ chunk (tk 64) per row chunk, or
 * moves all of a subgroup's tiles out in one round. Two barriers more per row chunk (before the
 * slots are written, after they are read). Offered last, with f16 results for the 16- and
 * 32-row-chunk forms at every γ chunk (with and without ov); never a default. Results through the
 * subgroup-matrix emulation on SwiftShader against float64, across row chunks and batches that end
 * inside one.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksSgmatStrided, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { tiling } from '../../src/codegen/wgsl/fast/ks-sgmat-strided-layout.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import type { KsOp } from '../../src/ir/ir.js';
import { beforeLongRowsF16, EMULATED, GOAL_SHAPES, H200, itMatchesFloat64, N4096, schedule } from './sgmat-strided-support.js';

type Knobs = Parameters<typeof schedule>[0];
const overlaid = (s: Knobs, et?: number): KsSgmatStridedSchedule => ({ ...schedule(s), sw: true, acc16: true, ov: true, ...(et === undefined ? {} : { et }) });
/** n = 4096's read-once default (16 δ × 64 β as two 32-β subgroups per δ, 32 row chunks) with whole-γ chunks. */
const readOnce = { dtile: 16, cols: 64, sb: 32, mr: 1, chunks: 32, tk: 64, wres: true };
const barriers = (wgsl: string) => wgsl.match(/workgroupBarrier\(\);/g)?.length ?? 0;

describe('ks-sgmat-strided ov: the schedule space', () => {
  it('offers ov only with f16 results in session 6\'s form without db, after every other candidate, never as a default', () => {
    for (const [name, c] of GOAL_SHAPES) {
      const op = c.ops[1] as KsOp;
      const all = ksSgmatStrided.candidates(op, H200);
      const withOv = all.filter((s) => s.ov !== undefined);
      expect(withOv.length, name).toBeGreaterThan(0);
      // The f16-result forms of 16 and 32 row chunks (ov among them) come last: the other knobs' space is unchanged before them.
      const rest = beforeLongRowsF16(all);
      expect(all.slice(0, rest.length), name).toEqual(rest);
      expect(all.slice(rest.length).every((s) => s.acc16 === true && s.chunks >= 16 && s.sw === true && s.pd === undefined), name).toBe(true);
      for (const s of withOv) {
        expect(s.ov === true && s.acc16 === true && s.rg === undefined && s.db === undefined, JSON.stringify(s)).toBe(true);
        expect(tiling(op, s).sharedBytes, JSON.stringify(s)).toBeLessThanOrEqual(H200.maxWorkgroupStorageBytes);
      }
      expect(new Set(all.map(scheduleKey)).size, name).toBe(all.length);
      expect(ksSgmatStrided.defaultSchedule(op, H200).ov, name).toBeUndefined();
      expect(ksSgmatStrided.candidates(c.ops[0] as KsOp, H200).some((s) => 'ov' in s), name).toBe(false);
    }
  });

  it('fits n = 4096\'s read-once form with whole-γ chunks and one epilogue round only overlaid', () => {
    const op = N4096.ops[1] as KsOp;
    const all = ksSgmatStrided.candidates(op, H200);
    expect(all).toContainEqual(overlaid(readOnce));
    expect(all).toContainEqual(overlaid(readOnce, 2));
    expect(all).toContainEqual(overlaid({ ...readOnce, tk: 32 }, 2));
    const { ov: _, ...separate } = overlaid(readOnce);
    expect(all).not.toContainEqual(separate);
    // 16 δ planes of 16 rows × 72 halves (37,120 bytes) hold the 32 subgroups' 2 f16 tiles (34,816); apart, 71,936.
    expect(tiling(op, overlaid(readOnce, 2)).sharedBytes).toBe(37120);
    expect(tiling(op, { ...separate, et: 2 }).sharedBytes).toBe(37120 + 34816);
    expect(ksSgmatStrided.decode(JSON.parse(JSON.stringify(overlaid(readOnce, 2))))).toEqual(overlaid(readOnce, 2));
  });
});

describe('ks-sgmat-strided ov WGSL (n = 4096, the read-once form, one γ chunk and one epilogue round per row chunk)', () => {
  const op = N4096.ops[1] as KsOp;
  const ctx = contextFor(N4096, 'k', 1, 'f16');
  const k = ksSgmatStrided.emit(op, overlaid(readOnce, 2), ctx).wgsl;
  const base = ksSgmatStrided.emit(op, ksSgmatStrided.defaultSchedule(op, H200), ctx).wgsl;

  it('declares one f16 array for the source and the slots, and stores the result tiles into it', () => {
    expect(k).toContain('var<workgroup> k_xs: array<f16, 18560>;');
    expect(k).not.toContain('k_os');
    expect(k).toMatch(/subgroupMatrixStore<row_major>\(&k_xs, /);
  });

  it('passes 4 barriers per row chunk where the default passes 10, with 8 multiply-adds per subgroup between two instead of 2', () => {
    const perChunk = (wgsl: string) => barriers(wgsl.slice(wgsl.indexOf('for (var ch = 0u;')));
    expect(perChunk(base)).toBe(2 * 4 - 1 + 3);
    expect(perChunk(k)).toBe(1 + 1 + 1 + 1);
    const body = k.slice(k.indexOf('for (var ch = 0u;'));
    const phases = body.split('workgroupBarrier();');
    expect(phases[1].match(/subgroupMatrixMultiplyAccumulate/g)).toHaveLength(8);
    // The slots are written only after every subgroup's multiply-adds (a barrier between).
    expect(phases[1]).not.toContain('subgroupMatrixStore');
    expect(phases[2].match(/subgroupMatrixStore/g)).toHaveLength(2);
  });
});

describe('ks-sgmat-strided ov results, emulated, against the float64 reference', () => {
  const cases: [string, OpsCase, KsSgmatStridedSchedule, number][] = [
    // The read-once form at 256 invocations: 4 δ × 64 β as two 32-β subgroups per δ, both tiles in one round; 2 γ chunks
    // (the last one's multiply-adds then the overlay's barrier), 32 row chunks, the batch ending in the second workgroup.
    ['4 δ × 64 β, 2 γ chunks, both tiles in one round, 32 row chunks', monarchCase(256, 256, 4), overlaid({ ...readOnce, dtile: 4, tk: 32 }, 2), 600],
  ];
  it('offers the emulated schedules on the emulation\'s limits', () => {
    for (const [name, c, s] of cases) expect(ksSgmatStrided.candidates(c.ops[1] as KsOp, EMULATED), name).toContainEqual(s);
  });
  itMatchesFloat64(cases);
});
