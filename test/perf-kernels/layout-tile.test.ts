/**
 * bench/layout-tile.ts (the tiled-intermediate probe's rewrite): σ as an index map, and the
 * families' kernels with the intermediate's address moved through σ, against the float64
 * reference of the op carrying σ as its map (f32 kernels on SwiftShader, tensor-core ones through
 * the subgroup-matrix emulation), so the device call times only kernels that compute the op.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase, type OpsCase } from '../../bench/cases.js';
import { H200_LIMITS } from '../../bench/goal-families.js';
import { defaultSchedule, emitKernel } from '../../src/codegen/wgsl/families.js';
import { gammaFirstStaging, relayout, tileMap, type TileLayout } from '../../bench/layout-tile.js';
import { indexMapProblems, indexMapTable } from '../../src/ir/index-map.js';
import { ksTiled } from '../../src/codegen/wgsl/fast/ks-tiled.js';
import { ksDtiled, type KsDtiledSchedule } from '../../src/codegen/wgsl/fast/ks-dtiled.js';
import { ksSgmat, SUBGROUP_MATRIX_FEATURE } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import { ksSgmatStrided } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import type { EmittedKernel } from '../../src/codegen/wgsl/kernel.js';
import type { KernelContext } from '../../src/codegen/wgsl/scaffold.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { kernelError, LIMITS, TOL, TOL_F16 } from './support.js';
import { EMULATED, unfiltered } from './sgmat-strided-support.js';

/** Monarch 256 (16 blocks): factor 2 is K(1, 16, 16, 16). */
const M256 = monarchCase(256, 256, 16);

/** `c` with σ as factor 1's output map and factor 2's input map. */
function tiled(c: OpsCase, t: TileLayout): OpsCase {
  const [op0, op1] = c.ops;
  const map = tileMap(op1.c, op1.d, t);
  return { ...c, ops: [{ ...op0, output: map }, { ...op1, input: map }] };
}

/** The error of factor `index` of `c` under tile layout `t` (the kernel emitted for the identity maps, then moved through σ). */
function errorOf(c: OpsCase, index: 0 | 1, t: TileLayout, emit: (op: KsOp, ctx: KernelContext) => EmittedKernel, batch: number, storage: 'f32' | 'f16' = 'f32'): Promise<number> {
  const d = c.ops[1].d;
  return kernelError(tiled(c, t), index, 1, (ctx) => relayout(emit(c.ops[index], ctx), index === 0 ? 'dst' : 'src', d, t), batch, storage);
}

describe('tileMap', () => {
  it('is the permutation γ·d + δ -> (γ/kt)·kt·d + (δ/jt)·kt·jt + (γ%kt)·jt + δ%jt', () => {
    const map = tileMap(32, 64, { kt: 8, jt: 16 });
    expect(indexMapProblems(map)).toEqual([]);
    const table = indexMapTable(map);
    expect(new Set(table).size).toBe(32 * 64);
    for (const [g, j] of [[0, 0], [1, 0], [0, 1], [9, 17], [31, 63]])
      expect(table[g * 64 + j]).toBe(Math.floor(g / 8) * 8 * 64 + Math.floor(j / 16) * 8 * 16 + (g % 8) * 16 + (j % 16));
  });

  it('refuses tiles that do not divide the intermediate', () => {
    expect(() => tileMap(32, 64, { kt: 8, jt: 24 })).toThrow(/do not divide/);
  });
});

describe('the probe on the device calls\' targets', () => {
  // What layout-tile-probe emits on the H100/H200: the defaults of both factors, every rewrite it applies. A family
  // change that writes t0's address in a form relayout does not know fails here, not in a device call.
  for (const n of [4096, 16384])
    for (const storage of ['f32', 'f16'] as const)
      it(`rewrites n=${n} ${storage}'s default kernels`, () => {
        const c = monarchCase(n, n, Math.sqrt(n));
        const [op0, op1] = c.ops;
        const limits = storage === 'f32' ? { ...H200_LIMITS, features: H200_LIMITS.features.filter((f) => f !== SUBGROUP_MATRIX_FEATURE) } : H200_LIMITS;
        const [s0, s1] = [defaultSchedule(op0, limits), defaultSchedule(op1, limits)];
        const k0 = emitKernel(op0, s0, contextFor(c, 'op0', 0, storage));
        const k1 = emitKernel(op1, s1, contextFor(c, 'op1', 1, storage));
        const t = { kt: 8, jt: 8 };
        expect(relayout(k0, 'dst', op1.d, t).wgsl).toContain('op0_dst_lay(');
        expect(relayout(relayout(k1, 'src', op1.d, t), 'dst', op1.d, t).wgsl).toContain('op1_dst_lay(');
        if (s1.family === 'ks-dtiled') expect(relayout(gammaFirstStaging(k1, s1.tk as number), 'src', op1.d, t).wgsl).toContain('op1_src_lay(');
      });
});

describe('relayout, f32 families on SwiftShader', () => {
  const t88 = { kt: 8, jt: 8 };
  // n = 4096's ks-dtiled default form (8 δ, planes, pipelined: the same source and output addressing) with 4x4
  // register tiles and without `ku`, which only lengthen SwiftShader's compile.
  const flat: KsDtiledSchedule = { family: 'ks-dtiled', rows: 32, cols: 16, dtile: 8, tk: 8, rr: 4, rb: 4, pipeline: true };
  const dtiled: KsDtiledSchedule = { ...flat, pl: true };

  it('moves ks-dtiled reads of the intermediate through σ, rows-first and γ-first staging', async () => {
    expect(ksDtiled.candidates(M256.ops[1], LIMITS)).toContainEqual(dtiled);
    const emit = (op: KsOp, ctx: KernelContext) => ksDtiled.emit(op, dtiled, ctx);
    expect(await errorOf(M256, 1, t88, emit, 45)).toBeLessThan(TOL);
    expect(await errorOf(M256, 1, { kt: 4, jt: 16 }, (op, ctx) => gammaFirstStaging(emit(op, ctx), dtiled.tk), 45)).toBeLessThan(TOL);
  });

  it('moves ks-dtiled scalar writes of its output through a second σ (the probe\'s diagnostic)', async () => {
    const [, op1] = M256.ops;
    const out = tileMap(op1.b, op1.d, t88);
    const c = { ...tiled(M256, t88), ops: [tiled(M256, t88).ops[0], { ...tiled(M256, t88).ops[1], output: out }] };
    const emit = (ctx: KernelContext) => relayout(relayout(ksDtiled.emit(op1, dtiled, ctx), 'src', op1.d, t88), 'dst', op1.d, t88);
    expect(await kernelError(c, 1, 1, emit, 45)).toBeLessThan(TOL);
  });

  it('moves ks-tiled writes of the intermediate through σ (its default here)', async () => {
    const emit = (op: KsOp, ctx: KernelContext) => ksTiled.emit(op, ksTiled.defaultSchedule(op, LIMITS), ctx);
    expect(await errorOf(M256, 0, t88, emit, 37)).toBeLessThan(TOL);
  });

  it('fails a kernel moved through another σ than its op carries (the check can fail)', async () => {
    const emit = (ctx: KernelContext) => relayout(ksDtiled.emit(M256.ops[1], dtiled, ctx), 'src', 16, { kt: 4, jt: 8 });
    expect(await kernelError(tiled(M256, t88), 1, 1, emit, 16)).toBeGreaterThan(0.1);
  });

  const text = (s: KsDtiledSchedule) => ksDtiled.emit(M256.ops[1], s, { entryPoint: 'k', opIndex: 1, storage: 'f32', params: M256.params, buffers: M256.buffers });

  it('refuses an access it cannot rewrite', () => {
    const k = text(dtiled);
    expect(() => relayout({ ...k, wgsl: k.wgsl.replace('k_src[', 'k_src[7u + ') }, 'src', 16, t88)).toThrow(/unexpected index/);
  });

  it('pads each γ plane of the staged source by one vec4 with γ-first staging (32 rows x 8 δ: 64 vec4 -> 65), and needs planes', () => {
    expect(text(dtiled).wgsl).toContain('k_xs: array<array<vec4<f32>, 64>, 8>;');
    expect(gammaFirstStaging(text(dtiled), 8).wgsl).toContain('k_xs: array<array<vec4<f32>, 65>, 8>;');
    expect(() => gammaFirstStaging(text(flat), 8)).toThrow(/planes/);
  });
});

describe('relayout, tensor-core families emulated', () => {
  it('ks-sgmat writes and ks-sgmat-strided reads through σ 8x16, the latter also writing y through an 8x8 σ (their defaults on these limits)', async () => {
    const t = { kt: 8, jt: 16 };
    const [op0, op1] = M256.ops;
    const both = tiled(M256, t);
    const out = { kt: 8, jt: 8 };
    const c = { ...both, ops: [both.ops[0], { ...both.ops[1], output: tileMap(op1.b, op1.d, out) }] };
    const first = (ctx: KernelContext) => relayout(ksSgmat.emit(op0, ksSgmat.defaultSchedule(op0, EMULATED), ctx), 'dst', op1.d, t);
    const second = (ctx: KernelContext) => relayout(relayout(unfiltered(ksSgmatStrided.emit(op1, ksSgmatStrided.defaultSchedule(op1, EMULATED), ctx)), 'src', op1.d, t), 'dst', op1.d, out);
    expect(await kernelError(c, 0, 1, emulatedEmit(first, { packWorkgroupF16: true }), 21, 'f32')).toBeLessThan(TOL_F16);
    expect(await kernelError(c, 1, 1, emulatedEmit(second, { packWorkgroupF16: true }), 21, 'f32')).toBeLessThan(TOL_F16);
  });
});
