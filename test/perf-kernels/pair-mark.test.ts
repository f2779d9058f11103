/**
 * ks-pair-fused fuses a Monarch pair because the IR marks it as one (lowering for `monarch(...)`,
 * canonicalize-blocks for every other spelling of its two factors: the explicit `P L Pᵀ R`, `ks(…) @ blockdiag(…)`,
 * the two levels of `butterfly(radix: 16)` on 256), not because two ops fit the kernel: the same factors in the other
 * order, or a different permutation between two block diagonals, never use it; every spelling gets the builtin's
 * tuner partitions.
 */
import { describe, expect, it } from 'vitest';
import { compileKernels } from '../../src/compile-kernels.js';
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
    factors: 'ks(a: 1, b: 16, c: 16, d: 16) @ blockdiag(nblocks: 16)',
    levels: 'butterfly(radix: 16)',
    reversed: 'butterfly(radix: 16, stride: decreasing)',
    shuffled: 'blockdiag(nblocks: 16) @ transpose(16, 16) @ blockdiag(nblocks: 16)',
    twice: 'monarch(in: 256, nblocks: 16) @ monarch(out: 256, nblocks: 16)',
  });

  // QA1 s29 Q802: the `ks` spelling (canonical as written) and the butterfly levels were left unmarked.
  const spellings = ['builtin', 'raw', 'factors', 'levels'];

  it('the builtin and every other spelling of its two factors are one marked pair each, fused by ks-pair-fused', () => {
    for (const name of spellings) {
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

  // The partitions are op indices, which an unmarked pair gets too (ks-chain-fused runs it as one): the families offered
  // for its runs are what the mark changes (REV30-3).
  it('every spelling gets the same candidate partitions as the builtin, with the same families for their runs', () => {
    for (const name of spellings) {
      expect(candidatePartitions(p[name], DEFAULT_LIMITS), name).toEqual(candidatePartitions(p.builtin, DEFAULT_LIMITS));
      expect(runFamiliesUsed(p[name]), name).toEqual(runFamiliesUsed(p.builtin));
    }
    expect(candidatePartitions(p.builtin, DEFAULT_LIMITS)).toContainEqual([[0, 1]]);
  });

  it('the two butterfly levels are the Monarch factors: their ops are the builtin\'s', () => {
    expect((p.levels.ops as KsOp[]).map(({ a, b, c, d }) => [a, b, c, d])).toEqual((p.builtin.ops as KsOp[]).map(({ a, b, c, d }) => [a, b, c, d]));
  });

  it('the same factors in the other order (strided first) are no pair: ks-pair-fused is not used', () => {
    const [op0, op1] = p.reversed.ops as KsOp[];
    expect([op0, op1].map(({ a, b, c, d }) => [a, b, c, d])).toEqual([[1, 16, 16, 16], [16, 16, 16, 1]]);
    expect(op0.pair ?? op1.pair).toBeUndefined();
    expect(runFamiliesUsed(p.reversed).has('ks-pair-fused')).toBe(false);
    expect(pairPartition(p.reversed, DEFAULT_LIMITS)).toEqual([[0], [1]]);
  });

  it('two block diagonals around one transpose (not P L Pᵀ R) are no pair', () => {
    expect(p.shuffled.ops.some((op) => op.kind === 'ks' && op.pair !== undefined)).toBe(false);
    expect(runFamiliesUsed(p.shuffled).has('ks-pair-fused')).toBe(false);
  });

  it("on the H200 the tuner's pair partition offers ks-pair-sgmat for the marked pairs only, never for reversed factors or shuffled diagonals", () => {
    for (const name of spellings) {
      expect(pairPartition(p[name], H200), name).toEqual([[0, 1]]);
      expect(runCandidates(p[name], [0, 1], H200).map((s) => s.family), name).toContain('ks-pair-sgmat');
    }
    expect(runFamiliesUsed(p.reversed, H200).has('ks-pair-sgmat')).toBe(false);
    expect(pairPartition(p.reversed, H200)).toEqual([[0], [1]]);
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
