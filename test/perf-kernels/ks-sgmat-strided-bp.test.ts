/**
 * ks-sgmat-strided's `bp` knob: the β groups take the epilogue's slots in turn, so the slots are sized for one β group.
 * Offered with 16 δ or more per workgroup, f32 sums, where the form does not fit without it: Monarch n = 4096 with 16
 * blocks' K(1, 256, 256, 16) as 16 δ × 32 β in two 16-β subgroups per δ with γ chunks of 32, the f32-sum twin of
 * session 26's tuned f16-sum winner (0.6101 ms), whose 32 f32 slots (34 KiB) beside the staged source (20 KiB) exceed
 * 48 KiB. Never a default before it is timed. Results through the subgroup-matrix emulation on SwiftShader against
 * float64 (a 4-δ form: SwiftShader's 256 invocations hold no 16-δ workgroup of two β groups).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase } from '../../bench/cases.js';
import { ksSgmatStrided, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { tiling, valid } from '../../src/codegen/wgsl/fast/ks-sgmat-strided-layout.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { EMULATED, emulatedError, GOAL_SHAPES, H200, schedule, unfiltered } from './sgmat-strided-support.js';
import { kernelError, TOL_F16 } from './support.js';

type Knobs = Parameters<typeof schedule>[0];
const inTurns = (s: Knobs, extra: Partial<KsSgmatStridedSchedule> = {}): KsSgmatStridedSchedule => ({ ...schedule(s), bp: true, sw: true, ...extra });
const withoutTurns = ({ bp: _, ...s }: KsSgmatStridedSchedule): KsSgmatStridedSchedule => s;
const barriers = (wgsl: string) => wgsl.match(/workgroupBarrier\(\);/g)?.length ?? 0;
/** Monarch n = 4096 with 16 blocks: its strided factor K(1, 256, 256, 16). */
const sixteenBlocks = monarchCase(4096, 4096, 16);
/** The f32-sum twin of session 26's tuned winner there: 16 δ × 32 β, two 16-β subgroups per δ (1024 invocations), tk 32. */
const winnerTwin = inTurns({ dtile: 16, cols: 32, sb: 16, mr: 1, chunks: 32, tk: 32, wres: true }, { ob: 2 });
/** Monarch 256 -> 256 with 8 blocks: K(1, 32, 32, 8) as 4 δ × 32 β in two 16-β groups (256 invocations). */
const small = monarchCase(256, 256, 8);
const smallInTurns = inTurns({ dtile: 4, cols: 32, sb: 16, mr: 2, chunks: 2, tk: 32, wres: true });

describe('ks-sgmat-strided bp: the schedule space', () => {
  it('offers bp after every other form but the ob twins, with 16 δ or more, f32 sums and two β groups or more where the form does not fit without it; never the default', () => {
    for (const [name, c] of [...GOAL_SHAPES, ['4096, 16 blocks', sixteenBlocks] as const]) {
      const op = c.ops[1] as KsOp;
      const all = ksSgmatStrided.candidates(op, H200);
      // After every other form but the ob twins (which follow them too: bp's with ob 2 among those).
      const at = all.findIndex((s) => s.bp !== undefined);
      if (at >= 0) expect(all.slice(at).every((s) => s.bp === true || s.ob === 2), name).toBe(true);
      for (const s of all.filter((x) => x.bp !== undefined)) {
        const t = tiling(op, s);
        expect(s.dtile >= 16 && t.groups >= 2 && s.chunks >= 16 && s.sw === true && s.acc16 === undefined && s.ds === undefined && s.rg === undefined && s.ow === undefined, JSON.stringify(s)).toBe(true);
        expect(valid(op, tiling(op, withoutTurns(s)), H200), JSON.stringify(s)).toBe(false);
        expect(t.sharedBytes, JSON.stringify(s)).toBeLessThanOrEqual(49152);
      }
      expect(ksSgmatStrided.defaultSchedule(op, H200).bp, name).toBeUndefined();
    }
    const op = sixteenBlocks.ops[1] as KsOp;
    const all = ksSgmatStrided.candidates(op, H200);
    expect(all).toContainEqual(winnerTwin);
    const { ob: _, ...oneBeta } = winnerTwin;
    expect(all).toContainEqual(oneBeta);
    // Without bp its 32 f32 slots (34 KiB) and the staged source (20 KiB) exceed 48 KiB; with it, 16 slots.
    expect(tiling(op, withoutTurns(winnerTwin)).sharedBytes).toBeGreaterThan(49152);
    expect(tiling(op, winnerTwin).sharedBytes).toBeLessThanOrEqual(49152);
    expect(ksSgmatStrided.decode(JSON.parse(JSON.stringify(winnerTwin)))).toEqual(winnerTwin);
  });
});

describe('ks-sgmat-strided bp WGSL (n = 4096 with 16 blocks, 16 δ × 32 β, 1024 invocations)', () => {
  const op = sixteenBlocks.ops[1] as KsOp;
  const k = ksSgmatStrided.emit(op, winnerTwin, contextFor(sixteenBlocks, 'k', 1, 'f16'));
  const plain = ksSgmatStrided.emit(op, { ...withoutTurns(winnerTwin), acc16: true }, contextFor(sixteenBlocks, 'k', 1, 'f16'));

  it("declares the slots of one β group and writes each group's tiles in its own pass", () => {
    expect(k.workgroupSize[0]).toBe(1024);
    const slots = /var<workgroup> k_os: array<f32, (\d+)>;/.exec(k.wgsl);
    expect(Number(slots?.[1])).toBe(16 * tiling(op, winnerTwin).slot);
    // Per row chunk: 7 barriers between the 8 γ chunks, 2 before the epilogue's passes, 1 between them.
    expect(barriers(k.wgsl)).toBe(barriers(plain.wgsl) + 2);
    expect([...k.wgsl.matchAll(/if \(sg \/ 16u == (\d)u\) \{\s*subgroupMatrixStore<row_major>\(&k_os, sd \* \d+u, acc_0_0, 16u\);/g)].map((m) => m[1])).toEqual(['0', '1']);
    expect(k.wgsl.match(/let g = (\d)u;/g)).toEqual(['let g = 0u;', 'let g = 1u;']);
  });
});

/** The emulation's limits less workgroup memory than `s` needs without bp, so that bp is what admits it. */
function tightFor(op: KsOp, s: KsSgmatStridedSchedule): TargetLimits {
  return { ...EMULATED, maxWorkgroupStorageBytes: tiling(op, s).sharedBytes };
}

describe('ks-sgmat-strided bp results, emulated, against the float64 reference', () => {
  const op = small.ops[1] as KsOp;
  for (const [name, s] of [
    ['one β per write-out item', smallInTurns],
    ['two β per write-out item (ob 2)', { ...smallInTurns, ob: 2 }],
  ] as const)
    it(`d = 8, 4 δ × 32 β in two β groups, 2 row chunks (the batch ends in the second), ${name}`, async () => {
      expect(valid(op, tiling(op, s), tightFor(op, s))).toBe(true);
      expect(valid(op, tiling(op, withoutTurns(s)), tightFor(op, s))).toBe(false);
      expect(await emulatedError(small, s, 40), JSON.stringify(s)).toBeLessThan(TOL_F16);
    });
});

describe('ks-sgmat-strided bp: the check can fail', () => {
  it("fails a kernel whose second β group stores in the first one's pass", async () => {
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
