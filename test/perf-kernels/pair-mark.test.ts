/**
 * ks-pair-fused fuses a Monarch pair because the IR marks it as one (lowering for `monarch(...)`,
 * canonicalize-blocks for the explicit `P L Pᵀ R`), not because two ops have its shapes: two
 * butterfly levels of exactly the Monarch shapes, or a different permutation between two block
 * diagonals, never use it; the explicit spelling and the builtin get the same tuner partitions.
 */
import { describe, expect, it } from 'vitest';
import { compileKernels } from '../../src/compile-kernels.js';
import { fusablePair } from '../../src/codegen/wgsl/fast/ks-pair-fused.js';
import { DEFAULT_LIMITS, fusableRuns, runCandidates } from '../../src/codegen/wgsl/index.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp, Program } from '../../src/ir/ir.js';
import { candidatePartitions, pairPartition } from '../../src/tuner/partitions.js';

/** The spec's maps (`map <name> : n -> n = <expr>` each) compiled. */
function compiled(n: number, maps: Record<string, string>) {
  const body = Object.entries(maps).map(([name, expr]) => `map ${name} : ${n} -> ${n} = ${expr}`);
  const result = compileKernels(`module pm\n${body.join('\n')}\n`, 'pm.mon');
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return result;
}

/** The programs of the spec's maps, by name. */
const programs = (n: number, maps: Record<string, string>): Record<string, Program> => Object.fromEntries(compiled(n, maps).programs!.map((p) => [p.name, p]));

/** The families of the run families' candidates over every run of the program that fuses. */
const runFamiliesUsed = (p: Program, limits: TargetLimits = DEFAULT_LIMITS) => new Set(fusableRuns(p).flatMap((r) => runCandidates(p, r, limits).map((s) => s.family)));

/** The H200's limits and tensor-core features (ks-pair-sgmat needs shader-f16 and subgroup matrices). */
const H200: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', 'chromium-experimental-subgroup-matrix', 'subgroups'] };

describe('the Monarch pair mark decides ks-pair-fused', () => {
  // n = 256, 16 blocks: every map below has two 16-block factors.
  const p = programs(256, {
    builtin: 'monarch(nblocks: 16)',
    raw: 'transpose(16, 16) @ blockdiag(nblocks: 16) @ transpose(16, 16) @ blockdiag(nblocks: 16)',
    levels: 'butterfly(radix: 16)',
    shuffled: 'blockdiag(nblocks: 16) @ transpose(16, 16) @ blockdiag(nblocks: 16)',
    twice: 'monarch(in: 256, nblocks: 16) @ monarch(out: 256, nblocks: 16)',
  });

  it('the builtin and the explicit spelling are one marked pair each, fused by ks-pair-fused', () => {
    for (const name of ['builtin', 'raw']) {
      const ops = p[name].ops as KsOp[];
      expect(ops.map((op) => op.pair), name).toEqual([{ group: 0, stage: 0 }, { group: 0, stage: 1 }]);
      expect(runCandidates(p[name], [0, 1], DEFAULT_LIMITS).map((s) => s.family), name).toContain('ks-pair-fused');
      expect(pairPartition(p[name], DEFAULT_LIMITS), name).toEqual([[0, 1]]);
    }
  });

  it('the manifest does not ship the mark (the runtime runs kernels, it does not decide fusion)', () => {
    const manifest = compiled(64, { m: 'monarch(nblocks: 8)' }).outputs!.manifest;
    const ops = manifest.maps[0].ops;
    expect(ops).toHaveLength(2);
    for (const op of ops) expect(op).not.toHaveProperty('pair');
  });

  it('the explicit spelling and the builtin get the same candidate partitions', () => {
    expect(candidatePartitions(p.raw, DEFAULT_LIMITS)).toEqual(candidatePartitions(p.builtin, DEFAULT_LIMITS));
    expect(candidatePartitions(p.builtin, DEFAULT_LIMITS)).toContainEqual([[0, 1]]);
  });

  it('two butterfly levels of exactly the Monarch shapes are no pair: the kernel shape fits, ks-pair-fused is not used', () => {
    const [op0, op1] = p.levels.ops as KsOp[];
    expect([op0, op1].map(({ a, b, c, d }) => [a, b, c, d])).toEqual([[16, 16, 16, 1], [1, 16, 16, 16]]);
    expect(fusablePair(op0, op1)).toBe(true);
    expect(op0.pair ?? op1.pair).toBeUndefined();
    expect(runFamiliesUsed(p.levels).has('ks-pair-fused')).toBe(false);
    expect(pairPartition(p.levels, DEFAULT_LIMITS)).toEqual([[0], [1]]);
  });

  it('two block diagonals around one transpose (not P L Pᵀ R) are no pair', () => {
    expect(p.shuffled.ops.some((op) => op.kind === 'ks' && op.pair !== undefined)).toBe(false);
    expect(runFamiliesUsed(p.shuffled).has('ks-pair-fused')).toBe(false);
  });

  it("on the H200 the tuner's pair partition offers ks-pair-sgmat for the marked pairs only, never for butterfly levels or shuffled diagonals of the same shapes", () => {
    for (const name of ['builtin', 'raw']) {
      expect(pairPartition(p[name], H200), name).toEqual([[0, 1]]);
      expect(runCandidates(p[name], [0, 1], H200).map((s) => s.family), name).toContain('ks-pair-sgmat');
    }
    expect(runFamiliesUsed(p.levels, H200).has('ks-pair-sgmat')).toBe(false);
    expect(pairPartition(p.levels, H200)).toEqual([[0], [1]]);
    expect(runFamiliesUsed(p.shuffled, H200).has('ks-pair-sgmat')).toBe(false);
    expect(runCandidates(p.twice, [1, 2], H200).map((s) => s.family)).not.toContain('ks-pair-sgmat');
  });

  it('two Monarchs in a row: each pair fuses, never the second factor of one with the first of the next', () => {
    const ops = p.twice.ops as KsOp[];
    expect(ops.map((op) => op.pair)).toEqual([{ group: 0, stage: 0 }, { group: 0, stage: 1 }, { group: 1, stage: 0 }, { group: 1, stage: 1 }]);
    expect(pairPartition(p.twice, DEFAULT_LIMITS)).toEqual([[0, 1], [2, 3]]);
    expect(runCandidates(p.twice, [1, 2], DEFAULT_LIMITS).map((s) => s.family)).not.toContain('ks-pair-fused');
  });
});
