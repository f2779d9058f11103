/**
 * Hand-made forward(x, { out }) round trips (host-path.ts' lean:WAY:R modes, issue 11's B = 512 target): the batch in
 * chunks of R rows, each with buffers of its own made once, every chunk's input sent and submitted at the call, then
 * each result mapped and copied into `out` in turn, as PipelinedForward does (pipelined-forward.ts), with none of the
 * runtime's JS around it (no staging state machine, no device-lost races, no per-call checks). Against `out:R` it
 * says what the runtime's own JS costs per chunk; between its two ways it says how x should reach the device:
 *   map   x written into a mapped MAP_WRITE upload buffer, unmapped, copied on the GPU (the runtime's way), the
 *         upload mapped again right after the submit
 *   wb    queue.writeBuffer of x's rows straight into the device buffer: Dawn copies them into its own staging
 *         (a ring of 4 MiB; a write larger than that gets a staging buffer made for it, which is why s27/s28's
 *         writeBufferMs of 8 MiB at once took 5-8 ms): no mapping, no unmap, no mapAsync of the upload
 * Each chunk's CPU at the call is timed apart (lean cpu: the send of x, recording + finish, submit, the mapAsync
 * calls; then per chunk the wait for its mapping and the copy out), medians over the timed calls.
 * Session 29 call 1 (H100, Xeon VM, 512 rows of 4096 f32, two rounds; bench/results/s29/call-1/host): lean:map:256
 * 1.964 / 2.165 ms against out 2.310 / 2.229, its wall the sum of its parts (copies 1.57-1.69, Dawn's record + submit
 * + mapAsync calls 0.12-0.15 a chunk, waits 0.03-0.04): the runtime's own JS is 0.02-0.25 ms a call, the rest is the
 * two copies at one thread's memory bandwidth. wb lost: 2 MiB chunks 2.359 / 2.422 (= map), 4 MiB chunks 7.5-8.5 ms
 * (3.3-3.7 ms a send: two 4 MiB writes in flight overflow the ring).
 */
import type { MapRunner } from '../src/runtime/map-runner.js';
import type { Mode } from './host-modes.js';

export type LeanWay = 'map' | 'wb';

type LeanPart = 'send' | 'record' | 'submit' | 'mapCalls' | 'wait' | 'copyOut';

/** One lean mode's per-chunk CPU parts: each part's median (ms) and how many chunks it was timed over. */
export interface LeanCpu {
  readonly ms: Record<LeanPart, number>;
  readonly samples: Record<LeanPart, number>;
}

interface LeanChunk {
  readonly start: number;
  readonly rows: number;
  readonly x: GPUBuffer;
  readonly y: GPUBuffer;
  readonly upload?: GPUBuffer;
  readonly readback: GPUBuffer;
  uploadMapped?: Promise<void>;
}

export function leanPipeline(device: GPUDevice, runner: MapRunner, x: Float32Array, batch: number, rows: number, way: LeanWay, out: Float32Array): { mode: Mode; cpu: () => LeanCpu; destroy: () => void } {
  const { in: n, out: m } = runner;
  const usage = GPUBufferUsage;
  const chunks: LeanChunk[] = Array.from({ length: Math.ceil(batch / rows) }, (_, i) => {
    const count = Math.min(rows, batch - i * rows);
    const chunk: LeanChunk = {
      start: i * rows,
      rows: count,
      x: device.createBuffer({ size: count * n * 4, usage: usage.STORAGE | usage.COPY_DST }),
      y: device.createBuffer({ size: count * m * 4, usage: usage.STORAGE | usage.COPY_SRC }),
      readback: device.createBuffer({ size: count * m * 4, usage: usage.MAP_READ | usage.COPY_DST }),
      ...(way === 'map' && { upload: device.createBuffer({ size: count * n * 4, usage: usage.MAP_WRITE | usage.COPY_SRC, mappedAtCreation: true }) }),
    };
    if (chunk.upload) chunk.uploadMapped = Promise.resolve();
    return chunk;
  });
  const parts: Record<LeanPart, number[]> = { send: [], record: [], submit: [], mapCalls: [], wait: [], copyOut: [] };
  const run = async (): Promise<Float32Array> => {
    const mapped: Promise<void>[] = [];
    for (const c of chunks) {
      const rowsOfX = x.subarray(c.start * n, (c.start + c.rows) * n);
      const t0 = performance.now();
      if (c.upload) {
        await c.uploadMapped;
        new Float32Array(c.upload.getMappedRange()).set(rowsOfX);
        c.upload.unmap();
      } else {
        device.queue.writeBuffer(c.x, 0, rowsOfX as Float32Array<ArrayBuffer>);
      }
      const t1 = performance.now();
      const e = device.createCommandEncoder();
      if (c.upload) e.copyBufferToBuffer(c.upload, 0, c.x, 0, c.rows * n * 4);
      runner.encodeForward(e, c.x, c.y, c.rows);
      e.copyBufferToBuffer(c.y, 0, c.readback, 0, c.rows * m * 4);
      const commands = e.finish();
      const t2 = performance.now();
      device.queue.submit([commands]);
      const t3 = performance.now();
      if (c.upload) c.uploadMapped = c.upload.mapAsync(GPUMapMode.WRITE);
      mapped.push(c.readback.mapAsync(GPUMapMode.READ));
      const t4 = performance.now();
      parts.send.push(t1 - t0);
      parts.record.push(t2 - t1);
      parts.submit.push(t3 - t2);
      parts.mapCalls.push(t4 - t3);
    }
    for (const [i, c] of chunks.entries()) {
      const t0 = performance.now();
      await mapped[i];
      const t1 = performance.now();
      out.set(new Float32Array(c.readback.getMappedRange()), c.start * m);
      c.readback.unmap();
      parts.wait.push(t1 - t0);
      parts.copyOut.push(performance.now() - t1);
    }
    return out;
  };
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? 0;
  return {
    mode: (timed) => timed(run),
    // Read once a mode's calls are timed, then cleared: a later round (mode#2) counts its own calls.
    cpu: () => {
      const taken = Object.entries(parts).map(([part, v]) => [part, v.splice(0)] as const);
      return {
        ms: Object.fromEntries(taken.map(([part, v]) => [part, median(v)])) as LeanCpu['ms'],
        samples: Object.fromEntries(taken.map(([part, v]) => [part, v.length])) as LeanCpu['samples'],
      };
    },
    destroy: () => chunks.forEach((c) => [c.x, c.y, c.readback, c.upload].forEach((b) => b?.destroy())),
  };
}
