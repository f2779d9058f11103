/**
 * The kernel-family registry (families.ts, backward-program.ts) and the defaults table
 * (defaults.ts): every family decodes each of its own candidates back to it, its default is one
 * of its candidates, the table names only families registered for the op, and every untuned
 * default is valid for the op, over random shapes (non-powers of two, rectangular, strided).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ks, monarchCase } from '../../bench/cases.js';
import { backwardDefaultSchedule, BACKWARD_FAMILIES, backwardFamiliesFor, isValidBackwardSchedule } from '../../src/codegen/wgsl/backward-program.js';
import { UNTUNED_FAMILIES } from '../../src/codegen/wgsl/defaults.js';
import { defaultSchedule, familiesFor, FORWARD_FAMILIES, isValidSchedule } from '../../src/codegen/wgsl/families.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import { bsrTiled } from '../../src/codegen/wgsl/fast/bsr-tiled.js';
import { ksDtiled } from '../../src/codegen/wgsl/fast/ks-dtiled.js';
import { ksDvec } from '../../src/codegen/wgsl/fast/ks-dvec.js';
import { ksSgmatStrided } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { ksSgmat, SUBGROUP_MATRIX_FEATURE } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import { ksTiled } from '../../src/codegen/wgsl/fast/ks-tiled.js';
import { bsrDirect } from '../../src/codegen/wgsl/bsr-direct.js';
import { bsrTransposedDirect } from '../../src/codegen/wgsl/bsr-transposed.js';
import { ksDirect } from '../../src/codegen/wgsl/ks-direct.js';
import { ksTransposedDirect, ksTransposedTiled } from '../../src/codegen/wgsl/ks-transposed.js';
import { DEFAULT_LIMITS, type Schedule, type TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { BsrOp, KsOp } from '../../src/ir/ir.js';
import { identity, randomBlocks, rng, span } from '../support/programs.js';

const BIG: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 65536, features: ['shader-f16', 'subgroups', SUBGROUP_MATRIX_FEATURE] };
const LIMITS = [DEFAULT_LIMITS, BIG];

/** At most `count` of `all`, spread evenly (the tiled spaces hold thousands). */
function spread<T>(all: readonly T[], count: number): T[] {
  if (all.length <= count) return [...all];
  return Array.from({ length: count }, (_, i) => all[Math.floor((i * (all.length - 1)) / (count - 1))]);
}

/** What the checks read of a family of ops O (no emit: any schedule type fits). */
interface FamilySpace<O> {
  readonly name: string;
  readonly candidates: (op: O, limits: TargetLimits) => readonly Schedule[];
  readonly defaultSchedule: (op: O, limits: TargetLimits) => Schedule;
  readonly decode: (schedule: Schedule) => Schedule;
}

/** A family's own contract on one op: candidates decode to themselves, the default is a candidate. */
function checkFamily<O>(family: FamilySpace<O>, op: O, limits: TargetLimits): void {
  const all = family.candidates(op, limits);
  for (const s of spread(all, 64)) expect(scheduleKey(family.decode(s)), family.name).toBe(scheduleKey(s));
  if (all.length > 0) expect(all.map(scheduleKey), `${family.name} default`).toContain(scheduleKey(family.defaultSchedule(op, limits)));
}

const size = fc.integer({ min: 1, max: 24 });
const ksShape = fc.record({ a: size, b: size, c: size, d: fc.constantFrom(1, 2, 3, 4, 8, 12) });
const bsrShape = fc.record({ gridRows: fc.integer({ min: 1, max: 6 }), gridCols: fc.integer({ min: 1, max: 6 }), bh: size, bw: size, seed: fc.integer({ min: 1, max: 1000 }) });

function bsrOp(s: { gridRows: number; gridCols: number; bh: number; bw: number; seed: number }, transposed: boolean): BsrOp {
  const blocks = randomBlocks(s.gridRows, s.gridCols, 0.5, rng(s.seed));
  const rows = s.gridRows * s.bh;
  const cols = s.gridCols * s.bw;
  return {
    kind: 'bsr', rows, cols, bh: s.bh, bw: s.bw, blocks,
    weight: { tensor: 'w', offset: 0, length: blocks.length * s.bh * s.bw },
    input: identity(cols), output: identity(rows), src: 'x', dst: 'y', accumulate: false, span,
    ...(transposed ? { transposed: true as const } : {}),
  };
}

describe('kernel-family registry', () => {
  test.prop([ksShape], { numRuns: 25 })('ks families: candidates decode to themselves, defaults are candidates', ({ a, b, c, d }) => {
    const op: KsOp = ks(a, b, c, d, 'x', 'y', 'w');
    const transposed: KsOp = { ...op, transposed: true };
    for (const limits of LIMITS) {
      for (const f of [ksDirect, ksTiled, ksDvec, ksDtiled, ksSgmat, ksSgmatStrided]) checkFamily(f, op, limits);
      for (const f of [ksTransposedDirect, ksTransposedTiled]) checkFamily(f, transposed, limits);
    }
  });

  it('ks families: every candidate of the measured Monarch factors decodes to itself on the tensor-core limits', () => {
    // The random shapes above stay below 25, where no knob of the long chunks exists (REV30-1: a knob offered only with
    // chunks of 32 or more lost its decode line unseen, and the plain kernel was emitted under its name).
    for (const [n, m, nblocks] of [[4096, 1024, 4], [1024, 4096, 4], [4096, 4096, 64], [16384, 16384, 128]] as const)
      for (const op of monarchCase(n, m, nblocks).ops as KsOp[])
        for (const f of [ksTiled, ksDvec, ksDtiled, ksSgmat, ksSgmatStrided])
          for (const s of f.candidates(op, BIG)) expect(scheduleKey(f.decode(s)), `${f.name} ${n} -> ${m}`).toBe(scheduleKey(s));
  });

  test.prop([bsrShape], { numRuns: 25 })('bsr families: candidates decode to themselves, defaults are candidates', (s) => {
    for (const limits of LIMITS) {
      for (const f of [bsrDirect, bsrTiled]) checkFamily(f, bsrOp(s, false), limits);
      checkFamily(bsrTransposedDirect, bsrOp(s, true), limits);
    }
  });

  it('lists the families of each op kind under unique names, the tests above covering each', () => {
    const tested = ['ks-direct', 'ks-tiled', 'ks-dvec', 'ks-dtiled', 'ks-sgmat', 'ks-sgmat-strided', 'bsr-direct', 'bsr-tiled', 'bias'];
    for (const list of Object.values(FORWARD_FAMILIES)) expect(new Set(list.map((f) => f.name)).size).toBe(list.length);
    expect(Object.values(FORWARD_FAMILIES).flatMap((list) => list.map((f) => f.name)).sort()).toEqual([...tested].sort());
    expect(BACKWARD_FAMILIES.transposedKs.map((f) => f.name)).toEqual(['ks-t-direct', 'ks-t-tiled']);
  });

  it('the defaults table names only families registered for the op kind', () => {
    const registered: Record<keyof typeof UNTUNED_FAMILIES, readonly { readonly name: string }[]> = { ...FORWARD_FAMILIES, ...BACKWARD_FAMILIES };
    for (const [kind, rules] of Object.entries(UNTUNED_FAMILIES)) {
      const names = registered[kind as keyof typeof UNTUNED_FAMILIES].map((f) => f.name);
      for (const rule of rules) for (const family of rule.families) expect(names, `${kind}: ${family}`).toContain(family);
    }
  });

  test.prop([ksShape, bsrShape], { numRuns: 25 })('every untuned default is valid for its op (forward and backward)', ({ a, b, c, d }, s) => {
    for (const limits of LIMITS) {
      for (const op of [ks(a, b, c, d, 'x', 'y', 'w'), bsrOp(s, false)]) {
        expect(isValidSchedule(op, defaultSchedule(op, limits), limits)).toBe(true);
        expect(familiesFor(op).map((f) => f.name)).toContain(defaultSchedule(op, limits).family);
      }
      for (const op of [{ ...ks(a, b, c, d, 'x', 'y', 'w'), transposed: true as const }, bsrOp(s, true)]) {
        expect(isValidBackwardSchedule(op, backwardDefaultSchedule(op, limits), limits)).toBe(true);
        expect(backwardFamiliesFor(op).map((f) => f.name)).toContain(backwardDefaultSchedule(op, limits).family);
      }
    }
  });
});
