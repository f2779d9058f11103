/**
 * GPU timing with timestamp queries: each sample is one compute pass whose beginning and end
 * are stamped on the GPU timeline, so CPU submission overhead is not in the figure. All samples
 * go into one command buffer after warm-up submissions. Adapters without 'timestamp-query' are
 * timed with the wall clock instead (timePasses says which). Browser-safe (WebGPU API only).
 */

export interface TimingStats {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** (p90 − p10) / median: the relative spread of the samples. */
  readonly spread: number;
  readonly samples: readonly number[];
}

export interface TimingOptions {
  /** Untimed runs before timing; at least this many, and at least `warmupMs` of wall time. */
  readonly warmup?: number;
  /**
   * GPUs drop their clocks when idle (measured on the H100: the first timed runs after a few idle
   * seconds took up to 5x longer), so warm-up lasts at least this long (default 200 ms).
   */
  readonly warmupMs?: number;
  readonly repeats?: number;
}

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

/** One compute pass of `encode`, submitted and waited for. */
async function submitPass(device: GPUDevice, encode: (pass: GPUComputePassEncoder) => void): Promise<void> {
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  encode(pass);
  pass.end();
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
}

async function warmUp(device: GPUDevice, encode: (pass: GPUComputePassEncoder) => void, options: TimingOptions): Promise<void> {
  const warmup = options.warmup ?? 3;
  const warmupMs = options.warmupMs ?? 200;
  const start = performance.now();
  for (let i = 0; i < warmup || performance.now() - start < warmupMs; i++) await submitPass(device, encode);
}

/**
 * Times `encode` (which records dispatches into the pass it is given) `repeats` times after
 * `warmup` untimed runs. Needs the device's 'timestamp-query' feature.
 */
export async function timeComputePasses(device: GPUDevice, encode: (pass: GPUComputePassEncoder) => void, options: TimingOptions = {}): Promise<TimingStats> {
  if (!hasTimestamps(device)) throw new Error("timing needs the adapter feature 'timestamp-query'");
  const repeats = options.repeats ?? 20;
  await warmUp(device, encode, options);
  const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * repeats });
  const resolve = device.createBuffer({ size: 16 * repeats, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const readback = device.createBuffer({ size: 16 * repeats, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const enc = device.createCommandEncoder();
    for (let i = 0; i < repeats; i++) {
      const pass = enc.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
      encode(pass);
      pass.end();
    }
    enc.resolveQuerySet(querySet, 0, 2 * repeats, resolve, 0);
    enc.copyBufferToBuffer(resolve, 0, readback, 0, 16 * repeats);
    device.queue.submit([enc.finish()]);
    await readback.mapAsync(GPUMapMode.READ);
    const stamps = new BigInt64Array(readback.getMappedRange().slice(0));
    readback.unmap();
    const samples = Array.from({ length: repeats }, (_, i) => Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6);
    return summarize(samples);
  } finally {
    querySet.destroy();
    resolve.destroy();
    readback.destroy();
  }
}

/**
 * Times `encode` with the CPU clock: each sample is one pass submitted on its own and waited for,
 * so submission and completion latency are in the figure (an upper bound on the GPU time). For
 * adapters without 'timestamp-query'.
 */
export async function timeComputePassesWallClock(device: GPUDevice, encode: (pass: GPUComputePassEncoder) => void, options: TimingOptions = {}): Promise<TimingStats> {
  const repeats = options.repeats ?? 20;
  await warmUp(device, encode, options);
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await submitPass(device, encode);
    samples.push(performance.now() - start);
  }
  return summarize(samples);
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
