/**
 * Runs a map's kernels on a WebGPU device: the packed parameter buffer, temporaries sized for
 * at least the largest batch seen so far (reused across calls), one uniform slot of dims per kernel and
 * batch size, and every kernel in order in one compute pass.
 *
 * The host round trip (`run`) creates nothing per call once its buffers fit the batch: the input
 * is written into a mapped upload buffer, at the call when no other run waits (re-mapped as soon
 * as the GPU has copied it out, ready for the next call), copied to the device-side input in the same submission as the kernels and
 * the copy of the output to a reused readback buffer (mapped and copied out in pieces with
 * `monc/runtime/host-io`); bind groups are cached per buffer set and
 * batch. Error scopes wrap only the calls that may newly fail (new buffers or a new batch size).
 *
 * A run uses the parameters of its call: a change while runs wait for their turn (writeParams, an
 * optimizer step, a fit: holdParams) first copies the parameters for them.
 *
 * Failures never hang: pipelines are validated when the executor is created, runs that may fail
 * are wrapped in validation and out-of-memory error scopes, and a lost device rejects pending
 * and later runs with the loss message.
 */
import { workgroupCount, type DispatchRule, type EmittedKernel } from '../manifest/dispatch.js';
import type { PatternLayout } from '../manifest/pattern.js';
import type { BufferDecl, OpData } from '../manifest/program.js';
import { bindingBytes, rowsThatFit } from '../manifest/rows-limit.js';
import { deviceError } from '../util/error.js';
import { cacheSet, dimsBuffers, dispatchGrid, kernelBindings, type DimsBuffers } from './dispatch-dims.js';
import { fromStorage, toStorage } from './host-storage.js';
import { f32ArrayToF16 } from './formats/f16.js';
import { hostIoSupport, missingEntry, type PipelinedRing } from './extensions.js';
import type { PipelinedRun } from './pipelined-forward.js';
import { patternBuffers, type PatternBuffers } from './pattern-buffers.js';
import { kernelModuleWgsl } from './module-groups.js';
import { PipelineCache } from './pipeline-cache.js';
import { FormatError } from './formats/format-error.js';
import { memo } from './memo.js';
import { checkDevice, deviceLost, runQueue, runnerDestroyed, type RunQueue } from './run-errors.js';
import { roundTrip, type RoundTripBuffers } from './round-trip.js';
import * as flags from './gpu-flags.js';
import { copyOf, createBuffer, paddedBytes } from './buffer.js';
import { mustBe } from './user-error.js';

/** One dispatch as the executor needs it (a subset of ManifestKernel). */
export interface KernelPlan {
  readonly entryPoint: string;
  /** The ops it performs (indices into the spec's `ops`): needed where it reads a pattern. */
  readonly ops?: readonly number[];
  readonly src: string;
  readonly dst: string;
  readonly dispatch: DispatchRule;
  /** The pattern table of its first op it reads (a block-sparse kernel). */
  readonly pattern?: PatternLayout;
}

/**
 * Plans for emitted kernels: each binds the source of its first matmul op and the destination
 * of its last op. As in the manifest, a kernel of bias ops only binds the map's input as its
 * (unread) source.
 */
export function planKernels(kernels: readonly EmittedKernel[], ops: readonly OpData[]): KernelPlan[] {
  return kernels.map((k) => {
    const mine = k.ops.map((i) => ops[i]);
    const source = mine.flatMap((op) => (op.kind === 'bias' ? [] : [op.src]))[0] ?? 'x';
    return { entryPoint: k.entryPoint, ops: k.ops, src: source, dst: mine[mine.length - 1].dst, dispatch: k.dispatch, ...(k.pattern ? { pattern: k.pattern } : {}) };
  });
}

export interface ExecutorSpec {
  /** The map's name, for messages. */
  readonly name: string;
  readonly wgsl: string;
  readonly kernels: readonly KernelPlan[];
  /** The ops the kernels perform: block-sparse kernels (a `pattern`) read their patterns from them. */
  readonly ops?: readonly OpData[];
  readonly buffers: readonly BufferDecl[];
  readonly paramSize: number;
  readonly in: number;
  readonly out: number;
  /** Element type of params and activations on the device. */
  readonly storage: 'f32' | 'f16';
}

/**
 * What the runs called since the parameters last changed read: how many of them have not settled
 * and, once a change came while some had not, the copy of the parameters they read instead
 * (holdParams); else the device parameters.
 */
export interface HeldParams {
  waiting: number;
  copy?: GPUBuffer;
}

/** The host round trip's buffers, for batches up to `capacity`. */
interface HostIo extends RoundTripBuffers {
  readonly capacity: number;
  readonly x: GPUBuffer;
  readonly y: GPUBuffer;
}

export class GpuExecutor {
  readonly #elementBytes: number;
  readonly #params: GPUBuffer;
  /** An unread source binding for kernels with no source (never written). */
  #temps = new Map<string, GPUBuffer>();
  #tempCapacity = 0;
  /** Every temporary made, those replaced by larger ones included: destroy() frees them (see #ensureTemps). */
  readonly #madeTemps: GPUBuffer[] = [];
  /** Recordings that bound the temporaries (each encodeDispatches): a failed round trip frees those it made only if none came after it. */
  #uses = 0;
  /** The temporaries the last round trip ran with, without a WebGPU error. */
  #checkedTemps: Map<string, GPUBuffer> | undefined;
  readonly #dims: DimsBuffers;
  #io: HostIo | undefined;
  /** The chunk ring of pipelined round trips (pipelined-forward.ts, `monc/runtime/host-io`), created on the first one. */
  #pipelined: PipelinedRing | undefined;
  /** Bind groups per (params, x, y) buffers and batch; dropped when the temporaries are replaced. */
  #bindGroups = new WeakMap<GPUBuffer, WeakMap<GPUBuffer, WeakMap<GPUBuffer, Map<number, GPUBindGroup[]>>>>();
  /** The runs called since the parameters last changed (heldParams); holdParams starts a new one. */
  #held: HeldParams = { waiting: 0 };
  /** Rejects once the device is lost (run-errors.ts). */
  readonly #lost: Promise<never>;
  readonly #queue: RunQueue;
  #destroyed = false;
  /** run() calls not yet settled: while any waits, a new one cannot write the upload buffer at the call. */
  #runs = 0;
  readonly #spec: ExecutorSpec;
  readonly #pipelines: readonly GPUComputePipeline[];
  readonly #bindGroupLayout: GPUBindGroupLayout;
  readonly #patterns: PatternBuffers;

  // `declare`d and set by the constructor: a field declaration in every page adds nothing the assignment does not.
  declare readonly device: GPUDevice;

  // Private members are #-private (not TypeScript's `private`): a minifier shortens their names,
  // and this class is in every page's bundle.
  private constructor(device: GPUDevice, spec: ExecutorSpec, pipelines: readonly GPUComputePipeline[], bindGroupLayout: GPUBindGroupLayout, patterns: PatternBuffers) {
    this.device = device;
    this.#spec = spec;
    this.#pipelines = pipelines;
    this.#bindGroupLayout = bindGroupLayout;
    this.#patterns = patterns;
    this.#queue = runQueue(spec.name, () => this.#destroyed);
    this.#elementBytes = spec.storage === 'f16' ? 2 : 4;
    this.#dims = dimsBuffers(device, 'dims');
    this.#params = createBuffer(device, 'params', this.#bytes(spec.paramSize), flags.STORAGE | flags.COPY_DST | flags.COPY_SRC, false, spec.name);
    this.#lost = deviceLost(device);
  }

  /** Compiles (or fetches from the cache) every kernel's pipeline; rejects on invalid WGSL. */
  static async create(device: GPUDevice, spec: ExecutorSpec): Promise<GpuExecutor> {
    const cache = PipelineCache.for(device);
    // Each kernel from a module of its own: a pipeline costs its kernel, not the whole map's text (Q705).
    const kernelWgsl = kernelModuleWgsl(spec.wgsl);
    const pipeline = ({ entryPoint }: KernelPlan) =>
      cache.pipeline(kernelWgsl(entryPoint), entryPoint).catch((e: unknown) => {
        // An entry point the WGSL lacks (monc writes each as `fn <name>(`) is a manifest edited by hand or damaged, not a bug
        // in monc's kernels (QA2 s13 R20: it failed as a WgslError); checked only on a failure, so it costs no page a scan.
        throw spec.wgsl.includes(`fn ${entryPoint}(`) ? e : new FormatError(`map '${spec.name}': its WGSL has no entry point '${entryPoint}'`);
      });
    // A device lost already (or meanwhile) rejects here, kind 'device', rather than in the first run.
    const pipelines = await Promise.race([Promise.all(spec.kernels.map(pipeline)), deviceLost(device)]);
    checkDevice(device);
    return new GpuExecutor(device, spec, pipelines, cache.bindGroupLayout, patternBuffers(device, spec.name, spec.kernels, spec.ops ?? []));
  }

  #bytes(elements: number): number {
    return paddedBytes(elements, this.#elementBytes);
  }

  #checkUsable(): void {
    if (this.#destroyed) throw runnerDestroyed(this.#spec.name);
    checkDevice(this.device);
  }

  /** The packed parameter buffer on the device (the backward pass and optimizers use it; storage type, STORAGE usage). */
  get paramsBuffer(): GPUBuffer {
    return this.#params;
  }

  /** Element type of activations on the device. */
  get storage(): 'f32' | 'f16' {
    return this.#spec.storage;
  }

  /** Writes `packed` (packParams' result: exactly paramSize values; monc/runtime's GpuExecutor checks a caller's) to the device. */
  writeParams(packed: Float32Array): void {
    this.#checkUsable();
    this.holdParams();
    if (packed.length > 0) this.device.queue.writeBuffer(this.#params, 0, toStorage(packed, this.#spec.storage));
  }

  /**
   * Call right before anything changes the device parameters (writeParams, an optimizer step, a
   * fit): the runs called before it and not yet settled read a copy of the parameters as they are
   * now, taken by a copy submitted ahead of the change, so a change never reaches a run called
   * before it. No copy while none waits.
   */
  holdParams(): void {
    const held = this.#held;
    if (!held.waiting) return;
    held.copy = copyOf(this.device, this.#params, 'params (held)', this.#params.size, flags.STORAGE);
    this.#held = { waiting: 0 };
  }

  #ensureTemps(batch: number): void {
    if (batch <= this.#tempCapacity) return;
    // Replaced buffers stay alive until destroy(): a caller's encoder not yet submitted may still
    // use them. Capacities at least double, so the replaced ones together stay under twice the current set.
    const capacity = this.#grown(batch, this.#tempCapacity);
    // Only buffers a kernel binds: the intermediate of a fused pair lives in workgroup memory.
    const bound = new Set(this.#spec.kernels.flatMap((k) => [k.src, k.dst]));
    this.#temps = new Map(
      this.#spec.buffers
        .filter((b) => b.name !== 'x' && b.name !== 'y' && bound.has(b.name))
        .map((b) => [
          b.name,
          createBuffer(this.device, b.name, this.#bytes(capacity * b.size), flags.STORAGE),
        ]),
    );
    this.#madeTemps.push(...this.#temps.values());
    this.#tempCapacity = capacity;
    this.#bindGroups = new WeakMap();
    // Made outside a round trip (encodeForward), they may be invalid: every batch's next round trip checks them.
    this.#io?.validated.clear();
  }

  /**
   * Records the forward pass for `batch` rows of `x` into `y` (buffers in the storage type, with
   * STORAGE usage) on `encoder`, as one compute pass. `params`: the parameters it binds (default:
   * the device's; a queued run's held copy, holdParams).
   */
  encode(encoder: GPUCommandEncoder, x: GPUBuffer, y: GPUBuffer, batch: number, params?: GPUBuffer): void {
    // (Batch 0: an empty pass, which WebGPU takes.)
    this.#checkUsable();
    const pass = encoder.beginComputePass({ label: 'monc forward' });
    this.encodeDispatches(pass, x, y, batch, undefined, params);
    pass.end();
  }

  /**
   * Records the dispatches of the forward pass (or, with `only`, of that kernel alone) into an
   * open compute pass: what timing with timestamp queries needs. `params` as for encode.
   */
  encodeDispatches(pass: GPUComputePassEncoder, x: GPUBuffer, y: GPUBuffer, batch: number, only?: number, params = this.#params): void {
    this.#checkUsable();
    // Any other `only` (7 of 3 kernels, 1.5, '0') would record nothing, silently.
    if (only !== undefined && !(Number.isInteger(only) && this.#spec.kernels[only])) throw mustBe(this.#spec.name, 'encodeDispatches: kernel', 'an index of kernelSet.kernels', only);
    if (batch === 0) return;
    this.#ensureTemps(batch);
    this.#uses++;
    const groups = this.#spec.kernels.map((k) => workgroupCount(k.dispatch, batch));
    const dims = this.#dims.get(batch, groups);
    const bindGroups = this.#bindGroupsFor(params, x, y, batch, dims);
    this.#spec.kernels.forEach((k, i) => {
      if (groups[i] === 0 || (only !== undefined && i !== only)) return;
      pass.setPipeline(this.#pipelines[i]);
      pass.setBindGroup(0, bindGroups[i]);
      pass.dispatchWorkgroups(...dispatchGrid(this.device, groups[i]));
    });
  }

  /** Each kernel's bind group for these buffers and batch (created once, then reused). */
  #bindGroupsFor(params: GPUBuffer, x: GPUBuffer, y: GPUBuffer, batch: number, dims: GPUBuffer): GPUBindGroup[] {
    const byBatch = memo(memo(memo(this.#bindGroups, params, () => new WeakMap()), x, () => new WeakMap()), y, () => new Map<number, GPUBindGroup[]>());
    const cached = byBatch.get(batch);
    if (cached) return cached;
    // Every kernel's buffers are its program's: the build asserts it, decodeManifest checks it of a manifest file (checkManifestMaps).
    const buffer = (name: string): GPUBuffer => (name === 'x' ? x : name === 'y' ? y : this.#temps.get(name)!);
    const groups = this.#spec.kernels.map((k, i) =>
      this.device.createBindGroup({
        layout: this.#bindGroupLayout,
        entries: kernelBindings(params, buffer(k.src), buffer(k.dst), dims, i, this.#patterns.get(i)),
      }),
    );
    cacheSet(byBatch, batch, groups);
    return groups;
  }

  #ensureIo(batch: number): HostIo {
    const io = this.#io;
    if (io && io.capacity >= batch) return io;
    const capacity = this.#grown(batch, io?.capacity);
    this.#destroyIo();
    const xSize = this.#bytes(capacity * this.#spec.in);
    const ySize = this.#bytes(capacity * this.#spec.out);
    const device = this.device;
    // The upload buffer first: WebGPU refuses a buffer at once (createBuffer throws) only when it is mapped at creation,
    // so a refusal leaves none of them behind (the others' failures reach the error scopes of the round trip).
    return (this.#io = {
      capacity,
      upload: createBuffer(device, 'upload', xSize, flags.MAP_WRITE | flags.COPY_SRC, true),
      uploadMapped: Promise.resolve(true),
      readback: createBuffer(device, 'readback', ySize, flags.MAP_READ | flags.COPY_DST),
      x: createBuffer(device, 'x', xSize, flags.STORAGE | flags.COPY_DST),
      y: createBuffer(device, 'y', ySize, flags.STORAGE | flags.COPY_SRC),
      validated: new Set(),
    });
  }

  /** Rows for buffers that must hold `batch` rows and replace ones of `current`: at least double, but not past the rows one pass may bind. */
  #grown(batch: number, current = 0): number {
    return Math.min(Math.max(batch, 2 * current), Math.max(batch, this.maxRows()));
  }

  /** Frees the round trip's buffers; none until the next run makes them (also when the device refuses those). */
  #destroyIo(): void {
    const io = this.#io;
    this.#io = undefined;
    if (io) for (const b of [io.upload, io.readback, io.x, io.y]) b.destroy();
  }

  /**
   * Writes `batch` rows of `x` (any array of numbers) in the storage type into the mapped upload buffer, then unmaps it.
   * An element that does not convert (a BigInt: kind user in MapRunner.forward) throws with the range handed out, which
   * would fail every later getMappedRange of the buffer: the next call makes new buffers (QA2 s18 R73).
   */
  #fillUpload(io: HostIo, x: ArrayLike<number>, batch: number): void {
    const range = io.upload.getMappedRange(0, this.#bytes(batch * this.#spec.in));
    try {
      // (f16: halves, padded to 4 bytes, which the range's 16-byte padding holds.)
      if (this.#elementBytes > 2) new Float32Array(range).set(x);
      else new Uint16Array(range).set(f32ArrayToF16(x));
    } catch (e) {
      this.#destroyIo();
      throw e;
    }
    io.upload.unmap();
  }

  /**
   * The most rows one pass may take: every buffer it binds (x, y, the intermediates) must fit the
   * device's maxStorageBufferBindingSize and maxBufferSize. Throws (kind `device`) when `batch`
   * rows do not fit: run() splits larger batches, a pass its caller records cannot be split.
   */
  maxRows(batch = 1): number {
    const { name, in: n, out, buffers } = this.#spec;
    const { limits } = this.device;
    // The rule monc bench and tune check a --batch by (src/manifest/rows-limit.ts).
    const rows = rowsThatFit([n, out, ...buffers.map((b) => b.size)], this.#elementBytes, limits);
    if (rows < batch) throw deviceError(`map '${name}': a pass of ${batch} rows needs a buffer over this device's limit of ${bindingBytes(limits)} bytes: at most ${rows} rows per pass`);
    return rows;
  }

  /**
   * Y = X Mᵀ through the device, into `out` when given (batch × out values), else a new array;
   * runs one at a time (they share the staging buffers). `x` (any array of numbers, taken as
   * float32) is read at the call, forward's contract: a one-piece run with no other run waiting
   * writes it into the mapped upload buffer now, with no copy (a new 64 MiB array costs page
   * faults and, as V8 external memory, a garbage collection); otherwise it is copied. With `monc/runtime/host-io` loaded, a batch above the
   * pipeline's threshold, `chunkRows` below the batch, or more rows than one pass may bind runs
   * pipelined in chunks (pipelined-forward.ts; without it MapRunner.forward refuses a finite
   * `chunkRows`, and this a batch over the device's buffer limits); otherwise in one piece.
   * `held`: the parameters it reads, held by the caller since an earlier call (dense(): its copy
   * without the biases, for all its passes); default: those of this call.
   */
  run(x: ArrayLike<number>, batch: number, out?: Float32Array, chunkRows?: number, held = this.#held): Promise<Float32Array> {
    const rows = this.maxRows();
    // A batch over what one pass may bind runs in chunks through the pipelined round trip (chunkRowsFor gives them): a rare
    // case that pages without `monc/runtime/host-io` refuse, naming it (Node's runtime loads it).
    if (batch > rows && !hostIoSupport) throw missingEntry(`map '${this.#spec.name}': a batch of ${batch} rows (this device's buffers take ${rows} per pass)`, 'host-io');
    const chunk = hostIoSupport?.chunkRowsFor(this.#spec, batch, rows, chunkRows);
    const onePiece = chunk === undefined;
    // A one-piece run that no other run waits before takes the upload buffer now.
    const io = onePiece && !this.#runs && this.#ensureIo(batch);
    const filled = io && io.upload.mapState === 'mapped';
    if (filled) this.#fillUpload(io, x, batch);
    // A pipelined run takes x now: written into the ring's chunks and submitted when nothing else waits, else copied
    // (pipelined-forward.ts). The parameters are held once it has: a take that throws holds nothing.
    const input = filled ? undefined : onePiece ? new Float32Array(x) : (this.#pipelined ??= hostIoSupport!.pipeline(this, this.#spec)).take(x, batch, out, chunk, held);
    this.heldParams(held);
    this.#runs++;
    return this.#queue(() =>
      onePiece
        ? this.#runNow(input as Float32Array | undefined, batch, out, held)
        : // One pipelined run at a time (the queue). run() found the entry registered to choose chunks at all.
          (this.#checkUsable(), this.#pipelined!.run(input as PipelinedRun)),
    ).finally(() => {
      this.#runs--;
      this.releaseParams(held);
    });
  }

  /**
   * The parameters of a run called now (a forward or a backward pass): the device's, or, if they
   * change before it settles, the copy holdParams takes for it. Give it back with releaseParams
   * once the run settles. `held`: parameters the caller of run() holds already (dense()'s copy),
   * counted once more for this run.
   */
  heldParams(held = this.#held): HeldParams {
    held.waiting++;
    return held;
  }

  releaseParams(held: HeldParams): void {
    if (!--held.waiting) held.copy?.destroy();
  }

  /** A one-piece run; `x` undefined: written into the upload buffer at the call (run). */
  async #runNow(x: Float32Array | undefined, batch: number, out: Float32Array | undefined, held: HeldParams): Promise<Float32Array> {
    this.#checkUsable();
    // (Batch 0 too: a round trip of nothing, which maps the upload buffer again if it was filled at the call.)
    const io = this.#ensureIo(batch);
    const { storage, in: n, out: m } = this.#spec;
    const xBytes = this.#bytes(batch * n);
    const yBytes = this.#bytes(batch * m);
    // Mapping fails only after an earlier error; the queue's own staging then takes the input.
    const uploadable = !x || (await Promise.race([io.uploadMapped, this.#lost]));
    this.#checkUsable();
    const before = this.#temps;
    const trip = roundTrip(
      this.device,
      io,
      batch,
      yBytes,
      (encoder) => {
        if (uploadable) {
          if (x) this.#fillUpload(io, x, batch);
          encoder.copyBufferToBuffer(io.upload, 0, io.x, 0, xBytes);
        } else {
          this.device.queue.writeBuffer(io.x, 0, toStorage(x!, storage));
        }
        this.encode(encoder, io.x, io.y, batch, held.copy);
        encoder.copyBufferToBuffer(io.y, 0, io.readback, 0, yBytes);
      },
      this.#spec.name,
      this.#lost,
    );
    // Recorded and submitted by now (roundTrip awaits only after its submit): the temporaries this call made and ran
    // with, not those an encodeForward on the caller's encoder makes while it waits for its errors.
    const used = this.#temps;
    const recorded = this.#uses;
    await trip.catch((e: unknown) => {
      // The buffers may be what failed (the device out of memory when it made them, an error no scope caught, which
      // leaves them invalid): the next call makes new ones rather than failing on them for the runner's life. Temporaries
      // this call made served only its failed submission: freed (REV s18 3), unless a recording came after it (an
      // encodeForward on the caller's encoder while it waited may bind them: REV s19 2). Those a round trip ran with
      // before stay; others (an encodeForward's) are replaced.
      this.#destroyIo();
      if (used !== before && this.#uses === recorded) {
        used.forEach((t) => t.destroy());
        // They are the set made last (no recording came after): destroy() has nothing left to free of them.
        this.#madeTemps.length -= used.size;
      }
      if (this.#temps !== this.#checkedTemps) this.#tempCapacity = 0;
      throw e;
    });
    this.#checkedTemps = used;
    // With `monc/runtime/host-io` (Node's runtime loads it) the result comes out in pieces (pipelined-forward.ts, readInPieces).
    if (hostIoSupport) return hostIoSupport.readBack(io.readback, batch * m, storage, this.#lost, this.#spec.name, out);
    try {
      return fromStorage(io.readback.getMappedRange(0, yBytes), batch * m, storage, out);
    } finally {
      io.readback.unmap();
    }
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#params.destroy();
    this.#patterns.destroy();
    for (const t of this.#madeTemps) t.destroy();
    this.#dims.destroy();
    this.#destroyIo();
    this.#pipelined?.destroy();
  }
}
