/**
 * What bench/monarch-goal.ts times and how its `--plan` files are read, shared with the plan
 * check (bench/plan-check.ts) and its tests: the kernel families it searches, the op a plan key
 * names, and which plan entries it would time on the H200. monarch-goal keeps only the planned
 * schedules that are candidates of their family for the op on the adapter and drops the others
 * without a word (session 7's call 3 lost 84 that way), so plans are checked here first.
 *
 * Plan keys: `<size>/<dtype>/op<i>` (size `n`, nblocks √n, or `NxMxK`: n -> m with K blocks),
 * `<size>/f16/pair-sgmat` (the fused tensor-core pair) and `dense/<dtype>`.
 */
import { contextFor, denseCase, monarchCase, type OpsCase } from './cases.js';
import { ksTiled } from '../src/codegen/wgsl/fast/ks-tiled.js';
import { ksDvec } from '../src/codegen/wgsl/fast/ks-dvec.js';
import { ksDtiled } from '../src/codegen/wgsl/fast/ks-dtiled.js';
import { ksSgmat } from '../src/codegen/wgsl/fast/ks-sgmat.js';
import { ksSgmatStrided } from '../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { emitPairSgmat, pairSgmatCandidates, type KsPairSgmatSchedule } from '../src/codegen/wgsl/fast/ks-pair-sgmat.js';
import { register, isAmong, type RegisteredFamily } from '../src/codegen/wgsl/family.js';
import { PROBES, probed } from '../src/codegen/wgsl/fast/sgmat-probe.js';
import { isSgmatTrial } from './sgmat-trials.js';
import { TENSOR_CORE_TARGET } from '../src/codegen/kernel-sets.js';
import type { EmittedKernel, Schedule, TargetLimits } from '../src/codegen/wgsl/kernel.js';
import type { StorageType } from '../src/codegen/wgsl/scaffold.js';
import type { KsOp } from '../src/ir/ir.js';

/** The Kronecker-sparse families monarch-goal searches, by name. */
export const GOAL_FAMILIES: Record<string, RegisteredFamily<'ks'>> = {
  'ks-tiled': register(ksTiled),
  'ks-dvec': register(ksDvec),
  'ks-dtiled': register(ksDtiled),
  'ks-sgmat': register(ksSgmat),
  'ks-sgmat-strided': register(ksSgmatStrided),
};

/** The tensor-core families, which monarch-goal runs for f16 storage only. */
export const F16_ONLY: ReadonlySet<string> = new Set([ksSgmat.name, ksSgmatStrided.name]);

/** The families monarch-goal searches for a storage type. */
export function goalFamilies(storage: StorageType): RegisteredFamily<'ks'>[] {
  return Object.values(GOAL_FAMILIES).filter((f) => storage === 'f16' || !F16_ONLY.has(f.name));
}

/** The H200's limits as Dawn reports them (`bash .gpu/run.sh --probe`, bench/gpu/run.sh): 1024 invocations, 48 KiB, subgroup matrices. */
export const H200_LIMITS: TargetLimits = { ...TENSOR_CORE_TARGET, features: [...TENSOR_CORE_TARGET.features, 'subgroups'] };

/** A Monarch size as monarch-goal's `--sizes` and the plan keys spell it: `n` or `NxMxK`. */
export function monarchOfSize(size: string): OpsCase {
  const [n, m = n, k = Math.round(Math.sqrt(n))] = size.split('x').map(Number);
  return monarchCase(n, m, k);
}

/** What a plan key names: the case, the ops the entries compute (one, or a pair), the storage. */
export interface PlanTarget {
  readonly c: OpsCase;
  readonly first: number;
  readonly count: number;
  readonly storage: StorageType;
  /** The schedules monarch-goal would time for this key on `limits`. */
  readonly candidates: (limits: TargetLimits) => readonly Schedule[];
  /** The kernel of one of them, as monarch-goal emits it. */
  readonly emit: (s: Schedule) => EmittedKernel;
}

/** The target of a plan key, or a sentence saying why monarch-goal would never read it. */
export function planTarget(key: string): PlanTarget | string {
  const parts = key.split('/');
  if (parts[0] === 'dense' && parts.length === 2 && (parts[1] === 'f32' || parts[1] === 'f16')) {
    const storage = parts[1];
    const c = denseCase(4096, 4096);
    // monarch-goal's dense search: ks-sgmat in f16, ks-tiled in f32.
    const family = GOAL_FAMILIES[storage === 'f16' ? ksSgmat.name : ksTiled.name];
    const op = c.ops[0];
    return { c, first: 0, count: 1, storage, candidates: (limits) => family.forOp(op).candidates(limits), emit: (s) => GOAL_FAMILIES[s.family].forOp(op).emit(s, contextFor(c, 'dense', 0, storage)) };
  }
  const [size, storage, what] = parts;
  if (parts.length !== 3 || !/^\d+(x\d+x\d+)?$/.test(size)) return `not a plan key monarch-goal reads (<size>/<dtype>/op<i>, <size>/f16/pair-sgmat, dense/<dtype>)`;
  if (storage !== 'f32' && storage !== 'f16') return `dtype ${storage} is neither f32 nor f16`;
  const c = monarchOfSize(size);
  if (what === 'pair-sgmat') {
    if (storage !== 'f16') return 'pair-sgmat keys are read for f16 only';
    const [op0, op1] = c.ops;
    return {
      c, first: 0, count: 2, storage,
      candidates: (limits) => pairSgmatCandidates(op0, op1, limits),
      emit: (s) => emitPairSgmat(op0, op1, s as KsPairSgmatSchedule, contextFor(c, 'pairsg', 0, storage)),
    };
  }
  const index = what === 'op0' ? 0 : what === 'op1' ? 1 : undefined;
  if (index === undefined) return `${what} is neither op0, op1 nor pair-sgmat`;
  const op = c.ops[index];
  return {
    c, first: index, count: 1, storage,
    candidates: (limits) => goalFamilies(storage).flatMap((f) => f.forOp(op).candidates(limits)),
    emit: (s) => GOAL_FAMILIES[s.family].forOp(op).emit(s, contextFor(c, `op${index}`, index, storage)),
  };
}

/**
 * A plan problem that names a strided tensor-core schedule reading W in place (`wres: false`, no `wstage`): those left
 * the search in session 18 (4d7bee3) after losing to resident W in every call that timed them, so the timed plans
 * that hold them (bench/plan-s7.json, plan-s8.json: records of what ran then) name schedules this build no longer has.
 */
export const isRemovedInPlaceW = (problem: string): boolean => /not a candidate of this build: \{"family":"ks-sgmat-strided".*"wres":false\}$/.test(problem);

/** The families whose schedules take a bench-only `probe` (src/codegen/wgsl/fast/sgmat-probe.ts): the tensor-core ones and the f32 strided factor's. */
const PROBED: ReadonlySet<string> = new Set([...F16_ONLY, ksDtiled.name]);

/**
 * Whether monarch-goal times planned schedule `s` among `candidates` (of `op`, where the plan key names one op): a
 * candidate, a bench-only trial form (bench/sgmat-trials.ts), or (a bench-only probe, timed although its check fails by
 * design) a candidate of a PROBED family with a known `probe`.
 */
export function isPlanned(s: Schedule, candidates: readonly Schedule[], op?: KsOp): boolean {
  if (s.probe === undefined) return isAmong(s, candidates) || (op !== undefined && isSgmatTrial(s, op, candidates));
  return PROBED.has(s.family) && (PROBES as readonly unknown[]).includes(s.probe) && isAmong(probed(s), candidates);
}

/** Every entry of a plan monarch-goal would not time on `limits`, one line each (empty: all would run). */
export function planProblems(plan: Readonly<Record<string, readonly Schedule[]>>, limits: TargetLimits = H200_LIMITS): string[] {
  const problems: string[] = [];
  for (const [key, list] of Object.entries(plan)) {
    const target = planTarget(key);
    if (typeof target === 'string') {
      problems.push(`${key}: ${target}`);
      continue;
    }
    const all = target.candidates(limits);
    const op = target.count === 1 ? target.c.ops[target.first] : undefined;
    for (const s of list) {
      if (!isPlanned(s, all, op)) {
        problems.push(`${key}: not a candidate of this build: ${JSON.stringify(s)}`);
        continue;
      }
      try {
        target.emit(s);
      } catch (e) {
        problems.push(`${key}: does not emit (${(e as Error).message.slice(0, 200)}): ${JSON.stringify(s)}`);
      }
    }
  }
  return problems;
}
