/**
 * Shared by the ks-sgmat-strided tests (sgmat-strided.test.ts: strided factors and the schedule
 * space; sgmat-contiguous.test.ts: contiguous ones): the limits they emit for, schedules by their
 * knobs, workgroup-memory bank counting, and one kernel's error through the subgroup-matrix
 * emulation on SwiftShader (test/support/sgmat-emulation.ts).
 */
import { expect, it } from 'vitest';
import { monarchCase, type OpsCase } from '../../bench/cases.js';
import { SUBGROUP_MATRIX_FEATURE } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import { ksSgmatStrided, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import { SUBGROUP_MATRIX_UNIFORMITY_OFF } from '../../src/codegen/wgsl/fast/sgmat-results.js';
import type { EmittedKernel, TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { kernelError, TOL_F16 } from './support.js';

export const FEATURES = ['shader-f16', SUBGROUP_MATRIX_FEATURE, 'subgroups'];
/** The H200 (Dawn/Vulkan): 1024 invocations, 48 KiB of workgroup memory. */
export const H200: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: FEATURES };
/** What the emulated kernels run within on SwiftShader (256 invocations, 32 KiB). */
export const EMULATED: TargetLimits = { maxWorkgroupSize: 256, maxWorkgroupStorageBytes: 32768, features: FEATURES };

/** Workgroup bytes a kernel declares (the occupancy model's reading of its arrays). */
export { workgroupBytes } from '../../bench/occupancy.js';

export const schedule = (s: Pick<KsSgmatStridedSchedule, 'dtile' | 'cols' | 'sb' | 'mr' | 'chunks' | 'tk' | 'wres'> & { readonly rg?: number; readonly wstage?: boolean }): KsSgmatStridedSchedule => ({
  family: 'ks-sgmat-strided',
  ...s,
});

/** `schedule`'s knobs with f16 result matrices (`acc16`), and `et` result tiles per epilogue round when given. */
export const acc16 = (s: Parameters<typeof schedule>[0], et?: number): KsSgmatStridedSchedule => ({ ...schedule(s), acc16: true, ...(et === undefined ? {} : { et }) });

/** Monarch n=4096 (monarch(nblocks: 64)), the case the f16 target is set at. */
export const N4096 = monarchCase(4096, 4096, 64);
/** The strided factors of the device calls' Monarch cases (bench/monarch-goal.ts). */
export const GOAL_SHAPES: [string, OpsCase][] = [
  ['n=4096', N4096],
  ['1024->4096', monarchCase(1024, 4096, 4)],
  ['4096->1024', monarchCase(4096, 1024, 4)],
  ['n=16384', monarchCase(16384, 16384, 128)],
];

/**
 * For one knob's schedule-space test: each goal shape's strided factor, its candidates on the H200,
 * those carrying `knob` (where they start: -1 if none), and whether each of them has its twin
 * without the knob among the candidates.
 */
export function knobSpace(knob: string): { name: string; op: KsOp; all: KsSgmatStridedSchedule[]; withKnob: KsSgmatStridedSchedule[]; at: number; twinned: boolean }[] {
  return GOAL_SHAPES.map(([name, c]) => {
    const op = c.ops[1] as KsOp;
    const all = ksSgmatStrided.candidates(op, H200);
    const keys = new Set(all.map(scheduleKey));
    const withKnob = all.filter((s) => s[knob] !== undefined);
    const twinned = withKnob.every((s) => keys.has(scheduleKey(Object.fromEntries(Object.entries(s).filter(([k]) => k !== knob)) as KsSgmatStridedSchedule)));
    return { name, op, all, withKnob, at: withKnob.length > 0 ? all.indexOf(withKnob[0]) : -1, twinned };
  });
}

/**
 * `s` with one β per write-out item: the defaults of 16 δ take two since session 25 (`ob`, ks-sgmat-strided-ob.test.ts),
 * whose twins of other knobs the space offers without it.
 */
export const oneBetaPerItem = ({ ob: _, ...s }: KsSgmatStridedSchedule): KsSgmatStridedSchedule => s;

/**
 * The candidates less the overlapped write-out twins (`ow`, d ≤ 4), which come after every other but the bp and ob forms
 * (ks-sgmat-strided-ow.test.ts), less those (`bp`: the β groups in turn at the epilogue's slots, after them;
 * ks-sgmat-strided-bp.test.ts) and less those (`ob`: two β per write-out item, last; ks-sgmat-strided-ob.test.ts).
 */
export function beforeOverlapped(all: readonly KsSgmatStridedSchedule[]): KsSgmatStridedSchedule[] {
  return all.filter((s) => s.ow === undefined && s.bp === undefined && s.ob === undefined);
}

/**
 * The candidates less the f16-result forms of 16 and 32 row chunks, which come after every other
 * but the `ow` twins (ks-sgmat-strided-acc16.test.ts), and less those: the space the other knobs' tests describe.
 */
export function beforeLongRowsF16(all: readonly KsSgmatStridedSchedule[]): KsSgmatStridedSchedule[] {
  return beforeOverlapped(all).filter((s) => !(s.acc16 === true && s.chunks >= 16));
}

/**
 * The most distinct 4-byte words one of 32 banks serves in a warp's access (1: conflict-free).
 * `words` are the word addresses of the warp's 32 invocations (duplicates are one access).
 */
export function bankConflict(words: readonly number[]): number {
  const perBank = new Map<number, Set<number>>();
  for (const w of words) perBank.set(w % 32, (perBank.get(w % 32) ?? new Set()).add(w));
  return Math.max(...[...perBank.values()].map((s) => s.size));
}

export const warp = Array.from({ length: 32 }, (_, lid) => lid);

/**
 * The kernel without its uniformity filter, for the emulation (which rejects any name it does
 * not rewrite): the filter only concerns the matrix builtins that the emulation replaces.
 */
export function unfiltered(k: EmittedKernel): EmittedKernel {
  expect(k.wgsl).toContain(`${SUBGROUP_MATRIX_UNIFORMITY_OFF} {`);
  return { ...k, wgsl: k.wgsl.replace(`${SUBGROUP_MATRIX_UNIFORMITY_OFF} {`, '{') };
}

/** Relative error of op `index` of `c` (replaced by `op`) with schedule `s`, emulated on SwiftShader, at `batch` rows. */
export function emulatedError(c: OpsCase, s: KsSgmatStridedSchedule, batch: number, index = 1, op: KsOp = c.ops[index] as KsOp): Promise<number> {
  const cs = { ...c, ops: c.ops.map((o, i) => (i === index ? op : o)) };
  return kernelError(cs, index, 1, emulatedEmit((ctx) => unfiltered(ksSgmatStrided.emit(op, s, ctx)), { packWorkgroupF16: true }), batch, 'f32');
}

/** One test per case [name, case, schedule, batch]: the schedule is an emulated candidate of the case's strided factor and matches float64. */
export function itMatchesFloat64(cases: readonly (readonly [string, OpsCase, KsSgmatStridedSchedule, number])[]): void {
  for (const [name, c, s, batch] of cases)
    it(`${name} (batch ${batch})`, async () => {
      expect(ksSgmatStrided.candidates(c.ops[1] as KsOp, EMULATED), name).toContainEqual(s);
      expect(await emulatedError(c, s, batch), JSON.stringify(s)).toBeLessThan(TOL_F16);
    });
}
