/**
 * ks-sgmat-strided's `bp` knob: the β groups take the epilogue's slots in turn, so the slots are
 * sized for one β group. Offered last, only where a workgroup covers 64 β or more (n = 4096: every
 * β, so its source is read once, not once per 32-β workgroup) and session 6's form does not fit
 * without it: 16 δ × 64 β as two 32-β subgroups per δ (1024 invocations) with f32 sums. Never a
 * default.
 * Results through the subgroup-matrix emulation on SwiftShader against float64.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksSgmatStrided, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { tiling, valid } from '../../src/codegen/wgsl/fast/ks-sgmat-strided-layout.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { EMULATED, emulatedError, GOAL_SHAPES, H200, schedule, unfiltered } from './sgmat-strided-support.js';
import { kernelError, TOL_F16 } from './support.js';

type Knobs = Parameters<typeof schedule>[0];
const inTurns = (s: Knobs, sw?: true): KsSgmatStridedSchedule => ({ ...schedule(s), bp: true, ...(sw ? { sw } : {}) });
const barriers = (wgsl: string) => wgsl.match(/workgroupBarrier\(\);/g)?.length ?? 0;
/** n = 4096's 16 δ × 64 β with two 32-β subgroups per δ: 1024 invocations. */
const readOnce = inTurns({ dtile: 16, cols: 64, sb: 32, mr: 2, chunks: 8, tk: 16, wres: true }, true);
/** Monarch 256 -> 256 with 8 blocks: K(1, 32, 32, 8) as 4 δ × 32 β in two 16-β groups (256 invocations). */
const small = monarchCase(256, 256, 8);
const smallInTurns = inTurns({ dtile: 4, cols: 32, sb: 16, mr: 2, chunks: 2, tk: 32, wres: true }, true);

describe('ks-sgmat-strided bp: the schedule space', () => {
  it('offers bp last, only for workgroups of 64 β or more whose slots for all subgroups do not fit; never the default', () => {
    for (const [name, c] of GOAL_SHAPES) {
      const op = c.ops[1] as KsOp;
      const all = ksSgmatStrided.candidates(op, H200);
      const at = all.findIndex((s) => s.bp !== undefined);
      if (at >= 0) expect(all.slice(at).every((s) => s.bp === true), name).toBe(true);
      for (const s of all.filter((x) => x.bp !== undefined)) {
        const { bp: _, ...plain } = s;
        expect(s.cols >= Math.min(64, op.b) && s.rg === undefined && s.ds === undefined && !valid(op, tiling(op, plain), H200), JSON.stringify(s)).toBe(true);
        expect(tiling(op, s).sharedBytes, JSON.stringify(s)).toBeLessThanOrEqual(49152);
      }
      expect(ksSgmatStrided.defaultSchedule(op, H200).bp, name).toBeUndefined();
    }
    const op = GOAL_SHAPES[0][1].ops[1] as KsOp;
    const all = ksSgmatStrided.candidates(op, H200);
    expect(all).toContainEqual(readOnce);
    expect(all).toContainEqual({ ...readOnce, chunks: 16 });
    // Without bp its 32 f32 slots (33 KiB) and the staged source (24 KiB) exceed 48 KiB.
    const { bp: _, ...plain } = readOnce;
    expect(tiling(op, plain).sharedBytes).toBeGreaterThan(49152);
    expect(ksSgmatStrided.decode(JSON.parse(JSON.stringify(readOnce)))).toEqual(readOnce);
  });
});

describe('ks-sgmat-strided bp WGSL (n = 4096, 16 δ × 64 β, 1024 invocations)', () => {
  const n4096 = GOAL_SHAPES[0][1];
  const op = n4096.ops[1] as KsOp;
  const k = ksSgmatStrided.emit(op, readOnce, contextFor(n4096, 'k', 1, 'f16'));

  it('declares the slots of one β group and writes each group\'s tiles in its own pass', () => {
    expect(k.workgroupSize[0]).toBe(1024);
    // 16 slots of 264 floats (one per δ), not 32.
    expect(k.wgsl).toContain('var<workgroup> k_os: array<f32, 4224>;');
    // Per row chunk: 7 γ barriers, and 4 rounds of 2 passes of 2 barriers less the last.
    expect(barriers(k.wgsl)).toBe(7 + 4 * 2 * 2 - 1);
    const stores = [...k.wgsl.matchAll(/if \(sg \/ 16u == (\d)u\) \{\s*subgroupMatrixStore<row_major>\(&k_os, sd \* 264u, (acc_\d_\d), 16u\);/g)].map((m) => `${m[2]}:${m[1]}`);
    expect(stores).toEqual(['acc_0_0:0', 'acc_0_0:1', 'acc_0_1:0', 'acc_0_1:1', 'acc_1_0:0', 'acc_1_0:1', 'acc_1_1:0', 'acc_1_1:1']);
    expect(k.wgsl.match(/let g = (\d)u;/g)).toEqual(['let g = 0u;', 'let g = 1u;', 'let g = 0u;', 'let g = 1u;', 'let g = 0u;', 'let g = 1u;', 'let g = 0u;', 'let g = 1u;']);
  });
});

/** The emulation's limits less workgroup memory than `s` needs without bp, so that bp is what admits it. */
function tightFor(op: KsOp, s: KsSgmatStridedSchedule): TargetLimits {
  return { ...EMULATED, maxWorkgroupStorageBytes: tiling(op, s).sharedBytes };
}

describe('ks-sgmat-strided bp results, emulated, against the float64 reference', () => {
  const cases: [string, OpsCase, KsSgmatStridedSchedule, number][] = [
    ['d = 8, 4 δ × 32 β in two β groups, 2 row chunks (the batch ends in the second)', small, smallInTurns, 40],
  ];
  for (const [name, c, s, batch] of cases)
    it(`${name} (batch ${batch})`, async () => {
      const op = c.ops[1] as KsOp;
      expect(ksSgmatStrided.candidates(op, tightFor(op, s)), name).toContainEqual(s);
      expect(await emulatedError(c, s, batch), JSON.stringify(s)).toBeLessThan(TOL_F16);
    });
});

describe('ks-sgmat-strided bp: the check can fail', () => {
  it('fails a kernel whose second β group stores in the first one\'s pass', async () => {
    const op = small.ops[1] as KsOp;
    const second = /if \(sg \/ 4u == 1u\)/g;
    const broken = emulatedEmit((ctx) => {
      const k = unfiltered(ksSgmatStrided.emit(op, smallInTurns, ctx));
      expect(k.wgsl).toMatch(second);
      return { ...k, wgsl: k.wgsl.replace(second, 'if (sg / 4u == 0u)') };
    }, { packWorkgroupF16: true });
    expect(await kernelError(small, 1, 1, broken, 40, 'f32')).toBeGreaterThan(0.1);
  });
});

