/**
 * Which fused runs the tuner times, and which it keeps. A program's ops can be cut into fused
 * runs in many ways; the tuner tries a small set of whole-program partitions: every op alone,
 * the greedy chain partitions (families.ts greedyRunAt) for a few tile caps, the untuned build's
 * own partition, and the Monarch pairs fused. Each distinct run is tuned once. The program then
 * splits into stretches that no run of any of those partitions crosses, and per stretch the
 * partition with the least summed best time wins. Browser-safe.
 */
import { DEFAULT_RUN_TILE, defaultPartition, greedyPartition, runCandidates } from '../codegen/wgsl/families.js';
import { isMarkedPair } from '../codegen/wgsl/fast/marked-pair.js';
import { DEFAULT_LIMITS, type TargetLimits } from '../codegen/wgsl/kernel.js';
import type { Program } from '../ir/ir.js';

/** Tile caps (elements per row) of the greedy partitions the tuner tries. */
const TILE_CAPS = [64, 256, DEFAULT_RUN_TILE, 4096, 16384];

type Partition = readonly (readonly number[])[];

/**
 * The Monarch pairs fused: every two consecutive ops the IR marks as one pair (isMarkedPair) that
 * the program lets run as one dispatch with a schedule on this target, the other ops alone.
 */
export function pairPartition(program: Program, limits: TargetLimits): number[][] {
  const isPair = (i: number) => {
    const [op0, op1] = [program.ops[i], program.ops[i + 1]];
    return op0?.kind === 'ks' && op1?.kind === 'ks' && isMarkedPair(op0, op1) && runCandidates(program, [i, i + 1], limits).length > 0;
  };
  const out: number[][] = [];
  for (let i = 0; i < program.ops.length; i += out[out.length - 1].length) out.push(isPair(i) ? [i, i + 1] : [i]);
  return out;
}

/**
 * The candidate partitions of the whole program, all-single first, duplicates removed. `untuned`:
 * the untuned build's own partition on the adapter (tuner/untuned-kernels.ts; without it, the
 * portable build's, which is enough to count candidates).
 */
export function candidatePartitions(program: Program, limits: TargetLimits, untuned: Partition = defaultPartition(program, DEFAULT_LIMITS)): Partition[] {
  const all: Partition[] = [
    program.ops.map((_, i) => [i]),
    untuned,
    ...TILE_CAPS.map((cap) => greedyPartition(program, limits, cap)),
    pairPartition(program, limits),
  ];
  const seen = new Set<string>();
  return all.filter((p) => !seen.has(JSON.stringify(p)) && seen.add(JSON.stringify(p)));
}

/** The fused runs (two or more ops) of the partitions, each once. */
export function fusedRunsOf(partitions: readonly Partition[]): (readonly number[])[] {
  const seen = new Set<string>();
  return partitions.flat().filter((r) => r.length > 1 && !seen.has(r.join()) && seen.add(r.join()));
}

/**
 * The winning fused runs: per stretch (a range of ops no run of any partition crosses), the
 * partition whose runs cost least in all, a run costing `cost(run)` (single ops included;
 * Infinity when nothing was timed). The all-single partition comes first and wins ties.
 */
export function winningRuns(program: Program, partitions: readonly Partition[], cost: (run: readonly number[]) => number): (readonly number[])[] {
  // A cut before op c is a stretch boundary when no run of any partition spans it.
  const spans = (c: number) => partitions.some((p) => p.some((r) => r[0] < c && r[r.length - 1] >= c));
  const cuts = [0, ...program.ops.map((_, c) => c).filter((c) => c > 0 && !spans(c)), program.ops.length];
  const winners: (readonly number[])[] = [];
  for (let s = 0; s + 1 < cuts.length; s++) {
    const inStretch = (r: readonly number[]) => r[0] >= cuts[s] && r[0] < cuts[s + 1];
    const total = (p: Partition) => p.filter(inStretch).reduce((sum, r) => sum + cost(r), 0);
    const best = partitions.reduce((b, p) => (total(p) < total(b) ? p : b));
    winners.push(...best.filter((r) => inStretch(r) && r.length > 1));
  }
  return winners;
}
