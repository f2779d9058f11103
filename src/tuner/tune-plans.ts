/**
 * What tuneProgram searches for a program on one adapter: a plan per single op and per fused run
 * of the candidate partitions (partitions.ts), each with its schedule space, its seeds and the
 * untuned build's schedule for it, which is timed first and gives `defaultMs`. That schedule is
 * the kernel the untuned build runs on this adapter (untuned-kernels.ts: on an H100 an f16 map's
 * tensor-core set, an f32 map's large set). Browser-safe.
 */
import { emitKernel, emitRunKernel, runCandidates, runFamilyDefaults } from '../codegen/wgsl/families.js';
import type { EmittedKernel, Schedule, TargetLimits } from '../codegen/wgsl/kernel.js';
import type { KernelContext, StorageType } from '../codegen/wgsl/scaffold.js';
import type { Program } from '../ir/ir.js';
import { entryPointName } from '../manifest/entry-points.js';
import type { AdapterOffer } from '../manifest/requirements.js';
import { kernelSignature } from './db.js';
import { candidatePartitions, fusedRunsOf } from './partitions.js';
import { opSearch } from './seeds.js';
import { untunedKernels } from './untuned-kernels.js';

export interface Plan {
  readonly ops: readonly number[];
  readonly signature: string;
  /** Tried first, in order (searchSchedules). */
  readonly seeds: readonly (Schedule | undefined)[];
  /** Every valid schedule of the kernel on this device. */
  readonly space: readonly Schedule[];
  /** The schedule the untuned build runs this kernel with on the adapter (single ops, and the runs it fuses). */
  readonly buildDefault?: Schedule;
  readonly emit: (s: Schedule) => EmittedKernel;
}

export interface TunePlans {
  /** One per single op and per fused run, those with an empty space left out. */
  readonly plans: readonly Plan[];
  readonly partitions: ReturnType<typeof candidatePartitions>;
  /** The untuned build's kernels on the adapter, as the ops each performs. */
  readonly untunedRuns: readonly (readonly number[])[];
}

/** The plans of `program` with `storage` on an adapter offering `offer` whose kernels may use `limits` (storageLimits'), timed at `batch` rows where known. */
export function tunePlans(program: Program, storage: StorageType, limits: TargetLimits, offer: AdapterOffer, batch?: number): TunePlans {
  const ctx = (opIndex: number): KernelContext => ({ entryPoint: entryPointName(program.name, opIndex), opIndex, storage, params: program.params, buffers: program.buffers });
  const untuned = untunedKernels(program, storage, offer);
  const untunedRuns = untuned.map((k) => k.ops);
  const untunedOf = (ops: readonly number[]) => untuned.find((k) => k.ops.join() === ops.join())?.schedule;
  const partitions = candidatePartitions(program, limits, untunedRuns);
  const signature = (ops: readonly number[]) => kernelSignature(ops.map((i) => program.ops[i]), storage);
  const plans: Plan[] = [
    // An op the untuned build fuses into a run has no kernel of its own there: its single default is the portable one (opSearch's).
    ...program.ops.map((op, i): Plan => ({ ops: [i], signature: signature([i]), ...opSearch(op, limits, untunedOf([i]), batch), emit: (s) => emitKernel(op, s, ctx(i)) })),
    // Fused runs: each run of the candidate partitions once (partitions.ts).
    ...fusedRunsOf(partitions).map((run): Plan => {
      // The schedule the untuned build gives the run, when it fuses exactly this run.
      const buildDefault = untunedOf(run);
      return {
        ops: run,
        signature: signature(run),
        ...(buildDefault ? { buildDefault } : {}),
        seeds: [buildDefault, ...runFamilyDefaults(program, run, limits)],
        space: runCandidates(program, run, limits),
        emit: (s) => emitRunKernel(program, run, s, ctx(run[0])),
      };
    }),
  ].filter((p) => p.space.length > 0);
  return { plans, partitions, untunedRuns };
}
