/**
 * ks-sgmat-strided's `acc16` knob: f16 result matrices (the f16 x f16 -> f16 configuration) for
 * strided factors (d > 1), with the epilogue's slots in f16 (half the bytes, so twice the tiles
 * per round: `et` up to all of a subgroup's tiles in one round) and no conversion before the
 * store when neither a bias nor the old destination is added. Offered after every other
 * candidate, never a default (no GPU has timed it).
 *
 * Results through the subgroup-matrix emulation on SwiftShader against float64 (f32 storage, as
 * the emulation requires; the f16 workgroup arrays stay f16, so the f16 slots round as on the
 * GPU). The emulation multiplies in f32 whatever the result type, so it proves the indexing, not
 * f16 accumulation: ks-sgmat-acc16-precision.test.ts estimates that on the CPU at depths 64 to
 * 1024, which span the strided factors' (c = 64 at n = 4096, 128 at n = 16384, 256 for the
 * rectangular 4-block ones), and the tuner checks every candidate against float64 on the device.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksSgmatStrided, stridedF16SumTwins, stridedSgmatLayout, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { acc16, bankConflict, beforeLongRowsF16, beforeOverlapped, EMULATED, emulatedError, GOAL_SHAPES, H200, N4096, schedule, unfiltered, workgroupBytes } from './sgmat-strided-support.js';
import { kernelError, sample, TOL_F16 } from './support.js';

const n4096 = N4096;
const shapes = GOAL_SHAPES;

describe('ks-sgmat-strided acc16: the schedule space', () => {
  it('offers acc16 for strided factors only, after every f32-result candidate (whose order is unchanged)', () => {
    for (const [name, c] of shapes) {
      const [first, strided] = c.ops as KsOp[];
      expect(ksSgmatStrided.candidates(first, H200).some((s) => 'acc16' in s), name).toBe(false);
      // pd and db twins come last (ks-sgmat-strided-prefetch.test.ts), after ds with f32 results, and the sw twins (-ds, -swizzle.test.ts)
      const all = ksSgmatStrided.candidates(strided, H200).filter((s) => s.pd === undefined && s.db === undefined && s.sw === undefined && !(s.ds !== undefined && s.acc16 === undefined));
      const at = all.findIndex((s) => s.acc16 === true);
      expect(at, name).toBeGreaterThan(0);
      expect(all.slice(at).every((s) => s.acc16 === true), name).toBe(true);
      expect(all.slice(0, at).some((s) => 'acc16' in s), name).toBe(false);
      const keys = new Set(all.map(scheduleKey));
      expect(keys.size, name).toBe(all.length);
    }
  });

  it('pairs each acc16 schedule with its fewest-rounds twin: all tiles of a subgroup in one round where the slots fit', () => {
    const all = ksSgmatStrided.candidates(n4096.ops[1] as KsOp, H200).filter((s) => s.acc16);
    const keys = new Set(all.map(scheduleKey));
    for (const s of all.filter((x) => x.et !== undefined)) {
      const { et, ...one } = s;
      expect(keys.has(scheduleKey(one)), JSON.stringify(s)).toBe(true);
      expect((s.mr * (s.sb / 16)) % Number(et), JSON.stringify(s)).toBe(0);
    }
    // The default's shape with f16 results: its 4 tiles leave in 2 rounds of 2 (f32 slots: 4 rounds
    // of one, 2 would not fit in 48 KiB beside the staged source).
    const shape = { dtile: 8, cols: 64, sb: 32, mr: 2, chunks: 4, tk: 32, wres: true };
    expect(all).toContainEqual(acc16(shape, 2));
    expect(all).not.toContainEqual(acc16(shape, 4));
    expect(ksSgmatStrided.candidates(n4096.ops[1] as KsOp, H200)).not.toContainEqual({ ...schedule(shape), et: 2 });
    // Half the accumulator registers: 64-row warp tiles beside resident W (16 f16 result tiles).
    expect(all.some((s) => s.wres && s.mr === 4 && s.sb === 64)).toBe(true);
  });

  it('keeps acc16 out of the defaults and decodes it from a stored schedule', () => {
    for (const [, c] of shapes) for (const op of c.ops as KsOp[]) expect('acc16' in ksSgmatStrided.defaultSchedule(op, H200)).toBe(false);
    const s = acc16({ dtile: 8, cols: 64, sb: 32, mr: 2, chunks: 4, tk: 32, wres: true }, 4);
    expect(ksSgmatStrided.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
    expect('acc16' in ksSgmatStrided.decode(schedule({ dtile: 8, cols: 64, sb: 32, mr: 2, chunks: 4, tk: 32, wres: true }))).toBe(false);
  });

  it('offers f16 results at 16 row chunks (sw) and, with 16-row warp tiles, 32 last (but the ow twins), as twins of the 8-chunk acc16 forms', () => {
    for (const [name, c] of shapes) {
      const op = c.ops[1] as KsOp;
      const all = beforeOverlapped(ksSgmatStrided.candidates(op, H200));
      const rest = beforeLongRowsF16(all);
      expect(all.slice(0, rest.length), name).toEqual(rest);
      const long = all.slice(rest.length);
      expect(long.length, name).toBeGreaterThan(0);
      const keys = new Set(all.map(scheduleKey));
      for (const s of long) {
        const { et, sw: _, ...one } = s;
        expect(s.sw === true && s.pd === undefined && s.rg === undefined && keys.has(scheduleKey({ ...one, chunks: 8 })) && (s.chunks === 16 || s.mr === 1), `${name} ${JSON.stringify(s)}`).toBe(true);
        if (et !== undefined) expect(keys.has(scheduleKey({ ...one, sw: true })), JSON.stringify(s)).toBe(true);
      }
    }
  });

  it("names the tuner's f16-sum seeds: the default with acc16, with 64 β per workgroup where it has fewer (n = 16384), and its 32-row-chunk twin where it has one row tile per subgroup (n = 4096), each with its one-round twin at 16 δ where one fits (n = 4096); at d = 4 the 64-row overlapped form (tuner/seeds.test.ts)", () => {
    const twins = shapes.map(([name, c]) => [name, ...(c.ops as KsOp[]).map((op) => stridedF16SumTwins(op, H200))] as const);
    for (const [name, first, strided] of twins) {
      expect(first, name).toEqual([]); // d = 1: f16 results are ks-sgmat's (its own f16SumTwin)
      if (name === 'n=4096' || name === 'n=16384') {
        const op = shapes.find(([n]) => n === name)![1].ops[1] as KsOp;
        // The measured bests (H100, session 20 call 2): n = 4096 the read-once default (every β, one row tile per
        // subgroup) with f16 sums at 32 row chunks, 0.1958 ms at B = 16384 (the default's 16 chunks are the batch-robust
        // seed: 32 leave too few workgroups at B = 4096); n = 16384 the default's 16 row chunks of 32-row tiles over
        // 64 β as two 32-β subgroups per δ, 0.3504 (the default with acc16 alone 0.3777). Each with two β per write-out
        // item since session 25, as the defaults (ks-sgmat-strided-ob.test.ts), and at n = 4096 each with its one-round
        // twin (et 2: H100, session 25 call 1, 0.1741 ms at 32 row chunks, 0.1845 at 16); at n = 16384 no et fits.
        const readOnce = { ...schedule({ dtile: 16, cols: 64, sb: 32, mr: 1, chunks: 16, tk: 16, wres: true }), sw: true, ob: 2, acc16: true };
        const measured = name === 'n=4096'
          ? [readOnce, { ...readOnce, et: 2 }, { ...readOnce, chunks: 32 }, { ...readOnce, chunks: 32, et: 2 }]
          : [{ ...schedule({ dtile: 16, cols: 64, sb: 32, mr: 2, chunks: 16, tk: 16, wres: true }), sw: true, ob: 2, acc16: true }];
        expect(strided, name).toEqual(measured);
        for (const s of strided) expect(ksSgmatStrided.candidates(op, H200)).toContainEqual(s);
      } else expect(strided.map((s) => [s.mr, s.acc16, s.et, s.ow, s.pd]), name).toEqual([[4, true, 2, true, undefined], [4, true, 2, true, undefined]]); // d = 4: 8 and 32 row chunks
    }
    const noF16Results = { ...H200, features: H200.features.filter((f) => f !== 'chromium-experimental-subgroup-matrix') };
    expect(stridedF16SumTwins(n4096.ops[1] as KsOp, noF16Results)).toEqual([]);
  });

  it('declares at most the limit of workgroup memory (a spread of the acc16 candidates, each factor)', () => {
    for (const [name, c] of shapes) {
      const op = c.ops[1] as KsOp;
      for (const s of sample(ksSgmatStrided.candidates(op, H200).filter((x) => x.acc16), 25)) {
        const k = ksSgmatStrided.emit(op, s, contextFor(c, 'k', 1, 'f16'));
        expect(workgroupBytes(k.wgsl), `${name} ${JSON.stringify(s)}`).toBeLessThanOrEqual(H200.maxWorkgroupStorageBytes);
      }
    }
  });
});

describe('ks-sgmat-strided acc16 WGSL (n = 4096, the default shape, 4 tiles in 2 rounds)', () => {
  const op = n4096.ops[1] as KsOp;
  const s = acc16({ dtile: 8, cols: 64, sb: 32, mr: 2, chunks: 4, tk: 32, wres: true }, 2);
  const k = ksSgmatStrided.emit(op, s, contextFor(n4096, 'k', 1, 'f16')).wgsl;

  it('accumulates in f16 result matrices and stores them to f16 slots, 3 barriers in the epilogue (f32: 7)', () => {
    expect(k).toContain('var acc_1_1 = subgroup_matrix_result<f16, 16, 16>();');
    expect(k).not.toContain('subgroup_matrix_result<f32');
    // 16 subgroups × 2 tiles × 272 halves.
    expect(k).toContain('var<workgroup> k_os: array<f16, 8704>;');
    expect(k).toContain('subgroupMatrixStore<row_major>(&k_os, 4352u + sg * 272u, acc_1_1, 16u);');
    const epilogue = k.slice(k.indexOf('subgroupMatrixStore'));
    expect(epilogue.match(/workgroupBarrier\(\);/g)).toHaveLength(3);
  });

  it('writes f16 slots to the destination unconverted', () => {
    expect(k).toContain('var v = vec4<f16>();');
    expect(k).toContain('v[qq] = k_os[(g * 8u + dv * 4u + qq) * 272u + r * 16u + bb];');
    expect(k).toContain('k_dst[at] = v;');
    expect(k).not.toContain('vec4<f32>');
  });

  it('adds a bias and the old destination in f32', () => {
    const biased: KsOp = { ...op, accumulate: true, bias: { tensor: 'blkdiag2', offset: 0, length: 4096 } };
    const text = ksSgmatStrided.emit(biased, s, contextFor({ ...n4096, ops: [n4096.ops[0], biased] }, 'k', 1, 'f16')).wgsl;
    expect(text).toContain('var v = vec4<f32>();');
    expect(text).toContain('v[qq] = f32(k_os[(g * 8u + dv * 4u + qq) * 272u + r * 16u + bb]);');
    expect(text).toContain('v += vec4<f32>(k_dst[at]);');
    expect(text).toContain('k_dst[at] = vec4<f16>(v);');
  });
});

describe('ks-sgmat-strided acc16 epilogue banks (a warp reading f16 slots, two halves a word)', () => {
  // The read of rotated step q by invocation e of a warp (e < 32): run dv fastest, then β in the
  // tile, then the β group (ks-sgmat-strided.ts, `place`), all for one row of the round's tile.
  const words = (td: number, groups: number, slot: number, q: number) =>
    Array.from({ length: 32 }, (_, e) => {
      const runs = td / 4;
      const dv = e % runs;
      const bb = Math.floor(e / runs) % 16;
      const g = Math.floor(e / (runs * 16)) % groups;
      const r = Math.floor(e / (runs * 16 * groups));
      return Math.floor(((g * td + dv * 4 + ((q + dv) & 3)) * slot + r * 16 + bb) / 2);
    });
  for (const [td, groups, most] of [[4, 2, 1], [4, 1, 1], [8, 2, 1], [16, 1, 1], [32, 1, 2]] as const)
    it(`${td} δ, ${groups} β group(s): at most ${most} word(s) per bank`, () => {
      const op = monarchCase(4096, 4096, 64).ops[1] as KsOp;
      const s = acc16({ dtile: td, cols: 16 * groups, sb: 16, mr: 1, chunks: 1, tk: 16, wres: true });
      const { slot } = stridedSgmatLayout(op, s);
      expect(slot % 8).toBe(0); // 16-byte aligned matrix stores
      for (let q = 0; q < 4; q++) expect(bankConflict(words(td, groups, slot, q)), `q ${q}, slot ${slot}`).toBeLessThanOrEqual(most);
    });
});

describe('ks-sgmat-strided acc16 results, emulated, against the float64 reference', () => {
  // One kernel per code path (emulated kernels take seconds each to compile on SwiftShader).
  const wide = monarchCase(256, 256, 8); // K(1, 32, 32, 8)
  const rect = monarchCase(64, 256, 4); // K(1, 64, 16, 4): the rectangular 1 -> 4 shape (b != c)
  const pairs = monarchCase(32, 32, 2); // K(1, 16, 16, 2): d = 2, scalar staging and stores
  const cases: [string, OpsCase, KsSgmatStridedSchedule, number][] = [
    ['d = 8, all 8 δ (272-half slots), 2 β tiles in one round, 2 γ chunks, 4 row chunks (the batch ends in the third)', wide, acc16({ dtile: 8, cols: 32, sb: 32, mr: 1, chunks: 4, tk: 16, wres: true }, 2), 38],
    ['rectangular 64 -> 256, 4 δ (264-half slots), 2 β groups, W resident, 2 tiles per round', rect, acc16({ dtile: 4, cols: 64, sb: 32, mr: 1, chunks: 2, tk: 16, wres: true }, 2), 21],
    ['rectangular 64 -> 256, 64-row warp tiles beside resident W, one tile per round', rect, acc16({ dtile: 4, cols: 16, sb: 16, mr: 4, chunks: 1, tk: 16, wres: true }), 83],
    ['d = 2, scalar source and destination', pairs, acc16({ dtile: 2, cols: 16, sb: 16, mr: 2, chunks: 2, tk: 16, wres: true }, 2), 19],
    ['rectangular 64 -> 256, W staged, 2 row groups sharing it, 2 tiles per round', rect, acc16({ dtile: 4, cols: 16, sb: 16, mr: 2, rg: 2, chunks: 2, tk: 16, wres: false, wstage: true }, 2), 75],
  ];
  for (const [name, c, s, batch] of cases)
    it(`${name} (batch ${batch})`, async () => {
      expect(ksSgmatStrided.candidates(c.ops[1] as KsOp, EMULATED), name).toContainEqual(s);
      expect(await emulatedError(c, s, batch), JSON.stringify(s)).toBeLessThan(TOL_F16);
    });

  it('adds the bias and accumulates, through vec4 stores and through a permuted output map (scalar stores)', async () => {
    const op = rect.ops[1] as KsOp;
    const s = acc16({ dtile: 4, cols: 16, sb: 16, mr: 1, chunks: 2, tk: 16, wres: true });
    const biased: KsOp = { ...op, accumulate: true, bias: { tensor: 'blkdiag2', offset: 0, length: 256 } };
    expect(ksSgmatStrided.candidates(biased, EMULATED)).toContainEqual(s);
    expect(await emulatedError(rect, s, 23, 1, biased)).toBeLessThan(TOL_F16);
    const permuted: KsOp = { ...biased, output: { size: 256, steps: [{ shape: [64, 4], perm: [1, 0] }] } };
    expect(await emulatedError(rect, s, 21, 1, permuted)).toBeLessThan(TOL_F16);
  });

  it('fails a kernel whose second round-mate tile overwrites the first (the check can fail)', async () => {
    const s = acc16({ dtile: 4, cols: 32, sb: 32, mr: 1, chunks: 1, tk: 16, wres: true }, 2);
    const op = wide.ops[1] as KsOp;
    const broken = emulatedEmit((ctx) => {
      const k = unfiltered(ksSgmatStrided.emit(op, s, ctx));
      const store = /subgroupMatrixStore<row_major>\(&k_os, \d+u \+ sg \* (\d+)u, acc_0_1, 16u\);/;
      expect(k.wgsl).toMatch(store);
      return { ...k, wgsl: k.wgsl.replace(store, 'subgroupMatrixStore<row_major>(&k_os, sg * $1u, acc_0_1, 16u);') };
    }, { packWorkgroupF16: true });
    expect(await kernelError(wide, 1, 1, broken, 3, 'f32')).toBeGreaterThan(0.1);
  });
});
