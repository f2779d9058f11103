/**
 * The auto-tuner: for each kernel of a program, every candidate schedule (of every family that
 * can compute it, pruned by the adapter's limits) is emitted, checked against the float64
 * reference on random data, and only then timed (timestamp queries, median of repeats); the
 * fastest is kept. Consecutive Monarch-shaped factors are also tried as one fused dispatch.
 * Browser-safe: the caller stores the returned entries (db-file.ts in Node).
 */
import type { KsOp, Op, Program } from '../../ir/ir.js';
import { candidates as familyCandidates, emitKernel } from '../../codegen/wgsl/families.js';
import type { EmittedKernel, Schedule, TargetLimits } from '../../codegen/wgsl/kernel.js';
import { emitPair, pairCandidates, usedElsewhere } from '../../codegen/wgsl/fast/ks-pair-fused.js';
import type { KernelContext, StorageType } from '../../codegen/wgsl/scaffold.js';
import { MONC_VERSION } from '../../version.js';
import type { AdapterIdentity } from './adapter-identity.js';
import { batchBucket, kernelSignature, type TuningEntry } from './db.js';
import { KernelCheck } from './kernel-check.js';

export interface TuneOptions {
  readonly batch: number;
  readonly limits: TargetLimits;
  readonly storage?: StorageType;
  /** At most this many candidates per kernel (an even spread of the space, default first). */
  readonly maxCandidates?: number;
  readonly repeats?: number;
  readonly onProgress?: (line: string) => void;
}

export interface KernelTuning {
  /** Indices of the program's ops the kernel performs. */
  readonly ops: readonly number[];
  readonly signature: string;
  readonly best?: { readonly schedule: Schedule; readonly ms: number; readonly spread: number };
  readonly timed: number;
  /** Candidates whose output did not match the reference (never timed). */
  readonly rejected: readonly { readonly schedule: Schedule; readonly error: string }[];
}

export interface TuneResult {
  readonly kernels: readonly KernelTuning[];
  readonly entries: readonly TuningEntry[];
}

function spread<T>(all: readonly T[], count: number): T[] {
  if (all.length <= count) return [...all];
  const step = (all.length - 1) / (count - 1);
  return [...new Set(Array.from({ length: count }, (_, i) => all[Math.round(i * step)]))];
}

/** The pairs (i, i+1) that the fused Monarch kernel can compute in one dispatch. */
export function fusablePairs(program: Program): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < program.ops.length; i++) {
    const a = program.ops[i];
    const b = program.ops[i + 1];
    if (a.kind === 'ks' && b.kind === 'ks' && !usedElsewhere(program, a.dst, [i, i + 1])) out.push([i, i + 1]);
  }
  return out;
}

export async function tuneProgram(device: GPUDevice, adapter: AdapterIdentity, program: Program, options: TuneOptions): Promise<TuneResult> {
  const storage = options.storage ?? program.dtype;
  const tol = storage === 'f16' ? 3e-3 : 1e-5;
  const max = options.maxCandidates ?? 24;
  const progress = options.onProgress ?? (() => {});
  const layout = { params: program.params, buffers: new Map(program.buffers.map((b) => [b.name, b.size])) };
  const ctx = (opIndex: number): KernelContext => ({ entryPoint: `${program.name}_op${opIndex}`, opIndex, storage, params: program.params, buffers: program.buffers });

  async function tuneKernel(ops: readonly number[], schedules: readonly Schedule[], emit: (s: Schedule) => EmittedKernel): Promise<KernelTuning> {
    const opList: Op[] = ops.map((i) => program.ops[i]);
    const signature = kernelSignature(opList, storage);
    const check = KernelCheck.create(device, { ops: opList, layout, paramSize: program.paramSize, storage, batch: options.batch, checkRows: 16 });
    const rejected: { schedule: Schedule; error: string }[] = [];
    let best: KernelTuning['best'];
    let timed = 0;
    try {
      for (const [k, schedule] of schedules.entries()) {
        const label = `${program.name} ops [${ops.join(', ')}] ${k + 1}/${schedules.length} ${JSON.stringify(schedule)}`;
        try {
          const kernel = emit(schedule);
          const err = await check.check(kernel);
          if (!(err < tol)) {
            rejected.push({ schedule, error: `relative error ${err}` });
            progress(`${label}: REJECTED (relative error ${err.toExponential(2)})`);
            continue;
          }
          const t = await check.time(kernel, { repeats: options.repeats ?? 10 });
          timed++;
          progress(`${label}: ${t.medianMs.toFixed(4)} ms ±${(t.spread * 100).toFixed(1)}%`);
          if (!best || t.medianMs < best.ms) best = { schedule, ms: t.medianMs, spread: t.spread };
        } catch (e) {
          rejected.push({ schedule, error: (e as Error).message });
          progress(`${label}: FAILED (${(e as Error).message.split('\n')[0]})`);
        }
      }
    } finally {
      check.destroy();
    }
    return { ops, signature, ...(best ? { best } : {}), timed, rejected };
  }

  const kernels: KernelTuning[] = [];
  for (const [i, op] of program.ops.entries()) {
    const all = familyCandidates(op, options.limits);
    kernels.push(await tuneKernel([i], spread(all, max), (s) => emitKernel(op, s, ctx(i))));
  }
  for (const [i, j] of fusablePairs(program)) {
    const [a, b] = [program.ops[i] as KsOp, program.ops[j] as KsOp];
    const all = pairCandidates(a, b, options.limits);
    if (all.length > 0) kernels.push(await tuneKernel([i, j], spread(all, max), (s) => emitPair(a, b, s, ctx(i))));
  }
  const date = new Date().toISOString();
  const entries: TuningEntry[] = kernels.flatMap((k) =>
    k.best ? [{ adapter, compiler: MONC_VERSION, kernel: k.signature, batchBucket: batchBucket(options.batch), schedule: k.best.schedule, ms: k.best.ms, spread: k.best.spread, timed: k.timed, date }] : [],
  );
  return { kernels, entries };
}
