/**
 * `monc/runtime/training`: the training half of a MapRunner, the backward pass (the manifest's
 * backward program: its kernels through GpuBackward on webgpu, the float64 CPU executor of
 * `monc/runtime/cpu` on the cpu backend), the optimizers, fitMse's loop (fit-mse.ts) and saveParams' safetensors writer. Importing this module registers it
 * with the runtime (extensions.ts); a page that only runs forward passes does not import it, so
 * does not bundle it (test/package/runtime-bundle.test.ts).
 */
import type { BackwardProgramData, Dtype } from '../manifest/program.js';
import type { ManifestMap } from '../manifest/types.js';
import { assertNever } from '../util/assert.js';
import { MoncError } from '../util/error.js';
import { arrayError, userError } from './user-error.js';
import { checkBatch, checkCallerBuffers, checkClearable, float32Array } from './batch-args.js';
import { missingEntry, registerTraining, cpuExecutor } from './extensions.js';
import { FormatError } from './formats/format-error.js';
import { writeSafetensors } from './formats/safetensors.js';
import type { GpuExecutor, HeldParams } from './gpu-executor.js';
import type { MapRunner } from './map-runner.js';
import { GpuBackward, backwardSpec, type BackwardKernels } from './gpu-backward.js';
import { readDeviceBuffer } from './host-storage.js';
import { cpuFitMse, planFit, type FitMseOptions, type FitMseResult, type FitPlan } from './fit-mse.js';
import { GpuFitMse } from './gpu-fit-mse.js';
import { CpuOptimizer, GpuOptimizer, type Optimizer, type OptimizerOptions } from './optimizer.js';
import { DeferredOptimizer, resolveOptimizer, trainingNotLoaded } from './optimizer-options.js';
import { checkValues } from './numerics.js';
import { checkManifestMap } from './checked-exports.js';
import { unpackParams } from './params.js';
import { kernelModules, type KernelModules } from './kernel-modules.js';
import { PipelineCache } from './pipeline-cache.js';
import { checkDevice, runnerDestroyed } from './run-errors.js';

/** The fit's stop, for `catch` (MapRunner.fitMse rejects with it); the options and result types. */
export { FitStopped, type FitMseOptions, type FitMseResult, type FitStopReason } from './fit-mse.js';

/** What `MapRunner.backward` returns: ∂L/∂X (batch, in) and one gradient per parameter tensor, by full name. */
export interface BackwardResult {
  readonly dx: Float32Array;
  readonly grads: Map<string, Float32Array>;
}

/** What the training half reads from its runner. */
export interface TrainingHost {
  readonly map: ManifestMap;
  readonly dtype: Dtype;
  /** The forward executor (webgpu), whose parameter buffer the gradients and updates use; undefined on the cpu backend. */
  readonly gpu: GpuExecutor | undefined;
  /** The kernels the device runs (webgpu): the backward ones and the optimizers' module. */
  readonly kernels: BackwardKernels | undefined;
  /** The packed parameters (host copy); throws when none are loaded. */
  requireParams(): Float32Array;
  /** The runner itself, for its public calls (forward for fitMse and a staging's run() on the cpu backend; params for saveParams). */
  readonly runner: MapRunner;
  /** Throws the destroyed runner's error once destroy() ran. */
  checkUsable(): void;
  /** The forward executor for a webgpu-only call, after the checks every run makes (else the error saying so). */
  readyOnGpu(call: string): GpuExecutor;
  /** Hands the runner something to destroy with it (destroyed now if the runner already was). */
  own(part: { destroy(): void }): void;
}

/** A manifest map's backward program as the CPU executor runs it (the manifest carries it whole). */
export function backwardProgramOfManifest(map: ManifestMap, dtype: Dtype): BackwardProgramData {
  // From JavaScript (this entry exports it): the manifest itself, a map's model, nothing. (A page that only imports the entry bundles none of this.)
  checkManifestMap('backwardProgramOfManifest', map);
  return backwardProgramOf(map, dtype);
}

function backwardProgramOf(map: ManifestMap, dtype: Dtype): BackwardProgramData {
  const b = map.backward;
  if (!b) throw new FormatError(`map '${map.name}': its manifest has no backward program (built by an older monc); rebuild the module with this version to train it`);
  const { name, in: n, out, params, paramSize } = map;
  const zero = b.zeroInputGradient ? { zeroInputGradient: true as const } : {};
  return { name, in: n, out, dtype, params, paramSize, buffers: b.buffers, partials: b.partials, rowsPerSplit: b.rowsPerSplit, ...zero, ops: b.ops };
}

export class Training {
  private gpuBackward: GpuBackward | undefined;
  /** The packed gradients of the last `backward` (cpu backend). */
  private lastGrad: Float64Array | undefined;
  /** Whether a backward pass ran (or was encoded): before one, an optimizer step has no gradients to apply. */
  private hasGradients = false;
  private destroyed = false;
  /** Rejected by destroy(): what a fit on the device races its waits with (GpuFitHost.destroyed). */
  private readonly destroySignal = rejection();
  /** The fits called so far, settled or not: each fit starts once those before it settle (fitMse). */
  private fits: Promise<unknown> = Promise.resolve();
  /** Device optimizers created here: their state buffers go with the runner. */
  private readonly optimizers: GpuOptimizer[] = [];

  private constructor(
    private readonly host: TrainingHost,
    /** The compiled shader module of each backward, optimizer and training-step kernel (webgpu). */
    private readonly modules: KernelModules | undefined,
  ) {}

  /** Creates the training half; on webgpu it compiles a shader module for each of its kernels (PipelineCache: once per device). */
  static async create(host: TrainingHost): Promise<Training> {
    const { gpu, kernels, map } = host;
    // An entry point the WGSL lacks is a manifest edited by hand or damaged (QA2 s13 R20; the forward kernels': GpuExecutor.create).
    // Checked here: these pipelines are created synchronously, where it would only be a validation error on another stack.
    const absent = kernels && [...(kernels.backward ?? []), ...(map.optimizers ?? [])].find((k) => !kernels.wgsl.includes(`fn ${k.entryPoint}(`));
    if (gpu && absent) throw new FormatError(`map '${map.name}': its WGSL has no entry point '${absent.entryPoint}'`);
    const entryPoints = [...(kernels?.backward ?? []), ...(map.optimizers ?? []), ...(map.trainingStep?.kernels ?? [])].map((k) => k.entryPoint);
    return new Training(host, gpu && kernels ? await kernelModules(PipelineCache.for(gpu.device), kernels.wgsl, entryPoints) : undefined);
  }

  /**
   * MapRunner.backward: gradients of a batch of `batch` rows (default x.length / in), with
   * `params`, the parameters of its call: on webgpu the executor's held ones (heldParams), on the
   * cpu backend the packed array (default: the runner's now).
   */
  async backward(x: Float32Array, dy: Float32Array, batch?: number, params?: HeldParams | Float32Array): Promise<BackwardResult> {
    const { map } = this.host;
    // Any array of numbers, by value, as forward takes it (the device would read another type's bytes as f32).
    x = float32Array(map.name, 'backward', 'the input', x);
    dy = float32Array(map.name, 'backward', 'the output gradient', dy);
    if (batch !== undefined) checkBatch(map.name, 'backward', batch);
    const rows = batch ?? x.length / map.in;
    const shape = (message: string) => new MoncError('shape', `map '${map.name}': ${message}`);
    if (!Number.isInteger(rows) || rows < 0) throw shape(`input of ${x.length} values is not a whole number of rows of ${map.in}`);
    if (x.length !== rows * map.in) throw shape(`input has ${x.length} values; expected batch ${rows} x ${map.in} = ${rows * map.in}`);
    if (dy.length !== rows * map.out) throw shape(`output gradient has ${dy.length} values; expected batch ${rows} x ${map.out} = ${rows * map.out}`);
    // As forward's input: an f16 device would store values beyond ±65504 as ±Inf, SwiftShader and the cpu backend would not.
    if (this.host.dtype === 'f16') {
      checkValues(x, 'f16', `input of map '${map.name}'`, [rows, map.in]);
      checkValues(dy, 'f16', `output gradient of map '${map.name}'`, [rows, map.out]);
    }
    return this.backwardPass(x, dy, rows, params);
  }

  /**
   * The backward pass of checked arrays. fitMse's cpu loop calls it directly: its DY is the loop's own, in float64 terms,
   * not a caller's dy to be stored in f16, and a DY beyond ±65504 is a step whose update the loop's checks stop at
   * (QA2 s30 Q952: the user-dy check rejected it with a ValueRangeError about an output gradient nobody passed).
   */
  private async backwardPass(x: Float32Array, dy: Float32Array, rows: number, params?: HeldParams | Float32Array): Promise<BackwardResult> {
    const { map } = this.host;
    this.checkUsable();
    const packed = params instanceof Float32Array ? params : this.host.requireParams();
    try {
      if (this.host.gpu) {
        const { dx, grad } = await this.backwardExecutor().run(x, dy, rows, params as HeldParams | undefined);
        // destroy() while the pass ran: it rejects, as every call pending then does, even where its reads came back.
        this.checkUsable();
        this.hasGradients = true;
        return { dx, grads: unpackParams(map.params, grad) };
      }
      // A cpu runner exists only with the CPU executor registered.
      const cpu = cpuExecutor;
      if (!cpu) throw missingEntry(`map '${map.name}': the backward pass on the cpu backend`, 'cpu');
      const { dx, grad } = cpu.backward(backwardProgramOf(map, this.host.dtype), packed, x, dy, rows);
      this.lastGrad = grad;
      this.hasGradients = true;
      return { dx: Float32Array.from(dx), grads: unpackParams(map.params, grad) };
    } catch (e) {
      // The host refusing an array of the pass (an f16 copy of x or dy, work arrays, dx, the gradients: a RangeError) is
      // kind 'device', as a forward's result is, named by the call (which array it was is not known here); the runner's
      // next call runs as before (the pass unmaps its readback whatever happens).
      throw arrayError(map.name, 'backward', e, []);
    }
  }

  /** MapRunner.encodeBackward (webgpu): the caller's buffers are checked, then the backward pass recorded. */
  encodeBackward(encoder: GPUCommandEncoder, x: GPUBuffer, dy: GPUBuffer, dx: GPUBuffer, batch: number): void {
    const { map, kernels } = this.host;
    const gradient = { role: 'input gradient (dx)', buffer: dx, width: map.in, written: true };
    checkCallerBuffers(map.name, 'encodeBackward', batch, kernels!.storage, [
      { role: 'input (x)', buffer: x, width: map.in },
      { role: 'output gradient (dy)', buffer: dy, width: map.out },
      gradient,
    ], encoder);
    // A map whose backward pass does not write dx (only a bias) clears it first.
    if (map.backward?.zeroInputGradient) checkClearable(map.name, 'encodeBackward', gradient);
    this.backwardExecutor().encode(encoder, x, dy, dx, batch);
    this.hasGradients = true;
  }

  createOptimizer(options: OptimizerOptions): Optimizer {
    const optimizer = this.newOptimizer(options);
    if (optimizer instanceof GpuOptimizer) this.optimizers.push(optimizer);
    return optimizer;
  }

  /** An optimizer over the runner's parameters, on the device for webgpu (its state buffers are the caller's to free). */
  private newOptimizer(options: OptimizerOptions): GpuOptimizer | CpuOptimizer {
    const { map, gpu } = this.host;
    if (gpu && this.modules) {
      const module = { modules: this.modules, kernels: map.optimizers };
      return new GpuOptimizer(map.name, gpu.device, options, map.paramSize, module, () => {
        this.requireGradients();
        // Asked for right before each update is recorded: forward passes called before it keep the parameters they were called with.
        gpu.holdParams();
        return { params: gpu.paramsBuffer, gradients: this.backwardExecutor().gradients };
      });
    }
    return new CpuOptimizer(options, () => {
      this.requireGradients();
      return { params: this.host.requireParams(), grad: this.lastGrad! };
    });
  }

  /**
   * MapRunner.fitMse: fits the parameters to (x, target) with a fresh optimizer (fit-mse.ts); on
   * webgpu the whole loop stays on the device, on the cpu backend it runs in float64. Its
   * arguments are checked at the call; fits on one runner run one after the other, in call order,
   * on both backends (QA2 s20 R92: two on the cpu backend interleaved their steps).
   */
  async fitMse(x: Float32Array, target: Float32Array, options: FitMseOptions): Promise<FitMseResult> {
    this.checkUsable();
    const { map, dtype } = this.host;
    x = float32Array(map.name, 'fitMse', 'the input', x);
    target = float32Array(map.name, 'fitMse', 'the target', target);
    const plan = planFit(map, dtype, x, target, options);
    this.host.requireParams();
    const fit = this.fits.then(() => this.fitInTurn(x, target, plan, options));
    this.fits = fit.catch(() => undefined);
    return fit;
  }

  /** A fit whose turn has come (fitMse). */
  private async fitInTurn(x: Float32Array, target: Float32Array, plan: FitPlan, options: FitMseOptions): Promise<FitMseResult> {
    // destroy() while it waited: it rejects, as every call pending then does.
    this.checkUsable();
    const { map, dtype, gpu, kernels } = this.host;
    const optimizer = this.newOptimizer(options.optimizer);
    try {
      if (optimizer instanceof GpuOptimizer) {
        // The fit changes the device parameters: forward passes called before it keep those they were called with.
        gpu!.holdParams();
        const backward = this.backwardExecutor();
        const loop = await GpuFitMse.create({
          map,
          dtype,
          device: gpu!.device,
          storage: kernels!.storage,
          modules: this.modules!,
          params: gpu!.paramsBuffer,
          backward,
          encodeForward: (pass, input, y, rows) => gpu!.encodeDispatches(pass, input, y, rows),
          destroyed: this.destroySignal.promise,
        });
        // Each step's backward pass comes before its update: the update has gradients to apply.
        this.hasGradients = true;
        return await loop.run(optimizer, x, target, plan, options);
      }
      const host = { map, dtype, forward: (xb: Float32Array, rows: number) => this.host.runner.forward(xb, rows), backward: (xb: Float32Array, dy: Float32Array, rows: number) => this.backwardPass(xb, dy, rows), params: () => this.host.requireParams() };
      return await cpuFitMse(host, optimizer, x, target, plan, options);
    } finally {
      if (optimizer instanceof GpuOptimizer) optimizer.destroy();
      // The fit's gradients (its last mini-batch's) are its own, and they replaced any of a backward() before it: a step of
      // the user's optimizer after the fit applied them (QA2 s26 Q556). It waits for the next backward() instead.
      this.hasGradients = false;
    }
  }

  /**
   * Throws unless an optimizer step has gradients to apply: those of a backward pass of this
   * runner. Without the check a device step would apply the zeroed gradient buffer (Adam with
   * weight decay would still move the parameters).
   */
  private requireGradients(): void {
    const { map } = this.host;
    this.checkUsable();
    if (!this.hasGradients) throw userError(`map '${map.name}': call backward() before an optimizer step`);
  }

  /** Throws the destroyed runner's user error once destroy() ran (a call that waited for its turn meanwhile included). */
  private checkUsable(): void {
    if (this.destroyed) throw runnerDestroyed(this.host.map.name);
  }

  private backwardExecutor(): GpuBackward {
    // Not after destroy(): a pass that waited for the training half would otherwise make one on the destroyed parameters.
    this.checkUsable();
    const { map, gpu, kernels } = this.host;
    if (!gpu || !kernels || !this.modules) throw new Error(`internal error: map '${map.name}': no device for the backward pass`);
    this.gpuBackward ??= GpuBackward.create(gpu.device, backwardSpec(map, kernels), gpu.paramsBuffer, this.modules);
    return this.gpuBackward;
  }

  destroy(): void {
    this.destroyed = true;
    this.destroySignal.reject(runnerDestroyed(this.host.map.name));
    this.gpuBackward?.destroy();
    for (const o of this.optimizers) o.destroy();
  }
}

/** A promise that never resolves and rejects when told to (its rejection handled where nothing races it). */
function rejection(): { readonly promise: Promise<never>; reject(error: unknown): void } {
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<never>((_, r) => (reject = r));
  promise.catch(() => undefined);
  return { promise, reject: (error) => reject(error) };
}

/** Each runner's training half, created on first use; `ready` once created (what the synchronous calls need). */
const halves = new WeakMap<TrainingHost, Promise<Training>>();
const ready = new WeakMap<TrainingHost, Training>();

function half(host: TrainingHost): Promise<Training> {
  let load = halves.get(host);
  if (!load) {
    load = Training.create(host).then((training) => {
      // destroy() ran while it was being created: nothing may keep its buffers (own() destroys it then).
      host.own(training);
      host.checkUsable();
      ready.set(host, training);
      return training;
    });
    halves.set(host, load);
  }
  return load;
}

/** MapRunner.backward: the call's inputs and parameters taken now, then the pass on the training half. */
async function backwardAtCall(host: TrainingHost, x: Float32Array, dy: Float32Array, batch?: number): Promise<BackwardResult> {
  // Copies taken at the call, as forward's: the pass reads them once the training half is loaded and the calls before it are done.
  // (JavaScript callers' other arrays too; DataView, null, … have no slice and are refused by Training.backward.)
  // An array of no values needs none: a typed array whose buffer was transferred (posted to a Worker) holds none, and
  // throws on a copy (QA2 s23 Q257: a bare TypeError); it is then the 0 values it holds, as forward's `out` and fitMse take it.
  const [xs, dys] = [x, dy].map((a) => ((a as { length?: number } | null)?.length ? (a as { slice?: () => Float32Array }).slice?.() : a) ?? a);
  // And the parameters of the call, as forward's: held on the device until the pass settles (webgpu), a copy (cpu: optimizer steps update the array in place).
  // Loaded parameters, refused at the call without them (on either backend).
  const packed = host.requireParams();
  const { gpu } = host;
  const held = gpu?.heldParams();
  const params = held ?? packed.slice();
  try {
    return await (await half(host)).backward(xs, dys, batch, params);
  } finally {
    if (held) gpu!.releaseParams(held);
  }
}

/**
 * MapRunner.createOptimizer: the options checked now; before the training half exists, an optimizer whose first step creates it.
 * On a lost device it throws the loss, as every other call of the runner does (QA2 s20 R90: it made an optimizer, whose deferred
 * step then said "call backward() before an optimizer step"); a step after a loss rejects with it too (GpuOptimizer.step).
 */
function optimizerOf(host: TrainingHost, options: OptimizerOptions): Optimizer {
  resolveOptimizer(options, `map '${host.map.name}'`);
  if (host.gpu) checkDevice(host.gpu.device);
  const now = () => ready.get(host)?.createOptimizer(options);
  return (
    now() ??
    new DeferredOptimizer(`map '${host.map.name}'`, now, async () => {
      host.checkUsable();
      return (await half(host)).createOptimizer(options);
    })
  );
}

registerTraining({
  readParams: ({ gpu, map, kernels }) => gpu && readDeviceBuffer(gpu.device, gpu.paramsBuffer, map.paramSize, kernels!.storage),
  run(call, host, args) {
    // A forward-only build has no training kernels on any backend (saving the parameters needs none). Checked here, not
    // in MapRunner: every page bundles the runner, only those that train this entry (the page without it is told to import it first).
    if (host.map.forwardOnly && call !== 'saveParams') {
      throw userError(`map '${host.map.name}': ${call} needs the training kernels, and this module was built forward-only; rebuild it without --forward-only (monc build) or forwardOnly (bundler plugin, compileModule) to train it`);
    }
    switch (call) {
      case 'backward':
        return backwardAtCall(host, ...(args as [Float32Array, Float32Array, number?]));
      case 'encodeBackward': {
        host.readyOnGpu(call);
        const training = ready.get(host);
        if (!training) throw trainingNotLoaded(`map '${host.map.name}'`, call);
        return training.encodeBackward(...(args as Parameters<Training['encodeBackward']>));
      }
      case 'fitMse':
        host.requireParams();
        return half(host).then((training) => training.fitMse(...(args as Parameters<Training['fitMse']>)));
      case 'createOptimizer':
        return optimizerOf(host, args[0] as OptimizerOptions);
      case 'saveParams':
        return host.runner.params().then((params) => {
          const tensors = new Map(host.map.params.map((entry) => [entry.name, { shape: entry.shape, data: params.get(entry.name)! }]));
          // Only a file that loadParams (and every monc command) takes: optimizer steps go unchecked, and may have taken a
          // parameter past ±65504 in an f16 module (held as ±Inf on a shader-f16 device) or to NaN (QA2 s22 Q151).
          for (const [name, { shape, data }] of tensors) checkValues(data, host.dtype, `map '${host.map.name}': saveParams: parameter tensor '${name}'`, shape);
          return writeSafetensors(tensors, { dtype: host.dtype === 'f16' ? 'F16' : 'F32' });
        });
      case 'create({ training: true })':
        return half(host);
      default:
        return assertNever(call, 'training call');
    }
  },
});
