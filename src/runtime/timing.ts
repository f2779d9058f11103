/**
 * GPU timing with timestamp queries: each sample is one compute pass whose beginning and end
 * are stamped on the GPU timeline, so CPU submission overhead is not in the figure. Samples are
 * taken in batches (one command buffer each) until two consecutive batches agree, so that idle
 * GPU clocks do not leak into the figure. Adapters without 'timestamp-query' are timed with the
 * wall clock instead (timePasses says which). Browser-safe (WebGPU API only).
 */
import { deviceError } from '../util/error.js';
import * as flags from './gpu-flags.js';

export interface TimingStats {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** (p90 − p10) / median: the relative spread of the samples. */
  readonly spread: number;
  readonly samples: readonly number[];
  /** How the warm-up ended (absent for statistics that `summarize` made of given samples). */
  readonly warmup?: WarmupReport;
}

export interface WarmupReport {
  /** Batches of samples taken; the last one is the result. */
  readonly batches: number;
  /** Whether the last two batches agreed (false: the time cap ended the warm-up). */
  readonly settled: boolean;
  /** Wall time from the first warm-up run to the end of the last batch. */
  readonly ms: number;
}

export interface TimingOptions {
  /** Untimed runs before the first batch of samples (default 3). */
  readonly warmup?: number;
  /**
   * Minimum wall time of the warm-up, batches included (default 400 ms): on the H100, after 3 s
   * idle, a kernel ran 5.5x slower for the first 140 ms of back-to-back load, 2.3x at 270 ms, and
   * at full speed from about 320 ms; two batches inside that ramp can agree with each other.
   */
  readonly warmupMs?: number;
  /**
   * Cap on the warm-up's wall time (default 2000 ms): the last batch is the result then, even if
   * it did not agree with the one before (reported as `warmup.settled: false`). Keeps slow
   * adapters (SwiftShader) cheap.
   */
  readonly maxWarmupMs?: number;
  readonly repeats?: number;
}

/**
 * GPUs drop their clocks when idle, and raise them only under sustained load (measured on the
 * H100: kernels timed after a few idle seconds took up to 4x longer, even after 200 ms of
 * one-pass-at-a-time warm-up, which leaves the GPU idle between passes). So samples are taken
 * in batches, each preceded in the same submission by about BUSY_MS of untimed passes, for at
 * least `warmupMs` and until the medians of two consecutive batches agree within AGREEMENT.
 */
const BUSY_MS = 100;
const AGREEMENT = 0.05;
/** Most untimed passes put ahead of one batch (CPU encoding cost for kernels of a microsecond). */
const MAX_PAD = 8192;
const DEFAULT_WARMUP_MS = 400;
const DEFAULT_MAX_WARMUP_MS = 2000;

export function hasTimestamps(device: GPUDevice): boolean {
  return device.features.has('timestamp-query');
}

/** Statistics of a list of millisecond samples. */
export function summarize(samples: readonly number[]): TimingStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
  const medianMs = sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return { medianMs, minMs: sorted[0], maxMs: sorted[sorted.length - 1], spread: medianMs > 0 ? (at(0.9) - at(0.1)) / medianMs : 0, samples };
}

/** Records `count` untimed passes of `encode`. */
function encodePasses(enc: GPUCommandEncoder, encode: (pass: GPUComputePassEncoder) => void, count: number): void {
  for (let i = 0; i < count; i++) {
    const pass = enc.beginComputePass();
    encode(pass);
    pass.end();
  }
}

/** `count` passes of `encode` in one submission, waited for. */
async function submitPasses(device: GPUDevice, encode: (pass: GPUComputePassEncoder) => void, count: number): Promise<void> {
  const enc = device.createCommandEncoder();
  encodePasses(enc, encode, count);
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
}

/** One batch of samples, given how many untimed passes to run right before it. */
type Batch = (pad: number) => Promise<TimingStats>;

/**
 * Warm-up, then batches of samples until two consecutive medians agree (or the time cap): the
 * last batch. Each batch is preceded by enough untimed passes to keep the GPU busy ~BUSY_MS,
 * estimated from the previous batch (from the warm-up runs' wall time at first).
 */
async function settled(device: GPUDevice, encode: (pass: GPUComputePassEncoder) => void, options: TimingOptions, batch: Batch): Promise<TimingStats> {
  const warmup = Math.max(1, options.warmup ?? 3);
  const minMs = options.warmupMs ?? DEFAULT_WARMUP_MS;
  const maxMs = Math.max(minMs, options.maxWarmupMs ?? DEFAULT_MAX_WARMUP_MS);
  const start = performance.now();
  await submitPasses(device, encode, warmup);
  let perPassMs = (performance.now() - start) / warmup;
  let previous: TimingStats | undefined;
  for (let batches = 1; ; batches++) {
    const pad = Math.min(MAX_PAD, Math.ceil(BUSY_MS / Math.max(perPassMs, BUSY_MS / MAX_PAD)));
    const stats = await batch(pad);
    const elapsed = performance.now() - start;
    const agree = previous !== undefined && Math.abs(stats.medianMs - previous.medianMs) <= AGREEMENT * Math.max(stats.medianMs, previous.medianMs);
    if ((agree && elapsed >= minMs) || elapsed >= maxMs) return { ...stats, warmup: { batches, settled: agree, ms: elapsed } };
    previous = stats;
    perPassMs = stats.medianMs;
  }
}

/**
 * Times `encode` (which records dispatches into the pass it is given): `repeats` samples, each
 * one pass stamped at its beginning and end, all in one command buffer after `pad` untimed
 * passes. Needs the device's 'timestamp-query' feature.
 */
async function timestampBatch(device: GPUDevice, encode: (pass: GPUComputePassEncoder) => void, repeats: number, pad: number): Promise<TimingStats> {
  const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * repeats });
  const resolve = device.createBuffer({ size: 16 * repeats, usage: flags.QUERY_RESOLVE | flags.COPY_SRC });
  const readback = device.createBuffer({ size: 16 * repeats, usage: flags.MAP_READ | flags.COPY_DST });
  try {
    const enc = device.createCommandEncoder();
    encodePasses(enc, encode, pad);
    for (let i = 0; i < repeats; i++) {
      const pass = enc.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
      encode(pass);
      pass.end();
    }
    enc.resolveQuerySet(querySet, 0, 2 * repeats, resolve, 0);
    enc.copyBufferToBuffer(resolve, 0, readback, 0, 16 * repeats);
    device.queue.submit([enc.finish()]);
    await readback.mapAsync(flags.MODE_READ);
    const stamps = new BigInt64Array(readback.getMappedRange().slice(0));
    readback.unmap();
    return summarize(Array.from({ length: repeats }, (_, i) => Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6));
  } finally {
    querySet.destroy();
    resolve.destroy();
    readback.destroy();
  }
}

/**
 * Times `encode` (which records dispatches into the pass it is given) with timestamp queries:
 * the median of `repeats` passes, once the GPU's clocks have settled (see TimingOptions). Needs
 * the device's 'timestamp-query' feature.
 */
export async function timeComputePasses(device: GPUDevice, encode: (pass: GPUComputePassEncoder) => void, options: TimingOptions = {}): Promise<TimingStats> {
  if (!hasTimestamps(device)) throw deviceError("timing needs the adapter feature 'timestamp-query'");
  const repeats = options.repeats ?? 20;
  return settled(device, encode, options, (pad) => timestampBatch(device, encode, repeats, pad));
}

/**
 * Times `encode` with the CPU clock: each sample is one pass submitted on its own and waited for,
 * so submission and completion latency are in the figure (an upper bound on the GPU time). For
 * adapters without 'timestamp-query'.
 */
export async function timeComputePassesWallClock(device: GPUDevice, encode: (pass: GPUComputePassEncoder) => void, options: TimingOptions = {}): Promise<TimingStats> {
  const repeats = options.repeats ?? 20;
  return settled(device, encode, options, async (pad) => {
    await submitPasses(device, encode, pad);
    const samples: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const start = performance.now();
      await submitPasses(device, encode, 1);
      samples.push(performance.now() - start);
    }
    return summarize(samples);
  });
}

export type TimingMethod = 'timestamp-query' | 'wall-clock';

/** Timestamp queries when the device has them, else the wall clock; says which it used. */
export async function timePasses(
  device: GPUDevice,
  encode: (pass: GPUComputePassEncoder) => void,
  options: TimingOptions = {},
): Promise<{ readonly stats: TimingStats; readonly method: TimingMethod }> {
  return hasTimestamps(device)
    ? { stats: await timeComputePasses(device, encode, options), method: 'timestamp-query' }
    : { stats: await timeComputePassesWallClock(device, encode, options), method: 'wall-clock' };
}
