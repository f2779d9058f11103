/**
 * The subgroup-matrix configurations a kernel needs (B7: a set of such kernels states them, so a
 * runtime on an adapter offering only others, e.g. 8x8x8, skips it without compiling): read from
 * its WGSL as Dawn checks it, each multiply's component types and M x N x K. Every tensor-core
 * family's candidates are read (acc16: f16 results), the orientation of the WGSL types is Dawn's
 * (left<T, K, M>, right<T, N, K>, result<R, N, M>), and a type the reading does not understand, or
 * one in no multiply, is an internal error rather than a requirement left out.
 */
import { describe, expect, it } from 'vitest';
import { compileKernels } from '../../src/compile-kernels.js';
import { TENSOR_CORE_TARGET } from '../../src/codegen/kernel-sets.js';
import { subgroupMatrixConfigs } from '../../src/codegen/subgroup-matrix-configs.js';
import { candidates, emitKernel, emitRunKernel, runCandidates } from '../../src/codegen/wgsl/families.js';
import type { Schedule } from '../../src/codegen/wgsl/kernel.js';
import type { Program } from '../../src/ir/ir.js';
import { subgroupMatrixConfigName } from '../../src/manifest/subgroup-matrix.js';
import { sample } from '../perf-kernels/support.js';

const program = (source: string): Program => {
  const result = compileKernels(source, 'spec.mon');
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return result.programs![0];
};

const ctx = (p: Program, index: number) => ({ entryPoint: `k${index}`, opIndex: index, storage: 'f16' as const, params: p.params, buffers: p.buffers });

/** What a tensor-core schedule multiplies: f16 tiles of 16 into f16 results with `acc16`, else f32. */
const expected = (s: Schedule) => [`f16->${s.acc16 === true ? 'f16' : 'f32'} 16x16x16`];

describe('the subgroup-matrix configurations of a kernel', () => {
  it.each([
    ['module m\ndtype f16\nmap up : 256 -> 1024 = monarch(nblocks: 4)'],
    ['module m\ndtype f16\nmap sq : 1024 -> 1024 = monarch(nblocks: 32)'],
  ])("every tensor-core family's candidates (a spread) of %j: the configuration their tiles and result component make", (source) => {
    const p = program(source);
    const seen = new Set<string>();
    p.ops.forEach((op, i) => {
      const tensorCore = candidates(op, TENSOR_CORE_TARGET).filter((s) => s.family.includes('sgmat'));
      for (const s of sample(tensorCore, 24)) {
        expect(subgroupMatrixConfigs(emitKernel(op, s, ctx(p, i)).wgsl), JSON.stringify(s)).toEqual(expected(s));
        seen.add(`${s.family} ${expected(s)[0]}`);
      }
      // The other families' kernels use no subgroup matrix.
      const [other] = candidates(op, TENSOR_CORE_TARGET).filter((s) => !s.family.includes('sgmat'));
      expect(subgroupMatrixConfigs(emitKernel(op, other, ctx(p, i)).wgsl)).toEqual([]);
    });
    const pair = runCandidates(p, [0, 1], TENSOR_CORE_TARGET).filter((s) => s.family.includes('sgmat'));
    for (const s of sample(pair, 8)) expect(subgroupMatrixConfigs(emitRunKernel(p, [0, 1], s, ctx(p, 0)).wgsl), JSON.stringify(s)).toEqual(expected(s));
    expect([...seen].sort(), 'both result components of both families were read').toEqual(
      ['ks-sgmat', 'ks-sgmat-strided'].flatMap((f) => [`${f} f16->f16 16x16x16`, `${f} f16->f32 16x16x16`]),
    );
    expect(pair.length, 'the fused Monarch pair on tensor cores').toBeGreaterThan(0);
  });

  it("reads Dawn's orientation: left<T, K cols, M rows>, right<T, N cols, K rows>, result<R, N cols, M rows>; each multiply shape once, sorted", () => {
    const wgsl = [
      'var<private> a : subgroup_matrix_left<f16, 8, 16>;',
      'var<private> b : subgroup_matrix_right<f16, 32, 8>;',
      'var<private> c : subgroup_matrix_result<f32, 32, 16>;',
      'let d = subgroupMatrixLoad<subgroup_matrix_result<f32,32u,16u>, row_major>(&s, 0u, 32u);',
      '@diagnostic(off, chromium.subgroup_matrix_uniformity)',
    ].join('\n');
    expect(subgroupMatrixConfigs(wgsl)).toEqual(['f16->f32 16x32x8']);
    expect(subgroupMatrixConfigName({ componentType: 'f16', resultComponentType: 'f32', M: 16, N: 32, K: 8 })).toBe('f16->f32 16x32x8');
    const both = ['subgroup_matrix_left<f16, 16, 16>', 'subgroup_matrix_right<f16, 16, 16>', 'subgroup_matrix_result<f32, 16, 16>', 'subgroup_matrix_result<f16, 16, 16>'].join('\n');
    expect(subgroupMatrixConfigs(both)).toEqual(['f16->f16 16x16x16', 'f16->f32 16x16x16']);
    expect(subgroupMatrixConfigs('fn main() { let x = 1u; }')).toEqual([]);
  });

  it.each([
    ['dimensions that are not integer literals', 'subgroup_matrix_left<f16, TILE, TILE>'],
    ['a type without its arguments', 'alias L = subgroup_matrix_result;'],
    ['a result type in no multiply (no left of its rows)', 'subgroup_matrix_left<f16, 16, 8>\nsubgroup_matrix_right<f16, 16, 16>\nsubgroup_matrix_result<f32, 16, 16>'],
  ])('%s: an internal error, not a configuration left out', (_, wgsl) => {
    expect(() => subgroupMatrixConfigs(wgsl)).toThrow(/^internal error: /);
  });
});
