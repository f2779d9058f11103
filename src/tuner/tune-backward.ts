/**
 * The auto-tuner for backward programs (SPEC §7): every op's kernel (transposed matmuls, weight-
 * and bias-gradient partials, reductions, recomputed forward ops) is tried with the candidate
 * schedules of its families (codegen/wgsl/backward-program.ts), each checked on random data
 * against the float64 executor (cpu-executor.ts) at a small batch over several splits, then
 * timed at the tuning batch; a close race is timed again (race.ts, shared with tune.ts). Entries
 * are keyed like forward ones (db.ts kernelSignature), so `monc build --tuning` bakes them into
 * the backward kernels too.
 */
import { backwardCandidates, backwardDefaultSchedule, backwardFamiliesFor, emitBackwardKernel } from '../codegen/wgsl/backward-program.js';
import { backwardBindings } from '../manifest/kernel-bindings.js';
import { GRADIENT_BUFFER } from '../manifest/types.js';
import { DEFAULT_LIMITS, workgroupCount, type EmittedKernel } from '../codegen/wgsl/kernel.js';
import type { StorageType } from '../codegen/wgsl/scaffold.js';
import type { BackwardOp, BackwardProgram } from '../ir/ir.js';
import { uniform01 } from '../util/random.js';
import { MONC_VERSION } from '../version.js';
import { PRECISION_TOLERANCE } from '../util/precision.js';
import { isAmong } from '../codegen/wgsl/family.js';
import { runOps, type CpuBuffer } from '../runtime/cpu-executor.js';
import { f16ArrayToF32, f32ArrayToF16 } from '../runtime/formats/f16.js';
import { dispatchGrid, kernelBindings } from '../runtime/dispatch-dims.js';
import { inValidationScope } from './dispatch.js';
import { gradientLayout } from '../runtime/gpu-backward.js';
import type { PatternLayout } from '../manifest/pattern.js';
import { noPattern, patternBuffer } from '../runtime/pattern-buffers.js';
import { paddedBytes } from '../runtime/buffer.js';
import { timePasses } from '../runtime/timing.js';
import { checkDevice, watchDevice } from '../runtime/run-errors.js';
import type { AdapterIdentity } from './adapter-identity.js';
import { batchBucket, kernelSignature, type TuningEntry } from './db.js';
import { checkProgramTuning } from './tune-arguments.js';
import { relativeError } from './op-reference.js';
import { DEFAULT_MAX_CANDIDATES } from './budget.js';
import { raceCandidates, raceSize, WarmClock, type CandidateBench, type RaceResult } from './race.js';
import { storageLimits } from './seeds.js';
import type { KernelTuning, KnownKernel, TuneOptions } from './tune.js';

/** Buffers of one backward op on the device, filled with random data. */
interface OpBuffers {
  readonly batch: number;
  readonly gpu: Map<string, GPUBuffer>;
  /** What the device holds, as f64 (f16-rounded where stored as f16), by binding name. */
  readonly host: Map<string, Float64Array>;
  /** Puts the buffer's first contents back (a kernel that accumulates into it changed them). */
  restore(name: string): void;
  destroy(): void;
}

/**
 * `count` values in [-scale, scale): a prime-length random block repeated (larger than any row,
 * so rows differ), so that filling hundreds of MB stays a copy.
 */
function randomTiled(rnd: () => number, count: number, scale: number): Float32Array {
  const block = Float32Array.from({ length: Math.min(count, 1_048_573) }, () => (2 * rnd() - 1) * scale);
  const out = new Float32Array(count);
  out.set(block);
  for (let filled = block.length; filled < count; filled *= 2) out.copyWithin(filled, 0, Math.min(filled, count - filled));
  return out;
}

/** Sizes of the buffers an op binds: per row for activations, per split for partials, whole for params and gradients. */
function bufferElements(program: BackwardProgram, name: string, batch: number): { count: number; f32: boolean } {
  if (name === GRADIENT_BUFFER) return { count: program.paramSize, f32: false };
  const partial = program.partials.find((p) => p.name === name);
  if (partial) return { count: Math.ceil(batch / program.rowsPerSplit) * partial.size, f32: true };
  const decl = program.buffers.find((b) => b.name === name);
  if (!decl) throw new Error(`internal error: backward op uses undeclared buffer '${name}'`);
  return { count: batch * decl.size, f32: false };
}

function createBuffers(device: GPUDevice, program: BackwardProgram, op: BackwardOp, batch: number, storage: StorageType, seed: number): OpBuffers {
  const rnd = uniform01(seed);
  const names = ['params', ...new Set(Object.values(backwardBindings(op)))];
  const gpu = new Map<string, GPUBuffer>();
  const host = new Map<string, Float64Array>();
  const uploaded = new Map<string, Uint16Array<ArrayBuffer> | Float32Array<ArrayBuffer>>();
  for (const name of names) {
    const { count, f32 } = name === 'params' ? { count: program.paramSize, f32: false } : bufferElements(program, name, batch);
    const values = randomTiled(rnd, count, name === 'params' ? 0.5 : 1);
    const half = !f32 && storage === 'f16';
    const data = half ? f32ArrayToF16(values) : values;
    host.set(name, Float64Array.from(half ? f16ArrayToF32(data as Uint16Array) : values));
    const bytes = paddedBytes(count, half ? 2 : 4);
    const buffer = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    const padded = half ? new Uint16Array(count + (count % 2)) : new Float32Array(count);
    padded.set(data);
    device.queue.writeBuffer(buffer, 0, padded);
    gpu.set(name, buffer);
    uploaded.set(name, padded);
  }
  return { batch, gpu, host, restore: (name) => device.queue.writeBuffer(gpu.get(name)!, 0, uploaded.get(name)!), destroy: () => gpu.forEach((b) => b.destroy()) };
}

/** The op's pattern table in `layout`, uploaded once per set of buffers (every candidate kernel of the op binds it) and destroyed with them. */
function patternFor(device: GPUDevice, op: BackwardOp, layout: PatternLayout, buffers: OpBuffers): GPUBuffer {
  const key = `pattern ${layout}`;
  let buffer = buffers.gpu.get(key);
  if (!buffer) buffers.gpu.set(key, (buffer = patternBuffer(device, op, layout, `op ${op.kind}`)));
  return buffer;
}

/** A compiled, bound dispatch of one backward kernel. */
function prepare(device: GPUDevice, op: BackwardOp, kernel: EmittedKernel, buffers: OpBuffers): (pass: GPUComputePassEncoder) => void {
  const { group, pipeline: layout } = gradientLayout(device);
  const module = device.createShaderModule({ code: kernel.enables.map((e) => `enable ${e};\n`).join('') + kernel.wgsl });
  const pipeline = device.createComputePipeline({ layout, compute: { module, entryPoint: kernel.entryPoint } });
  const groups = workgroupCount(kernel.dispatch, buffers.batch);
  const dims = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(dims, 0, new Uint32Array([buffers.batch, groups, 0, 0]));
  const b = backwardBindings(op);
  const buffer = (name: string) => buffers.gpu.get(name)!;
  const pattern = kernel.pattern ? patternFor(device, op, kernel.pattern, buffers) : noPattern(device);
  const bindGroup = device.createBindGroup({
    layout: group,
    entries: [...kernelBindings(buffer('params'), buffer(b.src), buffer(b.dst), dims, 0, pattern), { binding: 4, resource: { buffer: buffer(b.aux) } }],
  });
  return (pass) => {
    if (groups === 0) return;
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(...dispatchGrid(device, groups));
  };
}

/** The relative error of the kernel's destination against the float64 executor on the same data. */
async function check(device: GPUDevice, program: BackwardProgram, op: BackwardOp, kernel: EmittedKernel, buffers: OpBuffers, storage: StorageType): Promise<number> {
  const dstName = backwardBindings(op).dst;
  const dst = buffers.gpu.get(dstName)!;
  const { count, f32 } = bufferElements(program, dstName, buffers.batch);
  const half = !f32 && storage === 'f16';
  const bytes = paddedBytes(count, half ? 2 : 4);
  let staging: GPUBuffer | undefined;
  let raw: ArrayBuffer;
  try {
    staging = await inValidationScope(device, `kernel ${kernel.entryPoint}`, () => {
      const readback = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      staging = readback; // destroyed below even when what follows throws
      // Every candidate starts from the data the reference sees: an op that accumulates into its
      // destination (dx of a sum, a tied tensor's gradient) added the previous candidates' results.
      buffers.restore(dstName);
      const encode = prepare(device, op, kernel, buffers);
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      encode(pass);
      pass.end();
      enc.copyBufferToBuffer(dst, 0, readback, 0, bytes);
      device.queue.submit([enc.finish()]);
      return readback;
    });
    await staging.mapAsync(GPUMapMode.READ);
    raw = staging.getMappedRange().slice(0);
  } finally {
    staging?.destroy();
  }
  const got = half ? f16ArrayToF32(new Uint16Array(raw, 0, count)) : new Float32Array(raw, 0, count);

  // The reference on copies of the same inputs.
  const host = new Map([...buffers.host].map(([k, v]) => [k, Float64Array.from(v)]));
  const act = (name: string): CpuBuffer => {
    const decl = program.buffers.find((d) => d.name === name)!;
    return { size: decl.size, data: host.get(name)! };
  };
  const partial = (name: string): CpuBuffer => ({ size: program.partials.find((p) => p.name === name)!.size, data: host.get(name)! });
  const grad = host.get(GRADIENT_BUFFER) ?? new Float64Array(program.paramSize);
  runOps([op], program.params, host.get('params')!, act, buffers.batch, { partial, grad, rowsPerSplit: program.rowsPerSplit });
  return relativeError(got, dstName === GRADIENT_BUFFER ? grad : host.get(dstName)!);
}

export interface BackwardTuneResult {
  readonly kernels: readonly KernelTuning[];
  readonly entries: readonly TuningEntry[];
}

/**
 * `known`: kernels already tuned in this run (TuneOptions.known: the forward programs' kernels,
 * whose recomputed forward ops are the same kernels, and earlier maps' backward ones); such ops,
 * and ops whose signature an earlier op of this program has (two reductions of one size), are not
 * tuned again: they are reported with that search's result, `reused: true` and nothing timed, and
 * one database entry serves them all. Each kernel this call tunes joins `known`.
 */
export async function tuneBackwardProgram(device: GPUDevice, adapter: AdapterIdentity, program: BackwardProgram, options: TuneOptions): Promise<BackwardTuneResult> {
  // What monc tune (and tuneMaps) refuse, refused here too before any work (tune-arguments.ts).
  checkProgramTuning('tuneBackwardProgram', device, adapter, program, options, 'backward');
  // As tuneProgram: a loss before or during the search ends it (bench.usable).
  watchDevice(device);
  const storage = options.storage ?? program.dtype;
  const tol = PRECISION_TOLERANCE[storage];
  const max = Math.max(1, options.maxCandidates ?? DEFAULT_MAX_CANDIDATES);
  const report = options.onProgress ?? (() => {});
  const limits = storageLimits(options.limits, storage);
  // The check covers several splits and a partial last one, whatever the tuning batch.
  const checkBatch = Math.min(options.batch, 2 * program.rowsPerSplit + 3);
  const known = options.known ?? new Map<string, KnownKernel>();
  const ops = program.ops.map((op, i) => ({ op, index: i, signature: kernelSignature([op], storage) }));
  const plans = ops
    .filter((o, k) => !known.has(o.signature) && ops.findIndex((q) => q.signature === o.signature) === k)
    .map(({ op, index, signature }) => {
      const buildDefault = backwardDefaultSchedule(op, DEFAULT_LIMITS);
      const seeds = [buildDefault, ...backwardFamiliesFor(op).flatMap((f) => (f.candidates(limits).length > 0 ? [f.defaultSchedule(limits)] : []))];
      return { op, index, signature, buildDefault, seeds, space: backwardCandidates(op, limits) };
    });
  const race = (p: (typeof plans)[number]) => ({ space: p.space, seeds: p.seeds, maxCandidates: max });
  const total = plans.reduce((n, p) => n + raceSize(race(p)), 0);
  let done = 0;
  const clock = WarmClock.of(device);
  const kernels: KernelTuning[] = [];
  const entries: TuningEntry[] = [];
  for (const { index, signature } of ops) {
    const plan = plans.find((p) => p.index === index);
    if (!plan) {
      // Tuned before (a forward kernel, an earlier map's or op's): its result, listed again.
      const { best, defaultTimed } = known.get(signature)!;
      kernels.push({ ops: [index], signature, ...(best ? { best } : {}), ...(defaultTimed !== undefined ? { defaultMs: defaultTimed } : {}), timed: 0, rejected: [], reused: true });
      continue;
    }
    const small = createBuffers(device, program, plan.op, checkBatch, storage, 7 + plan.index);
    const full = createBuffers(device, program, plan.op, options.batch, storage, 11 + plan.index);
    // Checked at the small batch (several splits), timed at the tuning batch.
    const bench: CandidateBench = {
      emit: (schedule) => emitBackwardKernel(program, plan.index, schedule, storage),
      check: (kernel) => check(device, program, plan.op, kernel, small, storage),
      time: async (kernel, timing) => (await timePasses(device, prepare(device, plan.op, kernel, full), timing)).stats,
      usable: () => checkDevice(device),
    };
    let result: RaceResult;
    try {
      result = await raceCandidates(bench, {
        ...race(plan),
        tolerance: tol,
        repeats: options.repeats ?? 10,
        clock,
        name: `${program.name} backward op ${plan.index} (${plan.op.kind})`,
        report: (line, counted) => report({ done: counted ? ++done : done, total, line }),
      });
    } finally {
      small.destroy();
      full.destroy();
    }
    const { best, timed, rejected } = result;
    const defaultMs = timed.find((t) => isAmong(t.schedule, [plan.buildDefault]))?.ms;
    known.set(signature, { ...(best ? { best } : {}), ...(defaultMs !== undefined ? { defaultTimed: defaultMs } : {}) });
    kernels.push({ ops: [plan.index], signature, ...(best ? { best } : {}), ...(defaultMs !== undefined ? { defaultMs } : {}), timed: timed.length, rejected });
    if (best) {
      entries.push({ adapter, compiler: MONC_VERSION, kernel: signature, batchBucket: batchBucket(options.batch), schedule: best.schedule, ms: best.ms, spread: best.spread, timed: timed.length, date: new Date().toISOString() });
    }
  }
  return { kernels, entries };
}
