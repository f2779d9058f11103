/**
 * ks-sgmat's session-10 knobs: `acc16` (f16 result matrices, stored straight to the output where
 * the tile is a row-major block of it, else staged in f16), `epi` (f32 results, every tile
 * staged in one round), `gload` (operands loaded from the buffers) and `pad` (padded staging).
 * The schedule space (after every other candidate, never a default), the WGSL each path
 * produces, and results through the subgroup-matrix emulation on SwiftShader against the float64
 * op reference: the direct path, the staged fallback of a batch's last partial row tile,
 * accumulate and bias ops, a permuted output, a strided factor (d > 1), rectangular blocks
 * (b != c); n = 4096's block shape: ks-sgmat-acc16-shape.test.ts.
 * Tolerance: relative Frobenius error 1e-5 (f32) where the emulated kernel computes in f32
 * throughout (the emulation runs f16 matrices, f16 result ones included, as f32: it proves the
 * indexing, not f16 accuracy; ks-sgmat-acc16-precision.test.ts estimates that).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksSgmat, SUBGROUP_MATRIX_FEATURE, type KsSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { kernelError, KS_SGMAT_SPACE_OPS, oneOp, TOL } from './support.js';

const H200: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', SUBGROUP_MATRIX_FEATURE, 'subgroups'] };

const sgmat = (rows: number, cols: number, dtile: number, tk: number, knobs: { acc16?: true; epi?: true; gload?: true; pad?: number; stage?: true } = {}): KsSgmatSchedule => ({ family: 'ks-sgmat', rows, cols, dtile, tk, ...knobs });

/** Relative error of `op` (op 0 of a one-op case around it, or op `index` of `c`) by ks-sgmat, emulated. */
function error(c: OpsCase, index: number, s: KsSgmatSchedule, batch: number): Promise<number> {
  return kernelError(c, index, 1, emulatedEmit((ctx) => ksSgmat.emit(c.ops[index] as KsOp, s, ctx)), batch, 'f32');
}


const count = (text: string, what: string) => text.split(what).length - 1;

describe('ks-sgmat acc16 and epi: the schedule space', () => {
  const ops = KS_SGMAT_SPACE_OPS;

  it('adds each stored tiling with epi, then acc16 tilings (up to 128 rows or β, 32 tiles), after every other candidate', () => {
    for (const [name, op] of ops) {
      // Session 11's sg, sgc, db and band schedules come after all of these (ks-sgmat-shared.test.ts), then session 12's 8-subgroup ones (ks-sgmat-eight.test.ts), then session 13's ku ones (ks-sgmat-written.test.ts).
      const all = ksSgmat.candidates(op, H200).filter((s) => s.sg === undefined && s.sgc === undefined && s.db === undefined && s.band === undefined && s.ku === undefined);
      const plain = all.filter((s) => s.acc16 === undefined && s.epi === undefined && s.pad === undefined);
      const firstNew = all.findIndex((s) => s.acc16 !== undefined || s.epi !== undefined || s.pad !== undefined);
      expect(firstNew, name).toBe(plain.length);
      const keys = new Set(plain.map(scheduleKey));
      const epi = all.filter((s) => s.epi === true && s.gload === undefined && s.pad === undefined);
      expect(epi.length, name).toBeGreaterThan(0);
      for (const s of epi) {
        const { epi: _, ...without } = s;
        expect(keys.has(scheduleKey(without)), JSON.stringify(s)).toBe(true);
      }
      const acc16 = all.filter((s) => s.acc16 === true && s.gload === undefined && s.pad === undefined && s.stage === undefined);
      expect(acc16.some((s) => (s.rows === 128 || s.cols === 128) && (s.rows / 16) * (s.cols / 16) * s.dtile > 16), name).toBe(true);
      expect(acc16.some((s) => s.cols === 128), name).toBe(op.b % 128 === 0);
      for (const s of acc16) expect((s.rows / 16) * (s.cols / 16) * s.dtile, JSON.stringify(s)).toBeLessThanOrEqual(32);
      expect(all.every((s) => !(s.acc16 && s.epi)), name).toBe(true);
      // gload: every epi and acc16 tiling again, last, where d = 1.
      const gload = all.filter((s) => s.gload === true);
      expect(gload.map(({ gload: _, ...rest }) => rest), name).toEqual(op.d === 1 ? [...epi, ...acc16] : []);
      // pad 8: the plain, epi and acc16 tilings of tk 32 or 64 again (those that still fit: all where d = 1), last of all.
      const padded = all.filter((s) => s.pad !== undefined);
      const twins = [...plain, ...epi, ...acc16].filter((s) => s.tk >= 32);
      const unpadded = padded.map(({ pad: _, ...rest }) => rest);
      if (op.d === 1) expect(unpadded, name).toEqual(twins);
      else expect(twins, name).toEqual(expect.arrayContaining(unpadded));
      expect(padded.length, name).toBeGreaterThan(0);
      expect(padded.every((s) => s.pad === 8), name).toBe(true);
      // stage: every acc16 tiling again, last of all.
      const staged = all.filter((s) => s.stage !== undefined);
      expect(staged.map(({ stage: _, ...rest }) => rest), name).toEqual(acc16);
      expect(all.slice(all.length - staged.length - padded.length - gload.length), name).toEqual([...gload, ...padded, ...staged]);
    }
  });

  it('keeps the defaults (no GPU has timed the new knobs)', () => {
    for (const [name, op] of ops) {
      const d = ksSgmat.defaultSchedule(op, H200);
      expect('acc16' in d || 'epi' in d || 'gload' in d, name).toBe(false);
    }
    // n = 4096's first factor (b = 64): 8 subgroups of 64 x 32, ku, pad 8 since session 16 (ks-sgmat-shared.test.ts).
    expect(ksSgmat.defaultSchedule(ops[0][1], H200)).toEqual({ ...sgmat(64, 32, 1, 16, { pad: 8 }), sg: 4, sgc: 2, ku: true });
  });

  it('decodes the flags from a stored schedule, and none where none was stored', () => {
    expect(ksSgmat.decode(sgmat(64, 64, 1, 16, { acc16: true }))).toEqual(sgmat(64, 64, 1, 16, { acc16: true }));
    expect(ksSgmat.decode(sgmat(64, 64, 1, 16, { epi: true }))).toEqual(sgmat(64, 64, 1, 16, { epi: true }));
    expect(ksSgmat.decode(sgmat(64, 64, 1, 16, { acc16: true, gload: true }))).toEqual(sgmat(64, 64, 1, 16, { acc16: true, gload: true }));
    expect(ksSgmat.decode(sgmat(64, 64, 1, 32, { epi: true, pad: 8 }))).toEqual(sgmat(64, 64, 1, 32, { epi: true, pad: 8 }));
    expect(Object.keys(ksSgmat.decode(sgmat(64, 64, 1, 16)))).toEqual(['family', 'rows', 'cols', 'dtile', 'tk']);
  });

  it('offers none without subgroup matrices', () => {
    expect(ksSgmat.candidates(ops[0][1], { ...H200, features: ['shader-f16'] })).toEqual([]);
  });
});

describe('ks-sgmat acc16 and epi: the WGSL (n = 4096 first factor K(64, 64, 64, 1))', () => {
  const c = monarchCase(4096, 4096, 64);
  const op = c.ops[0] as KsOp;
  const emit = (s: KsSgmatSchedule) => ksSgmat.emit(op, s, contextFor(c, 'k', 0, 'f16')).wgsl;

  it('epi: f32 results, every tile staged at once: one barrier after the loop instead of 32', () => {
    const base = emit(sgmat(64, 64, 1, 16));
    const epi = emit(sgmat(64, 64, 1, 16, { epi: true }));
    expect(count(base, 'workgroupBarrier();')).toBe(2 + 32);
    expect(count(epi, 'workgroupBarrier();')).toBe(2 + 1);
    expect(epi).toContain('var<workgroup> k_cs: array<f32, 4096>;');
    expect(epi).toContain('subgroupMatrixStore<row_major>(&k_cs, 3120u, acc_0_3_3, 64u);');
    // Whole rows: 16 vec4 per 64-β row, 8 rows per pass of 32 invocations.
    expect(epi).toContain('var<storage, read_write> k_dst: array<vec4<f16>>;');
  });

  it('acc16: f16 results stored straight to the output inside the batch, staged a tile at a time in f16 at its end', () => {
    const k = emit(sgmat(128, 64, 1, 16, { acc16: true }));
    expect(k).toContain('var acc_0_7_3 = subgroup_matrix_result<f16, 16, 16>();');
    expect(k).not.toContain('subgroup_matrix_result<f32');
    expect(k).toContain('var<storage, read_write> k_dst: array<f16>;');
    expect(k).toContain('if (row0 + 128u <= batch) {');
    expect(k).toContain('subgroupMatrixStore<row_major>(&k_dst, (row0 + 112u) * 4096u + alpha * 64u + beta0 + 48u, acc_0_7_3, 4096u);');
    expect(count(k, 'subgroupMatrixStore<row_major>(&k_dst')).toBe(32);
    // The last row tile's epilogue: one 16x16 f16 tile of workgroup memory, two barriers per tile.
    expect(k).toContain('var<workgroup> k_cs: array<f16, 256>;');
    expect(count(k, 'workgroupBarrier();')).toBe(2 + 2 * 32);
    expect(k).not.toContain('subgroupMatrixLoad<subgroup_matrix_result');
  });

  it('gload: whole row tiles multiply x and W blocks loaded from the buffers, no barrier before the stores', () => {
    const k = emit(sgmat(64, 64, 1, 32, { acc16: true, gload: true }));
    expect(k).toContain('var<storage, read> k_src: array<f16>;');
    expect(k).toContain('var<storage, read> k_params: array<f16>;');
    // The staged path (the last row tile) in chunks of 16 γ whatever tk is.
    expect(k).toContain('var<workgroup> k_xs: array<f16, 1024>;');
    const inside = k.slice(k.indexOf('if (row0 + 64u <= batch) {'), k.indexOf('} else {'));
    // tk 32: two unrolled 16-γ steps, each naming its own operands (the GPU refused reused names).
    expect(inside).toContain('let l1_3 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&k_src, (row0 + 48u) * 4096u + alpha * 64u + k0 + 16u, 4096u);');
    const names = [...inside.matchAll(/let (\w+) = /g)].map((m) => m[1]);
    expect(new Set(names).size).toBe(names.length);
    expect(inside).toContain('let r0_2 = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, col_major>(&k_params, (alpha * 64u + beta0 + 32u) * 64u + k0, 64u);');
    expect(count(inside, 'subgroupMatrixMultiplyAccumulate')).toBe(32);
    expect(count(inside, 'subgroupMatrixStore<row_major>(&k_dst')).toBe(16);
    expect(inside).not.toContain('workgroupBarrier');
    expect(() => ksSgmat.emit(c.ops[1] as KsOp, sgmat(16, 16, 1, 16, { acc16: true, gload: true }), contextFor(c, 'k', 1, 'f16'))).toThrow(/gload/);
    expect(() => ksSgmat.emit(op, sgmat(64, 64, 1, 16, { gload: true }), contextFor(c, 'k', 0, 'f16'))).toThrow(/gload/);
  });

  it('pad 8: staged rows 40 halves apart at tk 32 (distinct banks for the loads)', () => {
    const k = emit(sgmat(64, 64, 1, 32, { acc16: true, pad: 8 }));
    expect(k).toContain('var<workgroup> k_xs: array<f16, 2560>;');
    expect(k).toContain('let l0_1 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&k_xs, 640u + kk, 40u);');
    expect(k).toContain('let r0_3 = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, col_major>(&k_ws, 1920u + kk, 40u);');
  });

  it('acc16 + stage: f16 sums through the per-tile epilogue of f32 results (16x16 f16 cs, vec4 writes)', () => {
    const k = emit(sgmat(64, 64, 1, 16, { acc16: true, stage: true }));
    expect(k).toContain('var acc_0_3_3 = subgroup_matrix_result<f16, 16, 16>();');
    expect(k).toContain('var<workgroup> k_cs: array<f16, 256>;');
    expect(k).toContain('var<storage, read_write> k_dst: array<vec4<f16>>;');
    expect(k).not.toContain('(&k_dst');
    expect(count(k, 'workgroupBarrier();')).toBe(2 + 32);
  });

  it('acc16 with an accumulate op starts the direct tiles from the old output', () => {
    const k = ksSgmat.emit({ ...op, accumulate: true }, sgmat(64, 64, 1, 16, { acc16: true }), contextFor(c, 'k', 0, 'f16')).wgsl;
    expect(k).toContain('acc_0_1_2 = subgroupMatrixLoad<subgroup_matrix_result<f16, 16, 16>, row_major>(&k_dst, (row0 + 16u) * 4096u + alpha * 64u + beta0 + 32u, 4096u);');
  });
});

describe('ks-sgmat acc16 and epi, emulated, against the float64 reference', () => {
  const square = monarchCase(256, 256, 16); // K(16, 16, 16, 1) then K(1, 16, 16, 16)
  const rect = monarchCase(256, 128, 8); // K(8, 16, 32, 1): b = 16 != c = 32, two γ chunks of 16
  const wide = ks(2, 32, 16, 1, 'x', 'y', 'w'); // 2 β tiles per row
  const cases: [string, OpsCase, number, KsSgmatSchedule, number][] = [
    ['acc16 direct, every row tile whole (batch 64)', square, 0, sgmat(32, 16, 1, 16, { acc16: true }), 64],
    ['acc16, the last row tile partial: staged (batch 33)', square, 0, sgmat(32, 16, 1, 16, { acc16: true }), 33],
    ['acc16, batch 1 (staged only)', rect, 0, sgmat(16, 16, 1, 16, { acc16: true }), 1],
    ['acc16, rectangular b != c (batch 40)', rect, 0, sgmat(32, 16, 1, 16, { acc16: true }), 40],
    ['epi, rectangular b != c (batch 40)', rect, 0, sgmat(32, 16, 1, 16, { epi: true }), 40],
    ['gload, rectangular b != c, two γ tiles per step, every row tile whole (batch 64)', rect, 0, sgmat(32, 16, 1, 32, { acc16: true, gload: true }), 64],
    ['gload, the last row tile partial: staged (batch 45)', square, 0, sgmat(32, 16, 1, 16, { acc16: true, gload: true }), 45],
    ['acc16 + pad 8, rectangular, tk 32 (batch 40)', rect, 0, sgmat(32, 16, 1, 32, { acc16: true, pad: 8 }), 40],
    ['epi + pad 8, rectangular, tk 32 (batch 40)', rect, 0, sgmat(32, 16, 1, 32, { epi: true, pad: 8 }), 40],
    ['pad 8 alone (f32, per-tile epilogue), rectangular, tk 32 (batch 40)', rect, 0, sgmat(32, 16, 1, 32, { pad: 8 }), 40],
    ['acc16 + stage, rectangular (batch 40)', rect, 0, sgmat(32, 16, 1, 16, { acc16: true, stage: true }), 40],
    ['acc16, strided factor d = 16, 4 δ (staged along δ) (batch 19)', square, 1, sgmat(16, 16, 4, 16, { acc16: true }), 19],
  ];
  for (const [name, c, index, s, batch] of cases)
    it(name, async () => {
      expect(await error(c, index, s, batch), JSON.stringify(s)).toBeLessThan(TOL);
    });

  it('acc16, epi and gload on two β tiles per row, accumulating (direct tiles start from the old output) (batches 32, 21)', async () => {
    const c = oneOp({ ...wide, accumulate: true });
    for (const s of [sgmat(16, 32, 1, 16, { acc16: true }), sgmat(16, 32, 1, 16, { epi: true }), sgmat(16, 32, 1, 16, { acc16: true, gload: true })])
      for (const batch of [32, 21]) expect(await error(c, 0, s, batch), `${JSON.stringify(s)} batch ${batch}`).toBeLessThan(TOL);
  });

  it('acc16 and epi + gload with a bias, accumulating: staged epilogue, bias at the logical index (batches 17, 32)', async () => {
    const c = oneOp({ ...wide, accumulate: true, bias: { tensor: 'b', offset: 0, length: 64 } });
    expect(await error(c, 0, sgmat(16, 32, 1, 16, { acc16: true }), 17)).toBeLessThan(TOL);
    for (const batch of [17, 32]) expect(await error(c, 0, sgmat(16, 32, 1, 16, { epi: true, gload: true }), batch), `batch ${batch}`).toBeLessThan(TOL);
  });

  it('acc16 and epi + gload with a permuted output map: staged epilogue, scalar writes (batch 16)', async () => {
    const c = oneOp({ ...wide, output: { size: 64, steps: [{ shape: [2, 32], perm: [1, 0] }] } });
    for (const s of [sgmat(16, 32, 1, 16, { acc16: true }), sgmat(16, 32, 1, 16, { epi: true, gload: true })]) expect(await error(c, 0, s, 16), JSON.stringify(s)).toBeLessThan(TOL);
  });

  it('a corrupted direct store (tiles one row off) fails the reference check', async () => {
    const s = sgmat(32, 16, 1, 16, { acc16: true });
    const broken = emulatedEmit((ctx) => {
      const k = ksSgmat.emit(square.ops[0] as KsOp, s, ctx);
      expect(k.wgsl).toContain('&k_dst, (row0 + 16u) * 256u');
      return { ...k, wgsl: k.wgsl.replace('&k_dst, (row0 + 16u) * 256u', '&k_dst, (row0 + 15u) * 256u') };
    });
    expect(await kernelError(square, 0, 1, broken, 64, 'f32')).toBeGreaterThan(0.1);
  });
});
