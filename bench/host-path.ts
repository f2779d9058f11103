/**
 * The host round trip of monarch(nblocks: 64), n = 4096, f32, by batch, for each build of
 * --builds (default portable,untuned):
 *   portable     the untuned build cut to its portable set: kernels within the portable limits (the
 *                kernels session 12 measured, 0.85 ms at B=4096 on the H200, before untuned f32
 *                builds had a large set)
 *   untuned      the untuned build as `monc build` writes it, run as the runner chooses (since
 *                6936190 its 'large' set on an adapter with the H100/H200's workgroup limits)
 *   device       the untuned defaults for this adapter's own limits as a tuning lookup (defaults.ts'
 *                choice for its workgroup size and storage; what a build tuned on it starts from,
 *                and what monarch-goal times as "defaults"): the kernel set 'tuned'
 * in several modes (wall-clock milliseconds per call, median of --repeats calls after --warmup
 * calls; each mode's first result is checked against the float64 program executor, relative
 * error < 1e-5):
 *   fresh        `forward(x)`: a new result array per call (the default chunking: since 3ad42d8,
 *                chunks of >= 4 MiB, at most 8 until session 27, 4 since, from 8 MiB on), as monc/runtime/node gives it: since
 *                session 27 an array of 1 MiB or more made ahead by a helper thread when one is ready
 *                (src/runtime/prefaulted-arrays.ts; madeAhead counts them)
 *   fresh:atCall the same with every result array new at the call (before session 27)
 *   fresh:filled the same with arrays whose every value the helper wrote (touchStride 4; PREFAULT_PLAN: one a page)
 *   fresh:ahead3 the same with 3 arrays made ahead by 3 threads (PREFAULT_PLAN has 2 and 2; s27 call 1, H100,
 *                4096 rows: 21 of 30 results made ahead in time)
 *   out          `forward(x, { out })`: the caller's array, reused (the default chunking)
 *   out:whole    the same in one piece (`chunkRows: Infinity`: the path before pipelining)
 *   out:R        the same pipelined in chunks of R rows, for each R of --chunk-rows
 *   staging      `input()`, copying x into the lent view, `run()` (result read in place)
 *   stagingRun   `run()` alone (a caller that produces its input in the view)
 *   ring:R       ceil(B / R) stagings of R rows: x copied into their views, all run() at once
 *   ringRun:R    the same counting only the runs (their inputs filled before): PyTorch's
 *                pinned round trip, whose input already sits in pinned memory
 *   stream:R     chunks of R rows through a ring of 2 stagings (stream:RxD: of D, for each D other than 2
 *                of --stream-depth, default 2), chunk i
 *                through staging i mod depth once its previous result was read: x copied into
 *                each input view; at most depth stagings' views alive at once (2 x 1024 rows of
 *                4096 f32 = 32 MiB: under V8's 64 MiB external-memory limit, so no collections,
 *                where ring:R and a staging of the whole batch map 64 MiB at once)
 *   streamRun:R  the same with the views not refilled (each keeps the rows written before the
 *                timed calls: the round trips alone, as ringRun; only chunk 0's rows are checked)
 *   lean:map:R / lean:wb:R   forward(x, { out }) made by hand in chunks of R rows (host-lean.ts; R up to the batch):
 *                x through mapped upload buffers as the runtime sends it (map) or by queue.writeBuffer (wb, only for
 *                chunks of x up to 4 MiB, Dawn's staging ring), none of the runtime's JS;
 *                each line adds the per-chunk CPU (send, record, submit, mapAsync calls, wait, copy out)
 * and variants of how the one-piece round trip (`chunkRows: Infinity`) reads its result (HOST_PIPELINE.readBytes,
 * pipelined-forward.ts; by default in 8 MiB pieces, each unmapped before the next is mapped):
 *   out:mapWhole / fresh:mapWhole   mapped whole (session 11's way)
 *   out:piece:P  in pieces of P MiB, for each P of --piece-mib
 * (Since session 12 forward writes x into the mapped upload buffer during the call; session 11
 * copied x into a new array first: phase copyXToNewMs is what that cost.)
 * Each mode also reports the garbage collections V8 ran during its timed calls (count, ms;
 * a mapping of 64 MiB or more triggers one per call: src/runtime/pipelined-forward.ts), the median
 * of its calls' synchronous parts (syncMs: the call up to the promise it returns; forward writes
 * x and submits its chunks there) and, with --split-copies, of their copies in and out timed where
 * they run (copyInMs, copyOutMs: host-copies.ts), and the process's minor page faults per call (faultsPerCall: the
 * mapped ranges faulted in afresh each call would be ~256 per MiB copied). --rounds R times the modes R times over, in
 * order (round r > 1 named mode#r: does a mode's figure depend on what ran before it?).
 * Then where the time goes, each phase alone (median of --repeats): upload through a mapped
 * MAP_WRITE buffer (its getMappedRange and the copy into it timed apart), upload through
 * queue.writeBuffer, the CPU time of a round trip's steps at its call (tripUnmapCpuMs, tripRecordCpuMs,
 * tripSubmitCpuMs, tripMapCpuMs: the upload's unmap, recording, submit, asking for the mappings), the kernels, the
 * copy to a MAP_READ buffer and its mapping (also right after a copy wrote it: whole, 64 KiB),
 * getMappedRange whole and in chunks of --phase-chunk-mib, and copying the mapped bytes into a
 * JS array: by slice() (copyMappedToJsMs, session 11's figure), by set() into an array touched
 * before (copyMappedToOutMs), into a new one (copyMappedToNewMs) or into one a helper thread made
 * (copyMappedToAheadMs, as forward(x)'s in Node; 1 to 64 MiB results; copyMappedToFilledMs: one whose
 * every value the helper wrote, fresh:filled's), mapped and copied in pieces
 * of --phase-chunk-mib as forward does (copyMappedPiecesMs, readInPieces); against the same copy between two
 * JS arrays touched before (copyJsToJsMs: is mapped memory slow to read?), a new array of the
 * result's size touched once (newArrayTouchMs: page faults) and copying x into a new array
 * (copyXToNewMs: what session 11's forward did at every call). And the GPU's side of the round trip
 * alone, one submission each, awaited (onSubmittedWorkDone), to see whether one queue overlaps a
 * chunk's copies with another chunk's kernels (WebGPU has a single queue; PyTorch's pinned figure
 * is its H2D + kernels + D2H on one stream, serial):
 *   gpuOnePieceMs    copy in the whole batch, the kernels, copy out the whole result
 *   gpuChunks:R_Ms   the same batch as ceil(B / R) chunks of R rows (buffers of their own) recorded
 *                    in one submission as up0 k0 up1 down0 k1 up2 down1 ...: chunk i+1's upload
 *                    after chunk i's kernels and before chunk i's readback, so that only the
 *                    dependences (not the recording order) keep them apart
 * (equal to the sum of copyUploadMs + kernelsMs + copyReadbackMs: nothing overlaps; less: the
 * queue overlaps copies with kernels, and a chunked submission could beat the serial floor).
 * Where the adapter has 'timestamp-query', the GPU's own clock on the kernels (session 13: kernelsMs
 * 0.74-0.91 ms at B=4096 on the H100, where monarch-goal's warm chain is 0.68 ms at 4x the rows):
 *   kernelsSettledMs   the forward pass's dispatches timed as monarch-goal times them (clocks settled
 *                      under load first, runtime/timing.ts)
 *   tripCopyInMs, tripKernelsMs, tripCopyOutMs   gpuOnePieceMs's submission stamped on the GPU
 *                      between its parts (tripTimeline): what the kernels take inside a round trip
 *   tripBusy*Ms        the same with about 50 ms of forward passes ahead in its submission (the
 *                      clocks raised by load): tripKernelsMs above tripBusyKernelsMs is the clock
 *                      ramp a round trip after idle pays, not the kernels' code
 *   tripSpanMs, tripWallMs   that submission's stamped span (end of the first pass to the last) and
 *                      its wall time, submit to mapped stamps: what a round trip pays outside the
 *                      GPU's work (s15 call 1, H200, B=4096: gpuOnePieceMs 2.654 against 1.627 stamped)
 *   kernelsTwiceMs, kernelsSubmitCpuMs   the kernels' pass twice in one submission (is kernelsMs'
 *                      excess per pass or per submission?) and the CPU time of submit() alone
 *   gpuOnePieceTwiceMs the whole round trip twice in one submission (the same question of gpuOnePieceMs)
 *   kernelsMapMs, gpuOnePieceMapMs   kernelsMs (with a 16-byte copy of y after) and gpuOnePieceMs awaited by mapping the
 *                      buffer they write last, as the runtime awaits a round trip, instead of onSubmittedWorkDone
 * And per-chunk timelines of streams (bench/host-timeline.ts, --timeline): for each chunk the host's
 * wait for its upload buffer, its write of the rows, its submit, when its result was seen mapped and
 * its read, beside the GPU's stamps of its copy in, kernels and copy out: whether one queue overlaps a
 * chunk's copy out with the next chunk's copy in (PCIe is full duplex).
 * One JSON object on --out (else stdout): each record names its build and kernels.
 *
 *   node dist/bench/host-path.js [--batches 1,512,4096] [--chunk-rows 64,128,256,512,1024]
 *     [--piece-mib 2,32] [--stream-depth 2,3] [--repeats 30] [--warmup 10] [--n 4096 --nblocks 64]
 *     [--modes out,ringRun] [--builds portable,untuned,device] [--timeline 1024x2,1024:one|none] [--rounds 2]
 *     [--split-copies] [--out FILE]
 */
import { writeFileSync } from 'node:fs';
import { gcsBetween, piecewiseGetMappedRangeMs } from './mapping.js';
import { streamTimeline } from './host-timeline.js';
import { CopySplit } from './host-copies.js';
import { leanPipeline, type LeanCpu } from './host-lean.js';
import { hostRunner, randomArray, relativeError, stagingStream, type Mode } from './host-modes.js';
import { nodeGpu } from './node-gpu.js';
import { executeProgram } from '../src/runtime/cpu-executor.js';
import type { MapRunner } from '../src/runtime/map-runner.js';
// As a Node user runs it: stagings and forward's chunkRows (monc/runtime/host-io), forward(x)'s result arrays made ahead.
import '../src/runtime/node.js';
import type { ForwardStaging } from '../src/runtime/host-io.js';
import { HOST_PIPELINE, provideResultArrays, readInPieces } from '../src/runtime/pipelined-forward.js';
import { startWorker } from '../src/runtime/node-device.js';
import { prefaultedArrays } from '../src/runtime/node-prefault.js';
import { PREFAULT_PLAN, PrefaultedArrays } from '../src/runtime/prefaulted-arrays.js';
import { hasTimestamps, timeComputePasses } from '../src/runtime/timing.js';

const argv = process.argv.slice(2);
// The last of a repeated flag: call.sh's HOST_FLAGS, after its defaults, override them.
const arg = (flag: string) => {
  const i = argv.lastIndexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
const list = (flag: string, fallback: string) => (arg(flag) ?? fallback).split(',').filter((v) => v !== '');
const BATCHES = list('--batches', '1,512,4096').map(Number);
const CHUNK_ROWS = list('--chunk-rows', '64,128,256,512,1024').map(Number);
/** Stagings in a stream's ring, each depth a mode (stream:R for 2, stream:RxD otherwise). */
const STREAM_DEPTHS = list('--stream-depth', '2').map(Number);
/**
 * Per-chunk timelines (host-timeline.ts; needs 'timestamp-query'): R (a ring of 2) or RxD for a stream
 * as stagings run it, R:one for R's chunks in one submission, R:pipe for forward(x, { out })'s chunks (every chunk
 * written and submitted, then each read); a further :run leaves out the host's copies (streamRun's round trips
 * alone: 1024x2:run). Default: each --chunk-rows below the batch at each --stream-depth, and R:one; 'none' for none.
 */
const TIMELINES = arg('--timeline');
/** Result mapping pieces (MiB) timed beside the default's (HOST_PIPELINE.readBytes). */
const PIECE_MIB = list('--piece-mib', '2,32').map(Number);
const REPEATS = Number(arg('--repeats') ?? 30);
const WARMUP = Number(arg('--warmup') ?? 10);
const N = Number(arg('--n') ?? 4096);
const NBLOCKS = Number(arg('--nblocks') ?? 64);
/** Mode names (before any ':R') to run; all by default. */
const MODES = arg('--modes')?.split(',');
/** Builds to time (see above). */
const BUILDS = list('--builds', 'portable,untuned');
/** Times each batch's modes this many times over, in order (round r > 1 named mode#r). */
const ROUNDS = Number(arg('--rounds') ?? 1);
/** Times each call's copies in and out where they run (host-copies.ts). */
const SPLIT_COPIES = argv.includes('--split-copies');
const PHASE_CHUNK_BYTES = Number(arg('--phase-chunk-mib') ?? 8) * 2 ** 20;
/** Rows checked against the float64 executor (all of them below this). */
const CHECK_ROWS = 64;
const SPEC = `module host\nmap m : ${N} -> ${N} = monarch(nblocks: ${NBLOCKS})\n`;
/** fresh:ahead3's arrays: more made ahead, by more threads, than monc/runtime/node's. */
const AHEAD3 = new PrefaultedArrays(startWorker, { ...PREFAULT_PLAN, depth: 3, threads: 3 });
/**
 * fresh:filled's arrays: every value written by the helper (touchStride 4), not one a page. s28 call 2 (H100, Xeon
 * with 300 MiB of L3): the mapped result copied into an array a helper made took 1.51 ms at 512 rows, into `out`
 * (reused) 0.99: is an array whose every line a helper wrote (and the L3 may hold) as fast to write as `out`? No
 * (s28 call 3, another H100 host: 1.03 ms against 0.91 and 0.65; forward(x) 2.93-3.45 ms against 2.15-2.67).
 */
const FILLED = new PrefaultedArrays(startWorker, { ...PREFAULT_PLAN, touchStride: 4 });

/** Results made ahead and made at the call so far, by every set of helpers (a mode uses one). */
function madeAheadSoFar(): typeof prefaultedArrays.counts {
  const all = [prefaultedArrays, AHEAD3, FILLED];
  return { ready: all.reduce((n, a) => n + a.counts.ready, 0), missed: all.reduce((n, a) => n + a.counts.missed, 0) };
}

function medianOf(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function median(times: number, body: () => Promise<void>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    await body();
    samples.push(performance.now() - t);
  }
  return medianOf(samples);
}

/** Each phase of the round trip alone, in milliseconds (median). */
async function phases(device: GPUDevice, runner: MapRunner, x: Float32Array, batch: number, outSize: number): Promise<Record<string, number>> {
  const xBytes = x.byteLength;
  const yBytes = batch * outSize * 4;
  const usage = GPUBufferUsage;
  const xs = device.createBuffer({ size: xBytes, usage: usage.STORAGE | usage.COPY_DST });
  const ys = device.createBuffer({ size: yBytes, usage: usage.STORAGE | usage.COPY_SRC });
  const upload = device.createBuffer({ size: xBytes, usage: usage.MAP_WRITE | usage.COPY_SRC });
  const readback = device.createBuffer({ size: yBytes, usage: usage.MAP_READ | usage.COPY_DST });
  const submit = async (record: (e: GPUCommandEncoder) => void) => {
    const e = device.createCommandEncoder();
    record(e);
    device.queue.submit([e.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
  const out: Record<string, number> = {};
  const n = Math.max(5, Math.floor(REPEATS / 2));
  out.emptySubmitMs = await median(n, () => submit(() => undefined));
  out.mapWriteMs = await median(n, async () => {
    await upload.mapAsync(GPUMapMode.WRITE);
    upload.unmap();
  });
  // The upload's getMappedRange (V8 external memory: may collect garbage) apart from the copy
  // into it (writes through the PCIe BAR where the buffer is device memory).
  const fillParts = { range: [] as number[], set: [] as number[] };
  out.fillMappedMs = await median(n, async () => {
    await upload.mapAsync(GPUMapMode.WRITE);
    const t0 = performance.now();
    const view = new Float32Array(upload.getMappedRange());
    const t1 = performance.now();
    view.set(x);
    fillParts.range.push(t1 - t0);
    fillParts.set.push(performance.now() - t1);
    upload.unmap();
  });
  out.uploadRangeMs = medianOf(fillParts.range);
  out.fillOnlyMs = medianOf(fillParts.set);
  out.copyUploadMs = await median(n, () => submit((e) => e.copyBufferToBuffer(upload, 0, xs, 0, xBytes)));
  out.writeBufferMs = await median(n, async () => {
    device.queue.writeBuffer(xs, 0, x as Float32Array<ArrayBuffer>);
    await device.queue.onSubmittedWorkDone();
  });
  out.kernelsMs = await median(n, () => submit((e) => runner.encodeForward(e, xs, ys, batch)));
  // Is kernelsMs' wall time above the GPU's (s15 call 1, H200, B=4096: 0.958 against 0.185 stamped) paid per
  // submission or per pass, and on the host? The same pass twice in one submission, and the CPU time of submit() alone.
  out.kernelsTwiceMs = await median(n, () =>
    submit((e) => {
      runner.encodeForward(e, xs, ys, batch);
      runner.encodeForward(e, xs, ys, batch);
    }),
  );
  const submitCpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const e = device.createCommandEncoder();
    runner.encodeForward(e, xs, ys, batch);
    const t = performance.now();
    device.queue.submit([e.finish()]);
    submitCpu.push(performance.now() - t);
    await device.queue.onSubmittedWorkDone();
  }
  out.kernelsSubmitCpuMs = medianOf(submitCpu);
  out.copyReadbackMs = await median(n, () => submit((e) => e.copyBufferToBuffer(ys, 0, readback, 0, yBytes)));
  out.mapReadMs = await median(n, async () => {
    await readback.mapAsync(GPUMapMode.READ);
    readback.unmap();
  });
  // The same mapping right after the GPU wrote the buffer (its copy awaited first): s16 call 2 (H100, B=4096) had the one-piece trip
  // awaited by mapping its 64 MiB readback at 3.51 ms, by mapping a 32-byte buffer at 2.87 (GPU span 2.79). Is it the mapping of
  // a buffer the GPU wrote (Dawn's transition to host reads, an invalidation of non-coherent memory), in proportion to its size?
  const mapAfterWrite = async (bytes: number) => {
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      await submit((e) => e.copyBufferToBuffer(ys, 0, readback, 0, bytes));
      const t = performance.now();
      await readback.mapAsync(GPUMapMode.READ, 0, bytes);
      samples.push(performance.now() - t);
      readback.unmap();
    }
    return medianOf(samples);
  };
  out.mapReadAfterWriteMs = await mapAfterWrite(yBytes);
  out.mapReadAfterWriteSmallMs = await mapAfterWrite(Math.min(yBytes, 1 << 16));
  const readParts = { range: [] as number[], copy: [] as number[], chunked: [] as number[], toOut: [] as number[], toNew: [] as number[], pieces: [] as number[] };
  const chunk = Math.min(yBytes, PHASE_CHUNK_BYTES);
  // Touched before timing, as forward's `out` is after its first call.
  const target = new Float32Array(yBytes / 4).fill(1);
  const timedCopy = async (parts: number[], copy: (range: ArrayBuffer) => void) => {
    await readback.mapAsync(GPUMapMode.READ);
    const range = readback.getMappedRange();
    const t = performance.now();
    copy(range);
    parts.push(performance.now() - t);
    readback.unmap();
  };
  for (let i = 0; i < n; i++) {
    await readback.mapAsync(GPUMapMode.READ);
    const t0 = performance.now();
    const range = readback.getMappedRange();
    const t1 = performance.now();
    new Float32Array(range).slice();
    const t2 = performance.now();
    readback.unmap();
    readParts.range.push(t1 - t0);
    readParts.copy.push(t2 - t1);
    // The same bytes mapped a chunk at a time, as the pipelined round trip maps them.
    readParts.chunked.push(await piecewiseGetMappedRangeMs(readback, yBytes, chunk));
    await timedCopy(readParts.toOut, (r) => target.set(new Float32Array(r)));
    await timedCopy(readParts.toNew, (r) => new Float32Array(yBytes / 4).set(new Float32Array(r)));
    // As forward copies its result out (readInPieces): each piece viewed, copied into `target`, unmapped before the next is mapped.
    await readback.mapAsync(GPUMapMode.READ);
    const t3 = performance.now();
    await readInPieces(readback, yBytes / 4, 'f32', new Promise<never>(() => undefined), 'm', target, { ...HOST_PIPELINE, readBytes: chunk });
    readParts.pieces.push(performance.now() - t3);
  }
  // Into arrays a helper thread made (forward(x)'s result arrays in Node, prefaulted-arrays.ts): memory new to this thread, its
  // pages mapped. Against copyMappedToOutMs (an array this thread wrote before): what the result's destination costs.
  // copyMappedToFilledMs: into arrays whose every value a helper wrote (fresh:filled's).
  for (const [name, arrays] of [['copyMappedToAheadMs', AHEAD3], ['copyMappedToFilledMs', FILLED]] as const) {
    const copies: number[] = [];
    if (yBytes >= PREFAULT_PLAN.minBytes && yBytes <= PREFAULT_PLAN.maxBytes) {
      for (let i = 0; i < n + 2; i++) {
        const made = arrays.take(yBytes / 4);
        if (made) await timedCopy(copies, (r) => made.set(new Float32Array(r)));
        // Time for the next one to arrive (a 64 MiB array took a thread about 30 ms on session 27's H100 host).
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    if (copies.length > 0) out[name] = medianOf(copies);
  }
  out.getMappedRangeMs = medianOf(readParts.range);
  out.getMappedRangeChunkedMs = medianOf(readParts.chunked);
  out.copyMappedToJsMs = medianOf(readParts.copy);
  out.copyMappedToOutMs = medianOf(readParts.toOut);
  out.copyMappedToNewMs = medianOf(readParts.toNew);
  out.copyMappedPiecesMs = medianOf(readParts.pieces);
  const source = new Float32Array(yBytes / 4).fill(2);
  out.copyJsToJsMs = await median(n, async () => target.set(source));
  out.newArrayTouchMs = await median(n, async () => void new Float32Array(yBytes / 4).fill(1));
  out.copyXToNewMs = await median(n, async () => void new Float32Array(x));
  const trip = (e: GPUCommandEncoder) => {
    e.copyBufferToBuffer(upload, 0, xs, 0, xBytes);
    runner.encodeForward(e, xs, ys, batch);
    e.copyBufferToBuffer(ys, 0, readback, 0, yBytes);
  };
  out.gpuOnePieceMs = await median(n, () => submit(trip));
  // The same round trip twice in one submission: its wall time above the stamps is paid per submission (twice = once + the stamped
  // span) or per part (twice = 2 x once).
  out.gpuOnePieceTwiceMs = await median(n, () => submit((e) => (trip(e), trip(e))));
  // The same submissions awaited as the runtime awaits a round trip, by mapping a buffer they write (s16 call 1, H100, B=4096:
  // the stamped trip's wall, awaited by mapping, was 0.14 ms above its span; gpuOnePieceMs, awaited by onSubmittedWorkDone, 0.99).
  const mapped = async (record: (e: GPUCommandEncoder) => void, buffer: GPUBuffer) => {
    const e = device.createCommandEncoder();
    record(e);
    device.queue.submit([e.finish()]);
    await buffer.mapAsync(GPUMapMode.READ);
    buffer.unmap();
  };
  const flag = device.createBuffer({ size: 16, usage: usage.MAP_READ | usage.COPY_DST });
  out.kernelsMapMs = await median(n, () =>
    mapped((e) => {
      runner.encodeForward(e, xs, ys, batch);
      e.copyBufferToBuffer(ys, 0, flag, 0, 16);
    }, flag),
  );
  out.gpuOnePieceMapMs = await median(n, () => mapped(trip, readback));
  flag.destroy();
  // The CPU time of each step of a round trip's call as the runtime makes it (round-trip.ts, GpuStaging.compute): the
  // upload's unmap after x was written, recording (encoder, copies, the kernels, finish), submit, and asking for both
  // mappings (s28 call 2, H100: a staging's run() spent 0.17 ms before its first await at 512 rows, 0.08 at 1 row, and
  // forward(x, { out }) 0.45 ms beyond its copies of x at 512 rows in 2 chunks).
  const cpu = { unmap: [] as number[], record: [] as number[], submit: [] as number[], map: [] as number[] };
  await upload.mapAsync(GPUMapMode.WRITE);
  for (let i = 0; i < n; i++) {
    new Float32Array(upload.getMappedRange()).set(x);
    const t0 = performance.now();
    upload.unmap();
    const t1 = performance.now();
    const e = device.createCommandEncoder();
    trip(e);
    const commands = e.finish();
    const t2 = performance.now();
    device.queue.submit([commands]);
    const t3 = performance.now();
    const remapped = upload.mapAsync(GPUMapMode.WRITE);
    const result = readback.mapAsync(GPUMapMode.READ);
    const t4 = performance.now();
    await Promise.all([remapped, result]);
    readback.unmap();
    cpu.unmap.push(t1 - t0);
    cpu.record.push(t2 - t1);
    cpu.submit.push(t3 - t2);
    cpu.map.push(t4 - t3);
  }
  upload.unmap();
  out.tripUnmapCpuMs = medianOf(cpu.unmap);
  out.tripRecordCpuMs = medianOf(cpu.record);
  out.tripSubmitCpuMs = medianOf(cpu.submit);
  out.tripMapCpuMs = medianOf(cpu.map);
  for (const rows of CHUNK_ROWS.filter((r) => r < batch)) {
    const chunked = chunkedSubmit(device, runner, upload, readback, batch, rows, submit);
    out[`gpuChunks:${rows}_Ms`] = await median(n, chunked.run);
    chunked.destroy();
  }
  if (hasTimestamps(device)) {
    // The kernels with the GPU's clocks settled (monarch-goal's method), then inside the round trip as it runs, cold and after load.
    const encode = (pass: GPUComputePassEncoder) => runner.encodeDispatches(pass, xs, ys, batch);
    out.kernelsSettledMs = (await timeComputePasses(device, encode)).medianMs;
    const trip = { upload, xs, ys, readback, xBytes, yBytes };
    for (const [name, busy] of [['trip', 0], ['tripBusy', Math.min(2000, Math.ceil(BUSY_MS / Math.max(out.kernelsSettledMs, 0.01)))]] as const) {
      for (const [part, ms] of Object.entries(await tripTimeline(device, encode, trip, n, busy))) out[`${name}${part}Ms`] = ms;
    }
  }
  for (const b of [xs, ys, upload, readback]) b.destroy();
  return out;
}

/** Untimed load ahead of phases' `tripBusy` round trips: about this many ms of forward passes. */
const BUSY_MS = 50;

/**
 * The one-piece round trip's GPU timeline from timestamp queries: an empty pass stamped before the
 * copy in, the kernels' pass stamped at both ends, an empty pass stamped after the copy out, one
 * submission each (as gpuOnePieceMs), median of `n`: CopyIn, Kernels, CopyOut in ms. `busy` passes
 * of the kernels ahead in the same submission load the GPU first (its clocks rise under load: the
 * kernels' time in a round trip after idle or copies against after load).
 */
async function tripTimeline(
  device: GPUDevice,
  encode: (pass: GPUComputePassEncoder) => void,
  b: { upload: GPUBuffer; xs: GPUBuffer; ys: GPUBuffer; readback: GPUBuffer; xBytes: number; yBytes: number },
  n: number,
  busy: number,
): Promise<Record<'CopyIn' | 'Kernels' | 'CopyOut' | 'Span' | 'Wall', number>> {
  const querySet = device.createQuerySet({ type: 'timestamp', count: 4 });
  const resolved = device.createBuffer({ size: 32, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: 32, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const samples = { CopyIn: [] as number[], Kernels: [] as number[], CopyOut: [] as number[], Span: [] as number[], Wall: [] as number[] };
  for (let i = 0; i < n; i++) {
    const e = device.createCommandEncoder();
    for (let k = 0; k < busy; k++) {
      const pass = e.beginComputePass();
      encode(pass);
      pass.end();
    }
    const stamped = (timestampWrites: GPUComputePassTimestampWrites, body?: (pass: GPUComputePassEncoder) => void) => {
      const pass = e.beginComputePass({ timestampWrites });
      body?.(pass);
      pass.end();
    };
    stamped({ querySet, endOfPassWriteIndex: 0 });
    e.copyBufferToBuffer(b.upload, 0, b.xs, 0, b.xBytes);
    stamped({ querySet, beginningOfPassWriteIndex: 1, endOfPassWriteIndex: 2 }, encode);
    e.copyBufferToBuffer(b.ys, 0, b.readback, 0, b.yBytes);
    stamped({ querySet, beginningOfPassWriteIndex: 3 });
    e.resolveQuerySet(querySet, 0, 4, resolved, 0);
    e.copyBufferToBuffer(resolved, 0, read, 0, 32);
    const finished = e.finish();
    const from = performance.now();
    device.queue.submit([finished]);
    await read.mapAsync(GPUMapMode.READ);
    samples.Wall.push(performance.now() - from);
    const t = new BigInt64Array(read.getMappedRange().slice(0));
    read.unmap();
    const ms = (from: number, to: number) => Number(t[to] - t[from]) / 1e6;
    samples.CopyIn.push(ms(0, 1));
    samples.Kernels.push(ms(1, 2));
    samples.CopyOut.push(ms(2, 3));
    samples.Span.push(ms(0, 3));
  }
  for (const buffer of [resolved, read]) buffer.destroy();
  querySet.destroy();
  return Object.fromEntries(Object.entries(samples).map(([part, ms]) => [part, medianOf(ms)])) as Record<keyof typeof samples, number>;
}

/**
 * One submission of `batch` rows as chunks of `rows`, each with its own device input and output
 * (encodeForward binds whole buffers), in and out through `upload` and `readback` at the chunk's
 * offset, recorded up0 k0 up1 down0 k1 up2 down1 ... (phases' gpuChunks): the timed body, and
 * what frees the chunks' buffers.
 */
function chunkedSubmit(
  device: GPUDevice,
  runner: MapRunner,
  upload: GPUBuffer,
  readback: GPUBuffer,
  batch: number,
  rows: number,
  submit: (record: (e: GPUCommandEncoder) => void) => Promise<void>,
): { run: () => Promise<void>; destroy: () => void } {
  const usage = GPUBufferUsage;
  const chunks = Array.from({ length: Math.ceil(batch / rows) }, (_, i) => {
    const count = Math.min(rows, batch - i * rows);
    const [inBytes, outBytes] = [count * runner.in * 4, count * runner.out * 4];
    const x = device.createBuffer({ size: inBytes, usage: usage.STORAGE | usage.COPY_DST });
    const y = device.createBuffer({ size: outBytes, usage: usage.STORAGE | usage.COPY_SRC });
    return {
      up: (e: GPUCommandEncoder) => e.copyBufferToBuffer(upload, i * rows * runner.in * 4, x, 0, inBytes),
      kernels: (e: GPUCommandEncoder) => runner.encodeForward(e, x, y, count),
      down: (e: GPUCommandEncoder) => e.copyBufferToBuffer(y, 0, readback, i * rows * runner.out * 4, outBytes),
      buffers: [x, y],
    };
  });
  const record = (e: GPUCommandEncoder) =>
    chunks.forEach((c, i) => {
      if (i === 0) c.up(e);
      c.kernels(e);
      chunks[i + 1]?.up(e);
      c.down(e);
    });
  return { run: () => submit(record), destroy: () => chunks.forEach((c) => c.buffers.forEach((b) => b.destroy())) };
}

/** `mode` run with the one-piece round trip's result read in pieces of `readBytes` (restored after each call). */
function readingBy(readBytes: number, mode: Mode): Mode {
  return async (timed) => {
    const plan = HOST_PIPELINE as { readBytes: number };
    const saved = plan.readBytes;
    plan.readBytes = readBytes;
    try {
      return await mode(timed);
    } finally {
      plan.readBytes = saved;
    }
  };
}

/**
 * A ring of stagings of `rows` rows covering `batch` rows, through the public API: `fill`
 * copies x into each input view, then every run() is issued at once; the result is the checked
 * rows, gathered from the result views.
 */
function stagingRing(runner: MapRunner, x: Float32Array, batch: number, rows: number, copyTimed: boolean): { mode: Mode; destroy: () => void } {
  const { in: n, out: m } = runner;
  const count = Math.ceil(batch / rows);
  const stagings: ForwardStaging[] = Array.from({ length: count }, (_, i) => runner.createStaging(Math.min(rows, batch - i * rows)));
  const fill = () =>
    Promise.all(
      stagings.map(async (s, i) => {
        const start = i * rows;
        (await s.input()).set(x.subarray(start * n, (start + s.capacity) * n));
      }),
    );
  const checked = new Float32Array(Math.min(batch, CHECK_ROWS) * m);
  const runAll = async () => {
    const results = await Promise.all(stagings.map((s) => s.run()));
    // The checked rows, gathered from the first views (a copy of a few KiB).
    for (let i = 0; i * rows * m < checked.length; i++) checked.set(results[i].subarray(0, Math.min(rows * m, checked.length - i * rows * m)), i * rows * m);
    return checked;
  };
  const mode: Mode = async (timed) => {
    if (copyTimed) return timed(async () => (await fill(), runAll()));
    await fill();
    return timed(runAll);
  };
  return { mode, destroy: () => stagings.forEach((s) => s.destroy()) };
}

/** The timelines of --timeline for this batch (none without 'timestamp-query'), each stream's result checked. */
async function timelinesOf(device: GPUDevice, runner: MapRunner, x: Float32Array, batch: number, check: (mode: string, y: Float32Array) => number): Promise<object[]> {
  if (!hasTimestamps(device) || TIMELINES === 'none') return [];
  const specs = TIMELINES
    ? TIMELINES.split(',')
    : CHUNK_ROWS.filter((r) => r < batch).flatMap((r) => [...STREAM_DEPTHS.map((d) => `${r}x${d}`), `${r}:one`]);
  const encode = (pass: GPUComputePassEncoder, xs: GPUBuffer, ys: GPUBuffer, rows: number) => runner.encodeDispatches(pass, xs, ys, rows);
  const sizes = { inSize: runner.in, outSize: runner.out };
  const timelines = [];
  for (const spec of specs) {
    const [shape, ...flags] = spec.split(':');
    const order = flags.includes('one') ? 'one' : flags.includes('pipe') ? 'pipelined' : 'staging';
    const [rows, depth = 2] = shape.split('x').map(Number);
    if (!(rows >= 1 && rows <= batch)) continue;
    const { timeline, out } = await streamTimeline(device, encode, sizes, x, batch, rows, depth, order, Math.max(5, Math.floor(REPEATS / 2)), !flags.includes('run'));
    check(`timeline ${spec}`, out);
    const c = timeline.chunks;
    const f = (v: number) => v.toFixed(3);
    process.stderr.write(
      `timeline ${spec} batch ${batch}: wall ${f(timeline.wallMs)}, GPU span ${f(timeline.gpuSpanMs)}: copy in alone ${f(timeline.firstCopyInMs)}, copy out alone ${f(timeline.lastCopyOutMs)}, ` +
        `a copy out + the next copy in ${f(timeline.pairedCopiesMs)}, kernels ${f(timeline.kernelsMs)}; per chunk submit/in done/kernels done/mapped (ms), write/read: ` +
        `${timeline.chunks.map((t) => `${[t.submitAtMs, t.gpuInDoneMs, t.gpuKernelsDoneMs, t.mappedAtMs].map((v) => v.toFixed(2)).join('/')} ${t.hostWriteMs.toFixed(2)}/${t.hostReadMs.toFixed(2)}`).join(' | ')}\n`,
    );
    timelines.push({ spec, ...timeline });
  }
  return timelines;
}

/** Every batch's modes and phases with the kernels of `build`: the records, the kernel set that ran and its schedules. */
async function timeBuild(device: GPUDevice, build: string): Promise<{ kernelSet: string; kernels: object[]; records: object[] }> {
  const { runner, map, program, packed, random } = await hostRunner(device, SPEC, build);
  const set = runner.kernelSet!;
  const records = [];
  for (const batch of BATCHES) {
    const x = randomArray(batch * map.in, random);
    const rows = Math.min(batch, CHECK_ROWS);
    const want = executeProgram(program, packed, x.subarray(0, rows * map.in), rows);
    const check = (mode: string, y: Float32Array) => {
      // (A stream's check covers its first chunk's rows, when that is fewer.)
      const got = y.subarray(0, rows * map.out);
      const relError = relativeError(got, want.subarray(0, got.length));
      if (!(relError < 1e-5)) throw new Error(`batch ${batch}, ${mode}: relative error ${relError}`);
      return relError;
    };
    const out = new Float32Array(batch * map.out);
    const staging = runner.createStaging(batch);
    const fresh: Mode = (timed) => timed(() => runner.forward(x, batch));
    // forward(x) with its result arrays from `take` instead of monc/runtime/node's (undefined: each new at the call, its pages
    // faulted in as the result is copied out, as before session 27).
    const freshFrom =
      (take: Parameters<typeof provideResultArrays>[0]): Mode =>
      (timed) =>
        timed(async () => {
          const provided = provideResultArrays(take);
          try {
            return await runner.forward(x, batch);
          } finally {
            provideResultArrays(provided);
          }
        });
    const outMode: Mode = (timed) => timed(() => runner.forward(x, { batch, out }));
    // The one-piece round trip whatever the default chunking (readingBy's variants read its result).
    const freshWhole: Mode = (timed) => timed(() => runner.forward(x, { batch, chunkRows: Infinity }));
    const outWhole: Mode = (timed) => timed(() => runner.forward(x, { batch, out, chunkRows: Infinity }));
    const modes: Record<string, Mode> = {
      fresh,
      'fresh:atCall': freshFrom(undefined),
      'fresh:ahead3': freshFrom((count) => AHEAD3.take(count)),
      'fresh:filled': freshFrom((count) => FILLED.take(count)),
      'fresh:mapWhole': readingBy(Infinity, freshWhole),
      out: outMode,
      'out:mapWhole': readingBy(Infinity, outWhole),
      ...Object.fromEntries(PIECE_MIB.map((mib) => [`out:piece:${mib}`, readingBy(mib * 2 ** 20, outWhole)])),
      'out:whole': outWhole,
      staging: (timed) =>
        timed(async () => {
          (await staging.input(batch)).set(x);
          return staging.run();
        }),
      stagingRun: async (timed) => {
        (await staging.input(batch)).set(x);
        return timed(() => staging.run());
      },
    };
    const rings: (() => void)[] = [];
    /** Each lean mode's per-chunk CPU parts, read once its calls are timed. */
    const leanCpus = new Map<string, () => LeanCpu>();
    // lean:map:B is the one-piece round trip (one submit); wb only where a chunk of x fits Dawn's 4 MiB staging ring.
    for (const chunkRows of CHUNK_ROWS.filter((r) => r <= batch)) {
      for (const way of (['map', 'wb'] as const).filter((w) => w === 'map' || chunkRows * map.in * 4 <= 4 << 20)) {
        let lean: ReturnType<typeof leanPipeline> | undefined;
        const name = `lean:${way}:${chunkRows}`;
        modes[name] = (timed) => {
          if (!lean) {
            lean = leanPipeline(device, runner, x, batch, chunkRows, way, out);
            rings.push(lean.destroy);
            leanCpus.set(name, lean.cpu);
          }
          return lean.mode(timed);
        };
      }
    }
    for (const chunkRows of CHUNK_ROWS.filter((r) => r < batch)) {
      modes[`out:${chunkRows}`] = (timed) => timed(() => runner.forward(x, { batch, out, chunkRows }));
      // Created on first use (a mode left out by --modes allocates nothing).
      const ways: [string, () => { mode: Mode; destroy: () => void }][] = [
        [`ring:${chunkRows}`, () => stagingRing(runner, x, batch, chunkRows, true)],
        [`ringRun:${chunkRows}`, () => stagingRing(runner, x, batch, chunkRows, false)],
        ...STREAM_DEPTHS.flatMap((depth): [string, () => { mode: Mode; destroy: () => void }][] => {
          const suffix = `${chunkRows}${depth === 2 ? '' : `x${depth}`}`;
          return [
            [`stream:${suffix}`, () => stagingStream(runner, x, batch, chunkRows, true, depth, CHECK_ROWS)],
            [`streamRun:${suffix}`, () => stagingStream(runner, x, batch, chunkRows, false, depth, CHECK_ROWS)],
          ];
        }),
      ];
      for (const [name, make] of ways) {
        let ring: { mode: Mode; destroy: () => void } | undefined;
        modes[name] = (timed) => {
          if (!ring) rings.push((ring = make()).destroy);
          return ring.mode(timed);
        };
      }
    }
    type Counts = typeof prefaultedArrays.counts;
    type Split = { syncMs: number; copyInMs?: number; copyOutMs?: number };
    type Faults = { faultsPerCall: number };
    const modeMs: Record<string, { medianMs: number; minMs: number; maxMs: number; relError: number; madeAhead: Counts; leanCpu?: LeanCpu } & Split & Faults & Awaited<ReturnType<typeof gcsBetween>>> = {};
    const split = SPLIT_COPIES ? new CopySplit(x) : undefined;
    split?.start();
    const chosen = Object.entries(modes).filter(([mode]) => !MODES || MODES.includes(mode.split(':')[0]) || MODES.includes(mode));
    // Round r > 1 times every mode again, named mode#r: whether a mode's time depends on what ran before it (s27 call 3, B = 1).
    for (const [mode, once] of Array.from({ length: ROUNDS }, (_, r) => chosen.map(([m, once]) => [r === 0 ? m : `${m}#${r + 1}`, once] as const)).flat()) {
      const relError = check(mode, await once((body) => body()));
      for (let i = 0; i < WARMUP; i++) await once((body) => body());
      const samples: number[] = [];
      // Per call: its synchronous part (forward up to the promise it returns: checks, x written, chunks submitted) and, with
      // --split-copies, its copies in and out (host-copies.ts).
      // And its minor page faults (process.resourceUsage, the whole process's, helper threads' included): a mapped range
      // faulted in afresh every call would show as about one a 4 KiB page copied.
      const parts = { syncMs: [] as number[], copyInMs: [] as number[], copyOutMs: [] as number[], faults: [] as number[] };
      const from = performance.now();
      const counted = madeAheadSoFar();
      for (let i = 0; i < REPEATS; i++) {
        await once(async (body) => {
          split?.take();
          split?.count(true);
          const faults = process.resourceUsage().minorPageFault;
          const t = performance.now();
          const pending = body();
          parts.syncMs.push(performance.now() - t);
          const y = await pending;
          samples.push(performance.now() - t);
          parts.faults.push(process.resourceUsage().minorPageFault - faults);
          split?.count(false);
          const copies = split?.take();
          if (copies) (parts.copyInMs.push(copies.in.ms), parts.copyOutMs.push(copies.out.ms));
          return y;
        });
      }
      const gc = await gcsBetween(from, performance.now());
      samples.sort((p, q) => p - q);
      // Of the timed calls' new result arrays (forward(x)): how many were made ahead (prefaulted-arrays.ts), how many at the call.
      const now = madeAheadSoFar();
      const madeAhead = { ready: now.ready - counted.ready, missed: now.missed - counted.missed };
      const splitMs: Split = { syncMs: medianOf(parts.syncMs), ...(split && { copyInMs: medianOf(parts.copyInMs), copyOutMs: medianOf(parts.copyOutMs) }) };
      const leanCpu = leanCpus.get(mode.split('#')[0])?.();
      const faultsPerCall = medianOf(parts.faults);
      modeMs[mode] = { medianMs: samples[Math.floor(samples.length / 2)], minMs: samples[0], maxMs: samples[samples.length - 1], relError, madeAhead, ...splitMs, faultsPerCall, ...(leanCpu && { leanCpu }), ...gc };
      const f = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(3));
      process.stderr.write(
        `${build} batch ${batch} ${mode}: ${modeMs[mode].medianMs.toFixed(3)} ms, ${gc.gcCount} GCs (${gc.gcMs.toFixed(1)} ms; ${gc.majorCount} full, ${gc.majorMs.toFixed(1)} ms), results made ahead ${madeAhead.ready}, at the call ${madeAhead.missed}; ` +
          `sync ${f(splitMs.syncMs)}, copies in ${f(splitMs.copyInMs)} out ${f(splitMs.copyOutMs)} ms; faults ${faultsPerCall}` +
          `${leanCpu ? `; lean cpu per chunk ${Object.entries(leanCpu.ms).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}` : ''}\n`,
      );
    }
    split?.stop();
    staging.destroy();
    for (const destroy of rings) destroy();
    const phaseMs = await phases(device, runner, x, batch, map.out);
    const timelines = await timelinesOf(device, runner, x, batch, check);
    const record = { build, batch, medianMs: modeMs.fresh?.medianMs, modeMs, checkedRows: rows, phaseMs, timelines };
    process.stderr.write(`${JSON.stringify(record)}\n`);
    records.push(record);
  }
  runner.destroy();
  return { kernelSet: set.name, kernels: set.kernels.map((k) => k.schedule), records };
}

async function main(): Promise<void> {
  const { device } = await nodeGpu();
  const builds: Record<string, { kernelSet: string; kernels: object[] }> = {};
  const records: object[] = [];
  for (const build of BUILDS) {
    const { records: timed, ...kernels } = await timeBuild(device, build);
    builds[build] = kernels;
    records.push(...timed);
  }
  const json = JSON.stringify({ spec: SPEC, builds, repeats: REPEATS, warmup: WARMUP, chunkRows: CHUNK_ROWS, date: new Date().toISOString(), records }, null, 1) + '\n';
  if (arg('--out')) writeFileSync(arg('--out')!, json);
  else process.stdout.write(json);
  device.destroy();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
