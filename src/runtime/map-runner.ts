/**
 * MapRunner: one map of a compiled module, ready to run: the object generated TypeScript
 * bindings wrap. Backends: `webgpu` (the module's kernels through GpuExecutor) and `cpu` (the
 * float64 program executor on the same manifest data).
 *
 * The runner only runs what the build shipped: the first of the map's kernel sets that the
 * device can run (kernel-sets.ts; `kernelSet` says which): for an untuned `dtype f16` module the
 * tensor-core kernels on an adapter with shader-f16 and subgroup matrices, the module's kernels
 * on other adapters with shader-f16, and on adapters without it (SwiftShader, many others) the
 * f32-storage kernels, with params and activations in f32 on the device; the host-facing API is
 * f32 either way. For a tuned build: the tuned kernels where the device meets what they need,
 * else the untuned (portable) ones the build shipped beside them.
 *
 * Training (SPEC §7): `backward` / `encodeBackward` run the manifest's backward program
 * (gpu-backward.ts; cpu: the float64 reference VJP), `createOptimizer` updates the parameters
 * from the last backward pass (optimizer.ts), `params` / `saveParams` read them back.
 *
 * What a page that only runs forward passes on WebGPU does not need is opt-in: the training half
 * (`monc/runtime/training`: backward, optimizers, and the training calls' own code, which the
 * runner forwards there) and the CPU executor (`monc/runtime/cpu`) are registered by importing
 * their entries (extensions.ts), never imported here, so a bundle of a forward-only page holds
 * neither. Without them, the calls that need them reject with a
 * MoncError that names the import to add. A module built forward-only (`monc build
 * --forward-only`: the map's `forwardOnly`) has no training kernels at all: with the training
 * entry, every training call rejects (or throws) with a MoncError of kind 'user' that names the
 * option to rebuild without (training.ts; without the entry, the error names its import first).
 */
import type { Dtype, ProgramData } from '../manifest/program.js';
import type { KernelSetName, ManifestKernelPlan, ManifestKernelSet, ManifestMap } from '../manifest/types.js';
import { arrayError, checkOptionNames, isPlainObject, mustBe, typeName, userError } from './user-error.js';
import { describeAdapter, deviceCapabilities, getSharedDevice, NoAdapterError, type MoncDevice } from './device.js';
import { GpuExecutor } from './gpu-executor.js';
import { WgslError } from './pipeline-cache.js';
import { missingEntry, cpuExecutor, hostIoSupport, trainingSupport, TRAINING_CALLS, type CpuExecutor, type HostIoSupport, type RunnerHost, type TrainingCall } from './extensions.js';
import type { BackwardKernels } from './gpu-backward.js';
import { chooseKernelSet, kernelSetsOf, kernelSetWgsl, moduleDtype } from './kernel-sets.js';
import { fromStorage, toStorage } from './host-storage.js';
import type { Optimizer, OptimizerOptions } from './optimizer-options.js';
import { checkValues } from './numerics.js';
import { checkCallerBuffers } from './batch-args.js';
import { forwardRequest, type ForwardOptions } from './forward-request.js';
import type { ForwardStaging } from './host-io.js';
import { packParams, unpackParams, type Tensors } from './params.js';
import { tensorsOfParams } from './params-file.js';
import { checkDevice, runnerDestroyed } from './run-errors.js';
import type { BackwardResult } from './training.js';
import type { FitMseOptions, FitMseResult } from './fit-mse.js';

export type { BackwardResult, FitMseOptions, FitMseResult };
// Where the CLI and tests have long found it; the runner itself leaves it to the CPU executor's entry.
export { programOfManifest } from './manifest-program.js';

export type Backend = 'webgpu' | 'cpu';

export interface MapRunnerOptions {
  /** Run on this device (default: a device shared by all runners, requested on first use). */
  readonly device?: GPUDevice | undefined;
  /**
   * Unset: WebGPU when an adapter exists, else the CPU executor (the runner's `note` says why,
   * and the first such fallback in a process is reported with console.warn). 'webgpu' without
   * an adapter rejects with NoAdapterError.
   */
  readonly backend?: Backend | undefined;
  /**
   * The module's dtype (Manifest.dtype); default: the one its kernel sets show (kernel-sets.ts
   * moduleDtype), so that a map of an f16 module's manifest file runs as f16 without it; another
   * one is refused.
   */
  readonly dtype?: Dtype | undefined;
  /**
   * Create the training half (backward pass, optimizers; `monc/runtime/training` must be
   * imported) now rather than on the first backward() or optimizer step: needed before a
   * synchronous encodeBackward or encodeStep.
   */
  readonly training?: boolean | undefined;
}


/** What a device runs for a map: one of its kernel sets (forward and backward kernels, one storage type) and the WGSL module holding them. */
interface DeviceKernels extends BackwardKernels {
  readonly set: KernelSetName;
  /** The forward dispatches in order. */
  readonly kernels: readonly ManifestKernelPlan[];
}

/**
 * The kernel set a runner on `device` uses and its executor: the first of `sets` that the device
 * can run (kernel-sets.ts) whose kernels compile on it. A set the requirements admit may still not
 * compile (QA2 s11 B7: a tensor-core set where the adapter's subgroup matrices have other shapes,
 * which no requirement names): the next set the device can run is tried, as "a missing feature
 * falls back, never fails" asks; when there is none, or it fails too, the first set's error stays.
 */
async function onDevice(map: ManifestMap, wgsl: string, device: GPUDevice, sets: readonly ManifestKernelSet[]): Promise<[DeviceKernels, GpuExecutor]> {
  const { set } = chooseKernelSet(map.name, sets, deviceCapabilities(device));
  const kernels = { set: set.name, wgsl: kernelSetWgsl(set, wgsl), kernels: set.kernels ?? map.kernels, backward: set.backwardKernels ?? map.backward?.kernels, storage: set.storage };
  try {
    // The map's sizes, buffers and ops with the set's WGSL, forward kernels and storage type.
    return [kernels, await GpuExecutor.create(device, { ...map, ...kernels })];
  } catch (e) {
    if (!(e instanceof WgslError)) throw e;
    return onDevice(map, wgsl, device, sets.slice(sets.indexOf(set) + 1)).catch(() => {
      throw e;
    });
  }
}

/** The kernels a webgpu runner dispatches: which of the map's kernel sets, in which storage type. */
export interface RunnerKernelSet {
  readonly name: KernelSetName;
  readonly storage: 'f32' | 'f16';
  /** Its forward dispatches in order (what `encodeDispatches`' `kernel` indexes). */
  readonly kernels: readonly ManifestKernelPlan[];
}


export class MapRunner {
  // Its public fields are `declare`d and set by the constructor: a field declaration (`map;`) in every page's bundle
  // adds nothing the assignment does not.
  declare readonly map: ManifestMap;
  declare readonly backend: Backend;
  declare readonly adapterDescription: string;
  /** How the adapter was found, when worth telling the user (e.g. a software fallback), or why the CPU runs instead. */
  declare readonly note?: string;
  declare readonly in: number;
  declare readonly out: number;
  #packed: Float32Array | undefined;
  #destroyed = false;
  /** The kernels the device runs (webgpu), the backward ones included; set by `create`. */
  #kernels: DeviceKernels | undefined;
  #hostOf: RunnerHost | undefined;
  /** What the opt-in entries made for this runner (stagings, the training half): destroyed with it. */
  readonly #owned: { destroy(): void }[] = [];
  readonly #dtype: Dtype;
  /** The map's forward program for the CPU executor (cpu backend). */
  readonly #program: ProgramData | undefined;
  readonly #gpu: GpuExecutor | undefined;
  /** The CPU executor (cpu backend), registered by `monc/runtime/cpu`. */
  readonly #cpu: CpuExecutor | undefined;

  // Private members are #-private (not TypeScript's `private`): a minifier shortens their names,
  // and this class is in every page's bundle.
  private constructor(map: ManifestMap, backend: Backend, adapterDescription: string, dtype: Dtype, gpu: GpuExecutor | undefined, cpu: CpuExecutor | undefined, note?: string) {
    this.map = map;
    this.backend = backend;
    this.adapterDescription = adapterDescription;
    this.note = note;
    this.#dtype = dtype;
    this.#program = cpu?.program(map, dtype);
    this.#gpu = gpu;
    this.#cpu = cpu;
    this.in = map.in;
    this.out = map.out;
    // A map without parameters (a bare permutation chain…) needs no loadParams().
    if (map.params.length === 0) this.#packed = new Float32Array(map.paramSize);
  }

  static async create(map: ManifestMap, wgsl: string, options: MapRunnerOptions = {}): Promise<MapRunner> {
    // From JavaScript `null` means none, as `undefined` does.
    options ??= {};
    // From JavaScript the slips are the decoded manifest itself, a map's name, no WGSL: refused here, not as a TypeError deeper in.
    if (!Array.isArray(map?.params) || !Array.isArray(map.ops) || typeof wgsl !== 'string') {
      throw userError(`MapRunner.create(map, wgsl) takes a decoded manifest's maps[i] and the module's WGSL text, got (${typeName(map)}, ${typeName(wgsl)})`);
    }
    // From JavaScript the slips would otherwise run somewhere else or fail deeper in: options as a
    // string ('cpu' ran on WebGPU), a typo in backend ('CPU', 'gpu'), getSharedDevice()'s result or
    // the adapter as the device (a TypeError at the first call), 'yes' taken as true.
    const { backend, device, dtype, training } = options;
    // The dtype given must be the one the map's kernel sets show: an f16 module run as f32 skips its ±65504 checks, and f16
    // storage turns such values into ±Inf (QA2 s13 R24); an f32 module run as f16 is refused range checks it does not have (s14 R31).
    const module = moduleDtype(map);
    // (An older manifest's map lists no kernel sets: without a fallback it shows no dtype, and takes either.)
    const sets = map.kernelSets;
    const wrong: [string, string, unknown] | undefined =
      // An array, a Map or a Date is no options object either: named by its class (QA2 s30 Q955: they ran with the defaults).
      !isPlainObject(options)
        ? ['options', 'an object', options]
        : ![undefined, 'cpu', 'webgpu'].includes(backend)
          ? ['backend', "'webgpu' or 'cpu'", backend]
          : // (A falsy device is none, as null is.)
            device && !device.createBindGroupLayout
            ? ['device', "a GPUDevice (getSharedDevice()'s .device)", device]
            : ![undefined, true, false].includes(training)
              ? ['training', 'true or false', training]
              : ![undefined, module, !sets && 'f16'].includes(dtype)
                ? ['dtype', sets ? `'${module}' (this module's)` : "'f32' or 'f16'", dtype]
                : undefined;
    if (wrong) throw mustBe(map.name, ...wrong);
    checkOptionNames(`map '${map.name}': create`, options, ['backend', 'device', 'dtype', 'training']);
    const runner = await MapRunner.#createRunner(map, wgsl, options);
    try {
      if (options.training) await runner.#train('create({ training: true })', []);
    } catch (e) {
      // (No training entry, a forward-only build…): the runner made for it keeps no device memory.
      runner.destroy();
      throw e;
    }
    return runner;
  }

  /** A runner on the float64 CPU executor (`monc/runtime/cpu`, registered by the caller). */
  static #onCpu(map: ManifestMap, dtype: Dtype, cpu: CpuExecutor, note?: string): MapRunner {
    return new MapRunner(map, 'cpu', cpu.description, dtype, undefined, cpu, note);
  }

  static async #createRunner(map: ManifestMap, wgsl: string, options: MapRunnerOptions): Promise<MapRunner> {
    const dtype = options.dtype ?? moduleDtype(map);
    const cpu = cpuExecutor;
    if (options.backend === 'cpu') {
      if (!cpu) throw missingEntry(`map '${map.name}': the cpu backend`, 'cpu');
      return MapRunner.#onCpu(map, dtype, cpu);
    }
    let shared: MoncDevice | undefined;
    try {
      shared = options.device ? undefined : await getSharedDevice();
    } catch (e) {
      // No backend asked for: run like `monc run` does without an adapter, and say so once.
      if (options.backend !== undefined || !(e instanceof NoAdapterError)) throw e;
      if (!cpu) throw new NoAdapterError(`${e.reason}; import 'monc/runtime/cpu' to fall back to the CPU executor`);
      return MapRunner.#onCpu(map, dtype, cpu, cpu.fallbackNote(e));
    }
    // (`||`: a falsy device is none, as create's check takes it.)
    const device = options.device || shared!.device;
    const [kernels, gpu] = await onDevice(map, wgsl, device, kernelSetsOf(map, dtype));
    const description = shared?.adapterDescription ?? describeAdapter(device.adapterInfo);
    const runner = new MapRunner(map, 'webgpu', description, dtype, gpu, undefined, shared?.note);
    runner.#kernels = kernels;
    return runner;
  }

  /** The kernel set this runner dispatches (webgpu; undefined on the cpu backend): e.g. `tensor-core` on an adapter with tensor cores. */
  get kernelSet(): RunnerKernelSet | undefined {
    const k = this.#kernels;
    return k && { name: k.set, storage: k.storage, kernels: k.kernels };
  }

  /**
   * Parameter tensors by full name (`up.blkdiag1`), row-major, or the bytes of a safetensors file
   * (a Uint8Array or an ArrayBuffer: the map's tensors are read from it); checked against the
   * map's shapes.
   */
  loadParams(tensors: Tensors | Uint8Array | ArrayBuffer): void {
    this.#checkUsable();
    const packed = packParams(this.map.params, this.map.paramSize, tensorsOfParams(this.map.name, tensors, this.map.params), this.#dtype);
    this.#gpu?.writeParams(packed);
    this.#packed = packed;
  }

  /**
   * Y = X Mᵀ for X of shape (batch, in); batch (a number, or `options.batch`) defaults to
   * x.length / in. With `options.out` the result is written there and returned; a finite
   * `options.chunkRows` pipelines the round trip (`monc/runtime/host-io`, forward-request.ts).
   */
  async forward(x: Float32Array, options?: number | ForwardOptions): Promise<Float32Array> {
    this.#checkUsable();
    const { rows, out, chunkRows } = forwardRequest(this.map.name, this, x, options);
    const packed = this.#requireParams();
    try {
      // (An f16 module's range check converts each element first: one that does not is the error an f32 module's gives.)
      this.#checkInput(x, rows);
      // By value as float32 on either backend (from JavaScript any array of numbers), as it is at the call (GpuExecutor.run).
      if (this.#gpu) return this.#gpu.run(x, rows, out, chunkRows);
      x = new Float32Array(x);
    } catch (e) {
      // A conversion that threw (a BigInt, a valueOf that throws: the run holds nothing then) is the input's fault (QA2 s18 R73),
      // a copy the host refused the device's; anything else (the runtime's own refusals, a bug of monc) goes on as it is.
      throw arrayError(this.map.name, 'forward: the input', e, x);
    }
    const y = this.#cpu!.forward(this.#program!, packed, x, rows);
    // `out` is written when the promise settles, as on WebGPU: a call made before then on the same array (its x and out)
    // reads it as it was (QA2 s23 Q259: the CPU backend wrote it during the call, and the next call read the result as x).
    await 0;
    return out ? (out.set(y), out) : Float32Array.from(y);
  }

  /**
   * Reused, mapped host memory for forward passes of up to `capacity` rows: fill the view
   * `input(batch)` lends, then `run()` lends the result (host-io.ts, docs/runtime.md). The
   * stagings come with `monc/runtime/host-io`.
   */
  createStaging(capacity: number): ForwardStaging {
    // The entry checks the parameters and hands the staging to the runner (destroyed with it).
    return this.#hostIo('createStaging').staging(this.#host(), capacity);
  }

  /** The host I/O entry for `call`, after the runner's check, else the error naming its import. */
  #hostIo(call: string): HostIoSupport {
    this.#checkUsable();
    if (!hostIoSupport) throw missingEntry(`${this.#what}: ${call}`, 'host-io');
    return hostIoSupport;
  }

  /** What the opt-in entries (training, host I/O) reach of this runner (extensions.ts), created on first use. */
  #host(): RunnerHost {
    return (this.#hostOf ??= {
      map: this.map,
      dtype: this.#dtype,
      gpu: this.#gpu,
      kernels: this.#kernels,
      requireParams: () => this.#requireParams(),
      checkUsable: () => this.#checkUsable(),
      readyOnGpu: (call) => this.#readyOnGpu(call),
      runner: this,
      own: (part) => (this.#destroyed ? part.destroy() : this.#owned.push(part)),
      checkInput: (x, rows) => this.#checkInput(x, rows),
    });
  }

  #checkInput(x: Float32Array, rows: number): void {
    if (this.#dtype === 'f16') checkValues(x, 'f16', `input of ${this.#what}`, [rows, this.in]);
  }

  /**
   * Records the forward pass on the caller's encoder: `x` holds `batch` rows and `y` receives
   * them, both in the device storage type with STORAGE usage (f32 unless the module is f16 and
   * the device has shader-f16; `kernelSet.storage` says which), created on the runner's device
   * (`create({ device })`'s, else the shared one of `getSharedDevice()`). All kernels run in order
   * in one compute pass. Throws (nothing recorded) for a batch that is not a whole number ≥ 0, a
   * buffer without STORAGE usage or smaller than its batch's rows (batch-args.ts).
   */
  encodeForward(encoder: GPUCommandEncoder, x: GPUBuffer, y: GPUBuffer, batch: number): void {
    this.#forwardOnGpu('encodeForward', encoder, x, y, batch).encode(encoder, x, y, batch);
  }

  /**
   * Records the forward pass's dispatches (or, with `kernel`, that one of `kernelSet.kernels` alone)
   * into the caller's open compute pass: for timing with timestamp queries. Buffers as for
   * encodeForward.
   */
  encodeDispatches(pass: GPUComputePassEncoder, x: GPUBuffer, y: GPUBuffer, batch: number, kernel?: number): void {
    this.#forwardOnGpu('encodeDispatches', pass, x, y, batch, true).encodeDispatches(pass, x, y, batch, kernel);
  }

  /** The device executor for a forward pass the caller records on `recorder` (its encoder, or with `pass` its open compute pass), after the checks of the call and of its arguments. */
  #forwardOnGpu(call: 'encodeForward' | 'encodeDispatches', recorder: unknown, x: GPUBuffer, y: GPUBuffer, batch: number, pass?: boolean): GpuExecutor {
    const gpu = this.#readyOnGpu(call);
    const buffers = [
      { role: 'input (x)', buffer: x, width: this.in },
      { role: 'output (y)', buffer: y, width: this.out, written: true },
    ];
    checkCallerBuffers(this.map.name, call, batch, this.#kernels!.storage, buffers, recorder, pass);
    // A pass the caller records cannot be split: past the limits its temporaries would be invalid (Dawn's text, nothing computed).
    gpu.maxRows(batch);
    return gpu;
  }

  /**
   * The dense matrix M, shape (out, in), row-major: the map applied to the identity with its
   * biases zeroed, through forward passes with the parameters of the call (dense.ts; with
   * `monc/runtime/host-io`).
   */
  async dense(): Promise<Float32Array> {
    return this.#hostIo('dense').dense(this.#host());
  }

  /**
   * The current parameter tensors by full name. On webgpu only the training entry's calls change
   * them on the device (optimizer steps, fits): with it loaded they are read back from the device;
   * without it they are the loaded ones as the device holds them (f16 storage: rounded to f16),
   * and a page that only runs forward passes bundles no device read.
   */
  async params(): Promise<Map<string, Float32Array>> {
    this.#checkUsable();
    // A lost device fails every call (read back or not), kind 'device'.
    if (this.#gpu) checkDevice(this.#gpu.device);
    const packed = this.#requireParams();
    const storage = this.#kernels?.storage;
    const stored = storage === 'f16' ? fromStorage(toStorage(packed, storage).buffer, packed.length, storage) : packed;
    return unpackParams(this.map.params, (await trainingSupport?.readParams(this.#host())) ?? stored);
  }

  /**
   * The training calls (SPEC §7; docs/training.md), each forwarded to `monc/runtime/training`
   * (training.ts), so that a page that only runs forward passes bundles none of their code:
   * - `backward(x, dy, batch?)`: gradients for a batch X (batch, in) and DY = ∂L/∂Y (batch, out):
   *   dx = DY M and each parameter tensor's gradient (tied tensors once, summed over their uses; a
   *   bias gets the column sums of DY). webgpu: the generated backward kernels (the gradients also
   *   stay on the device for `createOptimizer`); cpu: the backward program in float64.
   * - `encodeBackward(encoder, x, dy, dx, batch)`: records the backward pass on the caller's
   *   encoder: reads `x` (batch, in) and `dy` (batch, out), writes `dx` (batch, in); the parameter
   *   gradients land in the runner's device gradient buffer. Buffers as for encodeForward.
   * - `fitMse(x, target, options)`: `options.steps` optimizer steps on mini-batches of the MSE
   *   mean((X Mᵀ + b − T)²), as `monc train` does (fit-mse.ts); on webgpu the loop stays on the
   *   device. Rejects with a FitStopped error (kind `value`) at the first step whose loss is not
   *   finite or whose update leaves the parameters unloadable; the parameters are then those
   *   after the step before it.
   * - `createOptimizer(options)`: an optimizer over this runner's parameters, applying the
   *   gradients of its last backward pass; its steps do not check the parameters they write.
   * - `saveParams()`: the current parameters as safetensors bytes (the parameter files' names;
   *   F16 for an f16 module, else F32); a ValueRangeError for parameters loadParams would refuse.
   * Without the entry, each names the import (backward, fitMse and saveParams reject,
   * encodeBackward and createOptimizer throw).
   */
  declare backward: (x: Float32Array, dy: Float32Array, batch?: number) => Promise<BackwardResult>;
  declare encodeBackward: (encoder: GPUCommandEncoder, x: GPUBuffer, dy: GPUBuffer, dx: GPUBuffer, batch: number) => void;
  declare fitMse: (x: Float32Array, target: Float32Array, options: FitMseOptions) => Promise<FitMseResult>;
  declare createOptimizer: (options: OptimizerOptions) => Optimizer;
  declare saveParams: () => Promise<Uint8Array>;

  static {
    for (const call of TRAINING_CALLS) {
      (MapRunner.prototype as unknown as Record<string, unknown>)[call] = function (this: MapRunner, ...args: unknown[]): unknown {
        return this.#train(call, args);
      };
    }
  }

  /** A training call (or `create({ training: true })`) through the training entry, else the error naming its import; the async calls reject rather than throw. */
  #train(call: TrainingCall, args: unknown[]): unknown {
    const run = () => {
      this.#checkUsable();
      // (A forward-only build's refusal is the entry's: training.ts.)
      if (!trainingSupport) throw missingEntry(`${this.#what}: ${call}`, 'training');
      return trainingSupport.run(call, this.#host(), args);
    };
    // (A promise's executor runs now: backward takes its inputs and parameters at the call.)
    return call === 'encodeBackward' || call === 'createOptimizer' ? run() : new Promise((resolve) => resolve(run()));
  }

  destroy(): void {
    this.#destroyed = true;
    this.#gpu?.destroy();
    for (const part of this.#owned) part.destroy();
  }

  /** The device executor for a webgpu-only call, after the checks every run makes. */
  #readyOnGpu(call: string): GpuExecutor {
    this.#checkUsable();
    if (!this.#gpu) throw userError(`${this.#what}: ${call} needs the webgpu backend`);
    this.#requireParams();
    return this.#gpu;
  }

  /** How messages name the runner's map. */
  get #what(): string {
    return `map '${this.map.name}'`;
  }

  #checkUsable(): void {
    if (this.#destroyed) throw runnerDestroyed(this.map.name);
  }

  #requireParams(): Float32Array {
    if (!this.#packed) throw userError(`${this.#what}: call loadParams() before running it`);
    return this.#packed;
  }
}
