/**
 * The host side of a forward pass, for callers who run many batches: a `ForwardStaging` lends
 * mapped memory itself, so that the caller fills the input where the GPU copies it from and
 * reads the result where the GPU copied it to (no host copy either way). (`forward(x, { out })`,
 * writing into the caller's reused array, is in every page: forward-request.ts, gpu-executor.ts.)
 * The stagings, and the pipelined round trip built on them (pipelined-forward.ts), are the
 * opt-in entry `monc/runtime/host-io` (host-io-entry.ts registers them, extensions.ts): a page
 * that only calls `forward` does not bundle them.
 *
 * Lifetime rules of a staging (docs/runtime.md): `input(batch)` resolves to the input view,
 * valid until `run()`; `run()` resolves to the result view, valid until the next `input()` or
 * `destroy()`. The views are unmapped (detached, length 0) when they expire, never left pointing
 * at memory the GPU writes. One step at a time: each method throws when called out of order.
 *
 * What mapping costs with Dawn on Vulkan (google/dawn, read for issue 11):
 * - Memory: a MAP_READ buffer gets a host-visible type, HOST_CACHED preferred (system memory:
 *   the GPU's copy into it crosses PCIe); a MAP_WRITE buffer a host-visible type, coherent
 *   preferred, then the largest heap (src/dawn/native/vulkan/MemoryTypeSelector.cpp,
 *   FindBestTypeIndex); on the H200 that is device memory behind the PCIe BAR, judging by the
 *   measured copy from it to the kernels' input (176 GB/s, more than PCIe carries).
 * - Mapping is persistent: a mappable buffer gets its own allocation, vkMapMemory'd once when
 *   created (vulkan/ResourceMemoryAllocatorVk.cpp, ResourceMemoryAllocator::Allocate) and never
 *   unmapped ("We keep CPU-visible memory mapped at all times", BufferVk.cpp, UnmapImpl).
 *   MapAsyncImpl does nothing; FinalizeMapImpl zero-fills a never-written buffer once and
 *   invalidates/flushes only non-coherent memory; GetMappedRangeImpl returns a span of the
 *   persistent mapping (BufferVk.cpp). So Dawn and the driver charge nothing in proportion to
 *   size per mapping, and a buffer mapped before pays nothing again there.
 * - The npm `webgpu` binding: mapAsync resolves when a setImmediate loop calling
 *   wgpuInstanceProcessEvents sees the GPU done (src/dawn/node/binding/AsyncRunner.cpp);
 *   getMappedRange wraps the pointer in a new ArrayBuffer each call, no copy
 *   (binding/GPUBuffer.cpp, GPUBuffer::getMappedRange: Napi::ArrayBuffer::New), detached at
 *   unmap. Node accounts that ArrayBuffer as V8 external memory, and 64 MiB at once crosses
 *   V8's external-memory limit: V8 starts a garbage collection for "external memory pressure"
 *   (deps/v8/src/heap/heap.cc, Heap::ReportExternalMemoryPressure) on most such calls (14
 *   collections in 25 mappings of 64 MiB on SwiftShader, 1 when mapped in 8 MiB chunks:
 *   bench/readback-probe.ts), whose cost grows with the JS heap. That, not the data, is the
 *   per-call cost of a 64 MiB mapping; mappings of a few MiB (the pipelined round trip's
 *   chunks, pipelined-forward.ts; stagings of fewer rows) do not trigger it.
 */
import type { Dtype } from '../manifest/program.js';
import { deviceError } from '../util/error.js';
import { arrayError, shown, userError } from './user-error.js';
import { fromStorage } from './host-storage.js';
import { f32ArrayToF16 } from './formats/f16.js';
import * as flags from './gpu-flags.js';
import { createBuffer, paddedBytes } from './buffer.js';
import { checkDevice, deviceLost, runnerDestroyed } from './run-errors.js';
import { remapUpload, roundTrip, type RoundTripBuffers } from './round-trip.js';

/**
 * Reused host memory for repeated forward passes of up to `capacity` rows: `input(batch)` lends
 * the input rows to fill, `run()` computes and lends the result rows.
 */
export interface ForwardStaging {
  /** The most rows one `input()` may ask for. */
  readonly capacity: number;
  /** The input view: `batch` rows of `in` values (default: capacity), valid until `run()`. */
  input(batch?: number): Promise<Float32Array>;
  /**
   * Y for the filled input: `batch` rows of `out` values, valid until the next `input()` or
   * `destroy()`. An input the map must not run on (an f16 module's out-of-range values) rejects,
   * leaving the input view lent.
   */
  run(): Promise<Float32Array>;
  /** Frees the staging's memory; its views expire. */
  destroy(): void;
}

/** What a staging needs from its runner. */
export interface StagingHost {
  /** The map's name and sizes. */
  readonly map: { readonly name: string; readonly in: number; readonly out: number };
  /** Throws for an input the map must not run on (an f16 module's out-of-range values). */
  checkInput(x: Float32Array, rows: number): void;
}

type Phase = 'idle' | 'filling' | 'running' | 'result' | 'destroyed';

/** The call-order rules both stagings share; subclasses lend and compute. */
abstract class StagingSteps implements ForwardStaging {
  #phase: Phase = 'idle';
  protected rows = 0;
  /** The input view lent by the last input(). */
  #lent: Float32Array | undefined;

  protected constructor(
    protected readonly host: StagingHost,
    readonly capacity: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw userError(`map '${host.map.name}': a staging's capacity must be a positive whole number of rows, got ${shown(capacity)}`);
  }

  async input(batch = this.capacity): Promise<Float32Array> {
    this.#expect(['idle', 'result'], 'input()');
    if (!Number.isInteger(batch) || batch < 0 || batch > this.capacity) {
      throw userError(`map '${this.host.map.name}': input(${shown(batch)}): the staging holds 0 to ${this.capacity} rows`);
    }
    // Claimed before the first await: a second input() now fails instead of racing this one.
    this.#phase = 'filling';
    this.releaseResult();
    this.rows = batch;
    this.#lent = await this.#settled(this.lendInput(batch), 'filling', 'input()');
    return this.#lent;
  }

  /**
   * The input view lent and filled from `rows` at once, with no await (a pipelined forward's chunk
   * at the call, pipelined-forward.ts); only when `ready`.
   */
  fillNow(rows: ArrayLike<number>, batch: number): void {
    this.#expect(['idle', 'result'], 'input()');
    this.releaseResult();
    this.rows = batch;
    (this.#lent = this.lendNow(batch)).set(rows);
    this.#phase = 'filling';
  }

  /** Whether fillNow() may be called now: the staging is between runs and its input can be lent without waiting. */
  get ready(): boolean {
    return (this.#phase === 'idle' || this.#phase === 'result') && this.lendable();
  }

  /** Ends the lease of the result view before the next input() (a pipelined forward's chunk, once copied out). */
  release(): void {
    if (this.#phase !== 'result') return;
    this.releaseResult();
    this.#phase = 'idle';
  }

  run(): Promise<Float32Array> {
    return this.#run((view) => view());
  }

  /**
   * run() with the result view made when asked for (a pipelined forward's chunk, pipelined-forward.ts,
   * as it copies the chunk out), only while the result is lent. Every view over mapped memory is
   * V8 external memory until unmapped: chunks back from the GPU before the caller copies them out
   * each held a view of their own (8 chunks of 8 MiB at 4096 rows of 4096 f32: 64 MiB at once,
   * V8's external-memory limit, which starts a garbage collection); viewed on demand, one chunk's
   * view is alive at a time.
   */
  runDeferred(): Promise<() => Float32Array> {
    return this.#run((view) => () => (this.#expect(['result'], 'run()'), view()));
  }

  async #run<T>(lend: (view: () => Float32Array) => T): Promise<T> {
    this.#expect(['filling'], 'run()');
    // An input the map must not run on rejects here, the view still lent: correct it, run again.
    this.host.checkInput(this.#lent!, this.rows);
    this.#phase = 'running';
    const view = await this.#settled(this.compute(this.rows), 'running', 'run()');
    this.#phase = 'result';
    return lend(view);
  }

  /**
   * The outcome of a step in flight (in `phase`): a failure returns the staging to 'idle'; a
   * `destroy()` meanwhile rejects with `map '<name>': the staging was destroyed` (`the runner was
   * destroyed` when its runner's destroy() destroyed it, as the runner's pending calls reject),
   * whatever WebGPU said of its freed buffers, and leaves it destroyed.
   */
  async #settled<T>(step: Promise<T>, phase: Phase, call: string): Promise<T> {
    const outcome = await step.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    // (The call was in order when made: not "out of order".)
    this.#expect([phase], call);
    if ('error' in outcome) {
      this.#phase = 'idle';
      throw outcome.error;
    }
    return outcome.value;
  }

  #byRunner = false;

  /** `byRunner`: its runner's destroy() destroys it (host-io-entry.ts). */
  destroy(byRunner = false): void {
    if (this.#phase === 'destroyed') return;
    this.#phase = 'destroyed';
    this.#byRunner = byRunner;
    this.free();
  }

  #expect(allowed: readonly Phase[], call: string): void {
    if (allowed.includes(this.#phase)) return;
    // A call made after, or settling after, destroy(): not "out of order".
    if (this.#phase === 'destroyed') throw this.#byRunner ? runnerDestroyed(this.host.map.name) : userError(`map '${this.host.map.name}': the staging was destroyed`);
    const why: Record<Exclude<Phase, 'destroyed'>, string> = {
      idle: 'call input() and fill its view first',
      filling: 'the input view is out: fill it and call run()',
      running: 'a run is in flight: await it first',
      result: 'call input() for the next batch first',
    };
    throw userError(`map '${this.host.map.name}': ${call} out of order: ${why[this.#phase]}`);
  }

  /** Ends the lease of the last result view, if any. */
  protected abstract releaseResult(): void;
  protected abstract lendInput(batch: number): Promise<Float32Array>;
  /** Whether lendNow() can lend the input now, with no await. */
  protected abstract lendable(): boolean;
  /** The input view for `batch` rows, now (only when lendable()). */
  protected abstract lendNow(batch: number): Float32Array;
  /** Runs the filled input; resolves to the result view's maker (called once, while the result is lent). */
  protected abstract compute(batch: number): Promise<() => Float32Array>;
  protected abstract free(): void;
}

/** A staging for the CPU backend: plain arrays, the same rules. */
export class CpuStaging extends StagingSteps {
  private readonly x: Float32Array;
  private readonly y: Float32Array;

  constructor(
    host: StagingHost,
    capacity: number,
    /** The runner's forward pass (its CPU executor, with the loaded parameters). */
    private readonly apply: (x: Float32Array, rows: number) => Promise<ArrayLike<number>>,
  ) {
    super(host, capacity);
    try {
      this.x = new Float32Array(capacity * host.map.in);
      this.y = new Float32Array(capacity * host.map.out);
    } catch (e) {
      // As a GpuStaging over the device's limits: a capacity the host cannot hold (a RangeError of the allocation, kind
      // 'device' as an f16 GpuStaging's host arrays).
      throw arrayError(host.map.name, `a staging of ${capacity} rows`, e, []);
    }
  }

  protected releaseResult(): void {}

  protected async lendInput(batch: number): Promise<Float32Array> {
    return this.lendNow(batch);
  }

  protected lendable(): boolean {
    return true;
  }

  protected lendNow(batch: number): Float32Array {
    return this.x.subarray(0, batch * this.host.map.in);
  }

  protected async compute(batch: number): Promise<() => Float32Array> {
    const x = this.x.subarray(0, batch * this.host.map.in);
    const y = this.y.subarray(0, batch * this.host.map.out);
    y.set(await this.apply(x, batch));
    return () => y;
  }

  protected free(): void {}
}

/** How a GPU staging records the forward pass between its copies. */
export interface GpuStagingDevice {
  readonly device: GPUDevice;
  /** Element type on the device; f16 views are host arrays converted once each way. */
  readonly storage: Dtype;
  /** The most rows one pass may bind (the device's buffer limits). */
  readonly maxRows: number;
  encode(encoder: GPUCommandEncoder, x: GPUBuffer, y: GPUBuffer, batch: number): void;
}

/**
 * A staging on a WebGPU device: a MAP_WRITE buffer the input view maps, a MAP_READ buffer the
 * result view maps, and device-side x and y. `run()` submits one command buffer (copy in, the
 * kernels, copy out), re-maps the upload buffer for the next input as soon as the GPU has read
 * it, and maps the result. Nothing is created per call.
 */
export class GpuStaging extends StagingSteps {
  readonly #bytesPerElement: number;
  /** The upload and readback buffers the views map (round-trip.ts). */
  readonly #io: RoundTripBuffers;
  readonly #x: GPUBuffer;
  readonly #y: GPUBuffer;
  #resultMapped = false;
  /** f16: the host arrays the views are, converted from/to the mapped halves. */
  readonly #hostX: Float32Array | undefined;
  readonly #hostY: Float32Array | undefined;
  readonly #lost: Promise<never>;

  constructor(
    host: StagingHost,
    capacity: number,
    private readonly gpu: GpuStagingDevice,
  ) {
    super(host, capacity);
    // On a lost device, kind 'device' as every call there (its buffers would be invalid, their mappings bare OperationErrors).
    checkDevice(gpu.device);
    if (capacity > gpu.maxRows) throw deviceError(`map '${host.map.name}': a staging of ${capacity} rows exceeds this device's buffer limits (at most ${gpu.maxRows} rows)`);
    this.#bytesPerElement = gpu.storage === 'f16' ? 2 : 4;
    const device = gpu.device;
    const xSize = this.#bytes(capacity * host.map.in);
    const ySize = this.#bytes(capacity * host.map.out);
    // The host arrays before the device buffers: a refusal then leaves none of those unfreed (REV s18 5).
    if (gpu.storage === 'f16') {
      try {
        this.#hostX = new Float32Array(capacity * host.map.in);
        this.#hostY = new Float32Array(capacity * host.map.out);
      } catch (e) {
        throw arrayError(host.map.name, `a staging of ${capacity} rows`, e, []);
      }
    }
    this.#io = {
      upload: createBuffer(device, 'staging upload', xSize, flags.MAP_WRITE | flags.COPY_SRC, true),
      uploadMapped: Promise.resolve(true),
      readback: createBuffer(device, 'staging readback', ySize, flags.MAP_READ | flags.COPY_DST),
      validated: new Set(),
    };
    this.#x = createBuffer(device, 'staging x', xSize, flags.STORAGE | flags.COPY_DST);
    this.#y = createBuffer(device, 'staging y', ySize, flags.STORAGE | flags.COPY_SRC);
    this.#lost = deviceLost(device);
  }

  #bytes(elements: number): number {
    return paddedBytes(elements, this.#bytesPerElement);
  }

  protected releaseResult(): void {
    if (!this.#resultMapped) return;
    this.#io.readback.unmap();
    this.#resultMapped = false;
  }

  protected async lendInput(batch: number): Promise<Float32Array> {
    const mapped = await Promise.race([this.#io.uploadMapped, this.#lost]);
    // (Mapped before the loss, as at creation: the view would be a bare OperationError.)
    checkDevice(this.gpu.device);
    if (!mapped) throw deviceError(`map '${this.host.map.name}': the staging's upload buffer could not be mapped after an earlier WebGPU error`);
    return this.lendNow(batch);
  }

  protected lendable(): boolean {
    return this.#io.upload.mapState === 'mapped';
  }

  protected lendNow(batch: number): Float32Array {
    const count = batch * this.host.map.in;
    if (this.#hostX) return this.#hostX.subarray(0, count);
    return new Float32Array(this.#io.upload.getMappedRange(0, this.#bytes(count)), 0, count);
  }

  protected async compute(batch: number): Promise<() => Float32Array> {
    const io = this.#io;
    checkDevice(this.gpu.device);
    const inCount = batch * this.host.map.in;
    const outCount = batch * this.host.map.out;
    if (this.#hostX) {
      new Uint16Array(io.upload.getMappedRange(0, this.#bytes(inCount)), 0, inCount).set(f32ArrayToF16(this.#hostX.subarray(0, inCount)));
    }
    io.upload.unmap();
    if (batch === 0) {
      io.uploadMapped = remapUpload(io.upload);
      return () => new Float32Array(0);
    }
    const xBytes = this.#bytes(inCount);
    const yBytes = this.#bytes(outCount);
    await roundTrip(
      this.gpu.device,
      io,
      batch,
      yBytes,
      (encoder) => {
        encoder.copyBufferToBuffer(io.upload, 0, this.#x, 0, xBytes);
        this.gpu.encode(encoder, this.#x, this.#y, batch);
        encoder.copyBufferToBuffer(this.#y, 0, io.readback, 0, yBytes);
      },
      this.host.map.name,
      this.#lost,
    );
    this.#resultMapped = true;
    return () => {
      const range = io.readback.getMappedRange(0, yBytes);
      if (!this.#hostY) return new Float32Array(range, 0, outCount);
      return fromStorage(range, outCount, 'f16', this.#hostY.subarray(0, outCount));
    };
  }

  protected free(): void {
    for (const b of [this.#io.upload, this.#x, this.#y, this.#io.readback]) b.destroy();
  }
}
