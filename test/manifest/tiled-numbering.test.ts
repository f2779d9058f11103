/**
 * decodeManifest holds a kernel set's tiled rule to how the kernel's WGSL numbers its workgroups
 * (set-kernels.ts tiledProblem: `row_tile = group / P`, `row0 = row_tile * R`, or `row0 =
 * group * R`). That check is only sound if every kernel monc emits agrees with its own rule: a
 * spread of every forward family's candidates (the tuner's space, tensor-core ones included) and
 * of the fused runs' (chain-fused, pair-fused, pair-sgmat) on Monarch, butterfly and block-sparse
 * ops, f32 and f16, is emitted here; each tiled kernel passes, and the forms are read (a rule
 * changed by one is refused) for the families that write them.
 */
import { describe, expect, it } from 'vitest';
import { compileKernels } from '../../src/compile-kernels.js';
import { TENSOR_CORE_TARGET } from '../../src/codegen/kernel-sets.js';
import { candidates, emitKernel, emitRunKernel, runCandidates } from '../../src/codegen/wgsl/families.js';
import { DEFAULT_LIMITS, type EmittedKernel, type TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { Program } from '../../src/ir/ir.js';
import { tiledProblem } from '../../src/manifest/set-kernels.js';
import { sample } from '../perf-kernels/support.js';

const LARGE: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 65536, features: ['shader-f16'] };

const program = (source: string): Program => {
  const result = compileKernels(source, 'spec.mon');
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return result.programs![0];
};

/** Whether the kernel's tiled rule is read from its WGSL: the rule as emitted passes, one changed is refused. */
function numbering(k: EmittedKernel): 'read' | 'unread' {
  if (k.dispatch.kind !== 'tiled') return 'unread';
  expect(tiledProblem(k, k.wgsl), `${k.entryPoint} ${JSON.stringify(k.schedule)}`).toBeUndefined();
  return tiledProblem({ ...k, dispatch: { ...k.dispatch, rowsPerWorkgroup: k.dispatch.rowsPerWorkgroup + 1 } }, k.wgsl) ? 'read' : 'unread';
}

/** The tiled families whose rule was read, over every case. */
const read = new Set<string>();

describe("every emitted tiled kernel's rule is how its WGSL numbers its workgroups", () => {
  it.each([
    ['module m\nmap sq : 1024 -> 1024 = monarch(nblocks: 32)', 'f32'],
    ['module m\nmap up : 256 -> 1024 = monarch(nblocks: 4)', 'f32'],
    ['module m\ndtype f16\nmap up : 256 -> 1024 = monarch(nblocks: 4)', 'f16'],
    ['module m\ndtype f16\nmap sq : 1024 -> 1024 = monarch(nblocks: 32)', 'f16'],
    ['module m\nmap b : 256 -> 256 = butterfly()', 'f32'],
    ['module m\nmap s : 64 -> 48 = sparse(block: [8, 4], pattern: random(density: 0.4, seed: 5))', 'f32'],
  ] as const)('%j', (source, storage) => {
    const p = program(source);
    const ctx = (index: number) => ({ entryPoint: `k${index}`, opIndex: index, storage, params: p.params, buffers: p.buffers });
    const unread = new Set<string>();
    const see = (k: EmittedKernel) => {
      const how = numbering(k);
      if (k.dispatch.kind === 'tiled') (how === 'read' ? read : unread).add(k.schedule.family);
    };
    // Tensor-core families take f16 storage only.
    for (const limits of storage === 'f16' ? [DEFAULT_LIMITS, LARGE, TENSOR_CORE_TARGET] : [DEFAULT_LIMITS, LARGE]) {
      p.ops.forEach((op, i) => {
        for (const s of sample(candidates(op, limits), 40)) see(emitKernel(op, s, ctx(i)));
      });
      for (let i = 0; i + 1 < p.ops.length; i++) for (const s of sample(runCandidates(p, [i, i + 1], limits), 12)) see(emitRunKernel(p, [i, i + 1], s, ctx(i)));
      if (p.ops.length > 2) for (const s of sample(runCandidates(p, p.ops.map((_, i) => i), limits), 12)) see(emitRunKernel(p, p.ops.map((_, i) => i), s, ctx(0)));
    }
    // Every tiled kernel among these writes one of the forms (a family that wrote neither would go unchecked).
    expect([...unread]).toEqual([]);
  });

  it('the tiled forward families read above: all of them', () => {
    expect([...read].sort()).toEqual(['bsr-tiled', 'ks-chain-fused', 'ks-dtiled', 'ks-dvec', 'ks-pair-fused', 'ks-pair-sgmat', 'ks-sgmat', 'ks-sgmat-strided', 'ks-tiled']);
  });
});
