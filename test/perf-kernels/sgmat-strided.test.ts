/**
 * ks-sgmat-strided (tensor cores, several subgroups per workgroup) on strided factors (d > 1;
 * contiguous ones: sgmat-contiguous.test.ts): its applicability rules and schedule space for both
 * factors on the H200's limits and smaller ones, its WGSL text, and its results against the
 * float64 op reference on SwiftShader through the subgroup-matrix emulation
 * (test/support/sgmat-emulation.ts: each lane computes its share of every matrix in f32, the f16
 * workgroup arrays stay f16, so staged values are rounded as on the GPU). Tolerance: f16
 * storage's, relative Frobenius error 3e-3. Emulated kernels are slow to compile on SwiftShader
 * (seconds each), so the emulated checks take one schedule per code path.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksSgmatStrided, stridedSgmatLayout, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { candidates as allCandidates, defaultSchedule, familyDefaults, isValidSchedule } from '../../src/codegen/wgsl/families.js';
import { isAmong } from '../../src/codegen/wgsl/family.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { kernelError, sample, TOL_F16 } from './support.js';
import { bankConflict, EMULATED, emulatedError, H200, schedule, unfiltered, warp, workgroupBytes } from './sgmat-strided-support.js';

describe('ks-sgmat-strided applicability and schedule space', () => {
  const monarch = monarchCase(4096, 4096, 64);
  const rect = monarchCase(1024, 4096, 4);
  const [op0, op1] = monarch.ops;

  it("offers schedules for both factors of the issue's Monarch shapes within 48, 32 and 16 KiB", () => {
    const shapes: [string, OpsCase][] = [['n=4096', monarch], ['1024->4096', rect], ['4096->1024', monarchCase(4096, 1024, 4)], ['n=16384', monarchCase(16384, 16384, 128)]];
    for (const [name, c] of shapes)
      for (const bytes of [49152, 32768, 16384])
        for (const op of c.ops) {
          const limits = { ...H200, maxWorkgroupStorageBytes: bytes };
          const all = ksSgmatStrided.candidates(op, limits);
          expect(all.length, `${name}, ${bytes} bytes, d = ${op.d}`).toBeGreaterThan(0);
          expect(all, name).toContainEqual(ksSgmatStrided.defaultSchedule(op, limits));
        }
    expect(rect.ops[1]).toMatchObject({ a: 1, b: 1024, c: 256, d: 4 });
  });

  it("keeps session 6's strided schedules as stored; the others carry row groups (rg) and staged W (wstage)", () => {
    const contiguous = ksSgmatStrided.candidates(op0, H200);
    expect(contiguous.every((s) => s.dtile === 1 && typeof s.rg === 'number' && typeof s.wstage === 'boolean' && !(s.wres && s.wstage))).toBe(true);
    expect(new Set(contiguous.map((s) => s.rg))).toEqual(new Set([1, 2, 4, 8]));
    expect(contiguous.some((s) => s.wstage)).toBe(true);
    // 64-row warp tiles (mr 4), up to 16 result tiles when W is not resident, 8 beside it.
    expect(Math.max(...contiguous.filter((s) => !s.wres).map((s) => s.mr * (s.sb / 16)))).toBe(16);
    expect(Math.max(...contiguous.filter((s) => s.wres).map((s) => s.mr * (s.sb / 16)))).toBe(8);
    // Strided: session 6's form first (no rg, no wstage, mr 1-2: what tuning databases hold), then
    // staged W with row groups, then session 6's form with several epilogue tiles per round (et:
    // sgmat-epilogue-rounds.test.ts).
    const strided = ksSgmatStrided.candidates(op1, H200).filter((s) => !('et' in s) && !('acc16' in s) && !('pd' in s) && !('ds' in s) && !('sw' in s) && !('db' in s)); // acc16, pd, ds, sw, db: ks-sgmat-strided-acc16/-prefetch/-ds/-swizzle/-db.test.ts
    const stored = strided.filter((s) => !('rg' in s) && !('wstage' in s));
    expect(strided.slice(0, stored.length)).toEqual(stored);
    expect(Math.max(...stored.map((s) => s.mr))).toBe(2);
    const staged = strided.slice(stored.length);
    expect(staged.every((s) => s.wstage === true && !s.wres && [1, 2, 4].includes(Number(s.rg)))).toBe(true);
    expect(staged.some((s) => s.mr === 4 && s.sb === 64)).toBe(true);
    expect(stored).toContainEqual(schedule({ dtile: 8, cols: 64, sb: 32, mr: 2, chunks: 4, tk: 32, wres: true }));
    // 4096 -> 1024's first factor (c = 1024): W cannot stay resident (64 γ tiles), it is read or staged per γ chunk.
    const wide = monarchCase(4096, 1024, 4).ops[0];
    expect(wide).toMatchObject({ a: 4, b: 256, c: 1024, d: 1 });
    expect(ksSgmatStrided.candidates(wide, H200).some((s) => s.wres)).toBe(false);
    expect(ksSgmatStrided.defaultSchedule(wide, H200)).toMatchObject({ wres: false, wstage: true });
    for (const s of sample(contiguous, 20)) expect(ksSgmatStrided.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });

  it('reads W in place (wres false, no wstage) at d > 1 only where no W-resident schedule of that δ per workgroup fits (session 18)', () => {
    const inPlace = (s: KsSgmatStridedSchedule) => !s.wres && s.wstage !== true;
    for (const c of [monarch, rect, monarchCase(4096, 1024, 4), monarchCase(16384, 16384, 128)]) {
      const all = ksSgmatStrided.candidates(c.ops[1], H200);
      const residentAt = new Set(all.filter((s) => s.wres).map((s) => s.dtile));
      expect(all.filter((s) => inPlace(s) && residentAt.has(s.dtile) && s.ds === undefined), JSON.stringify(c.ops[1])).toEqual([]);
    }
    // n = 4096: session 6's stored in-place form decodes, is no candidate, so a tuning entry naming it is unusable.
    const removed = schedule({ dtile: 16, cols: 32, sb: 32, mr: 2, chunks: 8, tk: 16, wres: false });
    expect(ksSgmatStrided.decode(JSON.parse(JSON.stringify(removed)))).toEqual(removed);
    expect(isValidSchedule(op1, removed, H200)).toBe(false);
    expect(isValidSchedule(op1, { ...removed, wres: true }, H200)).toBe(true);
    // 4096 x 4096 in 4 blocks, K(1, 1024, 1024, 4): W (c = 1024) cannot stay resident; in place stays its default.
    const large = monarchCase(4096, 4096, 4).ops[1];
    expect(large).toMatchObject({ c: 1024, d: 4 });
    expect(ksSgmatStrided.candidates(large, H200).some((s) => s.wres)).toBe(false);
    expect(ksSgmatStrided.defaultSchedule(large, H200)).toMatchObject({ wres: false });
    expect(ksSgmatStrided.defaultSchedule(large, H200).wstage).toBeUndefined();
  });

  it('declares at most the limit of workgroup memory and invocations (a spread of the candidates)', () => {
    for (const c of [monarch, rect])
      for (const [i, op] of c.ops.entries())
        for (const s of sample(ksSgmatStrided.candidates(op, H200), 60)) {
          const k = ksSgmatStrided.emit(op, s, contextFor(c, 'k', i, 'f16'));
          expect(workgroupBytes(k.wgsl), JSON.stringify(s)).toBeLessThanOrEqual(H200.maxWorkgroupStorageBytes);
          expect(k.workgroupSize[0]).toBe((32 * s.dtile * s.cols * Number(s.rg ?? 1)) / s.sb / Number(s.ds ?? 1));
          expect(k.workgroupSize[0]).toBeLessThanOrEqual(H200.maxWorkgroupSize);
        }
  });

  it('is among the tuner candidates and seeds for the strided factor on the H200, not elsewhere', () => {
    expect(allCandidates(op1, H200).some((s) => s.family === 'ks-sgmat-strided')).toBe(true);
    expect(familyDefaults(op1, H200)).toContainEqual(ksSgmatStrided.defaultSchedule(op1, H200));
    expect(allCandidates(op1, { ...H200, features: [] }).some((s) => s.family === 'ks-sgmat-strided')).toBe(false);
    expect(ksSgmatStrided.candidates(op1, { ...H200, features: ['shader-f16'] })).toEqual([]);
    expect(defaultSchedule(op1, { ...H200, features: [] }).family).not.toBe('ks-sgmat-strided');
  });

  it('does not apply off the 16x16 tile, to a permuted input, to f32 storage, nor to a weight off 16 bytes', () => {
    expect(ksSgmatStrided.candidates(ks(1, 24, 16, 8, 'x', 'y', 'w'), H200)).toEqual([]);
    expect(ksSgmatStrided.candidates({ ...op1, input: { size: 4096, steps: [{ shape: [64, 64], perm: [1, 0] }] } }, H200)).toEqual([]);
    expect(() => ksSgmatStrided.emit(op1, ksSgmatStrided.defaultSchedule(op1, H200), contextFor(monarch, 'k', 1, 'f32'))).toThrow(/f16/);
    // W read in place by the matrix loads must start on 16 bytes (8 halves); parameters are 4-aligned.
    const shifted = { ...monarch, params: monarch.params.map((p) => (p.name === 'blkdiag2' ? { ...p, offset: p.offset + 4 } : p)) };
    expect(() => ksSgmatStrided.emit(op1, ksSgmatStrided.defaultSchedule(op1, H200), contextFor(shifted, 'k', 1, 'f16'))).toThrow(/multiple of 8/);
  });

  it('defaults to the measured bests: 16 δ × 32 β, 32-row chunks, 8 row chunks, W resident, 512 invocations and swizzled lanes at n = 4096 (H100, session 11) and n = 16384 (H200, session 14); all 4 δ in 8 chunks of 64 γ, 16 row chunks with swizzled lanes for the rectangular cases (H100, session 12), in chunks of 32 γ loaded two ahead (session 16); n = 4096 every β with one row tile per subgroup (H100, session 19)', () => {
    // 16 row chunks since session 18 (H100: n = 4096 0.2355 vs 0.2426 ms, call 3, 0.2357 vs 0.2427 call 4; n = 16384 0.3958 vs 0.4125 call 4).
    // n = 4096 (b = 64): every β as two 32-β subgroups per δ with one row tile each since session 19 (H100 call 2: 0.2157 vs 0.2361).
    // 32 row chunks won at B = 16384 (s19 call 3: 0.2064 vs 0.2154) but left 32 workgroups at B = 4096 (s20: 0.1805 vs 0.1027): 16 stay.
    expect(ksSgmatStrided.defaultSchedule(op1, H200)).toEqual({ ...schedule({ dtile: 16, cols: 64, sb: 32, mr: 1, chunks: 16, tk: 16, wres: true }), sw: true, ob: 2 }); // ob 2: s25 H100
    expect(ksSgmatStrided.emit(op1, ksSgmatStrided.defaultSchedule(op1, H200), contextFor(monarch, 'k', 1, 'f16')).workgroupSize[0]).toBe(1024);
    expect(ksSgmatStrided.defaultSchedule(monarchCase(16384, 16384, 128).ops[1], H200)).toEqual({ ...schedule({ dtile: 16, cols: 32, sb: 32, mr: 2, chunks: 16, tk: 16, wres: true }), sw: true, ob: 2 }); // s14 H200, 16 chunks s18 H100, ob 2 by n = 4096's s25
    // In γ chunks of 32 loaded two ahead since session 16 call 2 (pd 2; tk 64 + pd 2 lost).
    const longRows = { ...schedule({ dtile: 4, cols: 64, sb: 16, mr: 2, chunks: 16, tk: 32, wres: true }), sw: true, pd: 2 };
    expect(ksSgmatStrided.defaultSchedule(rect.ops[1], H200)).toEqual(longRows);
    expect(ksSgmatStrided.defaultSchedule(monarchCase(4096, 1024, 4).ops[1], H200)).toEqual(longRows);
    expect(ksSgmatStrided.candidates(rect.ops[1], H200)).toContainEqual(longRows);
    // Also on the emulation's limits (its results test runs that default).
    expect(ksSgmatStrided.defaultSchedule(monarchCase(64, 256, 4).ops[1] as KsOp, EMULATED)).toMatchObject({ dtile: 4, chunks: 16, sw: true });
  });
});

describe('ks-sgmat-strided WGSL (Monarch n = 4096, 16 δ × 64 β, one 16-row matrix chunk: the pre-session-6 default)', () => {
  const c = monarchCase(4096, 4096, 64);
  const op1 = c.ops[1];
  const k = ksSgmatStrided.emit(op1, schedule({ dtile: 16, cols: 64, sb: 64, mr: 1, chunks: 4, tk: 32, wres: true }), contextFor(c, 'k', 1, 'f16'));

  it('is 16 subgroups of 32 over 64 rows × 64 β × 16 of the 64 δ, with the uniformity diagnostic off', () => {
    expect(k.enables).toEqual(['f16', 'chromium_experimental_subgroup_matrix']);
    expect(k.workgroupSize).toEqual([512, 1, 1]);
    expect(k.dispatch).toEqual({ kind: 'tiled', rowsPerWorkgroup: 64, workgroupsPerRowTile: 4 });
    expect(k.wgsl).toContain('@diagnostic(off, chromium.subgroup_matrix_uniformity) {');
    expect(k.wgsl).toContain('let sg = lid / 32u;');
    expect(k.wgsl).toContain('let sd = sg % 16u;');
  });

  it('stages the source as vec4 runs along δ (stride 64 over γ) into padded δ planes', () => {
    expect(k.wgsl).toContain('var<storage, read> k_src: array<vec4<f16>>;');
    expect(k.wgsl).toContain('k_src[(min(rb + r, batch - 1u) * 4096u + alpha * 4096u + k * 64u + delta0 + dv * 4u) / 4u]');
    // rows of 32 γ padded to 40 halves; planes of 16 rows padded to 648 halves (324 words ≡ 4 mod 32)
    expect(k.wgsl).toContain('k_xs[(dv * 4u + qq) * 648u + r * 40u + k] = pf0_0[qq];');
    expect(k.wgsl).toContain('var<workgroup> k_xs: array<f16, 10368>;');
  });

  it('holds the subgroup W tiles (4 γ × 4 β fragments) from before the row-chunk loop, read in place with stride c', () => {
    const loop = k.wgsl.indexOf('for (var ch = 0u; ch < 4u; ch++)');
    const wLoads = [...k.wgsl.matchAll(/let w_\d_\d = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, col_major>\(&k_params, wbase[^,]*, 64u\);/g)];
    expect(wLoads).toHaveLength(16);
    expect(wLoads.every((m) => m.index! < loop)).toBe(true);
    expect(k.wgsl).toContain('let wbase = 262144u + ((alpha * 64u + delta0 + sd) * 64u + beta0 + (sg / 16u) * 64u) * 64u;');
    expect(k.wgsl.match(/subgroupMatrixMultiplyAccumulate/g)).toHaveLength(16);
    expect(k.wgsl).toMatch(/subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>\(&k_xs, sd \* 648u \+ 16u, 40u\)/);
  });

  it('writes results through padded f32 slots as vec4 runs along δ', () => {
    expect(k.wgsl).toContain('subgroupMatrixStore<row_major>(&k_os, sg * 264u, acc_0_3, 16u);');
    expect(k.wgsl).toContain('var<storage, read_write> k_dst: array<vec4<f16>>;');
    expect(k.wgsl).toContain('v[qq] = k_os[(g * 16u + dv * 4u + qq) * 264u + r * 16u + bb];');
    expect(k.wgsl).toContain('k_dst[at] = vec4<f16>(v);');
  });

  it('adds the bias at the logical output index and the old destination when accumulating', () => {
    const biased = { ...op1, accumulate: true, bias: { tensor: 'blkdiag2', offset: 0, length: 4096 } };
    const text = ksSgmatStrided.emit(biased, ksSgmatStrided.defaultSchedule(biased, H200), contextFor({ ...c, ops: [c.ops[0], biased] }, 'k', 1, 'f16')).wgsl;
    expect(text).toContain('v += vec4<f32>(f32(k_params[262144u + (beta * 64u + delta)]), f32(k_params[262145u + (beta * 64u + delta)]),');
    expect(text).toContain('v += vec4<f32>(k_dst[at]);');
  });
});

describe('ks-sgmat-strided workgroup-memory banks (the addresses the WGSL computes, per warp)', () => {
  // Square Monarch strided factors K(1, p, p, k) and every candidate on the H200's limits.
  test.prop([fc.constantFrom(16, 32, 64, 128), fc.constantFrom(4, 8, 16, 32, 64), fc.nat()], { numRuns: 40 })('staging writes, matrix loads and epilogue reads', (p, k, pick) => {
    const op = ks(1, p, p, k, 'x', 'y', 'w');
    const all = ksSgmatStrided.candidates(op, H200).filter((c) => !c.acc16); // f16 slots: ks-sgmat-strided-acc16.test.ts
    fc.pre(all.length > 0);
    const s = all[pick % all.length];
    const { tkp, plane, slot, srcVec } = stridedSgmatLayout(op, s);
    const runs = s.dtile / srcVec;
    // Staging (vec4 source): item e = lid, δ run dv fastest, then γ; lane q goes to δ 4·dv + (q + dv) mod 4.
    if (srcVec === 4)
      for (let q = 0; q < 4; q++) {
        const words = warp.map((e) => {
          const dv = e % runs;
          const kk = Math.floor(e / runs) % s.tk;
          const r = Math.floor(e / (runs * s.tk));
          return Math.floor(((dv * 4 + ((q + dv) & 3)) * plane + r * tkp + kk) / 2);
        });
        expect(bankConflict(words), `staging ${JSON.stringify(s)}`).toBeLessThanOrEqual(s.dtile >= 32 ? 2 : 1);
      }
    // A 16x16 f16 matrix load moves 8 rows of 16 bytes per phase: rows tkp halves apart.
    const phase = Array.from({ length: 8 }, (_, r) => Array.from({ length: 4 }, (_, w) => (r * tkp) / 2 + w)).flat();
    expect(bankConflict(phase), `left load ${JSON.stringify(s)}`).toBe(1);
    // Epilogue (vec4 destination): δ run dv fastest, then β; lane q reads slot g·TD + 4·dv + (q + dv) mod 4.
    if (srcVec === 4)
      for (let q = 0; q < 4; q++) {
        const words = warp.map((e) => {
          const dv = e % runs;
          const bb = Math.floor(e / runs) % 16;
          return (dv * 4 + ((q + dv) & 3)) * slot + bb;
        });
        expect(bankConflict(words), `epilogue ${JSON.stringify(s)}`).toBeLessThanOrEqual(s.dtile >= 32 ? 2 : 1);
      }
  });
});

describe('ks-sgmat-strided results, emulated, against the float64 reference', () => {
  // One schedule per code path: vec4 and scalar source/destination, W resident or not, several
  // subgroups per δ, two row tiles per chunk, several row chunks (a batch ending mid-chunk),
  // several γ chunks, the bias with accumulation, a permuted output map.
  const square = monarchCase(256, 256, 16); // K(1, 16, 16, 16)
  const wide = monarchCase(256, 256, 8); // K(1, 32, 32, 8)
  const rect = monarchCase(64, 256, 4); // K(1, 64, 16, 4): the rectangular 1 -> 4 shape
  const pairs = monarchCase(32, 32, 2); // K(1, 16, 16, 2): d = 2, scalar staging
  const cases: [string, OpsCase, KsSgmatStridedSchedule, number][] = [
    ['square, the default on these limits', square, ksSgmatStrided.defaultSchedule(square.ops[1] as KsOp, EMULATED), 17],
    // W in place: at d > 1 a candidate only where W cannot stay resident (c ≥ 512, session 18), whose
    // kernels run this code; this small op stands in for them (the one case not among its candidates).
    ['square, 8 δ, W in place, 2 chunks of 2 row tiles', square, schedule({ dtile: 8, cols: 16, sb: 16, mr: 2, chunks: 2, tk: 16, wres: false }), 45],
    ['d = 8, 2 subgroups per δ, 2 γ chunks, 4 row chunks (the batch ends in the third)', wide, schedule({ dtile: 4, cols: 32, sb: 16, mr: 1, chunks: 4, tk: 16, wres: true }), 40],
    ['rectangular 64 -> 256, all 4 δ, 2 β groups', rect, schedule({ dtile: 4, cols: 32, sb: 16, mr: 1, chunks: 2, tk: 16, wres: true }), 1],
    ['d = 2, scalar source and destination', pairs, schedule({ dtile: 2, cols: 16, sb: 16, mr: 1, chunks: 2, tk: 16, wres: true }), 19],
    ['rectangular 64 -> 256, W staged (4 δ planes), 2 row groups sharing it', rect, schedule({ dtile: 4, cols: 16, sb: 16, mr: 1, rg: 2, chunks: 2, tk: 16, wres: false, wstage: true }), 40],
    ['d = 8, W staged, 64-row warp tiles (4 row tiles × 2 β tiles), 2 γ chunks', wide, schedule({ dtile: 2, cols: 32, sb: 32, mr: 4, rg: 1, chunks: 2, tk: 16, wres: false, wstage: true }), 70],
    // d = 4's default since session 12: 16 row chunks (512 rows per workgroup) with swizzled lanes.
    ['rectangular 64 -> 256, the default on these limits (16 row chunks, sw), the batch ending in the second workgroup', rect, ksSgmatStrided.defaultSchedule(rect.ops[1] as KsOp, EMULATED), 773],
    // n = 4096's default form since session 19 (REV s19 6) at 256 invocations: every β as two 32-β subgroups per δ, one
    // row tile each, sw, 32 row chunks (512 rows per workgroup), the batch ending in the second workgroup.
    ['4 δ x 64 β, two 32-β subgroups per δ, one row tile each, 32 row chunks (the read-once form)', monarchCase(256, 256, 4), { ...schedule({ dtile: 4, cols: 64, sb: 32, mr: 1, chunks: 32, tk: 16, wres: true }), sw: true }, 600],
  ];
  for (const [name, c, s, batch] of cases)
    it(`${name} (batch ${batch})`, async () => {
      expect(ksSgmatStrided.candidates(c.ops[1] as KsOp, EMULATED).some((x) => isAmong(s, [x])), name).toBe(s.wres || s.wstage === true);
      expect(await emulatedError(c, s, batch), JSON.stringify(s)).toBeLessThan(TOL_F16);
    });

  it('adds the bias and accumulates through a permuted output map (scalar stores)', async () => {
    const op = square.ops[1] as KsOp;
    const s = schedule({ dtile: 8, cols: 16, sb: 16, mr: 1, chunks: 2, tk: 16, wres: true });
    const permuted: KsOp = { ...op, accumulate: true, bias: { tensor: 'blkdiag2', offset: 0, length: 256 }, output: { size: 256, steps: [{ shape: [16, 16], perm: [1, 0] }] } };
    expect(ksSgmatStrided.candidates(permuted, EMULATED)).toContainEqual(s);
    expect(await emulatedError(square, s, 21, 1, permuted)).toBeLessThan(TOL_F16);
  });

  it('fails a kernel whose δ slots are swapped (the check can fail)', async () => {
    const s = schedule({ dtile: 2, cols: 16, sb: 16, mr: 1, chunks: 1, tk: 16, wres: true });
    const op = pairs.ops[1] as KsOp;
    const broken = emulatedEmit((ctx) => {
      const k = unfiltered(ksSgmatStrided.emit(op, s, ctx));
      return { ...k, wgsl: k.wgsl.replace('let sd = sg % 2u;', 'let sd = (sg + 1u) % 2u;') };
    }, { packWorkgroupF16: true });
    expect(await kernelError(pairs, 1, 1, broken, 3, 'f32')).toBeGreaterThan(0.1);
  });
});
