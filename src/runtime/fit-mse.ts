/**
 * `fitMse`: a map fitted to (X, T) by minimising mean((X Mᵀ + b − T)²) over mini-batches, with
 * one of the optimizers (optimizer.ts); what `monc train` runs. Every step: the mini-batch's rows
 * (miniBatches: the same rows for the same seed on both backends), Y, the loss, DY = 2(Y − T)/(r·m),
 * the parameter gradients, one update, and the checks that stop it at the first step whose loss
 * is not finite, whose gradients a float32 optimizer state cannot take, or whose parameters the
 * module cannot load (non-finite; beyond ±65504 in an f16 module).
 *
 * On webgpu the loop stays on the device (GpuFitMse): X and T are uploaded once, each step's rows
 * are gathered by a kernel from the row indices (uploaded once per submission of up to 64 steps),
 * the loss, DY and the checks are the module's training-step kernels (src/manifest/training-step.ts),
 * the backward pass skips the input gradient, and each step's stats (loss, flags, the first bad
 * index) go to a device buffer that is read back only at progress points and at the end; the
 * first bad step is still found exactly. The cpu backend runs the same steps in float64 (cpuFitMse).
 */
import type { Dtype } from '../manifest/program.js';
import { FLAG_INF, FLAG_NAN, NONE, STATS, STATS_WORDS, STEP_BYTES, STEP_STRIDE, type TrainingStepKernel } from '../manifest/training-step.js';
import type { ManifestMap } from '../manifest/types.js';
import { MoncError } from '../util/error.js';
import { FormatError } from './formats/format-error.js';
import type { GpuBackward } from './gpu-backward.js';
import { gatherRows, miniBatches } from './minibatches.js';
import { badValueMessage, checkValues, F16_MAX, ValueRangeError } from './numerics.js';
import { toStorage } from './host-storage.js';
import type { Optimizer, OptimizerOptions } from './optimizer-options.js';
import { dispatchGrid } from './dispatch-dims.js';

export interface FitMseOptions {
  /** Optimizer steps, one mini-batch each (at least 1). */
  readonly steps: number;
  readonly optimizer: OptimizerOptions;
  /** Rows per mini-batch (default, and anything above the rows: all rows, in order). */
  readonly batch?: number;
  /** Seed of the mini-batch shuffling (default 0). */
  readonly seed?: number;
  /** Called at progress points with the step (1-based) and its mini-batch loss (before its update). */
  readonly onProgress?: (step: number, loss: number) => void;
  /** Progress points, evenly spaced: the steps where ⌊step·k/steps⌋ grows, the last included (default 10). */
  readonly progressPoints?: number;
}

export interface FitMseResult {
  readonly steps: number;
  /** The last step's mini-batch loss (before its update). */
  readonly loss: number;
}

/** Why a fit stopped: its loss, its gradients (float32 optimizer state), or the parameters after the update. */
export type FitStopReason = 'loss' | 'gradient' | 'params';

/**
 * The error a fit stops with, at the first step whose loss is not finite, or whose gradients or
 * updated parameters cannot be kept. `detail` says what and at which step (`the loss became NaN
 * at step 2 of 5`); the parameters are left as the steps after it made them (reload them).
 */
export class FitStopped extends MoncError {
  override readonly name = 'FitStopped';
  constructor(
    readonly step: number,
    readonly reason: FitStopReason,
    readonly detail: string,
  ) {
    super('value', `${detail}; stopped`, { step, reason });
  }
}

/** The largest |g| whose square float32 holds: Adam's second moment overflows beyond it. */
const F32_SQRT_MAX = Math.sqrt(3.4028234663852886e38);
const F32_MAX = 3.4028234663852886e38;

/** The text of a step whose gradients the float32 state of webgpu cannot take. */
function stateOverflow(largest: number): string {
  return `a gradient reached ${largest.toPrecision(3)}: Adam's second moment (about g²) overflows the float32 optimizer state of webgpu above about 1.8e19, and the update would silently be 0`;
}

/** The stop of a step whose parameters left the module's range: `message` is checkValues'. */
function paramsStop(dtype: Dtype, step: number, steps: number, message: string): FitStopped {
  const what = dtype === 'f16' ? `overflowed the f16 range (±${F16_MAX})` : 'became non-finite';
  return new FitStopped(step, 'params', `the parameters ${what} at step ${step} of ${steps} (${message})`);
}

function lossStop(loss: number, step: number, steps: number): FitStopped {
  return new FitStopped(step, 'loss', `the loss became ${loss} at step ${step} of ${steps}`);
}

/** The checked options and data sizes of a fit. */
export interface FitPlan {
  readonly rows: number;
  readonly batch: number;
  readonly steps: number;
  readonly seed: number;
  /** Whether `step` reports progress. */
  readonly reports: (step: number) => boolean;
}

/** Checks a fit's data and options against the map (shape and user errors, one line each). */
export function planFit(map: ManifestMap, dtype: Dtype, x: Float32Array, target: Float32Array, options: FitMseOptions): FitPlan {
  const what = `map '${map.name}'`;
  const rows = x.length / map.in;
  if (!Number.isInteger(rows) || rows < 1) throw new MoncError('shape', `${what}: input of ${x.length} values is not a whole number (at least 1) of rows of ${map.in}`);
  if (target.length !== rows * map.out) throw new MoncError('shape', `${what}: target has ${target.length} values; expected ${rows} rows x ${map.out} = ${rows * map.out}`);
  const { steps, batch = rows, seed = 0 } = options;
  if (!Number.isInteger(steps) || steps < 1) throw new MoncError('user', `${what}: fitMse steps must be a whole number of at least 1, got ${steps}`);
  if (!Number.isInteger(batch) || batch < 1) throw new MoncError('user', `${what}: fitMse batch must be a whole number of at least 1, got ${batch}`);
  if (!Number.isFinite(seed)) throw new MoncError('user', `${what}: fitMse seed must be a finite number, got ${seed}`);
  if (dtype === 'f16') checkValues(x, 'f16', `input of ${what}`, [rows, map.in]);
  const parts = options.progressPoints ?? 10;
  const reports = (step: number) => step === steps || Math.floor((step * parts) / steps) > Math.floor(((step - 1) * parts) / steps);
  return { rows, batch: Math.min(batch, rows), steps, seed, reports };
}

/** What the cpu loop runs: the runner's float64 forward and backward passes and an optimizer over its host parameters. */
export interface CpuFitHost {
  readonly map: ManifestMap;
  readonly dtype: Dtype;
  forward(x: Float32Array, rows: number): Promise<Float32Array>;
  backward(x: Float32Array, dy: Float32Array, rows: number): Promise<unknown>;
  /** The packed host parameters (updated in place by the optimizer). */
  params(): Float32Array;
}

/** The fit on the cpu backend: the steps as a user would write them with forward, backward and an optimizer, in float64. */
export async function cpuFitMse(host: CpuFitHost, optimizer: Optimizer, x: Float32Array, target: Float32Array, plan: FitPlan, options: FitMseOptions): Promise<FitMseResult> {
  const { map } = host;
  const next = miniBatches(plan.rows, plan.batch, plan.seed);
  let loss = NaN;
  for (let step = 1; step <= plan.steps; step++) {
    const picked = next();
    const xb = picked ? gatherRows(x, map.in, picked) : x;
    const tb = picked ? gatherRows(target, map.out, picked) : target;
    const rows = picked ? picked.length : plan.rows;
    const y = await host.forward(xb, rows);
    loss = meanSquaredError(y, tb);
    if (!Number.isFinite(loss)) throw lossStop(loss, step, plan.steps);
    await host.backward(xb, mseOutputGradient(y, tb), rows);
    await optimizer.step();
    const packed = host.params();
    for (const entry of map.params) {
      const size = entry.shape.reduce((a, b) => a * b, 1);
      try {
        checkValues(packed.subarray(entry.offset, entry.offset + size), host.dtype, `parameter tensor '${entry.name}'`, entry.shape);
      } catch (e) {
        if (!(e instanceof ValueRangeError)) throw e;
        throw paramsStop(host.dtype, step, plan.steps, e.message);
      }
    }
    if (plan.reports(step)) options.onProgress?.(step, loss);
  }
  return { steps: plan.steps, loss };
}

/** mean((y − t)²), accumulated in float64. */
export function meanSquaredError(y: ArrayLike<number>, t: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) {
    const d = y[i] - t[i];
    sum += d * d;
  }
  return sum / y.length;
}

/** ∂/∂Y of mean((Y − T)²) over all entries: 2(Y − T)/(rows·m). */
function mseOutputGradient(y: Float32Array, t: Float32Array): Float32Array {
  const scale = 2 / y.length;
  return Float32Array.from(y, (v, i) => (v - t[i]) * scale);
}

/** What the device loop runs: the runner's forward kernels and parameters, its backward pass and an optimizer on the device. */
export interface GpuFitHost {
  readonly map: ManifestMap;
  readonly dtype: Dtype;
  readonly device: GPUDevice;
  readonly storage: 'f32' | 'f16';
  /** The compiled WGSL module of the runner's kernel set (the training-step kernels are in it). */
  readonly module: GPUShaderModule;
  readonly params: GPUBuffer;
  readonly backward: GpuBackward;
  /** Records the forward pass's dispatches into an open compute pass (GpuExecutor.encodeDispatches). */
  encodeForward(pass: GPUComputePassEncoder, x: GPUBuffer, y: GPUBuffer, rows: number): void;
}

/** Steps per submission: the optimizer's uniform ring holds this many updates (optimizer.ts HYPER_RING). */
const CHUNK_STEPS = 64;
/** Row indices per submission at most (bounds the index buffer). */
const CHUNK_INDICES = 1 << 22;
/** Step records between two read-backs at most (32 KiB of stats). */
const MAX_SLOTS = 1024;

const layouts = new WeakMap<GPUDevice, { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout }>();

/** The training-step kernels' one layout (training-step.ts): six storage bindings and the step uniform with a dynamic offset. */
function layoutFor(device: GPUDevice) {
  let l = layouts.get(device);
  if (!l) {
    const buffer = (binding: number, type: GPUBufferBindingType, hasDynamicOffset = false): GPUBindGroupLayoutEntry => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type, hasDynamicOffset } });
    const ro = 'read-only-storage';
    const group = device.createBindGroupLayout({
      label: 'monc training step',
      entries: [buffer(0, ro), buffer(1, ro), buffer(2, ro), buffer(3, 'storage'), buffer(4, 'storage'), buffer(5, 'storage'), buffer(6, 'uniform', true)],
    });
    l = { group, pipeline: device.createPipelineLayout({ label: 'monc training step', bindGroupLayouts: [group] }) };
    layouts.set(device, l);
  }
  return l;
}

/** One stats record as read back. */
interface StepStats {
  readonly loss: number;
  readonly flags: number;
  readonly badGradient: number;
  readonly badGradientValue: number;
  readonly maxGradient: number;
  readonly badParam: number;
  readonly badParamValue: number;
}

/** The fit on webgpu, on the device: see the file's header. One instance per fitMse call; `run` frees its buffers. */
export class GpuFitMse {
  private readonly created: GPUBuffer[] = [];
  private readonly elementBytes: number;

  private constructor(
    private readonly host: GpuFitHost,
    private readonly pipelines: ReadonlyMap<TrainingStepKernel, GPUComputePipeline>,
    /** Output elements (gather: input elements; check: parameters) per workgroup of each kernel: the manifest's. */
    private readonly items: ReadonlyMap<TrainingStepKernel, number>,
  ) {
    this.elementBytes = host.storage === 'f16' ? 2 : 4;
  }

  static async create(host: GpuFitHost): Promise<GpuFitMse> {
    const step = host.map.trainingStep;
    if (!step) throw new FormatError(`map '${host.map.name}': its manifest has no training-step kernels (built by an older monc); rebuild the module with this version to use fitMse`);
    const { pipeline } = layoutFor(host.device);
    const entries = await Promise.all(
      step.kernels.map(async (k): Promise<[TrainingStepKernel, GPUComputePipeline]> => [
        k.name,
        await host.device.createComputePipelineAsync({ label: k.entryPoint, layout: pipeline, compute: { module: host.module, entryPoint: k.entryPoint } }),
      ]),
    );
    return new GpuFitMse(host, new Map(entries), new Map(step.kernels.map((k) => [k.name, k.itemsPerWorkgroup])));
  }

  private buffer(label: string, bytes: number, usage: number): GPUBuffer {
    const b = this.host.device.createBuffer({ label: `monc fit ${label}`, size: Math.max(16, Math.ceil(bytes / 16) * 16), usage });
    this.created.push(b);
    return b;
  }

  async run(optimizer: Optimizer, x: Float32Array, target: Float32Array, plan: FitPlan, options: FitMseOptions): Promise<FitMseResult> {
    const { device, map } = this.host;
    try {
      device.pushErrorScope('out-of-memory');
      device.pushErrorScope('validation');
      let result: FitMseResult | undefined;
      let failure: unknown;
      try {
        result = await this.steps(optimizer, x, target, plan, options);
      } catch (e) {
        failure = e;
      }
      const [validation, oom] = await Promise.all([device.popErrorScope(), device.popErrorScope()]);
      const error = validation ?? oom;
      if (error) throw new MoncError(oom && !validation ? 'device' : 'wgsl', `map '${map.name}': WebGPU error in the training loop: ${error.message}`);
      if (failure !== undefined) throw failure;
      return result!;
    } finally {
      for (const b of this.created) b.destroy();
    }
  }

  private async steps(optimizer: Optimizer, x: Float32Array, target: Float32Array, plan: FitPlan, options: FitMseOptions): Promise<FitMseResult> {
    const { device, map, storage, backward } = this.host;
    const { in: n, out: m, paramSize } = map;
    const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
    const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    // X and T stay on the device when they fit one binding; else each step's rows are uploaded (one step per submission).
    const onDevice = plan.rows * n * this.elementBytes <= limit && plan.rows * m * 4 <= limit;
    const gathered = plan.batch < plan.rows;
    const chunk = onDevice ? Math.max(1, Math.min(CHUNK_STEPS, Math.floor(CHUNK_INDICES / plan.batch))) : 1;

    const xAll = onDevice ? this.buffer('x', plan.rows * n * this.elementBytes, STORAGE) : undefined;
    const tAll = onDevice ? this.buffer('target', plan.rows * m * 4, STORAGE) : undefined;
    if (xAll) device.queue.writeBuffer(xAll, 0, toStorage(x, storage));
    if (tAll) device.queue.writeBuffer(tAll, 0, toStorage(target, 'f32'));
    const xb = gathered || !onDevice ? this.buffer('x batch', plan.batch * n * this.elementBytes, STORAGE) : xAll!;
    const tb = onDevice ? tAll! : this.buffer('target batch', plan.batch * m * 4, STORAGE);
    const y = this.buffer('y', plan.batch * m * this.elementBytes, STORAGE);
    const dy = this.buffer('dy', plan.batch * m * this.elementBytes, STORAGE);
    const dx = backward.canSkipInputGradient ? undefined : this.buffer('dx', plan.batch * n * this.elementBytes, STORAGE | GPUBufferUsage.COPY_SRC);
    const useIndices = gathered && onDevice;
    const rowsBuffer = this.buffer('rows', useIndices ? chunk * plan.batch * 4 : 16, STORAGE);
    const partialCount = this.groups('mse', plan.batch * m);
    const partials = this.buffer('partials', partialCount * 4, GPUBufferUsage.STORAGE);
    const stats = this.buffer('stats', MAX_SLOTS * STATS_WORDS * 4, STORAGE | GPUBufferUsage.COPY_SRC);
    const statsRead = this.buffer('stats read-back', MAX_SLOTS * STATS_WORDS * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    const uniforms = this.buffer('steps', chunk * STEP_STRIDE, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);

    const { group: layout } = layoutFor(device);
    const bindGroup = (a: GPUBuffer, b: GPUBuffer, out: GPUBuffer) =>
      device.createBindGroup({
        layout,
        entries: [a, rowsBuffer, b, out, partials, stats].map((buffer, binding) => ({ binding, resource: { buffer } })).concat({ binding: 6, resource: { buffer: uniforms, size: STEP_BYTES } as GPUBufferBinding }),
      });
    const groups = {
      gather: useIndices ? bindGroup(xAll!, tb, xb) : undefined,
      mse: bindGroup(y, tb, dy),
      check: bindGroup(this.host.params, backward.gradients, dy),
    };

    const resetStats = () => device.queue.writeBuffer(stats, 0, new Uint32Array(MAX_SLOTS * STATS_WORDS).fill(NONE).map((v, i) => (isIndexWord(i) ? v : 0)));
    resetStats();
    const next = miniBatches(plan.rows, plan.batch, plan.seed);
    const adam = options.optimizer.kind !== 'sgd';
    const paramLimit = this.host.dtype === 'f16' ? F16_MAX : F32_MAX;
    let firstSlotStep = 1;
    let lastLoss = NaN;
    let step = 0;
    while (step < plan.steps) {
      // The chunk ends at a read-back point: a progress point, a full stats buffer, the last step.
      let end = step;
      while (end < step + chunk && end < plan.steps) {
        end++;
        if (plan.reports(end) || end - firstSlotStep + 1 >= MAX_SLOTS) break;
      }
      const records = new ArrayBuffer(chunk * STEP_STRIDE);
      const indices = useIndices ? new Uint32Array(chunk * plan.batch) : undefined;
      const encoder = device.createCommandEncoder({ label: 'monc fit steps' });
      for (let k = 0; k < end - step; k++) {
        const picked = next();
        const rows = picked ? picked.length : plan.rows;
        const base = k * plan.batch;
        if (indices && picked) indices.set(picked, base);
        if (!onDevice) {
          // Too large for one binding: this step's rows from the host (one step per submission).
          device.queue.writeBuffer(xb, 0, toStorage(picked ? gatherRows(x, n, picked) : x, storage));
          device.queue.writeBuffer(tb, 0, toStorage(picked ? gatherRows(target, m, picked) : target, 'f32'));
        }
        const count = rows * m;
        const words = new Uint32Array(records, k * STEP_STRIDE, STEP_BYTES / 4);
        const floats = new Float32Array(records, k * STEP_STRIDE, STEP_BYTES / 4);
        words.set([rows, n, m, base, useIndices ? 1 : 0, step + k + 1 - firstSlotStep, paramSize, this.groups('mse', count)]);
        floats.set([2 / count, 1 / Math.sqrt(count), paramLimit], 8);
        const offset = [k * STEP_STRIDE];
        const input = useIndices || !onDevice ? xb : xAll!;
        // Few compute passes per step: gather, forward and loss in one; the backward pass; the update; the checks.
        const front = encoder.beginComputePass({ label: 'monc fit forward' });
        if (groups.gather) this.dispatch(front, 'gather', groups.gather, offset, this.groups('gather', rows * n));
        this.host.encodeForward(front, input, y, rows);
        this.dispatch(front, 'mse', groups.mse, offset, this.groups('mse', count));
        front.end();
        backward.encode(encoder, input, dy, dx, rows);
        optimizer.encodeStep(encoder);
        const checks = encoder.beginComputePass({ label: 'monc fit checks' });
        this.dispatch(checks, 'check', groups.check, offset, this.groups('check', paramSize));
        this.dispatch(checks, 'finalize', groups.check, offset, 1);
        checks.end();
      }
      device.queue.writeBuffer(uniforms, 0, records);
      if (indices) device.queue.writeBuffer(rowsBuffer, 0, indices);
      device.queue.submit([encoder.finish()]);
      step = end;
      if (step === plan.steps || plan.reports(step) || step - firstSlotStep + 1 >= MAX_SLOTS) {
        const read = await this.readStats(stats, statsRead, step - firstSlotStep + 1);
        read.forEach((s, i) => {
          const at = firstSlotStep + i;
          const stop = this.stopOf(s, at, plan.steps, adam);
          if (stop) throw stop;
          lastLoss = s.loss;
          if (plan.reports(at)) options.onProgress?.(at, s.loss);
        });
        firstSlotStep = step + 1;
        resetStats();
      }
    }
    return { steps: plan.steps, loss: lastLoss };
  }

  /** Workgroups of `kernel` for `items` elements. */
  private groups(kernel: TrainingStepKernel, items: number): number {
    return Math.ceil(items / this.items.get(kernel)!);
  }

  private dispatch(pass: GPUComputePassEncoder, kernel: TrainingStepKernel, group: GPUBindGroup, offset: number[], workgroups: number): void {
    if (workgroups === 0) return;
    pass.setPipeline(this.pipelines.get(kernel)!);
    pass.setBindGroup(0, group, offset);
    pass.dispatchWorkgroups(...dispatchGrid(this.host.device, workgroups));
  }

  private async readStats(stats: GPUBuffer, read: GPUBuffer, slots: number): Promise<StepStats[]> {
    const bytes = slots * STATS_WORDS * 4;
    const encoder = this.host.device.createCommandEncoder({ label: 'monc fit stats' });
    encoder.copyBufferToBuffer(stats, 0, read, 0, bytes);
    this.host.device.queue.submit([encoder.finish()]);
    await read.mapAsync(GPUMapMode.READ, 0, bytes);
    try {
      const range = read.getMappedRange(0, bytes);
      const words = new Uint32Array(range);
      const floats = new Float32Array(range);
      return Array.from({ length: slots }, (_, i) => {
        const at = i * STATS_WORDS;
        return {
          loss: floats[at + STATS.loss],
          flags: words[at + STATS.flags],
          badGradient: words[at + STATS.badGradient],
          badGradientValue: floats[at + STATS.badGradientValue],
          maxGradient: floats[at + STATS.maxGradient],
          badParam: words[at + STATS.badParam],
          badParamValue: floats[at + STATS.badParamValue],
        };
      });
    } finally {
      read.unmap();
    }
  }

  /** The stop of step `step` from its record, in the order the checks run: loss, gradients, parameters. */
  private stopOf(s: StepStats, step: number, steps: number, adam: boolean): FitStopped | undefined {
    // The float64 loss of f32 values is NaN when some Y is NaN, else ±Inf makes it Infinity.
    if (s.flags & FLAG_NAN) return lossStop(NaN, step, steps);
    if (s.flags & FLAG_INF) return lossStop(Infinity, step, steps);
    const { map, dtype } = this.host;
    if (s.badGradient !== NONE) {
      const entry = entryAt(map, s.badGradient);
      return new FitStopped(step, 'gradient', `the gradient of ${entry.name} became ${s.badGradientValue} (step ${step} of ${steps})`);
    }
    if (adam && s.maxGradient > F32_SQRT_MAX) return new FitStopped(step, 'gradient', `${stateOverflow(s.maxGradient)} (step ${step} of ${steps})`);
    if (s.badParam !== NONE) {
      const entry = entryAt(map, s.badParam);
      return paramsStop(dtype, step, steps, badValueMessage(s.badParamValue, s.badParam - entry.offset, `parameter tensor '${entry.name}'`, entry.shape));
    }
    return undefined;
  }
}

/** Whether word `i` of the stats buffer holds an index (reset to NONE), not a value (reset to 0). */
function isIndexWord(i: number): boolean {
  const w = i % STATS_WORDS;
  return w === STATS.badGradient || w === STATS.badParam;
}

/** The parameter tensor holding packed element `index` (the layout's offsets increase; gaps hold zeros, which are never bad). */
function entryAt(map: ManifestMap, index: number) {
  const entry = [...map.params].reverse().find((e) => e.offset <= index);
  if (!entry) throw new Error(`internal error: packed element ${index} of map '${map.name}' lies in no parameter tensor`);
  return entry;
}
