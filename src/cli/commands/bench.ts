/**
 * `monc bench FILE.mon --map NAME --batch B [--tuning [DB] | --no-tuning] [--repeats N]`: times a
 * map's kernels on this machine's adapter, as a build would emit them for it (the tuned schedule
 * where the tuning database has one for this adapter and batch bucket, else the default). The
 * output is first checked against the float64 executor on a few rows; then the whole forward pass
 * (one compute pass) and each kernel alone are timed with timestamp queries (the wall clock when
 * the adapter has none). Reports ms per call, GFLOP/s (manifest FLOPs per row × B), GB/s
 * (activations each kernel reads and writes + the parameters) and, for GPUs with known peak
 * figures (device-peaks.ts), the percentage of the memory and FP32 floors.
 */
import { isAmong } from '../../codegen/wgsl/family.js';
import type { Schedule } from '../../codegen/wgsl/kernel.js';
import { paramsOf } from '../../dsl/params.js';
import type { ManifestMap } from '../../codegen/manifest-types.js';
import type { Dtype } from '../../dsl/structure.js';
import type { Program } from '../../ir/ir.js';
import { executeProgram } from '../../runtime/cpu-executor.js';
import { f32ArrayToF16 } from '../../runtime/formats/f16.js';
import { initParams } from '../../runtime/init.js';
import { MapRunner } from '../../runtime/map-runner.js';
import { packParams } from '../../runtime/params.js';
import { timePasses, type TimingMethod, type TimingStats } from '../../runtime/timing.js';
import { scheduleLookup } from '../../runtime/tuner/lookup.js';
import { relativeError } from '../../runtime/tuner/op-reference.js';
import { compileSpecKernels } from '../compile-spec.js';
import { note, type CommandContext, type CommandResult } from '../context.js';
import { devicePeaks } from '../device-peaks.js';
import { openGpu, type CommandGpu } from '../gpu.js';
import { findMap } from '../load-spec.js';
import { opsText, scheduleText } from '../schedule-text.js';
import { formatTable } from '../table.js';
import { readTuning, type TuningChoice } from '../tuning.js';

export interface BenchOptions {
  readonly map: string;
  readonly batch: number;
  /** A database, the user's (true), or none (false: the default schedules). */
  readonly tuning: TuningChoice | false;
  readonly repeats: number;
}

/** Rows checked against the float64 executor before timing. */
const CHECK_ROWS = 16;

export async function benchCommand(ctx: CommandContext, file: string, opts: BenchOptions): Promise<CommandResult> {
  const loaded = opts.tuning === false ? undefined : await readTuning(ctx, opts.tuning);
  const gpu = await openGpu(ctx, 'bench');
  try {
    const lookup = loaded && scheduleLookup(loaded.db, { adapter: gpu.identity, batch: opts.batch });
    const spec = await compileSpecKernels(ctx, file, lookup);
    const checked = findMap(spec, opts.map);
    const map = spec.outputs.manifest.maps.find((m) => m.name === checked.name)!;
    const program = spec.programs.find((p) => p.name === checked.name)!;
    const dtype = spec.module.dtype;
    const tuned = (ops: readonly number[], schedule: Schedule) => {
      const t = lookup?.(ops.map((i) => program.ops[i]), dtype);
      return t !== undefined && isAmong(schedule, [t.schedule]);
    };
    const measured = await measureMap(gpu.device, { map, program, wgsl: spec.outputs.wgsl, dtype }, { batch: opts.batch, repeats: opts.repeats, tuned });
    if (measured.whole.method === 'wall-clock') note(ctx, "this adapter has no 'timestamp-query': timed by the wall clock (submission latency included)");
    return report(file, opts, gpu, { ...measured, tuningPath: loaded?.path });
  } finally {
    gpu.device.destroy();
  }
}

/** A compiled map: its manifest entry, its program, the module's WGSL and dtype. */
export interface BenchTarget {
  readonly map: ManifestMap;
  readonly program: Program;
  readonly wgsl: string;
  readonly dtype: Dtype;
}

export interface MeasureOptions {
  readonly batch: number;
  readonly repeats: number;
  /** Whether a kernel's schedule came from the tuning database (reported per kernel). */
  readonly tuned?: (ops: readonly number[], schedule: Schedule) => boolean;
}

export interface MapMeasurement {
  readonly map: string;
  /** The storage type the device ran (f32 for an f16 module on a device without shader-f16). */
  readonly storage: 'f32' | 'f16';
  readonly flops: number;
  readonly bytes: number;
  readonly relError: number;
  /** The whole forward pass: every kernel, in order, in one compute pass. */
  readonly whole: { readonly stats: TimingStats; readonly method: TimingMethod };
  readonly kernels: readonly { readonly entryPoint: string; readonly ops: readonly number[]; readonly schedule: Schedule; readonly tuned: boolean; readonly ms: number; readonly spread: number }[];
}

/**
 * What `monc bench` measures, on `device`: the map's kernels through MapRunner, checked against
 * the float64 executor on a few rows (an error when they disagree: a wrong kernel is never timed),
 * then the whole forward pass and each kernel alone timed at `batch` rows. Also used by
 * bench/sweep.ts.
 */
export async function measureMap(device: GPUDevice, target: BenchTarget, opts: MeasureOptions): Promise<MapMeasurement> {
  const { map, program, dtype } = target;
  const runner = await MapRunner.create(map, target.wgsl, { device, dtype });
  try {
    const params = initParams(paramsOf(map.structure), 0);
    runner.loadParams(params);
    const relError = await checkAgainstReference(runner, program, packParams(map.params, map.paramSize, params), Math.min(opts.batch, CHECK_ROWS));
    const tolerance = dtype === 'f16' ? 3e-3 : 1e-5;
    if (!(relError < tolerance)) throw new Error(`internal error: map '${map.name}' gives relative error ${relError} against the float64 reference (tolerance ${tolerance}); not timing a wrong kernel`);

    // The device keeps f16 only when it has shader-f16 (MapRunner computes in f32 otherwise).
    const storage = dtype === 'f16' && device.features.has('shader-f16') ? 'f16' : 'f32';
    const io = ioBuffers(device, storage, opts.batch, map.in, map.out);
    try {
      const options = { repeats: opts.repeats };
      const whole = await timePasses(device, (pass) => runner.encodeDispatches(pass, io.x, io.y, opts.batch), options);
      const kernels = [];
      for (const [i, k] of map.kernels.entries()) {
        const t = await timePasses(device, (pass) => runner.encodeDispatches(pass, io.x, io.y, opts.batch, i), options);
        kernels.push({ entryPoint: k.entryPoint, ops: k.ops, schedule: k.schedule, tuned: opts.tuned?.(k.ops, k.schedule) ?? false, ms: t.stats.medianMs, spread: t.stats.spread });
      }
      // Manifest bytes are in the module's dtype; the device may hold f32 instead.
      const scale = (storage === 'f16' ? 2 : 4) / (dtype === 'f16' ? 2 : 4);
      const flops = map.flopsPerRow * opts.batch;
      const bytes = (map.bytesPerRow * opts.batch + map.paramBytes) * scale;
      return { map: map.name, storage, flops, bytes, relError, whole, kernels };
    } finally {
      io.x.destroy();
      io.y.destroy();
    }
  } finally {
    runner.destroy();
  }
}

/** The relative error of the first `rows` rows of a random input against the float64 executor. */
async function checkAgainstReference(runner: MapRunner, program: Program, packed: Float32Array, rows: number): Promise<number> {
  const x = randomValues(rows * program.in, 7);
  const y = await runner.forward(x, rows);
  return relativeError(y, executeProgram(program, packed, x, rows));
}

function randomValues(count: number, seed: number): Float32Array<ArrayBuffer> {
  let s = seed;
  // A linear congruential generator: the input only needs to be deterministic and non-trivial.
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return values;
}

function ioBuffers(device: GPUDevice, storage: 'f32' | 'f16', batch: number, n: number, m: number): { x: GPUBuffer; y: GPUBuffer } {
  const elem = storage === 'f16' ? 2 : 4;
  const size = (count: number) => Math.max(16, Math.ceil((count * elem) / 16) * 16);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const x = device.createBuffer({ label: 'monc bench x', size: size(batch * n), usage });
  const y = device.createBuffer({ label: 'monc bench y', size: size(batch * m), usage });
  const values = randomValues(batch * n, 11);
  // Whole 4-byte words for writeBuffer: an odd count of halves gets one zero after it.
  const data = storage === 'f16' ? new Uint16Array(batch * n + ((batch * n) % 2)) : values;
  if (data instanceof Uint16Array) data.set(f32ArrayToF16(values));
  device.queue.writeBuffer(x, 0, data);
  return { x, y };
}

function report(file: string, opts: BenchOptions, gpu: CommandGpu, m: MapMeasurement & { readonly tuningPath?: string }): CommandResult {
  const { stats, method } = m.whole;
  const seconds = stats.medianMs / 1e3;
  const gflops = m.flops / seconds / 1e9;
  const gbs = m.bytes / seconds / 1e9;
  const peaks = devicePeaks(gpu.identity.vendor, gpu.identity.device);
  const floors = peaks && {
    device: peaks.name,
    memoryBytesPerS: peaks.memoryBytesPerS,
    fp32FlopsPerS: peaks.fp32FlopsPerS,
    percentOfMemoryFloor: (100 * m.bytes) / seconds / peaks.memoryBytesPerS,
    percentOfComputeFloor: (100 * m.flops) / seconds / peaks.fp32FlopsPerS,
  };
  const pct = (x: number) => `${x.toFixed(1)}%`;
  const table = formatTable(
    ['kernel', 'ops', 'schedule', 'tuned', 'ms', '±'],
    m.kernels.map((k) => [k.entryPoint, opsText(k.ops), scheduleText(k.schedule), k.tuned ? 'yes' : 'no', k.ms.toFixed(4), pct(k.spread * 100)]),
    [4, 5],
  );
  return {
    json: {
      file,
      map: m.map,
      batch: opts.batch,
      adapter: gpu.adapterDescription,
      tuning: m.tuningPath ?? null,
      timing: method,
      repeats: opts.repeats,
      ms: stats.medianMs,
      spread: stats.spread,
      minMs: stats.minMs,
      maxMs: stats.maxMs,
      flops: m.flops,
      bytes: m.bytes,
      gflops,
      gbs,
      floors: floors ?? null,
      relativeError: m.relError,
      kernels: m.kernels,
    },
    text: [
      `${file}: map ${m.map}, batch ${opts.batch}, on ${gpu.adapterDescription} (${method === 'timestamp-query' ? 'GPU timestamps' : 'wall clock'}, median of ${opts.repeats})`,
      `${stats.medianMs.toFixed(4)} ms per call (±${pct(stats.spread * 100)}, min ${stats.minMs.toFixed(4)}, max ${stats.maxMs.toFixed(4)})  ${gflops.toFixed(1)} GFLOP/s  ${gbs.toFixed(1)} GB/s`,
      floors
        ? `${floors.device}: ${pct(floors.percentOfMemoryFloor)} of the memory floor (${peaks!.memoryBytesPerS / 1e12} TB/s), ${pct(floors.percentOfComputeFloor)} of the FP32 floor (${peaks!.fp32FlopsPerS / 1e12} TFLOP/s)`
        : `no peak figures for this device (${gpu.identity.vendor} ${gpu.identity.device}): percentages of the floors omitted`,
      table,
      `checked against the float64 reference first: relative error ${m.relError.toExponential(2)}`,
    ].join('\n'),
  };
}
