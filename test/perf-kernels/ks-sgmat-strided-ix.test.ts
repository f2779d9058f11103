/**
 * ks-sgmat-strided's interleave-expanded form (`ix`, src/codegen/wgsl/fast/ks-sgmat-ix.ts): a
 * strided factor with d = 2, 4 or 8 as one GEMM per α over W spread on its δ diagonal, with
 * contiguous operands and (acc16, no bias, no accumulation) results stored straight to the output.
 *
 * Results through the subgroup-matrix emulation on SwiftShader against float64 (f32 storage, as
 * the emulation requires; f16 workgroup arrays stay f16): f32 and f16 results, single- and
 * double-buffered staging, vec4 and scalar W staging, partial last row chunks (the direct kernels'
 * staged fallback), bias and accumulation. The emulation multiplies in f32 whatever the result
 * type, so f16 accumulation's precision is the tuner's float64 check on the device.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksSgmatStrided, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { EMULATED, emulatedError, GOAL_SHAPES, H200, unfiltered, workgroupBytes } from './sgmat-strided-support.js';
import { kernelError, sample, TOL_F16 } from './support.js';

type IxKnobs = Pick<KsSgmatStridedSchedule, 'dtile' | 'cols' | 'sb' | 'mr' | 'chunks' | 'tk'> & { readonly rg: number; readonly acc16?: true; readonly db?: true; readonly gl?: true };
const ix = (k: IxKnobs): KsSgmatStridedSchedule => ({ family: 'ks-sgmat-strided', ...k, wres: false, ix: true });

describe('ks-sgmat-strided ix: the schedule space', () => {
  it('offers ix last, for strided factors with d ≤ 8 only, each schedule once', () => {
    for (const [name, c] of GOAL_SHAPES) {
      const [first, strided] = c.ops as KsOp[];
      expect(ksSgmatStrided.candidates(first, H200).some((s) => 'ix' in s), name).toBe(false);
      const all = ksSgmatStrided.candidates(strided, H200);
      const at = all.findIndex((s) => s.ix === true);
      expect(at >= 0, name).toBe(strided.d <= 8);
      if (at < 0) continue;
      expect(all.slice(at).every((s) => s.ix === true), name).toBe(true);
      expect(new Set(all.slice(at).map(scheduleKey)).size, name).toBe(all.length - at);
    }
  });

  it('keeps ix out of the defaults and decodes it from a stored schedule', () => {
    for (const [, c] of GOAL_SHAPES) for (const op of c.ops as KsOp[]) expect('ix' in ksSgmatStrided.defaultSchedule(op, H200)).toBe(false);
    const s = ix({ dtile: 4, cols: 64, sb: 16, mr: 4, rg: 2, chunks: 1, tk: 4, acc16: true, db: true, gl: true });
    expect(ksSgmatStrided.decode(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });

  it('declares at most the limit of workgroup memory (a spread of the ix candidates, each d ≤ 8 factor)', () => {
    for (const [name, c] of GOAL_SHAPES) {
      const op = c.ops[1] as KsOp;
      for (const s of sample(ksSgmatStrided.candidates(op, H200).filter((x) => x.ix), 20)) {
        const k = ksSgmatStrided.emit(op, s, contextFor(c, 'k', 1, 'f16'));
        expect(workgroupBytes(k.wgsl), `${name} ${JSON.stringify(s)}`).toBeLessThanOrEqual(H200.maxWorkgroupStorageBytes);
      }
    }
  });
});

describe('ks-sgmat-strided ix WGSL (1024 -> 4096, 64x64 warp tiles, f16 results)', () => {
  const c = monarchCase(1024, 4096, 4);
  const op = c.ops[1] as KsOp;
  const k = ksSgmatStrided.emit(op, ix({ dtile: 4, cols: 32, sb: 16, mr: 4, rg: 2, chunks: 1, tk: 4, acc16: true }), contextFor(c, 'k', 1, 'f16')).wgsl;

  it('loads 16 consecutive inputs as the left matrix and stores 16 consecutive outputs straight to dst', () => {
    expect(k).toContain('k_src[(min(r0 + r, batch - 1u) * 1024u + alpha * 1024u + k0 + 16u + kv * 4u) / 4u]');
    expect(k).toContain('subgroupMatrixStore<row_major>(&k_dst, (r0 + sgr * 64u) * 4096u + alpha * 4096u + n0 + sgb * 64u + 16u, acc_0_1, 4096u);');
    expect(k).toContain('if (r0 + 128u <= batch) {');
  });

  it('with gl, loads the left matrices of whole row chunks from src (row stride 1024) and stages them for the last one', () => {
    const g = ksSgmatStrided.emit(op, ix({ dtile: 4, cols: 32, sb: 16, mr: 4, rg: 2, chunks: 1, tk: 4, acc16: true, gl: true }), contextFor(c, 'k', 1, 'f16')).wgsl;
    expect(g).toContain('let xl1 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&k_src, (r0 + sgr * 64u + 16u) * 1024u + alpha * 1024u + k0 + kk, 1024u);');
    expect(g).toContain('let xl1 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&k_xs, sgr * 1536u + 384u + kk, 24u);');
    expect(g).toContain('@group(0) @binding(1) var<storage, read> k_src: array<f16>;');
  });

  it('writes only the δ diagonal of the expanded weight: W[α·d + δ, β, γ] at es[n][γ·d + δ]', () => {
    expect(k).toContain('k_es[nn * 24u + (gv * 4u + 1u) * 4u + nn % 4u] = pf1_0.y;');
    expect(k).toContain('k_params[(262144u + ((alpha * 4u + nn % 4u) * 1024u + beta0 + nn / 4u) * 256u + (k0 + 16u) / 4u) / 4u + gv]');
  });
});

describe('ks-sgmat-strided ix results, emulated, against the float64 reference', () => {
  // One kernel per code path (emulated kernels take seconds each to compile on SwiftShader).
  const rect = monarchCase(64, 256, 4); // K(1, 64, 16, 4): the rectangular 1 -> 4 shape
  const wide = monarchCase(256, 256, 8); // K(1, 32, 32, 8)
  const pairs = monarchCase(32, 32, 2); // K(1, 16, 16, 2)
  const cases: [string, OpsCase, KsSgmatStridedSchedule, number][] = [
    ['d = 4, f32 results (vec4 epilogue), 2 x 2 subgroups, 4 row chunks (the batch ends in the second)', rect, ix({ dtile: 4, cols: 16, sb: 8, mr: 1, rg: 2, chunks: 4, tk: 4 }), 45],
    ['d = 4, f16 results stored direct, the last row chunk through the slots, double-buffered', rect, ix({ dtile: 4, cols: 32, sb: 16, mr: 2, rg: 1, chunks: 4, tk: 4, acc16: true, db: true }), 83],
    ['d = 8, scalar W staging (2 γ per chunk), f16 results, 4 K chunks double-buffered', wide, ix({ dtile: 8, cols: 16, sb: 8, mr: 1, rg: 2, chunks: 1, tk: 2, acc16: true, db: true }), 37],
    ['d = 2, K chunks of 32, f32 results', pairs, ix({ dtile: 2, cols: 16, sb: 16, mr: 2, rg: 1, chunks: 1, tk: 16 }), 29],
    ['d = 4, gl (left matrices from the source), f16 direct, the batch ends in the second row chunk (staged)', rect, ix({ dtile: 4, cols: 32, sb: 16, mr: 2, rg: 1, chunks: 4, tk: 4, acc16: true, gl: true }), 45],
    ['d = 4, gl, f32 results, K chunks of 32 double-buffered', rect, ix({ dtile: 4, cols: 16, sb: 8, mr: 1, rg: 1, chunks: 4, tk: 8, db: true, gl: true }), 70],
  ];
  for (const [name, c, s, batch] of cases)
    it(`${name} (batch ${batch})`, async () => {
      expect(ksSgmatStrided.candidates(c.ops[1] as KsOp, EMULATED), name).toContainEqual(s);
      expect(await emulatedError(c, s, batch), JSON.stringify(s)).toBeLessThan(TOL_F16);
    }, 300_000);

  it('adds the bias and accumulates (f16 results through the slots)', async () => {
    const op = rect.ops[1] as KsOp;
    const s = ix({ dtile: 4, cols: 16, sb: 16, mr: 1, rg: 1, chunks: 4, tk: 4, acc16: true });
    const biased: KsOp = { ...op, accumulate: true, bias: { tensor: 'blkdiag2', offset: 0, length: 256 } };
    expect(ksSgmatStrided.candidates(biased, EMULATED)).toContainEqual(s);
    expect(await emulatedError(rect, s, 23, 1, biased)).toBeLessThan(TOL_F16);
  });

  it('fails a kernel whose expanded weight ignores δ (the check can fail)', async () => {
    const op = rect.ops[1] as KsOp;
    const s = ix({ dtile: 4, cols: 16, sb: 8, mr: 1, rg: 2, chunks: 1, tk: 4 });
    const broken = emulatedEmit((ctx) => {
      const k = unfiltered(ksSgmatStrided.emit(op, s, ctx));
      expect(k.wgsl).toContain(' + nn % 4u] = ');
      return { ...k, wgsl: k.wgsl.replaceAll(' + nn % 4u] = ', '] = ') };
    }, { packWorkgroupF16: true });
    expect(await kernelError(rect, 1, 1, broken, 19, 'f32')).toBeGreaterThan(0.1);
  });
});
