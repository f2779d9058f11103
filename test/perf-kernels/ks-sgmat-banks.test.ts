/**
 * ks-sgmat's session-16 knobs, which cut the shared-memory wavefronts the kernel spends per MMA:
 * `sw` (the staging's vec4 registers stored in rotated lane order) and `cf` (the f32 per-tile
 * epilogue through rows of 20 words, read in rotated lane order). The schedule space (last, never
 * a default), the bank count of each access as the emitted index arithmetic places it (a 4-byte
 * word per bank per wavefront), the WGSL, and results through the subgroup-matrix emulation on
 * SwiftShader against the float64 op reference (the emulation runs f16 as f32: it proves the
 * indexing; tolerance 1e-5).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import { ksSgmat, SUBGROUP_MATRIX_FEATURE, type KsSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { bankConflict, warp } from './sgmat-strided-support.js';
import { kernelError, KS_SGMAT_SPACE_OPS, oneOp, TOL } from './support.js';

const H200: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', SUBGROUP_MATRIX_FEATURE, 'subgroups'] };

type Knobs = Partial<Pick<KsSgmatSchedule, 'acc16' | 'stage' | 'sg' | 'sgc' | 'pad' | 'ku' | 'sw' | 'cf'>>;
const sgmat = (rows: number, cols: number, tk: number, knobs: Knobs = {}): KsSgmatSchedule => ({ family: 'ks-sgmat', rows, cols, dtile: 1, tk, ...knobs });
const count = (text: string, what: string) => text.split(what).length - 1;
const without = (s: KsSgmatSchedule, knob: string) => Object.fromEntries(Object.entries(s).filter(([k]) => k !== knob)) as KsSgmatSchedule;

describe('ks-sgmat sw and cf: the schedule space', () => {
  it('offers padded one-subgroup chunks of 16, their and the written-out padded tilings sw twins, then cf twins, last; d = 1 only; no default takes them', () => {
    for (const [name, op] of KS_SGMAT_SPACE_OPS) {
      const all = ksSgmat.candidates(op, H200);
      const isNew = (s: KsSgmatSchedule) => s.sw !== undefined || s.cf !== undefined || (s.pad !== undefined && s.tk === 16 && s.ku === undefined);
      const fresh = all.filter(isNew);
      expect(fresh.length > 0, name).toBe(op.d === 1);
      expect(all.slice(all.length - fresh.length), name).toEqual(fresh);
      const keys = new Set(all.map(scheduleKey));
      expect(keys.size, name).toBe(all.length);
      for (const s of fresh) {
        const tile = (s.rows === 32 || s.rows === 64) && (s.cols === 32 || s.cols === 64);
        expect(tile, JSON.stringify(s)).toBe(true);
        if (s.cf) expect(keys.has(scheduleKey(without(s, 'cf'))) && s.acc16 === undefined && s.epi === undefined, JSON.stringify(s)).toBe(true);
        else if (s.sw) expect(keys.has(scheduleKey(without(s, 'sw'))) && s.pad === 8, JSON.stringify(s)).toBe(true);
      }
      const d = ksSgmat.defaultSchedule(op, H200);
      expect('sw' in d || 'cf' in d, name).toBe(false);
      if (op.d === 1) {
        // Every default has its twins (the plan's controls: the default beside default + knob).
        expect(all, name).toContainEqual({ ...d, cf: true });
        if (d.pad === 8) expect(all, name).toContainEqual({ ...d, sw: true });
        else expect(all, name).toContainEqual({ ...d, pad: 8, sw: true, cf: true });
      }
    }
    // n = 4096's best f16-sum form (s14 H200 0.1265 ms) with padded rows: its sw twin.
    expect(ksSgmat.candidates(KS_SGMAT_SPACE_OPS[0][1], H200)).toContainEqual(sgmat(64, 32, 16, { acc16: true, stage: true, sg: 4, sgc: 2, ku: true, pad: 8, sw: true }));
  });

  it('decodes the flags', () => {
    const s = sgmat(64, 32, 64, { sg: 2, sgc: 4, ku: true, pad: 8, sw: true, cf: true });
    expect(ksSgmat.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });
});

describe('ks-sgmat sw and cf: banks (word addresses of one warp, as the emitted index arithmetic places them)', () => {
  // Staging store at step q of vec4 item e (kv = e mod SK/4 along γ, r = e / (SK/4)): half
  // r·SP + 4·kv + lane, lane q plain, (q + kv) mod 4 with sw.
  const staging = (SK: number, SP: number, sw: boolean) =>
    Math.max(...[0, 1, 2, 3].map((q) => bankConflict(warp.map((e) => Math.floor(((Math.floor(e / (SK / 4)) * SP) + 4 * (e % (SK / 4)) + (sw ? (q + (e % (SK / 4))) % 4 : q)) / 2)))));
  it('sw: padded rows of 16 or 64 γ take 1 wavefront per staging store (2 in the plain order)', () => {
    for (const [SK, SP] of [[16, 24], [64, 72]]) {
      expect(staging(SK, SP, false), `tk ${SK}`).toBe(2);
      expect(staging(SK, SP, true), `tk ${SK}`).toBe(1);
    }
    // Unpadded rows stay 2-way either way: sw goes with pad 8.
    expect(staging(16, 16, true)).toBe(2);
  });

  // Epilogue read at step q of item e (bb = 4·(e mod 4), r = e / 4): word r·CS + bb + lane.
  const epilogue = (CS: number, rotated: boolean) => Math.max(...[0, 1, 2, 3].map((q) => bankConflict(warp.map((e) => Math.floor(e / 4) * CS + 4 * (e % 4) + (rotated ? (q + e) % 4 : q)))));
  // A 16x16 f32 matrix store as NVIDIA's mma accumulators hold it (lane l: rows l/4 and l/4 + 8,
  // columns 2·(l mod 4) + {0, 1} of each 8-column half), one 8-byte store per half and row set.
  const matrixStore = (CS: number) =>
    Math.max(...[0, 8].flatMap((h) => [0, 8].map((o) => bankConflict(warp.flatMap((l) => [0, 1].map((x) => ((l >> 2) + o) * CS + h + 2 * (l & 3) + x)))))) / 2;
  it('cf: the f32 tile in rows of 20 words is stored in 2 wavefronts per 256 bytes and read in 1 (16 words: 4 and 4)', () => {
    expect(epilogue(16, false)).toBe(4);
    expect(epilogue(20, true)).toBe(1);
    expect(matrixStore(16)).toBe(2);
    expect(matrixStore(20)).toBe(1);
  });
});

describe('ks-sgmat sw and cf: the WGSL (n = 4096 first factor K(64, 64, 64, 1))', () => {
  const c = monarchCase(4096, 4096, 64);
  const wgsl = (s: KsSgmatSchedule) => ksSgmat.emit(c.ops[0] as KsOp, s, contextFor(c, 'k', 0, 'f16')).wgsl;

  it('sw: each staged vec4 rotated by two selects, its lanes stored at rotated γ; the same loads, barriers and MMAs', () => {
    const plain = wgsl(sgmat(64, 64, 16, { pad: 8 }));
    const k = wgsl(sgmat(64, 64, 16, { pad: 8, sw: true }));
    expect(k).toContain('let w1 = select(pf0_0, pf0_0.yzwx, ((kv) & 1u) != 0u);');
    expect(k).toContain('{ let qq = (1u + kv) & 3u; k_xs[r * 24u + kv * 4u + qq] = w[1]; }');
    expect(count(k, 'let w1 = select(')).toBe(count(plain, '.w;'));
    for (const what of ['subgroupMatrixLoad<', 'subgroupMatrixMultiplyAccumulate(', 'workgroupBarrier()']) expect(count(k, what), what).toBe(count(plain, what));
  });

  it('cf: tiles stored 20 words a row into 320 words, read lane (q + e) mod 4 at step q and rotated back', () => {
    const plain = wgsl(sgmat(64, 64, 16));
    const k = wgsl(sgmat(64, 64, 16, { cf: true }));
    expect(plain).toContain('var<workgroup> k_cs: array<f32, 256>;');
    expect(k).toContain('var<workgroup> k_cs: array<f32, 320>;');
    expect(k).toContain('subgroupMatrixStore<row_major>(&k_cs, 0u, acc_0_0_0, 20u);');
    expect(k).toContain('let cu = vec4<f32>(k_cs[r * 20u + bb + ((0u + e) & 3u)], k_cs[r * 20u + bb + ((1u + e) & 3u)]');
    expect(k).toContain('let cv = select(cv1, cv1.zwxy, ((e) & 2u) != 0u);');
    expect(count(k, 'workgroupBarrier()')).toBe(count(plain, 'workgroupBarrier()'));
  });
});

describe('ks-sgmat sw and cf, emulated, against the float64 reference', () => {
  const deep = ks(1, 64, 64, 1, 'x', 'y', 'w'); // 2 β tiles of 32 per row, 4 chunks of 16 γ
  const biased = ks(2, 32, 32, 1, 'x', 'y', 'w', { accumulate: true, bias: { tensor: 'b', offset: 0, length: 64 } });
  const cases: [string, OpsCase, KsSgmatSchedule, number][] = [
    // SwiftShader compiles each in 10-60 s on this machine (the emulation's unrolled code), so the cases are few.
    ['one subgroup, tk 16, pad 8, sw + cf (batch 45)', oneOp(deep), sgmat(32, 32, 16, { pad: 8, sw: true, cf: true }), 45],
    ['2 subgroups along β, tk 32, ku, pad 8, sw (batch 37)', oneOp(deep), sgmat(32, 32, 32, { sgc: 2, ku: true, pad: 8, sw: true }), 37],
    // A read in the wrong rotation fails this one (relative error ~1.2).
    ['2 subgroups, cf with a bias, accumulating (batch 33)', oneOp(biased), sgmat(32, 32, 16, { sg: 2, cf: true }), 33],
  ];
  for (const [name, c, s, batch] of cases)
    it(name, async () => {
      const error = await kernelError(c, 0, 1, emulatedEmit((ctx) => ksSgmat.emit(c.ops[0] as KsOp, s, ctx)), batch, 'f32');
      expect(error, JSON.stringify(s)).toBeLessThan(TOL);
    });
});
