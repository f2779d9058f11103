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
 * Dawn writes every timestamp after all earlier commands of the queue have finished, so a stamp
 * is a completion front: chunk i+1's copy-in interval (the stamp after it minus the stamp
 * before it) shrinks below chunk 0's when its copy ran beside chunk i's copy out.
 *
 * `order`:
 *   staging  one submission per chunk (copy in, kernels, copy out), as GpuStaging.run()
 *   one      every chunk in one submission in the order in0 k0 in1 out0 k1 in2 out1 ...
 *            (host-path's gpuChunks), the whole batch mapped once after it
 */
/** One chunk's timeline: host times from the stream's start, GPU stamps from its first stamp (ms). */
export interface ChunkTimeline {
  /** Waiting for the upload buffer to be mapped again (the GPU done reading it). */
  uploadWaitMs: number;
  /** Writing the chunk's rows into the mapped upload view. */
  hostWriteMs: number;
  /** When the submission carrying the chunk was made (host). */
  submitAtMs: number;
  /** When its result was seen mapped (host). */
  mappedAtMs: number;
  /** Copying the mapped result into the caller's array. */
  hostReadMs: number;
  /** GPU: all work before the copy in done, copy in done, kernels done, copy out done. */
  gpuInStartMs: number;
  gpuInEndMs: number;
  gpuKernelsEndMs: number;
  gpuOutEndMs: number;
}

export interface StreamTimeline {
  order: 'staging' | 'one';
  rows: number;
  depth: number;
  /** Medians over the repeats. */
  wallMs: number;
  /** First stamp to last (GPU clock). */
  gpuSpanMs: number;
  /** The sum of every chunk's copy in, kernels and copy out intervals: gpuSpanMs when nothing overlaps. */
  gpuPartsMs: number;
  /** Copy-in intervals of chunk 0 (nothing before it to overlap) and the median of the others. */
  firstCopyInMs: number;
  laterCopyInMs: number;
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
  order: 'staging' | 'one',
  repeats: number,
): Promise<{ timeline: StreamTimeline; out: Float32Array }> {
  const chunks = Math.ceil(batch / rows);
  const count = (i: number) => Math.min(rows, batch - i * rows);
  const slotCount = order === 'one' ? chunks : Math.min(depth, chunks);
  const u = usage();
  const slots: Slot[] = Array.from({ length: slotCount }, () => ({
    upload: device.createBuffer({ size: rows * sizes.inSize * 4, usage: u.MAP_WRITE | u.COPY_SRC, mappedAtCreation: true }),
    x: device.createBuffer({ size: rows * sizes.inSize * 4, usage: u.STORAGE | u.COPY_DST }),
    y: device.createBuffer({ size: rows * sizes.outSize * 4, usage: u.STORAGE | u.COPY_SRC }),
    readback: device.createBuffer({ size: rows * sizes.outSize * 4, usage: u.MAP_READ | u.COPY_DST }),
    uploadMapped: Promise.resolve(),
  }));
  const stamps = 4 * chunks;
  const querySet = device.createQuerySet({ type: 'timestamp', count: stamps });
  const resolved = device.createBuffer({ size: stamps * 8, usage: u.QUERY_RESOLVE | u.COPY_SRC });
  const read = device.createBuffer({ size: stamps * 8, usage: u.MAP_READ | u.COPY_DST });
  const out = new Float32Array(batch * sizes.outSize);
  const stamped = (e: GPUCommandEncoder, timestampWrites: GPUComputePassTimestampWrites, body?: (pass: GPUComputePassEncoder) => void) => {
    const pass = e.beginComputePass({ timestampWrites });
    body?.(pass);
    pass.end();
  };
  // The parts of chunk i, each bracketed by stamps 4i .. 4i+3 (slot = the chunk's buffers).
  const copyIn = (e: GPUCommandEncoder, i: number, s: Slot) => {
    stamped(e, { querySet, endOfPassWriteIndex: 4 * i });
    e.copyBufferToBuffer(s.upload, 0, s.x, 0, count(i) * sizes.inSize * 4);
  };
  const kernels = (e: GPUCommandEncoder, i: number, s: Slot) =>
    stamped(e, { querySet, beginningOfPassWriteIndex: 4 * i + 1, endOfPassWriteIndex: 4 * i + 2 }, (pass) => encode(pass, s.x, s.y, count(i)));
  const copyOut = (e: GPUCommandEncoder, i: number, s: Slot) => {
    e.copyBufferToBuffer(s.y, 0, s.readback, 0, count(i) * sizes.outSize * 4);
    stamped(e, { querySet, beginningOfPassWriteIndex: 4 * i + 3 });
  };
  const host = Array.from({ length: chunks }, () => ({ uploadWaitMs: [] as number[], hostWriteMs: [] as number[], submitAtMs: [] as number[], mappedAtMs: [] as number[], hostReadMs: [] as number[] }));
  const gpu = Array.from({ length: chunks }, () => [[], [], [], []] as number[][]);
  const totals = { wall: [] as number[], span: [] as number[], parts: [] as number[] };
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const at = () => performance.now() - t0;
    const mapped: Promise<void>[] = [];
    const fill = async (i: number, s: Slot) => {
      const w = at();
      await s.uploadMapped;
      const f = at();
      new Float32Array(s.upload.getMappedRange(0, count(i) * sizes.inSize * 4)).set(x.subarray(i * rows * sizes.inSize, (i * rows + count(i)) * sizes.inSize));
      s.upload.unmap();
      host[i].uploadWaitMs.push(f - w);
      host[i].hostWriteMs.push(at() - f);
    };
    const readOut = async (i: number, s: Slot) => {
      await mapped[i];
      const t = at();
      out.set(new Float32Array(s.readback.getMappedRange(0, count(i) * sizes.outSize * 4)), i * rows * sizes.outSize);
      s.readback.unmap();
      host[i].hostReadMs.push(at() - t);
    };
    const watch = (i: number, s: Slot) =>
      (mapped[i] = s.readback.mapAsync(GPUMapMode.READ, 0, count(i) * sizes.outSize * 4).then(() => void host[i].mappedAtMs.push(at())));
    if (order === 'staging') {
      for (let i = 0; i < chunks; i++) {
        const s = slots[i % slotCount];
        if (i >= slotCount) await readOut(i - slotCount, s);
        await fill(i, s);
        const e = device.createCommandEncoder();
        copyIn(e, i, s);
        kernels(e, i, s);
        copyOut(e, i, s);
        host[i].submitAtMs.push(at());
        device.queue.submit([e.finish()]);
        s.uploadMapped = s.upload.mapAsync(GPUMapMode.WRITE);
        watch(i, s);
      }
      for (let i = Math.max(0, chunks - slotCount); i < chunks; i++) await readOut(i, slots[i % slotCount]);
    } else {
      for (let i = 0; i < chunks; i++) await fill(i, slots[i]);
      const e = device.createCommandEncoder();
      slots.forEach((s, i) => {
        if (i === 0) copyIn(e, 0, s);
        kernels(e, i, s);
        if (i + 1 < chunks) copyIn(e, i + 1, slots[i + 1]);
        copyOut(e, i, s);
      });
      const submitAt = at();
      device.queue.submit([e.finish()]);
      slots.forEach((s, i) => {
        host[i].submitAtMs.push(submitAt);
        s.uploadMapped = s.upload.mapAsync(GPUMapMode.WRITE);
        watch(i, s);
      });
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
    let first = t[0];
    for (const v of t) if (v < first) first = v;
    const ms = (k: number) => Number(t[k] - first) / 1e6;
    let parts = 0;
    let last = 0;
    for (let i = 0; i < chunks; i++) {
      for (let k = 0; k < 4; k++) gpu[i][k].push(ms(4 * i + k));
      parts += ms(4 * i + 3) - ms(4 * i);
      last = Math.max(last, ms(4 * i + 3));
    }
    totals.span.push(last);
    totals.parts.push(parts);
  }
  await Promise.all(slots.map((s) => s.uploadMapped));
  for (const s of slots) for (const b of [s.upload, s.x, s.y, s.readback]) b.destroy();
  for (const b of [resolved, read]) b.destroy();
  querySet.destroy();
  const chunkTimes: ChunkTimeline[] = host.map((h, i) => ({
    uploadWaitMs: medianOf(h.uploadWaitMs),
    hostWriteMs: medianOf(h.hostWriteMs),
    submitAtMs: medianOf(h.submitAtMs),
    mappedAtMs: medianOf(h.mappedAtMs),
    hostReadMs: medianOf(h.hostReadMs),
    gpuInStartMs: medianOf(gpu[i][0]),
    gpuInEndMs: medianOf(gpu[i][1]),
    gpuKernelsEndMs: medianOf(gpu[i][2]),
    gpuOutEndMs: medianOf(gpu[i][3]),
  }));
  const copyIns = gpu.map((g) => medianOf(g[1].map((end, k) => end - g[0][k])));
  const timeline = {
    order,
    rows,
    depth: slotCount,
    wallMs: medianOf(totals.wall),
    gpuSpanMs: medianOf(totals.span),
    gpuPartsMs: medianOf(totals.parts),
    firstCopyInMs: copyIns[0],
    laterCopyInMs: copyIns.length > 1 ? medianOf(copyIns.slice(1)) : copyIns[0],
    chunks: chunkTimes,
  };
  return { timeline, out };
}
