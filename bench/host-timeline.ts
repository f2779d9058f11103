/**
 * Per-chunk timelines of a stream of round trips (host-path.ts' phases, issue 11): where the
 * time of `batch` rows in chunks of `rows` goes, on the host and on the GPU's clock. The stream
 * runs as a ring of `depth` stagings runs it (host-io.ts: per chunk, the upload buffer mapped,
 * the rows written into it, one submission of copy in, kernels, copy out, the readback mapped,
 * the result read), on buffers of its own so that each part can be stamped on the GPU.
 *
 * The question it answers: does one WebGPU queue overlap chunk i's copy out (device to host)
 * with chunk i+1's copy in (host to device)? PCIe is full duplex, so that overlap is the only
 * way for a round trip to beat PyTorch's pinned one (serial H2D, kernels, D2H) where the upload
 * buffer is host memory (the H100s of sessions 13 and 16: copy in 1.31 ms for 64 MiB).
 * Stamps: Dawn writes a pass's end stamp once every earlier command of the queue has finished
 * (VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, CommandBufferVk.cpp), its beginning stamp when the queue
 * reaches it (TOP_OF_PIPE: not after earlier copies), so only end stamps of empty passes are used,
 * each where the next command waits for what came before anyway (a stamp must not add a wait):
 * S before chunk 0's copy in; A_i after chunk i's copy in, and in order 'one' after chunk i-1's
 * copy out (which precedes it there); K_i after chunk i's kernels; E after the last copy out.
 * A_(i+1) - K_i spans chunk i's copy out and chunk i+1's copy in: their sum when one waits for
 * the other, the larger of the two when they overlap (compare A_0 - S, a copy in alone, and
 * E - K_last, a copy out alone).
 *
 * `order`:
 *   staging    one submission per chunk (copy in, kernels, copy out), as GpuStaging.run(), through
 *              `depth` slots: chunk i once chunk i - depth was read (a stream of stagings)
 *   pipelined  one submission per chunk, a slot each, every chunk written and submitted first, then
 *              each read in turn (forward(x, { out })'s chunked round trip, PipelinedForward)
 *   one        every chunk in one submission in the order in0 k0 in1 out0 k1 in2 out1 ...
 *              (host-path's gpuChunks), the whole batch mapped once after it
 * `copies: false` leaves out the host's copies (the views are still mapped and unmapped, as a
 * staging's are): a stream's round trips alone, as host-path's streamRun times them.
 */
/** One chunk's timeline: host times from the stream's start, GPU stamps from its first stamp (ms). */
export interface ChunkTimeline {
  /** Waiting for the upload buffer to be mapped again (the GPU done reading it). */
  uploadWaitMs: number;
  /** Writing the chunk's rows into the mapped upload view. */
  hostWriteMs: number;
  /** When the submission carrying the chunk was made (host). */
  submitAtMs: number;
  /** The host's time recording, finishing and submitting it and calling mapAsync (order 'one': the whole batch's). */
  submitCpuMs: number;
  /** Waiting for its result to be mapped, from when the host asked for it. */
  readWaitMs: number;
  /** When its result was seen mapped (host). */
  mappedAtMs: number;
  /** Copying the mapped result into the caller's array. */
  hostReadMs: number;
  /** GPU: its copy in done (A_i - S), its kernels done (K_i - S). */
  gpuInDoneMs: number;
  gpuKernelsDoneMs: number;
}

export type TimelineOrder = 'staging' | 'pipelined' | 'one';

export interface StreamTimeline {
  order: TimelineOrder;
  copies: boolean;
  rows: number;
  depth: number;
  /** Medians over the repeats. */
  wallMs: number;
  /** E - S (GPU clock). */
  gpuSpanMs: number;
  /** A_0 - S: chunk 0's copy in, alone. E - K_last: the last copy out, alone. */
  firstCopyInMs: number;
  lastCopyOutMs: number;
  /** Median over i of A_(i+1) - K_i: a copy out and the next copy in (firstCopyInMs + lastCopyOutMs if serial). */
  pairedCopiesMs: number;
  /** Median over chunks of K_i - A_i. */
  kernelsMs: number;
  chunks: ChunkTimeline[];
}

interface Slot {
  upload: GPUBuffer;
  x: GPUBuffer;
  y: GPUBuffer;
  readback: GPUBuffer;
  uploadMapped: Promise<void>;
}

const usage = () => GPUBufferUsage;

function medianOf(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Times `repeats` streams of `x` (`batch` rows of `inSize`) in chunks of `rows` through `depth`
 * slots (order 'one': a slot per chunk, one submission), with `encode` recording the forward
 * pass's dispatches into a pass. Needs 'timestamp-query'. `out`: the last stream's result, to check.
 */
export async function streamTimeline(
  device: GPUDevice,
  encode: (pass: GPUComputePassEncoder, x: GPUBuffer, y: GPUBuffer, rows: number) => void,
  sizes: { inSize: number; outSize: number },
  x: Float32Array,
  batch: number,
  rows: number,
  depth: number,
  order: TimelineOrder,
  repeats: number,
  copies = true,
): Promise<{ timeline: StreamTimeline; out: Float32Array }> {
  const chunks = Math.ceil(batch / rows);
  const count = (i: number) => Math.min(rows, batch - i * rows);
  const slotCount = order === 'staging' ? Math.min(depth, chunks) : chunks;
  const u = usage();
  const slots: Slot[] = Array.from({ length: slotCount }, () => ({
    upload: device.createBuffer({ size: rows * sizes.inSize * 4, usage: u.MAP_WRITE | u.COPY_SRC, mappedAtCreation: true }),
    x: device.createBuffer({ size: rows * sizes.inSize * 4, usage: u.STORAGE | u.COPY_DST }),
    y: device.createBuffer({ size: rows * sizes.outSize * 4, usage: u.STORAGE | u.COPY_SRC }),
    readback: device.createBuffer({ size: rows * sizes.outSize * 4, usage: u.MAP_READ | u.COPY_DST }),
    uploadMapped: Promise.resolve(),
  }));
  // S = 0, A_i = 1 + 2i, K_i = 2 + 2i, E = last.
  const stamps = 2 * chunks + 2;
  const querySet = device.createQuerySet({ type: 'timestamp', count: stamps });
  const resolved = device.createBuffer({ size: stamps * 8, usage: u.QUERY_RESOLVE | u.COPY_SRC });
  const read = device.createBuffer({ size: stamps * 8, usage: u.MAP_READ | u.COPY_DST });
  const out = new Float32Array(batch * sizes.outSize);
  const stamp = (e: GPUCommandEncoder, index: number, body?: (pass: GPUComputePassEncoder) => void) => {
    const pass = e.beginComputePass({ timestampWrites: { querySet, endOfPassWriteIndex: index } });
    body?.(pass);
    pass.end();
  };
  const copyIn = (e: GPUCommandEncoder, i: number) => e.copyBufferToBuffer(slotOf(i).upload, 0, slotOf(i).x, 0, count(i) * sizes.inSize * 4);
  const kernels = (e: GPUCommandEncoder, i: number) => stamp(e, 2 + 2 * i, (pass) => encode(pass, slotOf(i).x, slotOf(i).y, count(i)));
  const copyOut = (e: GPUCommandEncoder, i: number) => e.copyBufferToBuffer(slotOf(i).y, 0, slotOf(i).readback, 0, count(i) * sizes.outSize * 4);
  function slotOf(i: number): Slot {
    return slots[i % slotCount];
  }
  const host = Array.from({ length: chunks }, () => ({
    uploadWaitMs: [] as number[],
    hostWriteMs: [] as number[],
    submitAtMs: [] as number[],
    submitCpuMs: [] as number[],
    mappedAtMs: [] as number[],
    readWaitMs: [] as number[],
    hostReadMs: [] as number[],
  }));
  const gpu = Array.from({ length: chunks }, () => ({ inDone: [] as number[], kernelsDone: [] as number[] }));
  const totals = { wall: [] as number[], span: [] as number[], firstIn: [] as number[], lastOut: [] as number[], paired: [] as number[], kernels: [] as number[] };
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const at = () => performance.now() - t0;
    const mapped: Promise<void>[] = [];
    const fill = async (i: number, s: Slot) => {
      const w = at();
      await s.uploadMapped;
      const f = at();
      const view = new Float32Array(s.upload.getMappedRange(0, count(i) * sizes.inSize * 4));
      // Without copies the rows are written in the first repeat and again in the last (whose result is copied out to be
      // checked: a slot of a ring holds a later chunk's rows by then); the medians over the repeats stand apart from those two.
      if (copies || r === 0 || r === repeats - 1) view.set(x.subarray(i * rows * sizes.inSize, (i * rows + count(i)) * sizes.inSize));
      s.upload.unmap();
      host[i].uploadWaitMs.push(f - w);
      host[i].hostWriteMs.push(at() - f);
    };
    const readOut = async (i: number, s: Slot) => {
      const w = at();
      await mapped[i];
      const t = at();
      const view = new Float32Array(s.readback.getMappedRange(0, count(i) * sizes.outSize * 4));
      // Without copies only the last repeat's result is copied out (for the caller's check).
      if (copies || r === repeats - 1) out.set(view, i * rows * sizes.outSize);
      s.readback.unmap();
      host[i].readWaitMs.push(t - w);
      host[i].hostReadMs.push(at() - t);
    };
    const watch = (i: number, s: Slot) =>
      (mapped[i] = s.readback.mapAsync(GPUMapMode.READ, 0, count(i) * sizes.outSize * 4).then(() => void host[i].mappedAtMs.push(at())));
    // Chunk i's own submission (copy in, kernels, copy out), then its slot's buffers mapped again.
    const submit = (i: number, s: Slot) => {
      const from = at();
      const e = device.createCommandEncoder();
      if (i === 0) stamp(e, 0);
      copyIn(e, i);
      stamp(e, 1 + 2 * i);
      kernels(e, i);
      copyOut(e, i);
      if (i === chunks - 1) stamp(e, stamps - 1);
      const finished = e.finish();
      host[i].submitAtMs.push(at());
      device.queue.submit([finished]);
      s.uploadMapped = s.upload.mapAsync(GPUMapMode.WRITE);
      watch(i, s);
      host[i].submitCpuMs.push(at() - from);
    };
    if (order === 'staging') {
      for (let i = 0; i < chunks; i++) {
        const s = slots[i % slotCount];
        if (i >= slotCount) await readOut(i - slotCount, s);
        await fill(i, s);
        submit(i, s);
      }
      for (let i = Math.max(0, chunks - slotCount); i < chunks; i++) await readOut(i, slots[i % slotCount]);
    } else if (order === 'pipelined') {
      for (let i = 0; i < chunks; i++) {
        await fill(i, slots[i]);
        submit(i, slots[i]);
      }
      for (let i = 0; i < chunks; i++) await readOut(i, slots[i]);
    } else {
      for (let i = 0; i < chunks; i++) await fill(i, slots[i]);
      const e = device.createCommandEncoder();
      stamp(e, 0);
      copyIn(e, 0);
      stamp(e, 1);
      for (let i = 0; i < chunks; i++) {
        kernels(e, i);
        if (i + 1 < chunks) copyIn(e, i + 1);
        copyOut(e, i);
        stamp(e, i + 1 < chunks ? 3 + 2 * i : stamps - 1);
      }
      const finished = e.finish();
      const submitAt = at();
      device.queue.submit([finished]);
      slots.forEach((s, i) => {
        host[i].submitAtMs.push(submitAt);
        s.uploadMapped = s.upload.mapAsync(GPUMapMode.WRITE);
        watch(i, s);
      });
      const submitted = at() - submitAt;
      host.forEach((h) => h.submitCpuMs.push(submitted));
      for (let i = 0; i < chunks; i++) await readOut(i, slots[i]);
    }
    totals.wall.push(at());
    const e = device.createCommandEncoder();
    e.resolveQuerySet(querySet, 0, stamps, resolved, 0);
    e.copyBufferToBuffer(resolved, 0, read, 0, stamps * 8);
    device.queue.submit([e.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const t = new BigInt64Array(read.getMappedRange().slice(0));
    read.unmap();
    const ms = (k: number) => Number(t[k] - t[0]) / 1e6;
    const paired: number[] = [];
    for (let i = 0; i < chunks; i++) {
      gpu[i].inDone.push(ms(1 + 2 * i));
      gpu[i].kernelsDone.push(ms(2 + 2 * i));
      if (i + 1 < chunks) paired.push(ms(3 + 2 * i) - ms(2 + 2 * i));
    }
    totals.span.push(ms(stamps - 1));
    totals.firstIn.push(ms(1));
    totals.lastOut.push(ms(stamps - 1) - ms(stamps - 2));
    totals.paired.push(paired.length ? medianOf(paired) : NaN);
    totals.kernels.push(medianOf(gpu.map((g) => g.kernelsDone[r] - g.inDone[r])));
  }
  await Promise.all(slots.map((s) => s.uploadMapped));
  for (const s of slots) for (const b of [s.upload, s.x, s.y, s.readback]) b.destroy();
  for (const b of [resolved, read]) b.destroy();
  querySet.destroy();
  const chunkTimes: ChunkTimeline[] = host.map((h, i) => ({
    uploadWaitMs: medianOf(h.uploadWaitMs),
    hostWriteMs: medianOf(h.hostWriteMs),
    submitAtMs: medianOf(h.submitAtMs),
    submitCpuMs: medianOf(h.submitCpuMs),
    mappedAtMs: medianOf(h.mappedAtMs),
    readWaitMs: medianOf(h.readWaitMs),
    hostReadMs: medianOf(h.hostReadMs),
    gpuInDoneMs: medianOf(gpu[i].inDone),
    gpuKernelsDoneMs: medianOf(gpu[i].kernelsDone),
  }));
  const timeline = {
    order,
    copies,
    rows,
    depth: slotCount,
    wallMs: medianOf(totals.wall),
    gpuSpanMs: medianOf(totals.span),
    firstCopyInMs: medianOf(totals.firstIn),
    lastCopyOutMs: medianOf(totals.lastOut),
    pairedCopiesMs: medianOf(totals.paired),
    kernelsMs: medianOf(totals.kernels),
    chunks: chunkTimes,
  };
  return { timeline, out };
}
