/**
 * Runs a map's backward program on a WebGPU device: the gradient buffer (packed like the
 * parameters; COPY_SRC for read-back, read by the optimizer kernels), activation and partial
 * buffers sized for the largest batch seen so far, one uniform dims slot per kernel and batch,
 * and every kernel in order in one compute pass under the gradient binding layout
 * (src/manifest/dispatch.ts: params, src, dst, dims, aux). The parameter buffer is the
 * forward executor's: gradients are always those of the parameters the forward pass uses.
 */
import { workgroupCount } from '../manifest/dispatch.js';
import type { BackwardOpData, BufferDecl, PartialDecl } from '../manifest/program.js';
import { GRADIENT_BUFFER, type ManifestBackwardKernel, type ManifestMap } from '../manifest/types.js';
import { cacheSet, dimsBuffers, dispatchGrid, kernelBindings, wholeBuffer, type DimsBuffers } from './dispatch-dims.js';
import { FormatError } from './formats/format-error.js';
import { fromStorage, toStorage } from './host-storage.js';
import { patternBuffers, type PatternBuffers } from './pattern-buffers.js';
import { checkDevice, deviceLost, runQueue, runnerDestroyed, scopeError, type RunQueue } from './run-errors.js';
import { MoncError } from '../util/error.js';
import * as flags from './gpu-flags.js';
import { backwardRowsLimitOf, rowsThatFit } from '../manifest/rows-limit.js';
import { kernelBindingTypes, sharedLayout, type KernelLayout } from './bind-layout.js';
import { createBuffer, paddedBytes } from './buffer.js';
import { moduleOf, type KernelModules } from './kernel-modules.js';
import type { HeldParams } from './gpu-executor.js';

export interface BackwardExecutorSpec {
  /** The map's name, for messages. */
  readonly name: string;
  readonly kernels: readonly ManifestBackwardKernel[];
  /** The backward program's ops (the kernels' `ops` index them; block-sparse kernels read their patterns). */
  readonly ops: readonly BackwardOpData[];
  readonly buffers: readonly BufferDecl[];
  readonly partials: readonly PartialDecl[];
  readonly rowsPerSplit: number;
  readonly zeroInputGradient: boolean;
  readonly paramSize: number;
  readonly in: number;
  readonly out: number;
  readonly storage: 'f32' | 'f16';
}

/** The gradient kernels' bind group and pipeline layouts on `device` (the contract in src/manifest/dispatch.ts). */
export function gradientLayout(device: GPUDevice): KernelLayout {
  return sharedLayout(device, 'monc gradient kernel', kernelBindingTypes(true));
}

/** A number per buffer, for cache keys (undefined: 0). */
const bufferIds = new WeakMap<GPUBuffer, number>();
let nextBufferId = 1;
function bufferId(b: GPUBuffer | undefined): number {
  if (!b) return 0;
  let id = bufferIds.get(b);
  if (id === undefined) bufferIds.set(b, (id = nextBufferId++));
  return id;
}

/** The host round trip's buffers of GpuBackward.run, for batches up to `capacity`. */
interface GpuBackwardIo {
  readonly capacity: number;
  readonly x: GPUBuffer;
  readonly dy: GPUBuffer;
  readonly dx: GPUBuffer;
  readonly readback: GPUBuffer;
}

export class GpuBackward {
  readonly #elementBytes: number;
  /** The parameter gradients, packed like the parameters, in the storage type. */
  readonly gradients: GPUBuffer;
  #buffers = new Map<string, GPUBuffer>();
  /** Temporaries replaced by larger ones: a caller's encoder not yet submitted may still use them, so destroy() frees them. */
  readonly #retired: GPUBuffer[] = [];
  /** Recordings that bound the temporaries (each encode): a failed pass frees its own only if none came after it. */
  #uses = 0;
  #capacity = 0;
  /** The temporaries the last pass of `run` ran with, without a WebGPU error. */
  #checkedBuffers: Map<string, GPUBuffer> | undefined;
  /** Each kernel's bind group per (x, dy, dx, batch) (a training loop binds the same buffers every step); dropped with the temporaries. */
  #bindGroups = new Map<string, GPUBindGroup[]>();
  readonly #dims: DimsBuffers;
  #io: GpuBackwardIo | undefined;
  readonly #queue: RunQueue;
  #destroyed = false;

  readonly #spec: BackwardExecutorSpec;
  readonly #params: GPUBuffer;
  readonly #pipelines: readonly GPUComputePipeline[];
  readonly #patterns: PatternBuffers;

  // Private members are #-private (not TypeScript's `private`): a minifier shortens their names in a training page's bundle.
  private constructor(
    readonly device: GPUDevice,
    spec: BackwardExecutorSpec,
    params: GPUBuffer,
    pipelines: readonly GPUComputePipeline[],
    patterns: PatternBuffers,
  ) {
    this.#spec = spec;
    this.#params = params;
    this.#pipelines = pipelines;
    this.#patterns = patterns;
    this.#elementBytes = spec.storage === 'f16' ? 2 : 4;
    this.#queue = runQueue(spec.name, () => this.#destroyed);
    this.#dims = dimsBuffers(device, 'backward dims');
    this.gradients = createBuffer(device, 'gradients', this.#bytes(Math.max(spec.paramSize, 1)), flags.STORAGE | flags.COPY_SRC | flags.COPY_DST, false, spec.name);
  }

  /** Element type of params, activations and gradients on the device. */
  get storage(): 'f32' | 'f16' {
    return this.#spec.storage;
  }

  /**
   * Creates the pipelines synchronously (so that a first `encodeBackward` can record at once) from
   * `modules`, each backward kernel's compiled and checked shader module (kernel-modules.ts).
   */
  static create(device: GPUDevice, spec: BackwardExecutorSpec, params: GPUBuffer, modules: KernelModules): GpuBackward {
    const l = gradientLayout(device);
    const pipelines = spec.kernels.map(({ entryPoint }) => device.createComputePipeline({ label: entryPoint, layout: l.pipeline, compute: { module: moduleOf(modules, entryPoint), entryPoint } }));
    return new GpuBackward(device, spec, params, pipelines, patternBuffers(device, spec.name, spec.kernels, spec.ops));
  }

  #bytes(elements: number, elementBytes = this.#elementBytes): number {
    return paddedBytes(elements, elementBytes);
  }

  #ensureBuffers(batch: number): void {
    if (batch <= this.#capacity) return;
    // Replaced buffers are kept until destroy(): a caller's unsubmitted encoder may still use them.
    this.#retired.push(...this.#buffers.values());
    const splits = Math.ceil(batch / this.#spec.rowsPerSplit);
    const entries: [string, GPUBuffer][] = [
      ...this.#spec.buffers
        .filter((b) => b.name !== 'x' && b.name !== 'dy' && b.name !== 'dx')
        .map((b): [string, GPUBuffer] => [b.name, this.device.createBuffer({ label: `monc ${b.name}`, size: this.#bytes(batch * b.size), usage: flags.STORAGE })]),
      ...this.#spec.partials.map((p): [string, GPUBuffer] => [p.name, this.device.createBuffer({ label: `monc ${p.name}`, size: this.#bytes(splits * p.size, 4), usage: flags.STORAGE })]),
    ];
    this.#buffers = new Map(entries);
    this.#capacity = batch;
    this.#bindGroups.clear();
  }

  /**
   * Whether `encode` may go without `dx`: no kernel that does not write dx reads it. Then the
   * kernels writing dx (the input gradient's transposed matmuls, which no parameter gradient
   * needs: they come after the weight gradients that read the same intermediate) are skipped.
   */
  get canSkipInputGradient(): boolean {
    return this.#spec.kernels.every((k) => k.dst === 'dx' || (k.src !== 'dx' && k.aux !== 'dx'));
  }

  /**
   * Records the backward pass for `batch` rows on `encoder`: reads `x` (batch, in) and `dy`
   * (batch, out), writes `dx` (batch, in) and the gradient buffer. Buffers in the storage type
   * with STORAGE usage (`dx` also COPY_DST when the map only has a bias: it is cleared).
   * Without `dx` (training needs only the parameter gradients; `canSkipInputGradient` must
   * hold) the kernels that write it are not recorded.
   */
  encode(encoder: GPUCommandEncoder, x: GPUBuffer, dy: GPUBuffer, dx: GPUBuffer | undefined, batch: number, params = this.#params): void {
    this.#checkUsable();
    if (batch === 0) return;
    this.checkRows(batch);
    if (!dx && !this.canSkipInputGradient) throw new Error('internal error: this backward program reads dx; it cannot skip the input gradient');
    this.#ensureBuffers(batch);
    this.#uses++;
    // The rows' bytes rounded up to 16 (as the runner's own buffers), but never past the end of a caller's exact buffer.
    if (this.#spec.zeroInputGradient && dx) encoder.clearBuffer(dx, 0, Math.min(this.#bytes(batch * this.#spec.in), dx.size));
    const groups = this.#spec.kernels.map((k) => workgroupCount(k.dispatch, batch));
    const dims = this.#dims.get(batch, groups);
    const buffer = (name: string): GPUBuffer => {
      if (name === 'x') return x;
      if (name === 'dy') return dy;
      if (name === 'dx') return dx ?? x;
      if (name === GRADIENT_BUFFER) return this.gradients;
      const b = this.#buffers.get(name);
      if (!b) throw new Error(`internal error: backward kernel uses undeclared buffer '${name}'`);
      return b;
    };
    const { group: layout } = gradientLayout(this.device);
    const key = [params, x, dy, dx, dims].map(bufferId).join(',') + `,${batch}`;
    let cached = this.#bindGroups.get(key);
    if (!cached) {
      cacheSet(this.#bindGroups, key, (cached = []));
    }
    const pass = encoder.beginComputePass({ label: 'monc backward' });
    this.#spec.kernels.forEach((k, i) => {
      if (groups[i] === 0 || (!dx && k.dst === 'dx')) return;
      pass.setPipeline(this.#pipelines[i]);
      cached[i] ??= this.device.createBindGroup({
        layout,
        entries: [...kernelBindings(params, buffer(k.src), buffer(k.dst), dims, i, this.#patterns.get(i)), wholeBuffer(4, buffer(k.aux))],
      });
      pass.setBindGroup(0, cached[i]);
      pass.dispatchWorkgroups(...dispatchGrid(this.device, groups[i]));
    });
    pass.end();
  }

  #dropIo(): void {
    for (const b of [this.#io?.x, this.#io?.dy, this.#io?.dx, this.#io?.readback]) b?.destroy();
    this.#io = undefined;
  }

  #ensureIo(batch: number): GpuBackwardIo {
    if (this.#io && this.#io.capacity >= batch) return this.#io;
    const before = this.#io?.capacity;
    this.#dropIo();
    // Doubling, but never past the rows the device's buffers hold (runNow chunks beyond them).
    const capacity = Math.max(batch, Math.min(before ? before * 2 : 1, backwardRowsLimit(this.#spec, this.device.limits).rows));
    const make = (label: string, elements: number, usage: number) => this.device.createBuffer({ label, size: this.#bytes(elements), usage });
    const io = flags.STORAGE | flags.COPY_DST | flags.COPY_SRC;
    this.#io = {
      capacity,
      x: make('monc backward x', capacity * this.#spec.in, io),
      dy: make('monc backward dy', capacity * this.#spec.out, io),
      dx: make('monc backward dx', capacity * this.#spec.in, io),
      readback: make('monc backward readback', capacity * this.#spec.in + this.#spec.paramSize + 16, flags.MAP_READ | flags.COPY_DST),
    };
    return this.#io;
  }

  /**
   * dx and the packed gradients for host arrays; runs one at a time (they share staging buffers).
   * `held`: the parameters of the call (GpuExecutor.heldParams), read when its turn comes.
   */
  run(x: Float32Array, dy: Float32Array, batch: number, held?: HeldParams): Promise<{ dx: Float32Array; grad: Float32Array }> {
    return this.#queue(() => this.#runNow(x, dy, batch, held));
  }

  #checkUsable(): void {
    if (this.#destroyed) throw runnerDestroyed(this.#spec.name);
    checkDevice(this.device);
  }

  /**
   * Throws a MoncError of kind 'device' when a backward pass of `rows` rows (`fit`: a fitMse mini-batch, its targets
   * too: fitRowsLimit) needs a buffer over the device's limits (backwardRowsLimit).
   */
  checkRows(rows: number, fit = false): void {
    const limit = (fit ? fitRowsLimit : backwardRowsLimit)(this.#spec, this.device.limits);
    if (rows <= limit.rows) return;
    throw new MoncError(
      'device',
      // Not one row where the read-back of the gradients (parameters + 32 + a row of dx) is over maxBufferSize by itself
      // (QA2 s28 Q753: 'use batches of at most -2 rows').
      `map '${this.#spec.name}': ${fit ? 'a fitMse mini-batch' : 'a backward pass'} of ${rows} rows needs more than this device's maxStorageBufferBindingSize of ${limit.bytes} bytes in one buffer; ${limit.rows < 1 ? 'no batch fits this device' : `use batches of at most ${limit.rows} rows`}`,
    );
  }

  /**
   * A batch over the device's limits (backwardRowsLimit) runs in chunks of rows that fit, as the
   * forward pass does: dx rows concatenate, the gradients (sums over rows) add up in float64 and
   * are written back to the gradient buffer, so an optimizer step applies the whole batch's.
   */
  async #runNow(x: Float32Array, dy: Float32Array, batch: number, held: HeldParams | undefined): Promise<{ dx: Float32Array; grad: Float32Array }> {
    this.#checkUsable();
    const most = backwardRowsLimit(this.#spec, this.device.limits).rows;
    if (batch <= most) return this.#runRows(x, dy, batch, held);
    // Not even one row fits: the refusal names the limit.
    if (most < 1) this.checkRows(batch);
    const { in: n, out: m, paramSize, storage } = this.#spec;
    const dx = new Float32Array(batch * n);
    const sum = new Float64Array(paramSize);
    for (let first = 0; first < batch; first += most) {
      const rows = Math.min(most, batch - first);
      const part = await this.#runRows(x.subarray(first * n, (first + rows) * n), dy.subarray(first * m, (first + rows) * m), rows, held);
      dx.set(part.dx, first * n);
      for (let i = 0; i < paramSize; i++) sum[i] += part.grad[i];
    }
    const stored = toStorage(Float32Array.from(sum), storage);
    this.device.queue.writeBuffer(this.gradients, 0, stored);
    return { dx, grad: fromStorage(stored.buffer, paramSize, storage) };
  }

  /** One backward pass of `batch` rows (at most backwardRowsLimit's): uploads, runs, reads dx and the gradients back. */
  async #runRows(x: Float32Array, dy: Float32Array, batch: number, held: HeldParams | undefined): Promise<{ dx: Float32Array; grad: Float32Array }> {
    this.#checkUsable();
    const device = this.device;
    const io = this.#ensureIo(Math.max(batch, 1));
    const before = this.#buffers;
    let made = before;
    let recorded = 0;
    const dxBytes = this.#bytes(batch * this.#spec.in);
    const gradBytes = this.#bytes(Math.max(this.#spec.paramSize, 1));
    try {
      device.pushErrorScope('out-of-memory');
      device.pushErrorScope('validation');
      let scopes: Promise<(GPUError | null)[]>;
      try {
        const encoder = device.createCommandEncoder({ label: 'monc backward' });
        if (batch === 0) encoder.clearBuffer(this.gradients);
        else {
          device.queue.writeBuffer(io.x, 0, toStorage(x, this.#spec.storage));
          device.queue.writeBuffer(io.dy, 0, toStorage(dy, this.#spec.storage));
          // The parameters of the call (a copy of them if they changed since), else the device's.
          this.encode(encoder, io.x, io.dy, io.dx, batch, held?.copy);
        }
        if (batch > 0) encoder.copyBufferToBuffer(io.dx, 0, io.readback, 0, dxBytes);
        encoder.copyBufferToBuffer(this.gradients, 0, io.readback, batch > 0 ? dxBytes : 0, gradBytes);
        device.queue.submit([encoder.finish()]);
      } finally {
        // The temporaries this pass made and ran with (read before any await: not those an encodeBackward on the caller's
        // encoder makes while it waits for its errors).
        made = this.#buffers;
        recorded = this.#uses;
        // Popped also when encode throws (a new batch size's dims buffer refused): a scope left on the stack would take
        // every later error meant for onuncapturederror, for the device's life (REV s18 2).
        scopes = Promise.all([device.popErrorScope(), device.popErrorScope()]);
      }
      const error = scopeError(this.#spec.name, 'while running the backward pass', await Promise.race([scopes, deviceLost(device)]));
      if (error) throw error;
    } catch (e) {
      // The buffers may be what failed (the device out of memory when it made them leaves them invalid, its error
      // uncaptured when they were made before the scopes): the next pass makes new ones rather than failing on them for
      // the runner's life. Temporaries this pass made served only its failed submission: freed (REV s18 3: each failure
      // kept a set until destroy()). Those a pass ran with before stay; others (an encodeBackward's) are replaced
      // (ensureBuffers retires them: a caller's encoder may hold them). Kept when a recording came after this pass's (an
      // encodeBackward on the caller's encoder while it waited may bind them: REV s19 2).
      this.#dropIo();
      if (made !== before && this.#uses === recorded) {
        for (const b of made.values()) b.destroy();
        // (Unless an encodeBackward replaced them meanwhile: then they are retired, destroyed again by destroy().)
        if (this.#buffers === made) this.#buffers = new Map();
      }
      if (this.#buffers !== this.#checkedBuffers) this.#capacity = 0;
      throw e;
    }
    this.#checkedBuffers = made;
    const offset = batch > 0 ? dxBytes : 0;
    // destroy() while it waited for its errors destroyed the read-back: mapping it would leave the device a validation
    // error of monc's, uncaptured (a page's onuncapturederror got it: QA2 s27 Q653).
    if (this.#destroyed) throw runnerDestroyed(this.#spec.name);
    await Promise.race([io.readback.mapAsync(flags.MODE_READ, 0, offset + gradBytes), deviceLost(device)]);
    try {
      const all = io.readback.getMappedRange(0, offset + gradBytes);
      return {
        // (dx straight into its array: the first values of the range.)
        dx: fromStorage(all, batch * this.#spec.in, this.#spec.storage, new Float32Array(batch * this.#spec.in)),
        grad: fromStorage(all.slice(offset), this.#spec.paramSize, this.#spec.storage),
      };
    } finally {
      io.readback.unmap();
    }
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.gradients.destroy();
    this.#patterns.destroy();
    for (const b of [...this.#buffers.values(), ...this.#retired]) b.destroy();
    this.#dims.destroy();
    this.#dropIo();
  }
}

/**
 * The most rows one backward pass may take on a device with `limits`: every buffer it binds must
 * fit maxStorageBufferBindingSize and maxBufferSize: the rows (x, dy, dx and the activations, one
 * row each) and the weight-gradient partials (one per `rowsPerSplit` rows); the read-back of dx
 * and the gradients, maxBufferSize. (Unlike the forward pass it does not run in chunks: the
 * gradients on the device are one pass's sums.)
 */
export function backwardRowsLimit(spec: BackwardExecutorSpec, limits: Pick<GPUSupportedLimits, 'maxStorageBufferBindingSize' | 'maxBufferSize'>): { rows: number; bytes: number } {
  // The rule monc tune checks a --batch by (src/manifest/rows-limit.ts), and the readback.
  const { rows, bytes } = backwardRowsLimitOf(spec, spec.storage, limits);
  const e = spec.storage === 'f16' ? 2 : 4;
  return { rows: Math.min(rows, Math.floor((limits.maxBufferSize - (spec.paramSize + 32) * e) / (spec.in * e))), bytes };
}

/**
 * The most rows a fitMse mini-batch may have on a device: its backward pass's (backwardRowsLimit), and its targets',
 * which are f32 whatever the storage: an f16 map's are twice the bytes of its outputs, which the backward pass counts
 * (REV29-5: over the limit, the fit refused its target buffer without saying which batch fits).
 */
export function fitRowsLimit(spec: BackwardExecutorSpec, limits: Pick<GPUSupportedLimits, 'maxStorageBufferBindingSize' | 'maxBufferSize'>): { rows: number; bytes: number } {
  const { rows, bytes } = backwardRowsLimit(spec, limits);
  return { rows: Math.min(rows, rowsThatFit([spec.out], 4, limits)), bytes };
}

/** The backward kernels a map runs on a device, and the WGSL module that holds them (MapRunner picks the storage type). */
export interface BackwardKernels {
  readonly wgsl: string;
  /** Undefined where the manifest has no backward section (an older monc built it). */
  readonly backward: readonly ManifestBackwardKernel[] | undefined;
  readonly storage: 'f32' | 'f16';
}

/**
 * What to run for a manifest map's backward pass: the backward program's buffers from its
 * manifest entry and the kernels the build emitted for the storage type the device runs. A
 * manifest without a backward section cannot train: rebuilding it adds one.
 */
export function backwardSpec(map: ManifestMap, built: BackwardKernels): BackwardExecutorSpec {
  const b = map.backward;
  if (!b || !built.backward) throw new FormatError(`map '${map.name}': its manifest has no backward kernels (built by an older monc); rebuild the module with this version to train it`);
  return {
    name: map.name,
    kernels: built.backward,
    ops: b.ops,
    buffers: b.buffers,
    partials: b.partials,
    rowsPerSplit: b.rowsPerSplit,
    zeroInputGradient: b.zeroInputGradient,
    paramSize: map.paramSize,
    in: map.in,
    out: map.out,
    storage: built.storage,
  };
}
