/**
 * Where a round trip's host-side waits go (issue 11, session 22): the host path's candidate ways
 * side by side with today's in one process, each call of every mode in turn (round-robin, so that
 * the GPU's clocks and the host's state are the same for all), on the untuned build of
 * monarch(nblocks: 64), n = 4096, f32 (host-path.ts' "untuned"). Wall-clock ms per call: median,
 * quartiles and min of --repeats rounds after --warmup, and V8's collections inside each mode's
 * calls. Every mode's first result is checked against the float64 executor (relative error < 1e-5).
 *
 * Session 21 (H200, call 3): B = 4096 streamRun:1024 3.116 ms where the GPU's stamps of one round
 * trip add up to 1.633 and PyTorch's pinned round trip is 2.802; B = 512 forward(x, { out }) 1.516
 * (bound 1.5). The modes:
 *   B = --stream-batch (4096), through the public API (host-modes.ts' stagingStream, inputs not
 *   refilled: the round trips alone, host-path's streamRun):
 *     streamRun:RxD          chunks of R rows through a ring of D stagings, for each of --streams;
 *                            then in blocks those of --gc-streams (1024x4: every chunk submitted at
 *                            once; 2048x2), which keep 64 MiB of views alive (V8's collections,
 *                            docs/runtime.md) and would leave its marking steps in other modes' calls
 *   then the first of --streams in blocks (all of a mode's calls in a row), to see whether the GPU's
 *   clocks move its time (its kernels ran 0.90 ms in a submission of their own after host-only work
 *   in s21 call 3's phases, 0.19 on the GPU's clock settled under load):
 *     streamRun:RxD:block    back to back, as host-path times it
 *     streamRun:RxD:loaded   each call after about --load-ms of the map's kernels, submitted and
 *                            awaited (untimed): the clocks raised by load
 *     streamRun:RxD:idle5    each call after 5 ms of the host and the GPU idle
 *   B = --out-batch (512):
 *     out                    forward(x, { out }), the default chunking (2 chunks of 256 rows)
 *     out:R                  forward(x, { out, chunkRows: R }), for each of --out-chunk-rows
 *                            (Infinity: one piece)
 *     staging / stagingRun   input(), x copied into the view, run() / run() alone
 *     out:block, out:loaded, out:idle5   out in blocks, as the stream's
 * Then, on buffers of its own (host-timeline.ts, with 'timestamp-query'), per-chunk timelines of the
 * same round trips: host times (submit, its CPU cost, the wait for each mapping, when each was seen)
 * beside the GPU's stamps (copy in done, kernels done; a copy out + the next copy in: their sum
 * when nothing waits between, more when the GPU idled waiting for the host):
 *   stream R x D, no copies    what streamRun does, stamped: GPU idle between chunks or not
 *   one R, no copies           the same chunks in one submission (the GPU's floor for them)
 *   pipelined R, copies        forward(x, { out })'s order at B = 512 (R = 256: the default; 128;
 *                              512: one piece): every chunk written and submitted, then each read in turn
 *   stream 128 x D, copies     B = 512 with reads interleaved with writes (chunk i - D read before
 *                              chunk i is written): an order forward could take instead
 * And the binding's mechanics (Dawn's node binding resolves mapAsync from a setImmediate loop that
 * calls wgpuInstanceProcessEvents while any promise is pending, AsyncRunner.cpp):
 *   tickUs / tickPendingUs     one setImmediate turn of the event loop with nothing pending, and
 *                              with a mapAsync pending behind GPU work (the ProcessEvents call's cost)
 *   mapIdleUs                  mapAsync of a buffer the GPU is done with, resolved
 *   mappedRangeUs:MiB          getMappedRange + a Float32Array view + unmap of a mapped readback
 *
 *   node dist/bench/host-stream.js [--streams 1024x2,512x4,1024x3,512x2,256x4] [--gc-streams 1024x4,2048x2]
 *     [--out-chunk-rows 128,64,Infinity] [--stream-batch 4096] [--out-batch 512] [--repeats 40]
 *     [--warmup 10] [--load-ms 20] [--n 4096 --nblocks 64] [--out FILE]
 */
import { writeFileSync } from 'node:fs';
import { gcsBetween } from './mapping.js';
import { streamTimeline, type TimelineOrder } from './host-timeline.js';
import { hostRunner, randomArray, relativeError, stagingStream, type Mode } from './host-modes.js';
import { nodeGpu } from './node-gpu.js';
import { executeProgram } from '../src/runtime/cpu-executor.js';
import type { MapRunner } from '../src/runtime/map-runner.js';
// Stagings and forward's chunkRows: the opt-in entry monc/runtime/host-io.
import '../src/runtime/host-io-entry.js';
import { hasTimestamps, timeComputePasses } from '../src/runtime/timing.js';

const argv = process.argv.slice(2);
const arg = (flag: string) => {
  const i = argv.lastIndexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
const list = (flag: string, fallback: string) => (arg(flag) ?? fallback).split(',').filter((v) => v !== '');
const STREAMS = list('--streams', '1024x2,512x4,1024x3,512x2,256x4').map((s) => s.split('x').map(Number) as [number, number]);
/** Streams that map 64 MiB of views at once (V8 collects, and its marking steps would land in the next mode's calls): timed in blocks, after. */
const GC_STREAMS = list('--gc-streams', '1024x4,2048x2').map((s) => s.split('x').map(Number) as [number, number]);
const OUT_CHUNK_ROWS = list('--out-chunk-rows', '128,64,Infinity').map(Number);
const STREAM_BATCH = Number(arg('--stream-batch') ?? 4096);
const OUT_BATCH = Number(arg('--out-batch') ?? 512);
const REPEATS = Number(arg('--repeats') ?? 40);
const WARMUP = Number(arg('--warmup') ?? 10);
const LOAD_MS = Number(arg('--load-ms') ?? 20);
const N = Number(arg('--n') ?? 4096);
const NBLOCKS = Number(arg('--nblocks') ?? 64);
const CHECK_ROWS = 64;
const SPEC = `module host\nmap m : ${N} -> ${N} = monarch(nblocks: ${NBLOCKS})\n`;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

/** A mode to time: its round trip, and what frees what it made. */
interface Timed {
  readonly mode: Mode;
  readonly destroy?: () => void;
}

/**
 * `REPEATS` timed calls of each mode after `WARMUP`, each mode's first result checked first: in
 * turn (round-robin: call r of every mode, then call r + 1), or `inBlocks`, all of one mode's calls
 * before the next mode's (for modes that change what the next call finds, as afterLoad's). Per
 * mode the median, quartiles, min and max, and the collections that started inside its calls.
 */
async function timeModes(modes: Record<string, Timed>, check: (mode: string, y: Float32Array) => number, inBlocks = false): Promise<Record<string, object>> {
  const names = Object.keys(modes);
  const errors: Record<string, number> = {};
  const samples: Record<string, { from: number; ms: number }[]> = Object.fromEntries(names.map((n) => [n, []]));
  const timedCall = (name: string) =>
    modes[name].mode(async (body) => {
      const from = performance.now();
      const y = await body();
      samples[name].push({ from, ms: performance.now() - from });
      return y;
    });
  const warm = async (name: string) => {
    errors[name] = check(name, await modes[name].mode((body) => body()));
    for (let i = 0; i < WARMUP; i++) await modes[name].mode((body) => body());
  };
  if (inBlocks) {
    for (const name of names) {
      await warm(name);
      for (let r = 0; r < REPEATS; r++) await timedCall(name);
    }
  } else {
    for (const name of names) await warm(name);
    for (let r = 0; r < REPEATS; r++) for (const name of names) await timedCall(name);
  }
  const results: Record<string, object> = {};
  for (const name of names) {
    let gcCount = 0;
    let gcMs = 0;
    for (const s of samples[name]) {
      const gc = await gcsBetween(s.from, s.from + s.ms);
      gcCount += gc.gcCount;
      gcMs += gc.gcMs;
    }
    const sorted = samples[name].map((s) => s.ms).sort((a, b) => a - b);
    const record = { medianMs: quantile(sorted, 0.5), p25Ms: quantile(sorted, 0.25), p75Ms: quantile(sorted, 0.75), minMs: sorted[0], maxMs: sorted[sorted.length - 1], gcCount, gcMs, relError: errors[name] };
    results[name] = record;
    process.stderr.write(`${name}: ${record.medianMs.toFixed(3)} ms (p25 ${record.p25Ms.toFixed(3)}, p75 ${record.p75Ms.toFixed(3)}, min ${record.minMs.toFixed(3)}), ${gcCount} GCs (${gcMs.toFixed(1)} ms)\n`);
  }
  for (const m of Object.values(modes)) m.destroy?.();
  return results;
}

/** The map's forward pass over 4096 rows on the GPU's clock, settled (ms), on buffers freed after. */
async function kernelMs(device: GPUDevice, runner: MapRunner): Promise<number> {
  const xs = device.createBuffer({ size: runner.in * 4096 * 4, usage: GPUBufferUsage.STORAGE });
  const ys = device.createBuffer({ size: runner.out * 4096 * 4, usage: GPUBufferUsage.STORAGE });
  const ms = (await timeComputePasses(device, (pass) => runner.encodeDispatches(pass, xs, ys, 4096))).medianMs;
  xs.destroy();
  ys.destroy();
  return Math.max(ms, 0.01);
}

/** `mode` after `ms` of the host and the GPU idle (setTimeout), untimed: the GPU's clocks may drop meanwhile. */
function afterIdle(ms: number, mode: Mode): Mode {
  return async (timed) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return mode(timed);
  };
}

/** `mode` with `passes` of the map's kernels (4096 rows) submitted and awaited before each call, untimed. */
function afterLoad(device: GPUDevice, runner: MapRunner, passes: number, mode: Mode): Mode {
  const xs = device.createBuffer({ size: runner.in * 4096 * 4, usage: GPUBufferUsage.STORAGE });
  const ys = device.createBuffer({ size: runner.out * 4096 * 4, usage: GPUBufferUsage.STORAGE });
  return async (timed) => {
    const e = device.createCommandEncoder();
    for (let i = 0; i < passes; i++) runner.encodeForward(e, xs, ys, 4096);
    device.queue.submit([e.finish()]);
    await device.queue.onSubmittedWorkDone();
    return mode(timed);
  };
}

/** One setImmediate turn of the event loop with nothing of the binding's pending, in µs (median of `n`). */
async function tickUs(n: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await new Promise((resolve) => setImmediate(resolve));
    samples.push((performance.now() - t) * 1000);
  }
  return quantile(samples.sort((a, b) => a - b), 0.5);
}

/** The binding's mechanics (see the header), in µs. */
async function mechanics(device: GPUDevice, runner: MapRunner, settledMs: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  out.tickUs = await tickUs(200);
  // A mapAsync pending behind about 30 ms of kernels: the binding's loop calls ProcessEvents on every turn meanwhile.
  const xs = device.createBuffer({ size: runner.in * 4096 * 4, usage: GPUBufferUsage.STORAGE });
  const ys = device.createBuffer({ size: runner.out * 4096 * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const flag = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const passes = Math.min(3000, Math.ceil(30 / settledMs));
  const e = device.createCommandEncoder();
  for (let i = 0; i < passes; i++) runner.encodeForward(e, xs, ys, 4096);
  e.copyBufferToBuffer(ys, 0, flag, 0, 16);
  device.queue.submit([e.finish()]);
  let done = false;
  const mapped = flag.mapAsync(GPUMapMode.READ).then(() => (done = true));
  const pending: number[] = [];
  while (!done && pending.length < 2000) {
    const t = performance.now();
    await new Promise((resolve) => setImmediate(resolve));
    pending.push((performance.now() - t) * 1000);
  }
  await mapped;
  out.tickPendingUs = quantile(pending.sort((a, b) => a - b), 0.5);
  out.tickPendingTurns = pending.length;
  flag.unmap();
  const idle: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    await flag.mapAsync(GPUMapMode.READ);
    idle.push((performance.now() - t) * 1000);
    flag.unmap();
  }
  out.mapIdleUs = quantile(idle.sort((a, b) => a - b), 0.5);
  for (const mib of [4, 8, 16]) {
    const readback = device.createBuffer({ size: mib << 20, usage: GPUBufferUsage.MAP_READ });
    const samples: number[] = [];
    for (let i = 0; i < 30; i++) {
      await readback.mapAsync(GPUMapMode.READ);
      const t = performance.now();
      void new Float32Array(readback.getMappedRange());
      readback.unmap();
      samples.push((performance.now() - t) * 1000);
    }
    out[`mappedRangeUs:${mib}`] = quantile(samples.sort((a, b) => a - b), 0.5);
    readback.destroy();
  }
  for (const b of [xs, ys, flag]) b.destroy();
  return out;
}

async function main(): Promise<void> {
  const { device } = await nodeGpu();
  const { runner, map, program, packed, random } = await hostRunner(device, SPEC, 'untuned');
    const checker = (batch: number, x: Float32Array) => {
    const rows = Math.min(batch, CHECK_ROWS);
    const want = executeProgram(program, packed, x.subarray(0, rows * map.in), rows);
    return (mode: string, y: Float32Array) => {
      const got = y.subarray(0, Math.min(y.length, rows * map.out));
      const relError = relativeError(got, want.subarray(0, got.length));
      if (!(relError < 1e-5)) throw new Error(`batch ${batch}, ${mode}: relative error ${relError}`);
      return relError;
    };
  };
  // The forward pass of 4096 rows on the GPU's clock settled under load: what the timelines' kernels take at full clock.
  const settledMs = await kernelMs(device, runner);
  const loadPasses = Math.min(3000, Math.ceil(LOAD_MS / settledMs));
  const record: Record<string, unknown> = { spec: SPEC, kernelSet: runner.kernelSet!.name, repeats: REPEATS, warmup: WARMUP, kernelMs: settledMs, loadPasses, date: new Date().toISOString() };
  record.mechanics = await mechanics(device, runner, settledMs);
  process.stderr.write(`mechanics: ${JSON.stringify(record.mechanics)}\n`);

  // B = 4096: streams of stagings.
  const xs = randomArray(STREAM_BATCH * map.in, random);
  const streamModes = (specs: [number, number][]) =>
    Object.fromEntries(specs.map(([rows, depth]) => [`streamRun:${rows}x${depth}`, stagingStream(runner, xs, STREAM_BATCH, rows, false, depth, CHECK_ROWS)]));
  const [rows0, depth0] = STREAMS[0];
  const first = `streamRun:${rows0}x${depth0}`;
  record.stream = { batch: STREAM_BATCH, modes: await timeModes(streamModes(STREAMS), checker(STREAM_BATCH, xs)) };
  record.gcStreams = await timeModes(streamModes(GC_STREAMS), checker(STREAM_BATCH, xs), true);
  // The first stream in blocks: back to back, each call after load, each after 5 ms idle.
  const clocked = stagingStream(runner, xs, STREAM_BATCH, rows0, false, depth0, CHECK_ROWS);
  const streamClocks: Record<string, Timed> = {
    [`${first}:block`]: { mode: clocked.mode },
    [`${first}:loaded`]: { mode: afterLoad(device, runner, loadPasses, clocked.mode) },
    [`${first}:idle5`]: { mode: afterIdle(5, clocked.mode), destroy: clocked.destroy },
  };
  record.streamClocks = await timeModes(streamClocks, checker(STREAM_BATCH, xs), true);

  // B = 512: forward(x, { out }) and a staging.
  const xo = randomArray(OUT_BATCH * map.in, random);
  const out = new Float32Array(OUT_BATCH * map.out);
  const staging = runner.createStaging(OUT_BATCH);
  const outModes: Record<string, Timed> = {
    out: { mode: (timed) => timed(() => runner.forward(xo, { batch: OUT_BATCH, out })) },
    ...Object.fromEntries(OUT_CHUNK_ROWS.map((r) => [`out:${r}`, { mode: (timed: Parameters<Mode>[0]) => timed(() => runner.forward(xo, { batch: OUT_BATCH, out, chunkRows: r })) }])),
    staging: {
      mode: (timed) =>
        timed(async () => {
          (await staging.input(OUT_BATCH)).set(xo);
          return staging.run();
        }),
    },
    stagingRun: {
      mode: async (timed) => {
        (await staging.input(OUT_BATCH)).set(xo);
        return timed(() => staging.run());
      },
    },
  };
  record.out = { batch: OUT_BATCH, modes: await timeModes(outModes, checker(OUT_BATCH, xo)) };
  const outMode = outModes.out.mode;
  record.outClocks = await timeModes(
    { 'out:block': { mode: outMode }, 'out:loaded': { mode: afterLoad(device, runner, loadPasses, outMode) }, 'out:idle5': { mode: afterIdle(5, outMode) } },
    checker(OUT_BATCH, xo),
    true,
  );
  staging.destroy();

  // Timelines on buffers of their own.
  const timelines: object[] = [];
  if (hasTimestamps(device)) {
    const encode = (pass: GPUComputePassEncoder, x: GPUBuffer, y: GPUBuffer, rows: number) => runner.encodeDispatches(pass, x, y, rows);
    const sizes = { inSize: map.in, outSize: map.out };
    const specs: [string, Float32Array, number, number, number, TimelineOrder, boolean][] = [
      ...STREAMS.slice(0, 2).map(([r, d]): [string, Float32Array, number, number, number, TimelineOrder, boolean] => [`stream ${r}x${d}, no copies`, xs, STREAM_BATCH, r, d, 'staging', false]),
      [`one ${rows0}, no copies`, xs, STREAM_BATCH, rows0, 1, 'one', false],
      [`pipelined ${OUT_BATCH / 2}, copies`, xo, OUT_BATCH, OUT_BATCH / 2, 2, 'pipelined', true],
      [`pipelined ${OUT_BATCH / 4}, copies`, xo, OUT_BATCH, OUT_BATCH / 4, 4, 'pipelined', true],
      [`pipelined ${OUT_BATCH}, copies`, xo, OUT_BATCH, OUT_BATCH, 1, 'pipelined', true],
      // Reads interleaved with writes (chunk i - D read before chunk i is written): W0 S0 W1 S1 R0 W2 S2 R1 W3 S3 R2 R3.
      [`stream ${OUT_BATCH / 4}x2, copies`, xo, OUT_BATCH, OUT_BATCH / 4, 2, 'staging', true],
      [`stream ${OUT_BATCH / 4}x3, copies`, xo, OUT_BATCH, OUT_BATCH / 4, 3, 'staging', true],
    ];
    for (const [name, x, batch, rows, depth, order, copies] of specs) {
      const { timeline, out: y } = await streamTimeline(device, encode, sizes, x, batch, rows, depth, order, 20, copies);
      checker(batch, x)(`timeline ${name}`, y);
      const f = (v: number) => v.toFixed(3);
      process.stderr.write(
        `timeline ${name} (B=${batch}): wall ${f(timeline.wallMs)}, GPU span ${f(timeline.gpuSpanMs)}, copy in ${f(timeline.firstCopyInMs)}, copy out ${f(timeline.lastCopyOutMs)}, ` +
          `copy out + next copy in ${f(timeline.pairedCopiesMs)}, kernels ${f(timeline.kernelsMs)}; per chunk submit@/cpu in@/kernels@ mapped@ wait/write/read: ` +
          `${timeline.chunks.map((c) => `${f(c.submitAtMs)}/${f(c.submitCpuMs)} ${f(c.gpuInDoneMs)}/${f(c.gpuKernelsDoneMs)} ${f(c.mappedAtMs)} ${f(c.readWaitMs)}/${f(c.hostWriteMs)}/${f(c.hostReadMs)}`).join(' | ')}\n`,
      );
      timelines.push({ name, batch, ...timeline });
    }
  }
  record.timelines = timelines;
  const json = JSON.stringify(record, null, 1) + '\n';
  if (arg('--out')) writeFileSync(arg('--out')!, json);
  else process.stdout.write(json);
  runner.destroy();
  device.destroy();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
