/**
 * ks-sgmat's session-11 knobs: `sg` (2 or 4 subgroups per workgroup, each its own row slice, all
 * multiplying one staged W tile), `sgc` (likewise along β, sharing one staged source tile; with
 * sg a grid), `db` (double-buffered staging, one barrier per chunk; `dbu`: its loop unrolled by
 * two, constant halves) and `band` (the per-tile epilogue 16 rows at a time). The
 * schedule space (after every other candidate, never a default), the WGSL, and results through
 * the subgroup-matrix emulation on SwiftShader against the float64 op reference: each epilogue
 * (f32 per tile, f16 per tile with `stage`, acc16's direct stores and its staged last row tile,
 * the one-round staged path of an op with a bias), accumulate ops, rectangular blocks (b != c), a
 * strided factor (d > 1, stores along δ), batches that are not a multiple of the workgroup's rows.
 * Tolerance: relative Frobenius error 1e-5 (the emulation runs f16 as f32: it proves the
 * indexing), f16's 3e-3 where the workgroup arrays stay f16 (packed).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { f16SumTwin, ksSgmat, SUBGROUP_MATRIX_FEATURE, type KsSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { kernelError, KS_SGMAT_SPACE_OPS, oneOp, TOL, TOL_F16 } from './support.js';

const H200: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', SUBGROUP_MATRIX_FEATURE, 'subgroups'] };

interface Knobs {
  readonly acc16?: true;
  readonly stage?: true;
  readonly sg?: number;
  readonly sgc?: number;
  readonly db?: true;
  readonly dbu?: true;
  readonly band?: true;
  readonly ku?: true;
  readonly pad?: number;
}
const sgmat = (rows: number, cols: number, dtile: number, tk: number, knobs: Knobs = {}): KsSgmatSchedule => ({ family: 'ks-sgmat', rows, cols, dtile, tk, ...knobs });


function error(c: OpsCase, index: number, s: KsSgmatSchedule, batch: number): Promise<number> {
  return kernelError(c, index, 1, emulatedEmit((ctx) => ksSgmat.emit(c.ops[index] as KsOp, s, ctx)), batch, 'f32');
}

const count = (text: string, what: string) => text.split(what).length - 1;

describe('ks-sgmat sg and db: the schedule space', () => {
  const ops = KS_SGMAT_SPACE_OPS;

  it('adds the f32 and acc16+stage tilings of 32 or 64 rows and β with 2 or 4 subgroups, then db ones, after every other candidate', () => {
    const isNew = (s: KsSgmatSchedule) => s.sg !== undefined || s.sgc !== undefined || s.db !== undefined || s.dbu !== undefined || s.band !== undefined;
    for (const [name, op] of ops) {
      // Session 12's 8-subgroup candidates follow (ks-sgmat-eight.test.ts), then session 13's ku ones (ks-sgmat-written.test.ts).
      const all = ksSgmat.candidates(op, H200).filter((s) => Number(s.sg ?? 1) * Number(s.sgc ?? 1) < 8 && s.ku === undefined);
      const firstNew = all.findIndex(isNew);
      const old = all.slice(0, firstNew);
      expect(all.slice(firstNew).every(isNew), name).toBe(true);
      const keys = new Set(old.map((s) => JSON.stringify(s)));
      const grouped = all.filter((s) => (s.sg !== undefined || s.sgc !== undefined) && s.db === undefined && s.band === undefined);
      const grids = new Set(grouped.map((s) => `${s.sg ?? 1}x${s.sgc ?? 1}`));
      // Along β, as many subgroups as op.b holds 32-wide tiles for (n = 4096: b = 64, so not 4).
      const offered = [[2, 1], [4, 1], [1, 2], [1, 4], [2, 2]].filter(([, c]) => op.b % (32 * c) === 0);
      expect(grids, name).toEqual(new Set(offered.map(([r, c]) => `${r}x${c}`)));
      for (const s of grouped) {
        const [sg, sgc] = [Number(s.sg ?? 1), Number(s.sgc ?? 1)];
        expect(sg * sgc <= 4 && op.b % (s.cols * sgc) === 0, JSON.stringify(s)).toBe(true);
        const { sg: _, sgc: _c, ...one } = s;
        expect(keys.has(JSON.stringify(one)), JSON.stringify(s)).toBe(true);
        expect([32, 64].includes(s.rows) && [32, 64].includes(s.cols) && s.gload === undefined && s.epi === undefined && (s.acc16 === undefined || s.stage === true), JSON.stringify(s)).toBe(true);
      }
      const doubled = all.filter((s) => s.db !== undefined && s.dbu === undefined && s.band === undefined);
      // dbu: the doubled ones of an even number of chunks again.
      const unrolled = all.filter((s) => s.dbu !== undefined && s.band === undefined);
      expect(unrolled.map(({ dbu: _, ...rest }) => rest), name).toEqual(doubled.filter((s) => (op.c / s.tk) % 2 === 0));
      expect(doubled.length, name).toBeGreaterThan(0);
      for (const s of doubled) expect(op.c / s.tk, JSON.stringify(s)).toBeGreaterThanOrEqual(2);
      expect(doubled.some((s) => s.sg === 4) && doubled.some((s) => s.sg === undefined), name).toBe(true);
      // band: the plain 32/64 tilings of the per-tile epilogue, the grouped and the dbu ones
      // again (those whose padded bands still fit in workgroup memory), last.
      const banded = all.filter((s) => s.band !== undefined);
      expect(banded.length, name).toBeGreaterThan(0);
      expect(all.slice(all.length - banded.length), name).toEqual(banded);
      const twins = [...old.filter((s) => [32, 64].includes(s.rows) && [32, 64].includes(s.cols) && s.epi === undefined && s.gload === undefined && s.pad === undefined && (s.acc16 === undefined || s.stage === true)), ...grouped, ...unrolled];
      expect(twins, name).toEqual(expect.arrayContaining(banded.map(({ band: _, ...rest }) => rest)));
    }
  });

  it('defaults wide first factors to 2 x 4 subgroups of 64x32 tiles in written-out padded chunks of 64 (session 13), of 16 double-buffered with constant halves within 32 KiB (session 12); 2 x 2 of 64x64 for deep ones within 128 invocations', () => {
    const long = sgmat(64, 32, 1, 64, { sg: 2, sgc: 4, ku: true, pad: 8 });
    const eight = sgmat(64, 32, 1, 16, { sg: 2, sgc: 4, db: true, dbu: true });
    const four = sgmat(64, 64, 1, 16, { sg: 2, sgc: 2, db: true, dbu: true });
    const at128 = { ...H200, maxWorkgroupSize: 128 };
    const at32k = { ...H200, maxWorkgroupStorageBytes: 32768 };
    // b = 64 (n = 4096's first factor): 4 x 2 subgroups of 64 x 32, ku, pad 8 (session 16 call 2, H100: 0.1492 vs 0.1674 ms).
    const narrow = sgmat(64, 32, 1, 16, { sg: 4, sgc: 2, ku: true, pad: 8 });
    for (const [name, op] of ops) {
      const d = ksSgmat.defaultSchedule(op, H200);
      const wide = op.d === 1 && op.b >= 128;
      expect(d, name).toEqual(wide ? long : op.d === 1 && op.b === 64 ? narrow : ksSgmat.defaultSchedule(op, { ...H200, maxWorkgroupSize: 32 }));
      expect(ksSgmat.candidates(op, H200), name).toContainEqual(d);
      expect(ksSgmat.defaultSchedule(op, at32k), name).toEqual(wide ? eight : op.d === 1 && op.b === 64 ? narrow : ksSgmat.defaultSchedule(op, { ...H200, maxWorkgroupSize: 32 }));
      expect(ksSgmat.defaultSchedule(op, at128), name).toEqual(wide && op.c >= 256 ? four : ksSgmat.defaultSchedule(op, { ...H200, maxWorkgroupSize: 32 }));
    }
    // n = 16384's first factor (b = 128, c = 128): 8 subgroups; within 128 invocations the one-subgroup default (2 x 2 lost at c = 128).
    const n16k = monarchCase(16384, 16384, 128).ops[0] as KsOp;
    expect(ksSgmat.defaultSchedule(n16k, H200)).toEqual(long);
    expect(ksSgmat.defaultSchedule(n16k, at32k)).toEqual(eight);
    // c = 32 (not a multiple of 64): the 16-deep form.
    expect(ksSgmat.defaultSchedule(ks(4, 128, 32, 1, 'x', 'y', 'w'), H200)).toEqual(eight);
    expect(ksSgmat.defaultSchedule(n16k, at128)).toEqual(sgmat(64, 64, 1, 16));
    expect(ksSgmat.defaultSchedule(ops[1][1], { ...H200, maxWorkgroupSize: 64 })).toEqual(sgmat(64, 64, 1, 16));
  });

  it('f16SumTwin: the default with f16 sums through the same epilogue (acc16 + stage), a candidate, for the tuner to seed; none without f16 results or subgroup matrices', () => {
    for (const [name, op] of ops) {
      const twin = f16SumTwin(op, H200);
      expect(ksSgmat.candidates(op, H200), name).toContainEqual(twin);
      // 4096 -> 1024 (c = 1024): 64 x 64 subgroup tiles on 4 x 2 subgroups in chunks of 32 (session 18 call 2).
      const deep = op.c >= 1024 ? { cols: 64, tk: 32, sg: 4, sgc: 2 } : {};
      expect(twin, name).toEqual({ ...ksSgmat.defaultSchedule(op, H200), acc16: true, stage: true, ...deep });
    }
    expect(ops.filter(([, op]) => op.c >= 1024).map(([name]) => name)).toEqual(['4096->1024 first factor']);
    // Within 32 KiB the default is the 16-deep db + dbu form: its plain twin.
    const at32k = { ...H200, maxWorkgroupStorageBytes: 32768 };
    expect(f16SumTwin(ops[2][1], at32k)).toEqual({ ...ksSgmat.defaultSchedule(ops[2][1], at32k), acc16: true, stage: true });
    expect(f16SumTwin(ops[0][1], { ...H200, features: ['shader-f16'] })).toBeUndefined();
  });

  it('offers sg only within the workgroup size limit', () => {
    const op = ops[0][1];
    const small = ksSgmat.candidates(op, { ...H200, maxWorkgroupSize: 64 });
    expect(small.some((s) => s.sg === 2) && small.some((s) => s.sgc === 2)).toBe(true);
    expect(small.some((s) => s.sg === 4 || s.sgc === 4 || (s.sg === 2 && s.sgc === 2))).toBe(false);
  });

  it('decodes sg and db from a stored schedule', () => {
    const s = sgmat(64, 32, 1, 16, { acc16: true, stage: true, sg: 2, sgc: 2, db: true });
    expect(ksSgmat.decode(s)).toEqual(s);
    expect(() => ksSgmat.decode({ ...s, sg: 0 })).toThrow(/sg/);
  });
});

describe('ks-sgmat sg and db: the WGSL (n = 4096 first factor K(64, 64, 64, 1))', () => {
  const c = monarchCase(4096, 4096, 64);
  const op = c.ops[0] as KsOp;
  const emit = (s: KsSgmatSchedule) => ksSgmat.emit(op, s, contextFor(c, 'k', 0, 'f16'));

  it('sg 4: 128 invocations over 256 rows, one W tile, each subgroup its own rows of xs and slice of cs', () => {
    const k = emit(sgmat(64, 64, 1, 16, { acc16: true, stage: true, sg: 4 }));
    expect(k.workgroupSize).toEqual([128, 1, 1]);
    expect(k.dispatch).toMatchObject({ rowsPerWorkgroup: 256 });
    expect(k.wgsl).toContain('@diagnostic(off, chromium.subgroup_matrix_uniformity) {');
    expect(k.wgsl).toContain('let sgid = lid / 32u;');
    expect(k.wgsl).toContain('var<workgroup> k_xs: array<f16, 4096>;');
    expect(k.wgsl).toContain('var<workgroup> k_ws: array<f16, 1024>;');
    expect(k.wgsl).toContain('var<workgroup> k_cs: array<f16, 1024>;');
    expect(k.wgsl).toContain('let l0_1 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&k_xs, sgid * 1024u + 256u + kk, 16u);');
    expect(k.wgsl).toContain('let r0_3 = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, col_major>(&k_ws, 768u + kk, 16u);');
    expect(k.wgsl).toContain('subgroupMatrixStore<row_major>(&k_cs, sgid * 256u, acc_0_2_1, 16u);');
    expect(k.wgsl).toContain('let row = row0 + sgi * 64u + 32u + r;');
  });

  it('sg 2 x sgc 2: 64 rows x 64 β of 32 x 32 subgroup tiles, the rows from sgid % 2, β from sgid / 2', () => {
    const k = emit(sgmat(32, 32, 1, 16, { acc16: true, stage: true, sg: 2, sgc: 2 }));
    expect(k.workgroupSize).toEqual([128, 1, 1]);
    expect(k.dispatch).toMatchObject({ rowsPerWorkgroup: 64, workgroupsPerRowTile: 64 });
    expect(k.wgsl).toContain('let sgr = sgid % 2u;');
    expect(k.wgsl).toContain('let sgb = sgid / 2u;');
    expect(k.wgsl).toContain('var<workgroup> k_ws: array<f16, 1024>;');
    expect(k.wgsl).toContain('let l0_1 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&k_xs, sgr * 512u + 256u + kk, 16u);');
    expect(k.wgsl).toContain('let r0_1 = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, col_major>(&k_ws, sgb * 512u + 256u + kk, 16u);');
    expect(k.wgsl).toContain('let row = row0 + (sgi % 2u) * 32u + 16u + r;');
    expect(k.wgsl).toContain('let beta = beta0 + (sgi / 2u) * 32u + 16u + bb;');
  });

  it('db: both staged tiles twice, one barrier per chunk instead of two', () => {
    const base = emit(sgmat(64, 64, 1, 16, { acc16: true, stage: true })).wgsl;
    const k = emit(sgmat(64, 64, 1, 16, { acc16: true, stage: true, db: true })).wgsl;
    expect(count(base, 'workgroupBarrier();')).toBe(2 + 32);
    expect(count(k, 'workgroupBarrier();')).toBe(1 + 32);
    expect(k).toContain('var<workgroup> k_xs: array<f16, 2048>;');
    expect(k).toContain('let buf = (k0 / 16u) % 2u;');
    expect(k).toContain('let l0_3 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&k_xs, buf * 1024u + 768u + kk, 16u);');
    expect(k).not.toContain('@diagnostic');
  });

  it('dbu: two chunks per iteration, each half a constant (no runtime buf in the offsets)', () => {
    const k = emit(sgmat(64, 64, 1, 16, { acc16: true, stage: true, db: true, dbu: true })).wgsl;
    expect(k).toContain('for (var k0 = 0u; k0 < 64u; k0 += 32u) {');
    expect(k).toContain('const buf = 0u;');
    expect(k).toContain('const buf = 1u;');
    expect(k).not.toContain('let buf');
    expect(count(k, 'workgroupBarrier();')).toBe(2 + 32);
    expect(() => ksSgmat.emit(op, sgmat(64, 64, 1, 32, { acc16: true, stage: true, db: true, dbu: true, sg: 2 }), contextFor(c, 'k', 0, 'f16'))).not.toThrow();
    expect(() => ksSgmat.emit(monarchCase(256, 256, 16).ops[0] as KsOp, sgmat(16, 16, 1, 16, { db: true, dbu: true }), contextFor(monarchCase(256, 256, 16), 'k', 0, 'f16'))).toThrow(/dbu/);
  });

  it('band: 16 rows of 64 β per round through padded rows (68 f32, 72 f16): 8 barriers after the loop instead of 32', () => {
    const k = emit(sgmat(64, 64, 1, 16, { band: true })).wgsl;
    expect(count(k, 'workgroupBarrier();')).toBe(2 + 8);
    expect(k).toContain('var<workgroup> k_cs: array<f32, 1088>;');
    expect(k).toContain('subgroupMatrixStore<row_major>(&k_cs, 48u, acc_0_1_3, 68u);');
    const f16 = emit(sgmat(64, 64, 1, 16, { acc16: true, stage: true, sg: 2, band: true })).wgsl;
    expect(f16).toContain('var<workgroup> k_cs: array<f16, 2304>;');
    expect(f16).toContain('subgroupMatrixStore<row_major>(&k_cs, sgid * 1152u + 32u, acc_0_3_2, 72u);');
    expect(() => emit(sgmat(64, 64, 1, 16, { acc16: true, band: true }))).toThrow(/band/);
  });

  it('refuses gload with sg or db', () => {
    expect(() => emit({ ...sgmat(64, 64, 1, 16, { acc16: true, sg: 2 }), gload: true })).toThrow(/gload/);
    expect(() => emit({ ...sgmat(64, 64, 1, 16, { acc16: true, db: true }), gload: true })).toThrow(/gload/);
  });
});

describe('ks-sgmat sg and db, emulated, against the float64 reference', () => {
  const square = monarchCase(256, 256, 16); // K(16, 16, 16, 1) then K(1, 16, 16, 16)
  const rect = monarchCase(256, 128, 8); // K(8, 16, 32, 1): b = 16 != c = 32, two γ chunks of 16
  const wide = ks(2, 32, 16, 1, 'x', 'y', 'w'); // 2 β tiles per row
  const cases: [string, OpsCase, number, KsSgmatSchedule, number][] = [
    ['sg 4, acc16 + stage + band, rectangular (batch 40: the third subgroup has 8 rows, the fourth none)', rect, 0, sgmat(16, 16, 1, 16, { acc16: true, stage: true, sg: 4, band: true }), 40],
    ['sg 2, acc16 direct stores, then the staged last workgroup (batch 80)', square, 0, sgmat(32, 16, 1, 16, { acc16: true, sg: 2 }), 80],
    ['db + dbu, f32, rectangular, two chunks in one iteration (batch 40)', rect, 0, sgmat(32, 16, 1, 16, { db: true, dbu: true }), 40],
    ['band, strided factor d = 16, 4 δ: vec4 stores along δ (batch 19)', square, 1, sgmat(16, 16, 4, 16, { band: true }), 19],
    ['db + sg 2, acc16 + stage, rectangular (batch 1)', rect, 0, sgmat(16, 16, 1, 16, { acc16: true, stage: true, sg: 2, db: true }), 1],
    ['sg 2 + db, strided factor d = 16, stores along δ (batch 19)', square, 1, sgmat(16, 16, 1, 16, { acc16: true, stage: true, sg: 2, db: true }), 19],
  ];
  for (const [name, c, index, s, batch] of cases)
    it(name, async () => {
      expect(await error(c, index, s, batch), JSON.stringify(s)).toBeLessThan(TOL);
    });

  it('sg 2 x sgc 2 on two β tiles per row, accumulating: direct tiles from the old output then a staged partial workgroup (batch 48); with a bias, the one-round staged path (batch 21)', async () => {
    const acc = oneOp({ ...wide, accumulate: true });
    expect(await error(acc, 0, sgmat(16, 16, 1, 16, { acc16: true, sg: 2, sgc: 2 }), 48)).toBeLessThan(TOL);
    const biased = oneOp({ ...wide, accumulate: true, bias: { tensor: 'b', offset: 0, length: 64 } });
    expect(await error(biased, 0, sgmat(16, 16, 1, 16, { acc16: true, sg: 2, sgc: 2 }), 21)).toBeLessThan(TOL);
  });

  it('sgc 2 + db, f32 per-tile epilogue, two γ chunks, two β tiles per row (batch 21); with band, a bias, accumulating (batch 21)', async () => {
    const op = ks(2, 32, 32, 1, 'x', 'y', 'w');
    expect(await error(oneOp(op), 0, sgmat(16, 16, 1, 16, { sgc: 2, db: true }), 21)).toBeLessThan(TOL);
    const biased = oneOp({ ...op, accumulate: true, bias: { tensor: 'b', offset: 0, length: 64 } });
    expect(await error(biased, 0, sgmat(16, 16, 1, 16, { sgc: 2, band: true }), 21)).toBeLessThan(TOL);
  });

  it("n = 4096's 64x64 blocks: sg 2 + db + dbu + band, acc16 + stage, f16 workgroup arrays (batch 144)", async () => {
    const c = monarchCase(256, 256, 4); // K(4, 64, 64, 1) first: four chunks of 16 γ, two iterations
    const s = sgmat(64, 64, 1, 16, { acc16: true, stage: true, sg: 2, db: true, dbu: true, band: true });
    const emit = emulatedEmit((ctx) => ksSgmat.emit(c.ops[0] as KsOp, s, ctx), { packWorkgroupF16: true });
    expect(await kernelError(c, 0, 1, emit, 144, 'f32')).toBeLessThan(TOL_F16);
  }, 180_000);

  it("a subgroup that reads another's rows or β, or a chunk read from the wrong half, fails the reference check", async () => {
    const corrupt = (s: KsSgmatSchedule, from: string, to: string) =>
      emulatedEmit((ctx) => {
        const k = ksSgmat.emit(rect.ops[0] as KsOp, s, ctx);
        expect(k.wgsl).toContain(from);
        return { ...k, wgsl: k.wgsl.replaceAll(from, to) };
      });
    const sg = sgmat(16, 16, 1, 16, { sg: 2 });
    expect(await kernelError(rect, 0, 1, corrupt(sg, '(&k_xs, sgid * 256u + kk', '(&k_xs, kk'), 32, 'f32')).toBeGreaterThan(0.1);
    const db = sgmat(32, 16, 1, 16, { db: true });
    expect(await kernelError(rect, 0, 1, corrupt(db, '(&k_xs, buf * 512u + ', '(&k_xs, '), 32, 'f32')).toBeGreaterThan(0.1);
    const wideCase = oneOp(wide);
    const sgc = emulatedEmit((ctx) => {
      const k = ksSgmat.emit(wide, sgmat(16, 16, 1, 16, { sgc: 2 }), ctx);
      expect(k.wgsl).toContain('(&k_ws, sgid * 256u + kk');
      return { ...k, wgsl: k.wgsl.replaceAll('(&k_ws, sgid * 256u + kk', '(&k_ws, kk') };
    });
    expect(await kernelError(wideCase, 0, 1, sgc, 16, 'f32')).toBeGreaterThan(0.1);
  });
});
