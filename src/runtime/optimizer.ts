/**
 * Optimizers over a map's packed parameters, with PyTorch's update rules and defaults: on the
 * device for webgpu runners (the update kernel the build shipped in the module, state buffers on
 * the device), in JS (float64 state) for the cpu backend, with the same rules.
 */
import { workgroupCount } from '../manifest/dispatch.js';
import { HYPER_BYTES, stateWords, type OptimizerRule } from '../manifest/optimizer.js';
import type { ManifestOptimizerKernel } from '../manifest/types.js';
import { userError } from './user-error.js';
import { checkRecorder } from './batch-args.js';
import { FormatError } from './formats/format-error.js';
import { resolveOptimizer, type Optimizer, type OptimizerOptions, type ResolvedOptimizer } from './optimizer-options.js';
import * as flags from './gpu-flags.js';
import { READ, sharedLayout, type KernelLayout } from './bind-layout.js';
import { createBuffer, paddedBytes } from './buffer.js';
import { moduleOf, type KernelModules } from './kernel-modules.js';
import { checkDevice, deviceLost, scopeError } from './run-errors.js';

export type { Optimizer, OptimizerOptions, ResolvedOptimizer } from './optimizer-options.js';
export { resolveOptimizer };

/** The bias corrections of step t (1-based). */
function corrections(r: ResolvedOptimizer, t: number): { c1: number; c2: number } {
  return r.kernel === 'sgd' ? { c1: 1, c2: 1 } : { c1: 1 - r.beta1 ** t, c2: 1 - r.beta2 ** t };
}

/**
 * The same update for gradients stored `scale` times their value (fitMse's loss scaling in f16
 * modules, gpu-fit-mse.ts): SGD's lr / scale and L2 weight decay · scale (its momentum buffer then
 * holds scale × its value), Adam's eps · scale and L2 weight decay · scale (its moments hold scale
 * and scale² times theirs; AdamW's decoupled decay multiplies the parameter and is unchanged). With
 * a power of two every product is exact, so the update equals the unscaled one bit for bit, barring
 * float32 under- or overflow.
 */
export function forScaledGradients(r: ResolvedOptimizer, scale: number): ResolvedOptimizer {
  if (scale === 1) return r;
  if (r.kernel === 'sgd') return { ...r, lr: r.lr / scale, weightDecay: r.weightDecay * scale };
  return { ...r, eps: r.eps * scale, weightDecay: r.decoupled ? r.weightDecay : r.weightDecay * scale };
}

/** One update of packed `params` in place from `grad`, with float64 `state` (stateWords per element). */
export function cpuOptimizerStep(r: ResolvedOptimizer, t: number, params: Float32Array, grad: ArrayLike<number>, state: Float64Array): void {
  const n = params.length;
  const { c1, c2 } = corrections(r, t);
  for (let i = 0; i < n; i++) {
    const p = params[i];
    if (r.kernel === 'sgd') {
      let step = grad[i] + r.weightDecay * p;
      if (r.beta1 !== 0) {
        step = r.beta1 * state[i] + step;
        state[i] = step;
      }
      params[i] = p - r.lr * step;
    } else {
      let g = grad[i];
      let q = p;
      if (r.decoupled) q = p * (1 - r.lr * r.weightDecay);
      else g += r.weightDecay * p;
      const m = r.beta1 * state[i] + (1 - r.beta1) * g;
      const v = r.beta2 * state[n + i] + (1 - r.beta2) * g * g;
      state[i] = m;
      state[n + i] = v;
      params[i] = q - (r.lr * (m / c1)) / (Math.sqrt(v / c2) + r.eps);
    }
  }
}

/** The JS optimizer of a cpu runner: `target()` gives the packed params (updated in place) and the last gradients. */
export class CpuOptimizer implements Optimizer {
  private t = 0;
  private state: Float64Array | undefined;
  private readonly resolved: ResolvedOptimizer;

  constructor(
    options: OptimizerOptions,
    private readonly target: () => { params: Float32Array; grad: ArrayLike<number> },
  ) {
    this.resolved = resolveOptimizer(options);
  }

  get steps(): number {
    return this.t;
  }

  async step(): Promise<void> {
    const { params, grad } = this.target();
    this.state ??= new Float64Array(params.length * stateWords(this.resolved.kernel));
    this.t++;
    cpuOptimizerStep(this.resolved, this.t, params, grad, this.state);
  }

  encodeStep(): void {
    throw userError('encodeStep needs the webgpu backend (this optimizer runs on the cpu backend)');
  }
}

/** The update kernels' layout (src/manifest/optimizer.ts): params (written), gradients (read), state (written), hyper-parameters (uniform). */
function layoutFor(device: GPUDevice): KernelLayout {
  return sharedLayout(device, 'monc optimizer', ['storage', READ, 'storage', 'uniform']);
}

/** The module's update kernels for a map: its `optimizers`, and their compiled shader modules on this device. */
export interface OptimizerKernels {
  readonly modules: KernelModules;
  readonly kernels: readonly ManifestOptimizerKernel[] | undefined;
}

/** The device optimizer of a webgpu runner: updates `params` from `gradients` (both packed, storage type). */
export class GpuOptimizer implements Optimizer {
  private t = 0;
  private readonly resolved: ResolvedOptimizer;
  private readonly state: GPUBuffer;
  private readonly pipeline: GPUComputePipeline;
  private readonly groups: number;
  /** The update's uniform, refilled by a copy before each dispatch (encodeStep). */
  private hyper: GPUBuffer | undefined;
  /** The bind group, for the params and gradients buffers it was made with. */
  private bindGroup: { params: GPUBuffer; gradients: GPUBuffer; group: GPUBindGroup } | undefined;
  /** How many times their value the gradients hold (setGradientScale). */
  private gradientScale = 1;
  /** Step t's hyper-parameters at entry min(t, steady) − 1 (hyperEntry); the tables replaced by longer ones. */
  private table: GPUBuffer | undefined;
  private readonly oldTables: GPUBuffer[] = [];
  private steady = Infinity;

  constructor(
    /** The runner's map, for messages. */
    private readonly mapName: string,
    private readonly device: GPUDevice,
    options: OptimizerOptions,
    private readonly size: number,
    module: OptimizerKernels,
    private readonly buffers: () => { params: GPUBuffer; gradients: GPUBuffer },
  ) {
    this.resolved = resolveOptimizer(options);
    const rule = this.resolved.kernel;
    const kernel = module.kernels?.find((k) => k.rule === rule);
    if (!kernel) throw new FormatError(`this module has no '${rule}' update kernel (built by an older monc); rebuild it with this version`);
    const l = layoutFor(device);
    this.pipeline = device.createComputePipeline({
      label: kernel.entryPoint,
      layout: l.pipeline,
      compute: { module: moduleOf(module.modules, kernel.entryPoint), entryPoint: kernel.entryPoint },
    });
    // The rule is written for any batch: one dispatch covers the whole packed buffer.
    this.groups = workgroupCount(kernel.dispatch, 1);
    // Copyable: fitMse snapshots it to take steps back after a stop (gpu-fit-mse.ts).
    // Through createBuffer: over what the device binds as one (Adam's 2 f32 words a parameter pass it before the
    // parameters do), refused here, kind device, not made invalid to fail every step as kind wgsl (REV28-5, Q755).
    this.state = createBuffer(device, 'optimizer state', paddedBytes(size * stateWords(this.resolved.kernel), 4), flags.STORAGE | flags.COPY_SRC | flags.COPY_DST, false, mapName);
  }

  get steps(): number {
    return this.t;
  }

  /** The state buffer (moments), for a loop that snapshots and restores it with copyBufferToBuffer. */
  get stateBuffer(): GPUBuffer {
    return this.state;
  }

  /**
   * Declares the gradients `scale` (a power of two) times their value, as fitMse's loss scaling
   * makes them in f16 modules; the update divides it out exactly (forScaledGradients). Before the
   * first step only: the state then holds scaled moments.
   */
  setGradientScale(scale: number): void {
    if (this.t !== 0 || !(scale > 0) || 2 ** Math.round(Math.log2(scale)) !== scale) throw new Error(`internal error: gradient scale ${scale} at step ${this.t}`);
    this.gradientScale = scale;
  }

  /**
   * Sets the step count back to `steps` (at most the current one); the caller restores the state
   * buffer to what it held after that step, so the next update uses its bias corrections again.
   */
  rewindTo(steps: number): void {
    if (!Number.isInteger(steps) || steps < 0 || steps > this.t) throw new Error(`internal error: cannot rewind an optimizer at step ${this.t} to step ${steps}`);
    this.t = steps;
  }

  /**
   * Records one update. Its hyper-parameters (step t's bias corrections) reach the uniform by a
   * copy recorded in `encoder` from entry t of a table written once per entry, not by
   * queue.writeBuffer into the uniform (which lands at once): so any number of steps on one
   * encoder, or on several encoders submitted later in any order, each read their own.
   */
  encodeStep(encoder: GPUCommandEncoder): void {
    // From JavaScript anything may come (QA2 s21 Q53: null, {} or a compute pass was a TypeError, after the step had
    // counted): refused first, as encodeForward refuses it.
    checkRecorder(this.mapName, 'encodeStep', encoder);
    // Then: it throws when there are no gradients to apply (no backward pass yet), before the step counts.
    const { params, gradients } = this.buffers();
    this.t++;
    if (this.size === 0) return;
    const { buffer, offset } = this.hyperEntry(this.t);
    this.hyper ??= this.device.createBuffer({ label: 'monc optimizer hyper', size: HYPER_BYTES, usage: flags.UNIFORM | flags.COPY_DST });
    encoder.copyBufferToBuffer(buffer, offset, this.hyper, 0, HYPER_BYTES);
    if (this.bindGroup?.params !== params || this.bindGroup.gradients !== gradients) {
      const group = this.device.createBindGroup({
        layout: layoutFor(this.device).group,
        entries: [
          { binding: 0, resource: { buffer: params } },
          { binding: 1, resource: { buffer: gradients } },
          { binding: 2, resource: { buffer: this.state } },
          { binding: 3, resource: { buffer: this.hyper } },
        ],
      });
      this.bindGroup = { params, gradients, group };
    }
    const pass = encoder.beginComputePass({ label: 'monc optimizer step' });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroup.group);
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    const x = Math.min(this.groups, max);
    pass.dispatchWorkgroups(x, Math.ceil(this.groups / x));
    pass.end();
  }

  /**
   * Where step t's hyper-parameters lie: entry min(t, steady) − 1 of the table, where `steady` is
   * the first step whose float32 bias corrections are both 1 (every later step's entry is the
   * same: SGD's from step 1, Adam's β2 = 0.999 from about step 17,000). A table too short is
   * replaced by one twice as long; the old one is kept until destroy(), since an encoder not yet
   * submitted may copy from it. Entries never change once written.
   */
  private hyperEntry(t: number): { buffer: GPUBuffer; offset: number } {
    const entry = Math.min(t, this.steady) - 1;
    if (!this.table || entry >= this.table.size / HYPER_BYTES) {
      const r = forScaledGradients(this.resolved, this.gradientScale);
      const entries = Math.max(entry + 1, this.table ? (2 * this.table.size) / HYPER_BYTES : 64);
      const data = new ArrayBuffer(entries * HYPER_BYTES);
      for (let i = 0; i < entries && i < this.steady; i++) {
        const { c1, c2 } = corrections(r, i + 1);
        new Float32Array(data, i * HYPER_BYTES, 7).set([r.lr, r.beta1, r.beta2, r.eps, r.weightDecay, c1, c2]);
        new Uint32Array(data, i * HYPER_BYTES + 28, 2).set([this.size, r.decoupled ? 1 : 0]);
        if (Math.fround(c1) === 1 && Math.fround(c2) === 1) this.steady = i + 1;
      }
      if (this.table) this.oldTables.push(this.table);
      this.table = this.device.createBuffer({ label: 'monc optimizer hyper table', size: data.byteLength, usage: flags.COPY_SRC | flags.COPY_DST });
      this.device.queue.writeBuffer(this.table, 0, data);
      return this.hyperEntry(t);
    }
    return { buffer: this.table, offset: entry * HYPER_BYTES };
  }

  /** Frees the state, uniform and table buffers (the runner does, when destroyed). */
  destroy(): void {
    this.state.destroy();
    this.hyper?.destroy();
    for (const b of [this.table, ...this.oldTables]) b?.destroy();
  }

  async step(): Promise<void> {
    // On a lost device, or without gradients to apply, a step throws here, not inside the error scope below: the loss
    // first, as every call of a runner on a lost device fails with it (QA2 s20 R90).
    checkDevice(this.device);
    this.buffers();
    this.device.pushErrorScope('validation');
    const encoder = this.device.createCommandEncoder({ label: 'monc optimizer step' });
    this.encodeStep(encoder);
    this.device.queue.submit([encoder.finish()]);
    const error = scopeError(this.mapName, 'in the optimizer step', [await Promise.race([this.device.popErrorScope(), deviceLost(this.device)])]);
    if (error) throw error;
  }
}
