/**
 * ks-sgmat-strided's `db` knob: the source staged in two buffers, γ chunk kc of a row chunk in
 * buffer kc mod 2, so each chunk's multiply-adds and the next chunk's stores share the phase
 * between two barriers (one barrier per γ chunk instead of two). Offered last, as twins of session
 * 6's form (and its sw and 16-row-chunk forms) with an even number of γ chunks per row chunk where
 * both buffers fit; never a default. Results through the subgroup-matrix emulation on SwiftShader
 * against float64, across row chunks and batches that end inside one.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksSgmatStrided, stridedSgmatLayout, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { tiling } from '../../src/codegen/wgsl/fast/ks-sgmat-strided-layout.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { beforeLongRowsF16, GOAL_SHAPES, H200, itMatchesFloat64, oneBetaPerItem, schedule, unfiltered } from './sgmat-strided-support.js';
import { kernelError } from './support.js';

type Knobs = Parameters<typeof schedule>[0];
const buffered = (s: Knobs, sw?: true): KsSgmatStridedSchedule => ({ ...schedule(s), ...(sw ? { sw } : {}), db: true });
const n4096 = monarchCase(4096, 4096, 64);
/** n = 4096's 16 δ x 64 β form with one row tile per subgroup (s14 H200: 0.2482 ms without db). */
const wide = { dtile: 16, cols: 64, sb: 64, mr: 1, chunks: 8, tk: 16, wres: true };
const barriers = (wgsl: string) => wgsl.match(/workgroupBarrier\(\);/g)?.length ?? 0;

describe('ks-sgmat-strided db: the schedule space', () => {
  it('offers db last, as twins of session 6\'s form with an even number of γ chunks, where two buffers fit; never the default', () => {
    for (const [name, c] of GOAL_SHAPES) {
      const op = c.ops[1] as KsOp;
      const all = beforeLongRowsF16(ksSgmatStrided.candidates(op, H200));
      const at = all.findIndex((s) => s.db !== undefined);
      expect(at, name).toBeGreaterThan(0);
      expect(all.slice(at).every((s) => s.db === true), name).toBe(true);
      const keys = new Set(all.map(scheduleKey));
      for (const s of all.slice(at)) {
        const { db: _, ...one } = s;
        expect(keys.has(scheduleKey(one)), JSON.stringify(s)).toBe(true);
        expect(s.rg === undefined && s.pd === undefined && s.acc16 === undefined && (op.c / s.tk) % 2 === 0, JSON.stringify(s)).toBe(true);
        expect(tiling(op, s).sharedBytes, JSON.stringify(s)).toBeLessThanOrEqual(49152);
      }
      expect(ksSgmatStrided.defaultSchedule(op, H200).db, name).toBeUndefined();
      expect(ksSgmatStrided.candidates(c.ops[0] as KsOp, H200).some((s) => 'db' in s), name).toBe(false);
    }
    const op = n4096.ops[1] as KsOp;
    const all = ksSgmatStrided.candidates(op, H200);
    expect(all).toContainEqual(buffered(wide, true));
    // The default (16 δ x 32 β, 32-row chunks) would need 66 KiB with two buffers.
    expect(all).not.toContainEqual({ ...oneBetaPerItem(ksSgmatStrided.defaultSchedule(op, H200)), db: true });
    expect(ksSgmatStrided.decode(JSON.parse(JSON.stringify(buffered(wide, true))))).toEqual(buffered(wide, true));
  });
});

describe('ks-sgmat-strided db WGSL (n = 4096, 16 δ x 64 β, 4 γ chunks per row chunk)', () => {
  const op = n4096.ops[1] as KsOp;
  const ctx = contextFor(n4096, 'k', 1, 'f16');
  const k = ksSgmatStrided.emit(op, buffered(wide, true), ctx).wgsl;
  const base = ksSgmatStrided.emit(op, { ...schedule(wide), sw: true }, ctx).wgsl;
  const { plane } = stridedSgmatLayout(op, buffered(wide, true));
  const second = 16 * plane;

  it('declares two source buffers and passes one barrier per γ chunk instead of two', () => {
    expect(k).toContain(`var<workgroup> k_xs: array<f16, ${2 * second}>;`);
    expect(base).toContain(`var<workgroup> k_xs: array<f16, ${second}>;`);
    // Per row chunk: 2·4 − 1 γ barriers and 7 of the epilogue's 4 rounds -> 4 − 1 and 7, plus one before the loop.
    expect(barriers(base)).toBe(14);
    expect(barriers(k)).toBe(3 + 7 + 1);
    expect(k.match(/subgroupMatrixMultiplyAccumulate/g)?.length).toBe(base.match(/subgroupMatrixMultiplyAccumulate/g)?.length);
  });

  it('multiplies odd γ chunks from the second buffer, and stores each next chunk into the buffer not being read', () => {
    const body = k.slice(k.indexOf('for (var ch = 0u;'));
    const lefts = [...body.matchAll(/subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>\(&k_xs, ([^,]+), 24u\)/g)].map((m) => m[1]);
    expect(lefts).toEqual([`sd * ${plane}u`, `sd * ${plane}u + ${second}u`, `sd * ${plane}u`, `sd * ${plane}u + ${second}u`]);
    // After chunk kc's multiply-adds, the stores go to buffer (kc + 1) mod 2.
    const phases = body.split('workgroupBarrier();').slice(0, 4);
    phases.forEach((p, kc) => {
      const stores = [...p.matchAll(/k_xs\[([^\]]+)\] = w\[0\]/g)].map((m) => m[1]);
      expect(stores.length, `chunk ${kc}`).toBeGreaterThan(0);
      expect(stores.every((s) => s.startsWith(`${second}u + `) === (kc % 2 === 0)), `chunk ${kc}: ${stores[0]}`).toBe(true);
      expect(p.indexOf('subgroupMatrixMultiplyAccumulate'), `chunk ${kc}`).toBeLessThan(p.indexOf('= w[0]'));
    });
  });
});

describe('ks-sgmat-strided db results, emulated, against the float64 reference', () => {
  const cases: [string, OpsCase, KsSgmatStridedSchedule, number][] = [
    ['d = 8, 2 γ chunks, 4 row chunks (the batch ends in the third)', monarchCase(256, 256, 8), buffered({ dtile: 4, cols: 32, sb: 32, mr: 1, chunks: 4, tk: 16, wres: true }), 40],
    ['d = 16, 8 δ with swizzled lanes, 4 γ chunks, 2 row chunks (the batch ends in the second)', monarchCase(1024, 1024, 16), buffered({ dtile: 8, cols: 16, sb: 16, mr: 1, chunks: 2, tk: 16, wres: true }, true), 23],
  ];
  itMatchesFloat64(cases);
});

describe('ks-sgmat-strided db: the check can fail', () => {
  it('fails a kernel whose odd γ chunks multiply the first buffer', async () => {
    const c = monarchCase(256, 256, 8);
    const s = buffered({ dtile: 4, cols: 32, sb: 32, mr: 1, chunks: 4, tk: 16, wres: true });
    const op = c.ops[1] as KsOp;
    const { plane } = stridedSgmatLayout(op, s);
    // The odd chunks' left matrices at the second buffer (4 δ planes in): read the first instead.
    const oddLeft = new RegExp(`(_xs, sd \\* ${plane}u) \\+ ${4 * plane}u,`, 'g');
    const broken = emulatedEmit((ctx) => {
      const k = unfiltered(ksSgmatStrided.emit(op, s, ctx));
      expect(k.wgsl).toMatch(oddLeft);
      return { ...k, wgsl: k.wgsl.replace(oddLeft, '$1,') };
    }, { packWorkgroupF16: true });
    expect(await kernelError(c, 1, 1, broken, 40, 'f32')).toBeGreaterThan(0.1);
  });
});
