/**
 * The pipelined host round trip of a large batch (`forward(x, { out, chunkRows })`):
 * the batch runs in chunks through a ring of stagings (host-io.ts: upload, x, y and readback
 * buffers of one chunk each), so that while the GPU copies in, runs and copies out chunk i, the
 * host fills chunk i+1 into its mapped upload buffer and copies chunk i-1's mapped result out.
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
 * needs larger chunks than it holds.
 */
import type { Dtype } from '../manifest/program.js';
import { paddedBytes } from './buffer.js';
import * as flags from './gpu-flags.js';
import { GpuStaging, type GpuStagingDevice, type StagingHost } from './host-io.js';
import { fromStorage } from './host-storage.js';
import { mustBe, shown } from './user-error.js';

/** When and how `forward` pipelines a batch: data, not constants in the logic. */
export interface HostPipeline {
  /**
   * Bytes of a one-piece round trip's result mapped and copied out at a time (a multiple of 16;
   * Infinity: all at once), each piece unmapped before the next is mapped (readInPieces).
   */
  readonly readBytes: number;
  /** Bytes of the larger of a chunk's input and result (f32 host values): sets the default chunk rows. */
  readonly chunkBytes: number;
  /** Batches whose larger side (input or result) is below this many bytes run in one piece. */
  readonly minBytes: number;
  /** Chunks in flight at once (the ring's stagings). */
  readonly depth: number;
}

/**
 * By default no batch is pipelined unless the caller gives `chunkRows` (`minBytes` Infinity):
 * whether it beats the one-piece round trip on a real GPU (it avoids the garbage collections,
 * and adds a mapping round trip per chunk) is for bench/host-path.ts to settle on the H200
 * (`out:whole` against `out:R`). The candidate setting: from `PIPELINE_FROM_BYTES`, where one
 * mapping alone crosses V8's external-memory limit, in chunks of 8 MiB (512 rows of a
 * 4096-wide map).
 */
export const PIPELINE_FROM_BYTES = 64 << 20;
export const HOST_PIPELINE: HostPipeline = { chunkBytes: 8 << 20, minBytes: Infinity, depth: 3, readBytes: 8 << 20 };

/**
 * A forward pass's result of `count` values, copied out of `readback` (mapped from byte 0 by the
 * round trip, in the storage type) into `out` (else a new array) in pieces of `plan.readBytes`:
 * each piece is viewed, copied and unmapped before the next is mapped, so that no view reaches
 * V8's 64 MiB external-memory limit (see above; a 64 MiB result mapped whole costs a garbage
 * collection on most calls).
 */
export async function readInPieces(
  readback: GPUBuffer,
  count: number,
  storage: Dtype,
  lost: Promise<never>,
  out?: Float32Array,
  plan: HostPipeline = HOST_PIPELINE,
): Promise<Float32Array> {
  const y = out ?? new Float32Array(count);
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
      fromStorage(readback.getMappedRange(offset, size), n, storage, y.subarray(first, first + n));
    } finally {
      readback.unmap();
    }
  } while ((first += step) < count);
  return y;
}

/** Throws unless a caller's finite `chunkRows` is a positive whole number (kind `user`; forward-request.ts asks). */
export function checkChunkRows(mapName: string, chunkRows: number): void {
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw mustBe(mapName, 'chunkRows', 'a positive whole number of rows or Infinity', shown(chunkRows));
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
  const wanted = requested ?? (batch * rowBytes < plan.minBytes ? Infinity : Math.max(1, Math.floor(plan.chunkBytes / rowBytes)));
  return wanted < batch || batch > maxRows ? Math.min(wanted, maxRows) : undefined;
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

  constructor(
    private readonly host: StagingHost,
    private readonly gpu: GpuStagingDevice,
    private readonly depth = HOST_PIPELINE.depth,
  ) {}

  /**
   * `x` as it is now, for a run() called later (forward takes x at the call, and run() reads it
   * while earlier chunks run): copied into the reused copy, grown if need be, unless a run still
   * holds it (then into a new array). The run of the reused copy gives it back when it settles.
   */
  take(x: ArrayLike<number>): Float32Array {
    if (this.#lent) return new Float32Array(x);
    this.#lent = true;
    if (!(this.#copy && this.#copy.length >= x.length)) this.#copy = new Float32Array(x.length);
    const copy = this.#copy.subarray(0, x.length);
    copy.set(x);
    return copy;
  }

  /**
   * Y for `batch` rows of `x` into `y`, in chunks of `chunkRows` rows (x already checked by the
   * caller; take()'s reused copy is free again once this settles). One call at a time: the caller
   * serialises them.
   */
  async run(x: Float32Array, batch: number, out: Float32Array | undefined, chunkRows: number): Promise<Float32Array> {
    const ring = this.#ringFor(chunkRows);
    const { in: n, out: m } = this.host.map;
    const y = out ?? new Float32Array(batch * m);
    const inFlight: { run: Promise<Float32Array>; start: number }[] = [];
    const drain = async () => {
      const { run, start } = inFlight.shift()!;
      y.set(await run, start * m);
    };
    try {
      for (let start = 0, i = 0; start < batch; start += chunkRows, i++) {
        const count = Math.min(chunkRows, batch - start);
        const staging = ring[i % ring.length];
        // Its previous chunk was drained below before this slot came round again.
        (await staging.input(count)).set(x.subarray(start * n, (start + count) * n));
        const run = staging.run();
        run.catch(() => undefined);
        inFlight.push({ run, start });
        // Keep depth - 1 chunks on the GPU while the host fills the next one.
        if (inFlight.length >= ring.length) await drain();
      }
      while (inFlight.length > 0) await drain();
      return y;
    } catch (e) {
      // A failed chunk leaves the others mid-flight: let them settle, then start afresh next call.
      await Promise.allSettled(inFlight.map((c) => c.run));
      this.destroy();
      throw e;
    } finally {
      if (x.buffer === this.#copy?.buffer) this.#lent = false;
    }
  }

  /** The ring, created (or replaced by larger stagings) only when `rows` exceeds what it holds. */
  #ringFor(rows: number): GpuStaging[] {
    if (this.#ring.length > 0 && rows <= this.#capacity) return this.#ring;
    this.destroy();
    this.#ring = Array.from({ length: this.depth }, () => new GpuStaging(this.host, rows, this.gpu));
    this.#capacity = rows;
    return this.#ring;
  }

  destroy(): void {
    for (const s of this.#ring) s.destroy();
    this.#ring = [];
    this.#capacity = 0;
  }
}
