/**
 * The pipelined host round trip of a large batch (`forward(x, { out, chunkRows })`):
 * the batch runs in chunks through a ring of stagings (host-io.ts: upload, x, y and readback
 * buffers of one chunk each). A call that finds nothing else of its runner waiting writes every
 * chunk of x into its own staging's mapped upload buffer and submits it at once, during the call
 * (so the GPU copies in and runs chunk 0 while the host writes chunk 1, and x needs no copy:
 * forward takes x at the call), then copies each chunk's result out as soon as it is mapped,
 * while the GPU runs the later ones. A call queued behind another copies x and, when its turn
 * comes, fills the chunks from the copy through `depth` stagings: while the GPU runs chunk i the
 * host fills chunk i+1 and copies chunk i-1's result out.
 * (s17 GPU-1, H100, 512 rows of 4096 f32 in one piece: x written into the mapped buffer 0.625 ms,
 * the GPU's round trip 0.52, the result copied out 0.65, one after another: 1.81 ms.)
 *
 * Why chunks, beyond the overlap: every `getMappedRange` in Node hands out a new ArrayBuffer over
 * the mapped memory (Dawn's src/dawn/node/binding/GPUBuffer.cpp, GPUBuffer::getMappedRange:
 * `Napi::ArrayBuffer::New(env, ptr, size)`, no copy), and Node accounts such a buffer as V8
 * external memory. A mapping of 64 MiB or more at once crosses V8's external-memory soft limit
 * (64 MiB over the level at the last mark-compact), so V8 starts incremental marking for
 * "external memory pressure" and, while marking runs, does a synchronous marking step of 5-10 ms
 * inside the next such call (deps/v8/src/heap/heap.cc, Heap::ReportExternalMemoryPressure, in
 * the V8 of Node 18-20): a full garbage collection on most round trips, whose cost grows with
 * the JS heap, not with the data. Chunks of a few MiB stay far below the limit
 * (bench/readback-probe.ts counts the collections both ways).
 *
 * Nothing is created per call: the ring is created on first use and replaced only when a call
 * needs larger chunks, or more of them, than it holds.
 */
import type { Dtype } from '../manifest/program.js';
import { paddedBytes } from './buffer.js';
import * as flags from './gpu-flags.js';
import type { HeldParams } from './gpu-executor.js';
import { GpuStaging, type GpuStagingDevice, type StagingHost } from './host-io.js';
import { fromStorage } from './host-storage.js';
import { arrayError, mustBe } from './user-error.js';

/** When and how `forward` pipelines a batch: data, not constants in the logic. */
export interface HostPipeline {
  /**
   * Bytes of a one-piece round trip's result mapped and copied out at a time (a multiple of 16;
   * Infinity: all at once), each piece unmapped before the next is mapped (readInPieces).
   */
  readonly readBytes: number;
  /** Bytes of the larger of a chunk's input and result (f32 host values) at least: sets the default chunk rows. */
  readonly chunkBytes: number;
  /** Chunks of a batch at most, by default (larger chunks past that, up to maxChunkBytes). */
  readonly maxChunks: number;
  /** Bytes of a default chunk at most (more chunks past that): larger chunks were not timed, and 64 MiB views cost collections. */
  readonly maxChunkBytes: number;
  /** Batches whose larger side (input or result) is below this many bytes run in one piece. */
  readonly minBytes: number;
  /** Chunks in flight at once when a call fills them from its copy of x (queued behind another). */
  readonly depth: number;
  /**
   * Chunks a call fills and submits at the call at most (each its own staging, kept by the
   * runner); a call of more chunks copies x and goes through `depth` stagings.
   */
  readonly callChunks: number;
}

/**
 * By default a batch whose larger side (input or result) is 8 MiB or more runs in chunks of at
 * least 4 MiB, at most 4 of them (of 4096 f32 values a row: 512 rows in 2 chunks of 256, 4096
 * rows in 4 of 1024), each filled and submitted at the call (PipelinedForward.take): the GPU runs
 * a chunk while the host writes the next one, and copies the one before out. Measured on an
 * H100 (session 17, call 3, `forward(x, { out })`, one call): 512 rows in 2 chunks 1.851 ms, in 4
 * chunks of 128 2.183, in one piece 2.054 to 2.273 (five ways of reading the result); 4096 rows in
 * 8 chunks 20.06 ms (no garbage collection), in 16 of 256 23.63, in one piece 22.78 to 26.76 (two
 * collections a call). 4 chunks of 1024 against 8 of 512, same call: 18.8 against 23.1 ms (s21
 * call 3, H200), 16.98 against 20.11 and 16.10 against 21.95 (s27 calls 1 and 2, H100), hence at
 * most 4 since session 27, of at most 16 MiB (the chunks timed; larger batches take more of
 * them: 16384 rows in 16 of 1024, where 4 would be 64 MiB each, V8's external-memory limit), and
 * never more than callChunks by default (32768 rows in 16 of 2048), so that every chunk goes out at the call.
 * Batches in between (1024 to 4095 rows) and above 4096 rows were not timed.
 */
export const HOST_PIPELINE: HostPipeline = { chunkBytes: 4 << 20, maxChunks: 4, maxChunkBytes: 16 << 20, minBytes: 8 << 20, depth: 3, callChunks: 16, readBytes: 8 << 20 };

/**
 * A forward pass's result of `count` values, copied out of `readback` (mapped from byte 0 by the
 * round trip, in the storage type) into `out` (else a new array) in pieces of `plan.readBytes`:
 * each piece is viewed, copied and unmapped before the next is mapped, so that no view reaches
 * V8's 64 MiB external-memory limit (see above; a 64 MiB result mapped whole costs a garbage
 * collection on most calls). A result array the host refuses is kind 'device' (resultArray), the
 * readback unmapped all the same: left mapped, it failed the runner's next call (QA2 s19 R80).
 */
export async function readInPieces(
  readback: GPUBuffer,
  count: number,
  storage: Dtype,
  lost: Promise<never>,
  mapName: string,
  out?: Float32Array,
  plan: HostPipeline = HOST_PIPELINE,
): Promise<Float32Array> {
  let y = out;
  const bytesPerValue = storage === 'f16' ? 2 : 4;
  const step = plan.readBytes / bytesPerValue;
  // At least one piece: the readback is mapped, if only for a batch of 0 rows.
  let first = 0;
  do {
    const n = Math.min(step, count - first);
    const offset = first * bytesPerValue;
    const size = paddedBytes(n, bytesPerValue);
    if (first > 0) await Promise.race([readback.mapAsync(flags.MODE_READ, offset, size), lost]);
    try {
      y ??= resultArray(mapName, count);
      fromStorage(readback.getMappedRange(offset, size), n, storage, y.subarray(first, first + n));
    } finally {
      readback.unmap();
    }
  } while ((first += step) < count);
  return y;
}

/**
 * Where a forward pass's result array comes from when the caller passed no `out`: in Node
 * (`monc/runtime/node`) an array whose pages a helper thread has already written, when one is
 * ready (prefaulted-arrays.ts); undefined or no array ready: a new one at the call.
 */
let readyArray: ((count: number) => Float32Array | undefined) | undefined;

/** Sets (or, with undefined, clears) where result arrays come from (prefaulted-arrays.ts: node.ts installs it); returns the one before. */
export function provideResultArrays(take: typeof readyArray): typeof readyArray {
  const before = readyArray;
  readyArray = take;
  return before;
}

/** A new array of `count` values for a forward pass's result: one the host refuses is kind 'device' (QA2 s19 R80). */
function resultArray(mapName: string, count: number): Float32Array {
  try {
    return readyArray?.(count) ?? new Float32Array(count);
  } catch (e) {
    throw arrayError(mapName, 'forward: the result', e, []);
  }
}

/** Throws unless a caller's finite `chunkRows` is a positive whole number (kind `user`; forward-request.ts asks). */
export function checkChunkRows(mapName: string, chunkRows: number): void {
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw mustBe(mapName, 'chunkRows', 'a positive whole number of rows or Infinity', chunkRows);
}

/**
 * Rows per chunk for `batch` rows of a map with these sizes, or undefined for one piece:
 * `requested` (a caller's `chunkRows`; Infinity: one piece) or the pipeline's default from its
 * byte sizes; never above `maxRows` (the device's buffer limits), so a batch over them always
 * runs in chunks (GpuExecutor.run leaves such batches to this entry).
 */
export function chunkRowsFor(
  sizes: { readonly in: number; readonly out: number },
  batch: number,
  maxRows: number,
  requested: number | undefined,
  plan: HostPipeline = HOST_PIPELINE,
): number | undefined {
  const rowBytes = Math.max(sizes.in, sizes.out) * 4;
  // Larger chunks past callChunks of them, so that a default plan's chunks all go out at the call (REV27-13).
  const spread = Math.max(Math.min(Math.ceil(batch / plan.maxChunks), Math.floor(plan.maxChunkBytes / rowBytes)), Math.ceil(batch / plan.callChunks));
  const wanted = requested ?? (batch * rowBytes < plan.minBytes ? Infinity : Math.max(1, Math.floor(plan.chunkBytes / rowBytes), spread));
  return wanted < batch || batch > maxRows ? Math.min(wanted, maxRows) : undefined;
}

/** A chunk in flight: its staging, its first row, its result once mapped (viewed when copied out: GpuStaging.runDeferred). */
interface Chunk {
  readonly staging: GpuStaging;
  readonly start: number;
  readonly result: Promise<() => Float32Array>;
}

/** What a pipelined run takes at the call (take) for the queue to finish (run). */
export interface PipelinedRun {
  readonly batch: number;
  readonly out: Float32Array | undefined;
  readonly chunkRows: number;
  readonly held: HeldParams;
  /** Its chunks, filled and submitted at the call: each resolves to its mapped result. */
  readonly chunks?: readonly Chunk[];
  /** Else x as it was at the call, for the chunks to be filled from when its turn comes. */
  readonly x?: Float32Array;
}

/** The ring of chunk stagings one runner's pipelined forward passes reuse. */
export class PipelinedForward {
  #ring: GpuStaging[] = [];
  #capacity = 0;
  /**
   * take()'s reused host copy of x, lent to one run at a time (#lent). A new array per call cost
   * page faults (the H200 machine, 4096 rows of 4096 f32: 41 ms to copy x into a new array, 5.6 ms
   * into one touched before, bench/host-path.ts) and, as V8 external memory, a garbage collection.
   */
  #copy: Float32Array | undefined;
  #lent = false;
  /** Runs taken and not yet settled. */
  #busy = 0;

  constructor(
    private readonly host: StagingHost,
    private readonly gpu: GpuStagingDevice,
    /** Sets the parameters the ring's passes bind (a run's `held`) before it submits them. */
    private readonly useParams: (held: HeldParams) => void,
    private readonly plan: HostPipeline = HOST_PIPELINE,
  ) {}

  /**
   * A run of `batch` rows of `x` as x is now (forward takes x at the call). When nothing else
   * of the runner waits (no run holds `held`, the parameters it will read, and no run of the ring
   * is unsettled) and x is a typed array, every chunk is written into its own staging's mapped
   * upload buffer and submitted now, so the GPU starts on chunk 0 while the host writes chunk 1,
   * and no copy of x is made. Otherwise x is copied into the ring's reused array (a new one while
   * a run holds it) and the chunks are filled from the copy when the run's turn comes. A take
   * that throws (the host refused the copy) leaves the ring as it found it.
   */
  take(x: ArrayLike<number>, batch: number, out: Float32Array | undefined, chunkRows: number, held: HeldParams): PipelinedRun {
    const run = { batch, out, chunkRows, held };
    const idle = this.#busy === 0 && held.waiting === 0 && ArrayBuffer.isView(x);
    const chunks = idle ? this.#submitNow(x as Float32Array, batch, chunkRows, held) : undefined;
    const taken = chunks ? { ...run, chunks } : { ...run, x: this.#copyOf(x) };
    this.#busy++;
    return taken;
  }

  /** x copied into take()'s reused array, lent to this run, or into a new one while another run holds it. */
  #copyOf(x: ArrayLike<number>): Float32Array {
    if (this.#lent) return new Float32Array(x);
    if (!(this.#copy && this.#copy.length >= x.length)) this.#copy = new Float32Array(x.length);
    const copy = this.#copy.subarray(0, x.length);
    copy.set(x);
    this.#lent = true;
    return copy;
  }

  /** Each chunk filled from `x` and submitted, one staging each, or undefined when a staging is not ready to lend now. */
  #submitNow(x: Float32Array, batch: number, chunkRows: number, held: HeldParams): PipelinedRun['chunks'] {
    const count = Math.ceil(batch / chunkRows);
    if (count > this.plan.callChunks) return undefined;
    try {
      const ring = this.#ringFor(chunkRows, count).slice(0, count);
      if (!ring.every((s) => s.ready)) return undefined;
      const n = this.host.map.in;
      this.useParams(held);
      return ring.map((staging, i) => {
        const start = i * chunkRows;
        const rows = Math.min(chunkRows, batch - start);
        staging.fillNow(x.subarray(start * n, (start + rows) * n), rows);
        const result = staging.runDeferred();
        result.catch(() => undefined);
        return { staging, start, result };
      });
    } catch {
      // A staging the device refused (short of memory) or a mapping it refused (lost since the runner's check): the
      // stagings and chunks made so far are dropped with the ring, and the run copies x and tries again in its turn
      // (failing there, with the device's error, as every call on that device does while it refuses).
      this.destroy();
      return undefined;
    }
  }

  /**
   * Y for a taken run into its `out` (else a new array): each chunk's result copied out as soon as
   * it is mapped, while the GPU runs the later chunks. One call at a time: the caller serialises
   * them (take()'s reused copy is free again once this settles).
   */
  async run(taken: PipelinedRun): Promise<Float32Array> {
    const m = this.host.map.out;
    let y: Float32Array;
    const chunks = [...(taken.chunks ?? [])];
    let next = 0;
    // The next chunk's result copied out, its staging free again.
    const drain = async () => {
      const { staging, start, result } = chunks[next++];
      y.set((await result)(), start * m);
      staging.release();
    };
    try {
      // In the try: a result the host refuses drops the chunks submitted at the call like a failed chunk (QA2 s19 R80).
      y = taken.out ?? resultArray(this.host.map.name, taken.batch * m);
      if (!taken.chunks) {
        this.useParams(taken.held);
        await this.#fill(taken.x!, taken.batch, taken.chunkRows, chunks, drain);
      }
      while (next < chunks.length) await drain();
      return y;
    } catch (e) {
      // A failed chunk leaves the others mid-flight: let them settle, then start afresh next call.
      await Promise.allSettled(chunks.map((c) => c.result));
      this.destroy();
      throw e;
    } finally {
      this.#busy--;
      if (taken.x?.buffer === this.#copy?.buffer) this.#lent = false;
    }
  }

  /**
   * Fills and submits the chunks of `x` through `depth` stagings (pushed to `chunks`), each
   * staging once `drain` copied out the chunk it ran before: depth - 1 chunks stay on the GPU
   * while the host fills the next one.
   */
  async #fill(x: Float32Array, batch: number, chunkRows: number, chunks: Chunk[], drain: () => Promise<void>): Promise<void> {
    const ring = this.#ringFor(chunkRows, 1).slice(0, this.plan.depth);
    const n = this.host.map.in;
    for (let start = 0, i = 0; start < batch; start += chunkRows, i++) {
      const count = Math.min(chunkRows, batch - start);
      const staging = ring[i % ring.length];
      if (i >= ring.length) await drain();
      (await staging.input(count)).set(x.subarray(start * n, (start + count) * n));
      const result = staging.runDeferred();
      result.catch(() => undefined);
      chunks.push({ staging, start, result });
    }
  }

  /**
   * The ring: at least `count` stagings of at least `rows` rows, replaced only when it holds fewer
   * or smaller ones. Each staging joins the ring as it is made, so that destroy() frees those made
   * before one the device refuses (the ring's capacity then stays 0: the next call makes it anew).
   */
  #ringFor(rows: number, count: number): GpuStaging[] {
    if (this.#ring.length >= count && rows <= this.#capacity) return this.#ring;
    this.destroy();
    while (this.#ring.length < Math.max(count, this.plan.depth)) this.#ring.push(new GpuStaging(this.host, rows, this.gpu));
    this.#capacity = rows;
    return this.#ring;
  }

  destroy(): void {
    for (const s of this.#ring) s.destroy();
    this.#ring = [];
    this.#capacity = 0;
  }
}
