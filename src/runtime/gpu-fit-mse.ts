/**
 * fitMse on webgpu, on the device (fit-mse.ts says what a fit does): X and T uploaded once, each
 * step's rows gathered by a kernel from row indices uploaded once per submission of up to 64
 * steps, the loss, DY and the checks computed by the module's training-step kernels
 * (src/manifest/training-step.ts), the backward pass without the input gradient, and each step's
 * stats (loss, flags, the first bad indices) written to a device buffer that is read back only at
 * progress points and at the end, from which the first bad step is found exactly. Data larger than
 * one storage binding goes up step by step instead (one step per submission).
 *
 * The steps between two read-backs run before their checks are seen, so a stop is found after the
 * device has applied the stopping step's update and maybe later ones. Each such window therefore
 * starts with a copy of the parameters and the optimizer state (copyBufferToBuffer); at a stop
 * they are put back and the window's good steps taken again (the same rows, the same kernels and
 * uniforms: the same results), which leaves what the cpu loop leaves: the last good step's parameters.
 */
import { FLAG_INF, FLAG_NAN, NONE, STATS, STATS_WORDS, STEP_BYTES, STEP_STRIDE, type TrainingStepKernel } from '../manifest/training-step.js';
import type { Dtype } from '../manifest/program.js';
import type { ManifestMap } from '../manifest/types.js';
import { MoncError } from '../util/error.js';
import { dispatchGrid } from './dispatch-dims.js';
import { FitStopped, lossStop, outputsStop, paramsStop, type FitMseOptions, type FitMseResult, type FitPlan } from './fit-mse.js';
import { FormatError } from './formats/format-error.js';
import type { GpuBackward } from './gpu-backward.js';
import { fromStorage, toStorage } from './host-storage.js';
import { gatherRows, miniBatches } from './minibatches.js';
import { badValueMessage, F16_MAX } from './numerics.js';
import type { GpuOptimizer } from './optimizer.js';
import * as flags from './gpu-flags.js';
import { READ, sharedLayout, type KernelLayout } from './bind-layout.js';
import { createBuffer, paddedBytes } from './buffer.js';
import { moduleOf, type KernelModules } from './kernel-modules.js';
import { deviceLost } from './run-errors.js';

/** The largest |g| whose square float32 holds: Adam's second moment overflows beyond it. */
const F32_SQRT_MAX = Math.sqrt(3.4028234663852886e38);
const F32_MAX = 3.4028234663852886e38;

/** The text of a step whose gradients the float32 state of webgpu cannot take. */
function stateOverflow(largest: number): string {
  return `a gradient reached ${largest.toPrecision(3)}: Adam's second moment (about g²) overflows the float32 optimizer state of webgpu above about 1.8e19, and the update would silently be 0`;
}

/** Rows a gradient's f16 sum stands for at most under the loss scale (lossScale). */
const SCALED_ROWS = 256;

/**
 * The loss scale L of a fit whose DY and gradients are stored in `storage`: the mse kernel stores
 * DY = (Y − T)·2L/(rows·m) and the optimizer divides L out of the gradients (GpuOptimizer
 * setGradientScale). In f16 the exact 2(Y − T)/(rows·m) falls below f16's smallest subnormal
 * (6e-8) at ordinary batches (rows·m of a million) and is stored as 0. L = m·min(rows, 256)/2,
 * rounded to a power of two (exact in every product), makes DY about (Y − T)·min(rows, 256)/rows
 * and a weight gradient about min(rows, 256) times a mean over rows of (Y − T)·x: DY stays far
 * above 6e-8, and the gradients far below 65504 even for residuals correlated over many rows
 * (L = rows·m/2 would overflow them at rows·|Y − T|·|x| ≈ 65504). f32 keeps the exact gradient (L = 1).
 */
export function lossScale(storage: 'f32' | 'f16', batch: number, m: number): number {
  return storage === 'f16' ? 2 ** Math.round(Math.log2((m * Math.min(batch, SCALED_ROWS)) / 2)) : 1;
}

/** The factor the mse kernel multiplies Y − T by for DY (the step uniform's `scale`): 2L/(rows·m) for `count` = rows·m outputs. */
export function outputGradientFactor(count: number, scale: number): number {
  return (2 * scale) / count;
}

/** What the device loop runs: the runner's forward kernels and parameters, its backward pass and an optimizer on the device. */
export interface GpuFitHost {
  readonly map: ManifestMap;
  readonly dtype: Dtype;
  readonly device: GPUDevice;
  readonly storage: 'f32' | 'f16';
  /** The compiled shader modules of the runner's kernel set (the training-step kernels' among them). */
  readonly modules: KernelModules;
  readonly params: GPUBuffer;
  readonly backward: GpuBackward;
  /** Records the forward pass's dispatches into an open compute pass (GpuExecutor.encodeDispatches). */
  encodeForward(pass: GPUComputePassEncoder, x: GPUBuffer, y: GPUBuffer, rows: number): void;
  /** Rejects with the destroyed runner's error once the runner is destroyed (never resolves). */
  readonly destroyed: Promise<never>;
}

/** Steps per submission at most (bounds the step uniforms and the row indices a submission uploads). */
const CHUNK_STEPS = 64;
/** Row indices per submission at most (bounds the index buffer). */
const CHUNK_INDICES = 1 << 22;
/** Step records between two read-backs at most (32 KiB of stats). */
const MAX_SLOTS = 1024;

/** The training-step kernels' one layout (training-step.ts): six storage bindings and the step uniform with a dynamic offset. */
function layoutFor(device: GPUDevice): KernelLayout {
  return sharedLayout(device, 'monc training step', [READ, READ, READ, 'storage', 'storage', 'storage', 'uniform'], 6);
}

/** A fit's buffers on the device (GpuFitMse.allocate). */
interface FitBuffers {
  /** Whether X and T are on the device (else each step's rows are uploaded from `host`). */
  readonly onDevice: boolean;
  readonly host: { readonly x: Float32Array; readonly target: Float32Array };
  /** Whether steps gather their rows by index on the device (mini-batches of data on the device). */
  readonly useIndices: boolean;
  /** Steps per submission at most. */
  readonly chunk: number;
  /** The fit's loss scale (lossScale). */
  readonly lossScale: number;
  /** The step's input rows (X itself when every step takes all rows in order). */
  readonly xb: GPUBuffer;
  /** T (on the device), or the step's target rows (uploaded). */
  readonly tb: GPUBuffer;
  readonly y: GPUBuffer;
  readonly dy: GPUBuffer;
  /** A scratch input gradient, only when the backward program cannot skip it. */
  readonly dx: GPUBuffer | undefined;
  readonly rows: GPUBuffer;
  readonly partials: GPUBuffer;
  readonly stats: GPUBuffer;
  readonly statsRead: GPUBuffer;
  readonly uniforms: GPUBuffer;
  /** The parameters and the optimizer state at the start of the read-back window (GpuFitMse.copyState). */
  readonly snapshot: { readonly params: GPUBuffer; readonly state: GPUBuffer };
  readonly groups: { readonly gather: GPUBindGroup | undefined; readonly mse: GPUBindGroup; readonly check: GPUBindGroup };
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

/** The fit on webgpu (the file's header). One instance per fitMse call; `run` frees its buffers. */
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
        await host.device.createComputePipelineAsync({ label: k.entryPoint, layout: pipeline, compute: { module: moduleOf(host.modules, k.entryPoint), entryPoint: k.entryPoint } }),
      ]),
    );
    return new GpuFitMse(host, new Map(entries), new Map(step.kernels.map((k) => [k.name, k.itemsPerWorkgroup])));
  }

  /**
   * `wait` raced with the device's loss (a device lost while it waits aborts a mapping with a bare AbortError: QA2 s22
   * Q157) and with the runner's destroy(): each wait is on the steps submitted before it, up to a read-back window of
   * them, which the device runs whatever comes (QA2 s27 Q651: a fit destroyed 200 ms in rejected 57 s later on
   * SwiftShader, where forward and backward reject at once).
   */
  private settled<T>(wait: Promise<T>): Promise<T> {
    return Promise.race([wait, deviceLost(this.host.device), this.host.destroyed]);
  }

  /**
   * A buffer of the fit, through createBuffer: one over what the device binds as one is refused, kind device, naming
   * the map (REV28-5: made invalid, it failed the loop as kind wgsl). run() checks a mini-batch's rows first
   * (fitRowsLimit, which names the batch that fits), so this refuses only what no batch decides.
   */
  private buffer(label: string, bytes: number, usage: number): GPUBuffer {
    const b = createBuffer(this.host.device, `fit ${label}`, paddedBytes(bytes, 1), usage, false, this.host.map.name);
    this.created.push(b);
    return b;
  }

  async run(optimizer: GpuOptimizer, x: Float32Array, target: Float32Array, plan: FitPlan, options: FitMseOptions): Promise<FitMseResult> {
    const { device, map } = this.host;
    // Dawn's Node binding crashes (a segmentation fault) on queue.writeBuffer of a view of shared memory (a
    // SharedArrayBuffer, a shared WebAssembly.Memory), which the fit uploads X and T from: such views are copied once
    // (QA2 s22 Q156). forward and backward copy their inputs at the call anyway.
    [x, target] = [x, target].map((a) => (a.buffer instanceof ArrayBuffer ? a : a.slice()));
    // A mini-batch whose backward pass or targets need a buffer over the device's limits: kind 'device', before anything is made.
    this.host.backward.checkRows(plan.batch, true);
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
      const [validation, oom] = await this.settled(Promise.all([device.popErrorScope(), device.popErrorScope()]));
      const error = validation ?? oom;
      if (error) throw new MoncError(oom && !validation ? 'device' : 'wgsl', `map '${map.name}': WebGPU error in the training loop: ${error.message}`);
      if (failure !== undefined) throw failure;
      return result!;
    } finally {
      for (const b of this.created) b.destroy();
    }
  }

  /** The fit's device buffers and bind groups (X and T uploaded), freed by `run`. */
  private allocate(x: Float32Array, target: Float32Array, plan: FitPlan, optimizer: GpuOptimizer): FitBuffers {
    const { device, map, storage, backward } = this.host;
    const { in: n, out: m } = map;
    const e = this.elementBytes;
    const STORAGE = flags.STORAGE | flags.COPY_DST;
    const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    // X and T stay on the device when they fit one binding; else each step's rows are uploaded (one step per submission).
    const onDevice = plan.rows * n * e <= limit && plan.rows * m * 4 <= limit;
    const gathered = plan.batch < plan.rows;
    const chunk = onDevice ? Math.max(1, Math.min(CHUNK_STEPS, Math.floor(CHUNK_INDICES / plan.batch))) : 1;
    const xAll = onDevice ? this.buffer('x', plan.rows * n * e, STORAGE) : undefined;
    const tAll = onDevice ? this.buffer('target', plan.rows * m * 4, STORAGE) : undefined;
    if (xAll) device.queue.writeBuffer(xAll, 0, toStorage(x, storage));
    if (tAll) device.queue.writeBuffer(tAll, 0, toStorage(target, 'f32'));
    const useIndices = gathered && onDevice;
    const b = {
      onDevice,
      host: { x, target },
      useIndices,
      chunk,
      lossScale: lossScale(storage, plan.batch, m),
      xb: gathered || !onDevice ? this.buffer('x batch', plan.batch * n * e, STORAGE) : xAll!,
      tb: tAll ?? this.buffer('target batch', plan.batch * m * 4, STORAGE),
      // (Read back once, after the last step: lastOutputs.)
      y: this.buffer('y', plan.batch * m * e, STORAGE | flags.COPY_SRC),
      dy: this.buffer('dy', plan.batch * m * e, STORAGE),
      dx: backward.canSkipInputGradient ? undefined : this.buffer('dx', plan.batch * n * e, STORAGE | flags.COPY_SRC),
      rows: this.buffer('rows', useIndices ? chunk * plan.batch * 4 : 16, STORAGE),
      partials: this.buffer('partials', this.groups('mse', plan.batch * m) * 4, flags.STORAGE),
      stats: this.buffer('stats', MAX_SLOTS * STATS_WORDS * 4, STORAGE | flags.COPY_SRC),
      statsRead: this.buffer('stats read-back', MAX_SLOTS * STATS_WORDS * 4, flags.MAP_READ | flags.COPY_DST),
      uniforms: this.buffer('steps', chunk * STEP_STRIDE, flags.UNIFORM | flags.COPY_DST),
      snapshot: {
        params: this.buffer('params snapshot', this.host.params.size, flags.COPY_SRC | flags.COPY_DST),
        state: this.buffer('optimizer state snapshot', optimizer.stateBuffer.size, flags.COPY_SRC | flags.COPY_DST),
      },
    };
    const { group: layout } = layoutFor(device);
    const bindGroup = (a: GPUBuffer, t: GPUBuffer, out: GPUBuffer) =>
      device.createBindGroup({
        layout,
        entries: [a, b.rows, t, out, b.partials, b.stats]
          .map((buffer, binding) => ({ binding, resource: { buffer } }))
          .concat({ binding: 6, resource: { buffer: b.uniforms, size: STEP_BYTES } as GPUBufferBinding }),
      });
    return {
      ...b,
      groups: {
        gather: useIndices ? bindGroup(xAll!, b.tb, b.xb) : undefined,
        mse: bindGroup(b.y, b.tb, b.dy),
        check: bindGroup(this.host.params, backward.gradients, b.dy),
      },
    };
  }

  private async steps(optimizer: GpuOptimizer, x: Float32Array, target: Float32Array, plan: FitPlan, options: FitMseOptions): Promise<FitMseResult> {
    const { device } = this.host;
    const b = this.allocate(x, target, plan, optimizer);
    optimizer.setGradientScale(b.lossScale);
    const resetStats = () => device.queue.writeBuffer(b.stats, 0, new Uint32Array(MAX_SLOTS * STATS_WORDS).fill(NONE).map((v, i) => (isIndexWord(i) ? v : 0)));
    resetStats();
    const batches = miniBatches(plan.rows, plan.batch, plan.seed);
    // The rows of the step encoded last: after the loop, the last step's.
    let picked: Uint32Array | undefined;
    const next = () => (picked = batches());
    const adam = options.optimizer.kind !== 'sgd';
    let firstSlotStep = 1;
    // The first step of the last read-back window: its snapshot is the one a stop puts back.
    let windowStart = 1;
    let lastLoss = NaN;
    let step = 0;
    while (step < plan.steps) {
      // The chunk ends at a read-back point: a progress point, a full stats buffer, the last step.
      let end = step;
      while (end < step + b.chunk && end < plan.steps) {
        end++;
        if (plan.reports(end) || end - firstSlotStep + 1 >= MAX_SLOTS) break;
      }
      const encoder = device.createCommandEncoder({ label: 'monc fit steps' });
      if (step + 1 === firstSlotStep) this.copyState(encoder, b, optimizer, 'save');
      this.encodeSteps(encoder, b, optimizer, plan, step + 1, end, firstSlotStep, next);
      device.queue.submit([encoder.finish()]);
      step = end;
      if (step === plan.steps || plan.reports(step) || step - firstSlotStep + 1 >= MAX_SLOTS) {
        const read = await this.readStats(b.stats, b.statsRead, step - firstSlotStep + 1);
        for (const [i, s] of read.entries()) {
          const at = firstSlotStep + i;
          const stop = this.stopOf(s, at, plan.steps, adam);
          if (stop) {
            await this.rollBack(b, optimizer, plan, firstSlotStep, at);
            throw stop;
          }
          lastLoss = s.loss;
          if (plan.reports(at)) options.onProgress?.(at, s.loss);
        }
        windowStart = firstSlotStep;
        firstSlotStep = step + 1;
        resetStats();
      }
    }
    // The last update meets no next step's loss: its outputs on the same rows are checked here (fit-mse.ts outputsStop),
    // as many as the last step took (an epoch's last mini-batch may be short: rows past it in b.xb are an earlier step's).
    const last = outputsStop(await this.lastOutputs(b, picked ? picked.length : plan.rows), this.host.map.out, plan.steps, picked);
    if (last) {
      await this.rollBack(b, optimizer, plan, windowStart, plan.steps);
      throw last;
    }
    return { steps: plan.steps, loss: lastLoss };
  }

  /** The outputs of the last step's rows (still in `b.xb`) with the parameters it left, as float32 (the runner's outputs). */
  private async lastOutputs(b: FitBuffers, rows: number): Promise<Float32Array> {
    const { device, map, storage } = this.host;
    const read = this.buffer('y read-back', b.y.size, flags.MAP_READ | flags.COPY_DST);
    const encoder = device.createCommandEncoder({ label: 'monc fit outputs' });
    const pass = encoder.beginComputePass({ label: 'monc fit outputs' });
    this.host.encodeForward(pass, b.xb, b.y, rows);
    pass.end();
    encoder.copyBufferToBuffer(b.y, 0, read, 0, b.y.size);
    device.queue.submit([encoder.finish()]);
    await this.settled(read.mapAsync(flags.MODE_READ));
    try {
      return fromStorage(read.getMappedRange(), rows * map.out, storage);
    } finally {
      read.unmap();
    }
  }

  /**
   * Records steps `first` … `last` (1-based; at most one chunk) into `encoder`, each on the rows
   * `next` gives, and queues their step uniforms and row indices (so: submit before the next call).
   * Stats go to the window's slots, counted from step `firstSlotStep`.
   */
  private encodeSteps(encoder: GPUCommandEncoder, b: FitBuffers, optimizer: GpuOptimizer, plan: FitPlan, first: number, last: number, firstSlotStep: number, next: () => Uint32Array | undefined): void {
    const { device, map, storage, backward } = this.host;
    const { in: n, out: m, paramSize } = map;
    const paramLimit = this.host.dtype === 'f16' ? F16_MAX : F32_MAX;
    const records = new ArrayBuffer(b.chunk * STEP_STRIDE);
    const indices = b.useIndices ? new Uint32Array(b.chunk * plan.batch) : undefined;
    for (let k = 0; k <= last - first; k++) {
      const picked = next();
      const rows = picked ? picked.length : plan.rows;
      const base = k * plan.batch;
      if (indices && picked) indices.set(picked, base);
      if (!b.onDevice) {
        // Too large for one binding: this step's rows from the host (one step per submission).
        device.queue.writeBuffer(b.xb, 0, toStorage(picked ? gatherRows(b.host.x, n, picked) : b.host.x, storage));
        device.queue.writeBuffer(b.tb, 0, toStorage(picked ? gatherRows(b.host.target, m, picked) : b.host.target, 'f32'));
      }
      const count = rows * m;
      const words = new Uint32Array(records, k * STEP_STRIDE, STEP_BYTES / 4);
      const floats = new Float32Array(records, k * STEP_STRIDE, STEP_BYTES / 4);
      words.set([rows, n, m, base, b.useIndices ? 1 : 0, first + k - firstSlotStep, paramSize, this.groups('mse', count)]);
      floats.set([outputGradientFactor(count, b.lossScale), 1 / Math.sqrt(count), paramLimit], 8);
      const offset = [k * STEP_STRIDE];
      // Few compute passes per step: gather, forward and loss in one; the backward pass; the update; the checks.
      const front = encoder.beginComputePass({ label: 'monc fit forward' });
      if (b.groups.gather) this.dispatch(front, 'gather', b.groups.gather, offset, this.groups('gather', rows * n));
      this.host.encodeForward(front, b.xb, b.y, rows);
      this.dispatch(front, 'mse', b.groups.mse, offset, this.groups('mse', count));
      front.end();
      backward.encode(encoder, b.xb, b.dy, b.dx, rows);
      optimizer.encodeStep(encoder);
      const checks = encoder.beginComputePass({ label: 'monc fit checks' });
      this.dispatch(checks, 'check', b.groups.check, offset, this.groups('check', paramSize));
      this.dispatch(checks, 'finalize', b.groups.check, offset, 1);
      checks.end();
    }
    device.queue.writeBuffer(b.uniforms, 0, records);
    if (indices) device.queue.writeBuffer(b.rows, 0, indices);
  }

  /** Copies the parameters and the optimizer state into the window's snapshot ('save') or back from it ('restore'). */
  private copyState(encoder: GPUCommandEncoder, b: FitBuffers, optimizer: GpuOptimizer, direction: 'save' | 'restore'): void {
    const pairs: [GPUBuffer, GPUBuffer][] = [
      [this.host.params, b.snapshot.params],
      [optimizer.stateBuffer, b.snapshot.state],
    ];
    for (const [live, copy] of pairs) {
      if (direction === 'save') encoder.copyBufferToBuffer(live, 0, copy, 0, live.size);
      else encoder.copyBufferToBuffer(copy, 0, live, 0, live.size);
    }
  }

  /**
   * After a stop at step `stop` found at the read-back of the window that began at step `from`:
   * the parameters and optimizer state put back as they were after step from − 1, then steps
   * from … stop − 1 taken again on the same rows, so the device holds what the last good step left.
   */
  private async rollBack(b: FitBuffers, optimizer: GpuOptimizer, plan: FitPlan, from: number, stop: number): Promise<void> {
    const { device } = this.host;
    // The same rows: the seed's mini-batches from the first step, those before the window skipped.
    const next = miniBatches(plan.rows, plan.batch, plan.seed);
    for (let s = 1; s < from; s++) next();
    optimizer.rewindTo(from - 1);
    const restore = device.createCommandEncoder({ label: 'monc fit roll back' });
    this.copyState(restore, b, optimizer, 'restore');
    device.queue.submit([restore.finish()]);
    for (let first = from; first < stop; first += b.chunk) {
      const encoder = device.createCommandEncoder({ label: 'monc fit steps again' });
      this.encodeSteps(encoder, b, optimizer, plan, first, Math.min(first + b.chunk, stop) - 1, from, next);
      device.queue.submit([encoder.finish()]);
    }
    await this.settled(device.queue.onSubmittedWorkDone());
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
    await this.settled(read.mapAsync(flags.MODE_READ, 0, bytes));
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
