/**
 * ks-sgmat-strided (tensor cores for the strided factor): its applicability rules and its WGSL
 * text. Its kernels need shader-f16 and the subgroup-matrix feature, which SwiftShader lacks;
 * on the GPU the tuner checks every candidate against the float64 reference before timing it
 * (bench/sweep.ts, `monc tune`).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase } from '../../bench/cases.js';
import { SUBGROUP_MATRIX_FEATURE } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import { ksSgmatStrided, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { candidates as allCandidates, defaultSchedule } from '../../src/codegen/wgsl/families.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';

const GPU: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', SUBGROUP_MATRIX_FEATURE] };

describe('ks-sgmat-strided applicability', () => {
  const c = monarchCase(4096, 4096, 64);
  const [op0, op1] = c.ops;

  it("offers schedules for Monarch's strided factor only, within the workgroup-storage limit", () => {
    expect(ksSgmatStrided.candidates(op0, GPU)).toEqual([]);
    const all = ksSgmatStrided.candidates(op1, GPU);
    expect(all.length).toBeGreaterThan(0);
    expect(all).toContainEqual(ksSgmatStrided.defaultSchedule(op1, GPU));
    for (const s of all) {
      const wgsl = ksSgmatStrided.emit(op1, s, contextFor(c, 'k', 1, 'f16')).wgsl;
      const bytes = [...wgsl.matchAll(/var<workgroup> \w+: array<(f16|f32), (\d+)>/g)].reduce((t, m) => t + (m[1] === 'f16' ? 2 : 4) * Number(m[2]), 0);
      expect(bytes, JSON.stringify(s)).toBeLessThanOrEqual(GPU.maxWorkgroupStorageBytes);
    }
  });

  it('falls back without shader-f16 and subgroup matrices, and for shapes off the 16x16 tile or with a permuted input', () => {
    expect(ksSgmatStrided.candidates(op1, { ...GPU, features: ['shader-f16'] })).toEqual([]);
    expect(allCandidates(op1, { ...GPU, features: [] }).some((s) => s.family === 'ks-sgmat-strided')).toBe(false);
    expect(defaultSchedule(op1, { ...GPU, features: [] }).family).toBe('ks-dvec');
    expect(ksSgmatStrided.candidates(ks(1, 24, 16, 8, 'x', 'y', 'w'), GPU)).toEqual([]);
    expect(ksSgmatStrided.candidates({ ...op1, input: { size: 4096, steps: [{ shape: [64, 64], perm: [1, 0] }] } }, GPU)).toEqual([]);
  });

  it('needs f16 storage', () => {
    expect(() => ksSgmatStrided.emit(op1, ksSgmatStrided.defaultSchedule(op1, GPU), contextFor(c, 'k', 1, 'f32'))).toThrow(/f16/);
  });
});

describe('ks-sgmat-strided WGSL', () => {
  const c = monarchCase(4096, 4096, 64);
  const op1 = c.ops[1];
  const schedule: KsSgmatStridedSchedule = { family: 'ks-sgmat-strided', rows: 16, cols: 64, dtile: 8, wstage: false };
  const k = ksSgmatStrided.emit(op1, schedule, contextFor(c, 'k', 1, 'f16'));

  it('is one subgroup with the subgroup-matrix extension, tiled over 16 rows and 8 of the 64 δ', () => {
    expect(k.enables).toEqual(['f16', 'chromium_experimental_subgroup_matrix']);
    expect(k.workgroupSize).toEqual([32, 1, 1]);
    expect(k.dispatch).toEqual({ kind: 'tiled', rowsPerWorkgroup: 16, workgroupsPerRowTile: 8 });
  });

  it('folds the stride d = 64 into the staging: vec4 reads along δ at γ·64, written as xs[δ][row][γ]', () => {
    expect(k.wgsl).toContain('var<storage, read> k_src: array<vec4<f16>>;');
    expect(k.wgsl).toContain('k_src[(min(row0 + r, batch - 1u) * 4096u + alpha * 4096u + k * 64u + delta0 + dv * 4u) / 4u]');
    expect(k.wgsl).toContain('k_xs[((dv * 4u + 1u) * 16u + r) * 64u + k] = v.y;');
  });

  it('reads left tiles from workgroup memory and right tiles straight from W with stride c', () => {
    expect(k.wgsl).toMatch(/subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>\(&k_xs, \(dd \* 16u\) \* 64u \+ kk, 64u\)/);
    expect(k.wgsl).toContain('var<storage, read> k_params: array<f16>;');
    expect(k.wgsl).toMatch(/subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, col_major>\(&k_params, 262144u \+ \(\(alpha \* 64u \+ delta0 \+ dd\) \* 64u \+ beta0 \+ 48u\) \* 64u \+ kk, 64u\)/);
    expect(k.wgsl.match(/subgroupMatrixMultiplyAccumulate/g)).toHaveLength(4);
  });

  it("with wstage, stages each δ's W tile (vec4 along γ) and reads the right tiles from it", () => {
    const staged = ksSgmatStrided.emit(op1, { ...schedule, wstage: true }, contextFor(c, 'k', 1, 'f16')).wgsl;
    expect(staged).toContain('var<workgroup> k_ws: array<f16, 4096>;');
    expect(staged).toContain('var<storage, read> k_params: array<vec4<f16>>;');
    expect(staged).toContain('let w = k_params[(262144u + ((alpha * 64u + delta0 + dd) * 64u + beta0 + bb) * 64u + kv * 4u) / 4u];');
    expect(staged).toMatch(/subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, col_major>\(&k_ws, 3072u \+ kk, 64u\)/);
    expect(staged).not.toMatch(/subgroupMatrixLoad<[^>]*>[^(]*\(&k_params/);
  });

  it('writes the destination as vec4 along δ', () => {
    expect(k.wgsl).toContain('var<storage, read_write> k_dst: array<vec4<f16>>;');
    expect(k.wgsl).toMatch(/k_dst\[at\] = vec4<f16>\(v\);/);
  });

  it('adds the bias at the logical output index and the old destination when accumulating', () => {
    const biased = { ...op1, accumulate: true, bias: { tensor: 'blkdiag2', offset: 0, length: 4096 } };
    const text = ksSgmatStrided.emit(biased, schedule, contextFor({ ...c, ops: [c.ops[0], biased] }, 'k', 1, 'f16')).wgsl;
    expect(text).toContain('v += f32(k_params[262144u + (beta * 64u + delta)]);');
    expect(text).toContain('v += vec4<f32>(k_dst[at]);');
  });
});
