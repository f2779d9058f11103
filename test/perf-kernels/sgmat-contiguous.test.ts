/**
 * ks-sgmat-strided on contiguous factors (d = 1: Monarch's first factor, rectangular first
 * factors, dense layers): its WGSL text (source staged along γ, results written along β, row
 * groups, W staged in workgroup memory), the workgroup-memory banks its addresses hit, and its
 * results against the float64 op reference on SwiftShader through the subgroup-matrix emulation
 * (each lane computes its share of every matrix in f32, the f16 workgroup arrays stay f16).
 * Tolerance: f16 storage's, relative Frobenius error 3e-3. One schedule per code path (emulated
 * kernels take seconds each to compile on SwiftShader).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { contextFor, denseCase, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksSgmatStrided, stridedSgmatLayout, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { kernelError, TOL_F16 } from './support.js';
import { bankConflict, EMULATED, emulatedError, H200, schedule, unfiltered, warp } from './sgmat-strided-support.js';

describe('ks-sgmat-strided WGSL, contiguous factor (Monarch n = 4096 first factor K(64, 64, 64, 1), its d = 1 default)', () => {
  const c = monarchCase(4096, 4096, 64);
  const op0 = c.ops[0];
  const s = ksSgmatStrided.defaultSchedule(op0, H200);
  const k = ksSgmatStrided.emit(op0, s, contextFor(c, 'k', 0, 'f16'));

  it('is 8 subgroups: 2 β groups of 32 × 4 row groups of 32 rows, 4 row chunks of 128 rows', () => {
    expect(s).toEqual(schedule({ dtile: 1, cols: 64, sb: 32, mr: 2, rg: 4, chunks: 4, tk: 64, wres: true, wstage: false }));
    expect(k.workgroupSize).toEqual([256, 1, 1]);
    expect(k.dispatch).toEqual({ kind: 'tiled', rowsPerWorkgroup: 512, workgroupsPerRowTile: 64 });
    expect(k.wgsl).toContain('let sr = sg / 2u;');
    // Every row group holds the same W: the β group alone picks the rows of W.
    expect(k.wgsl).toContain('let wbase = ((alpha + delta0 + sd) * 64u + beta0 + (sg % 2u) * 32u) * 64u;');
  });

  it('stages the source as vec4 runs along γ into padded rows, each row group loading its own 32 rows', () => {
    expect(k.wgsl).toContain('var<storage, read> k_src: array<vec4<f16>>;');
    expect(k.wgsl).toContain('k_src[(min(rb + r, batch - 1u) * 4096u + alpha * 64u + k + delta0) / 4u]');
    expect(k.wgsl).toContain('{ let qq = (1u + kv) & 3u; k_xs[r * 72u + k + qq] = pf0_0[qq]; }');
    expect(k.wgsl).toContain('var<workgroup> k_xs: array<f16, 9216>;');
    expect(k.wgsl).toContain('subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&k_xs, sd * 9216u + sr * 2304u + 1152u + 48u, 72u)');
  });

  it('writes results as vec4 runs along β through slots of 272 floats, read in rotated order', () => {
    expect(k.wgsl).toContain('var<storage, read_write> k_dst: array<vec4<f16>>;');
    expect(k.wgsl).toContain('{ let qq = (2u + e / 8u) & 3u; v[qq] = k_os[(sr * 2u + g) * 272u + r * 16u + bv * 4u + qq]; }');
    expect(k.wgsl).toContain('let row = r0 + sr * 32u + 16u + r;');
    expect(k.wgsl).toContain('let at = (row * 4096u + (alpha * 64u + beta)) / 4u;');
  });
});

describe('ks-sgmat-strided WGSL, contiguous factor with W staged (4096 -> 1024 first factor K(4, 256, 1024, 1))', () => {
  const c = monarchCase(4096, 1024, 4);
  const op0 = c.ops[0];
  const s = schedule({ dtile: 1, cols: 128, sb: 64, mr: 2, rg: 4, chunks: 2, tk: 32, wres: false, wstage: true });
  const k = ksSgmatStrided.emit(op0, s, contextFor(c, 'k', 0, 'f16'));

  it('stages W (128 β × 32 γ, vec4 loads along γ) beside the source and reads every right matrix there', () => {
    expect(ksSgmatStrided.candidates(op0, H200)).toContainEqual(s);
    expect(k.wgsl).toContain('var<storage, read> k_params: array<vec4<f16>>;');
    expect(k.wgsl).toContain('var<workgroup> k_ws: array<f16, 5120>;');
    expect(k.wgsl).toContain('pf1_0 = k_params[(((alpha + delta0 + dd) * 256u + beta0 + bb) * 1024u + k) / 4u];');
    expect(k.wgsl).toContain('{ let qq = (3u + kv) & 3u; k_ws[dd * 5120u + bb * 40u + k + qq] = pf1_0[qq]; }');
    expect(k.wgsl).toContain('let sb0 = (sg % 2u) * 64u;');
    expect(k.wgsl).toContain('let r3_1 = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, col_major>(&k_ws, sd * 5120u + sb0 * 40u + 1936u, 40u);');
    expect(k.wgsl).not.toContain('wbase');
    // Without resident W the 32 γ chunks are a loop: one chunk's 2 × 4 tiles × 2 γ tiles of multiply-adds.
    expect(k.wgsl).toContain('for (var kc = 0u; kc < 32u; kc++) {');
    expect(k.wgsl.match(/subgroupMatrixMultiplyAccumulate/g)).toHaveLength(16);
    expect(k.wgsl).not.toMatch(/subgroupMatrixLoad<[^>]*>, col_major>\(&k_params/);
  });
});

describe('ks-sgmat-strided workgroup-memory banks, contiguous factors (d = 1)', () => {
  test.prop([fc.constantFrom(16, 32, 64, 128, 256), fc.constantFrom(1, 4), fc.nat()], { numRuns: 40 })('staging writes, matrix loads and epilogue reads', (p, a, pick) => {
    const op = ks(a, p, p, 1, 'x', 'y', 'w');
    const all = ksSgmatStrided.candidates(op, H200);
    const s = all[pick % all.length];
    const { tkp, slot, srcVec } = stridedSgmatLayout(op, s);
    expect(srcVec).toBe(4);
    // Staging: item e = lid, γ run kv fastest, then row; lane q goes to γ 4·kv + (q + kv) mod 4.
    // 32 sub-word writes span more than 32 words when a row chunk's rows are long: at most 2 per bank.
    for (let q = 0; q < 4; q++) {
      const runs = s.tk / 4;
      const words = warp.map((e) => {
        const kv = e % runs;
        return Math.floor((Math.floor(e / runs) * tkp + 4 * kv + ((q + kv) & 3)) / 2);
      });
      expect(bankConflict(words), `staging ${JSON.stringify(s)}`).toBeLessThanOrEqual(2);
    }
    const phase = Array.from({ length: 8 }, (_, r) => Array.from({ length: 4 }, (_, w) => (r * tkp) / 2 + w)).flat();
    expect(bankConflict(phase), `left load ${JSON.stringify(s)}`).toBe(1);
    // Epilogue: β run bv fastest, then β group g, row r; lane q reads slot (g) word r·16 + 4·bv + (q + e / 8) mod 4.
    const groups = s.cols / s.sb;
    for (let q = 0; q < 4; q++) {
      const words = warp.map((e) => {
        const bv = e % 4;
        const g = Math.floor(e / 4) % groups;
        const r = Math.floor(e / (4 * groups)) % 16;
        return g * slot + r * 16 + 4 * bv + ((q + Math.floor(e / 8)) & 3);
      });
      expect(bankConflict(words), `epilogue ${JSON.stringify(s)}`).toBe(1);
    }
  });
});

describe('ks-sgmat-strided results on contiguous factors (d = 1), emulated, against the float64 reference', () => {
  // One schedule per code path: row groups sharing W, several β groups, W resident or read per
  // γ chunk, several γ chunks (c = 48: not a power of two), several row chunks and row tiles (a
  // batch ending mid-chunk, batch 1), the bias with accumulation (vec4 stores along β), a
  // permuted output map (scalar stores).
  const square = monarchCase(256, 256, 16); // first factor K(16, 16, 16, 1)
  const narrow = monarchCase(256, 64, 4); // K(4, 16, 64, 1): 256 -> 64, c = 64
  const wide = monarchCase(64, 256, 2); // K(2, 32, 32, 1): 64 -> 256
  const dense = denseCase(48, 64); // K(1, 64, 48, 1)
  const cases: [string, OpsCase, KsSgmatStridedSchedule, number][] = [
    ['Monarch first factor, the d = 1 default on these limits (8 row groups), 2 row chunks', square, ksSgmatStrided.defaultSchedule(square.ops[0] as KsOp, EMULATED), 300],
    ['256 -> 64, W read per γ chunk, 4 γ chunks, 2 row groups', narrow, schedule({ dtile: 1, cols: 16, sb: 16, mr: 1, rg: 2, chunks: 2, tk: 16, wres: false, wstage: false }), 1],
    ['64 -> 256, 2 β groups × 2 row groups of 2 row tiles, 2 row tiles of 2 chunks', wide, schedule({ dtile: 1, cols: 32, sb: 16, mr: 2, rg: 2, chunks: 2, tk: 32, wres: true, wstage: false }), 150],
    ['dense 48 -> 64, 3 γ chunks, 4 row groups × 2 β groups of 32', dense, schedule({ dtile: 1, cols: 64, sb: 32, mr: 1, rg: 4, chunks: 2, tk: 16, wres: true, wstage: false }), 37],
    ['dense 48 -> 64, W staged, 3 γ chunks, 2 β groups of 64 rows × 32 β (8 result tiles per subgroup)', dense, schedule({ dtile: 1, cols: 64, sb: 32, mr: 4, rg: 1, chunks: 2, tk: 16, wres: false, wstage: true }), 70],
  ];
  for (const [name, c, s, batch] of cases)
    it(`${name} (batch ${batch})`, async () => {
      expect(ksSgmatStrided.candidates(c.ops[0] as KsOp, EMULATED), name).toContainEqual(s);
      expect(await emulatedError(c, s, batch, 0), JSON.stringify(s)).toBeLessThan(TOL_F16);
    });

  const op = square.ops[0] as KsOp;
  const s = schedule({ dtile: 1, cols: 16, sb: 16, mr: 1, rg: 2, chunks: 2, tk: 16, wres: true, wstage: false });
  const bias = { tensor: 'blkdiag1', offset: 0, length: 256 };
  it('adds the bias and accumulates: vec4 stores along β (W staged: the bias read through the vec4 view) and, through a permuted output map, scalar ones', async () => {
    const biased: KsOp = { ...op, accumulate: true, bias };
    const permuted: KsOp = { ...biased, output: { size: 256, steps: [{ shape: [16, 16], perm: [1, 0] }] } };
    const staged = { ...s, wres: false, wstage: true };
    expect(ksSgmatStrided.candidates(biased, EMULATED)).toContainEqual(staged);
    expect(ksSgmatStrided.candidates(permuted, EMULATED)).toContainEqual(s);
    expect(await emulatedError(square, staged, 70, 0, biased)).toBeLessThan(TOL_F16);
    expect(await emulatedError(square, s, 21, 0, permuted)).toBeLessThan(TOL_F16);
  });

  it('fails a kernel whose row groups are swapped (the check can fail)', async () => {
    const broken = emulatedEmit((ctx) => {
      const k = unfiltered(ksSgmatStrided.emit(op, s, ctx));
      expect(k.wgsl).toContain('let sr = sg;');
      return { ...k, wgsl: k.wgsl.replace('let sr = sg;', 'let sr = (sg + 1u) % 2u;') };
    }, { packWorkgroupF16: true });
    expect(await kernelError(square, 0, 1, broken, 40, 'f32')).toBeGreaterThan(0.1);
  });
});
