/**
 * Measuring a compiled map on a GPU device: what `monc bench` reports and what bench/sweep.ts
 * records. A compile-time tool (it uses the compiler's output, the float64 executor and the
 * runtime's MapRunner and timing), kept out of src/cli so that the command stays a thin shell and
 * bench/ does not import a CLI command.
 */
import type { KernelSetName, ManifestMap } from '../manifest/types.js';
import type { Schedule } from '../codegen/wgsl/kernel.js';
import type { Dtype } from '../dsl/structure.js';
import type { Program } from '../ir/ir.js';
import { executeProgram } from '../runtime/cpu-executor.js';
import { f32ArrayToF16 } from '../runtime/formats/f16.js';
import { initParams } from '../runtime/init.js';
import { MapRunner } from '../runtime/map-runner.js';
import { deviceCapabilities } from '../runtime/device.js';
import { chooseKernelSet, kernelSetsOf } from '../runtime/kernel-sets.js';
// Any map is measured, block-sparse ones included (their kernels' pattern tables): bench/sweep.ts imports no runtime entry.
import '../runtime/sparse.js';
import { packParams } from '../runtime/params.js';
import { paddedBytes } from '../runtime/buffer.js';
import { timePasses, type TimingMethod, type TimingStats } from '../runtime/timing.js';
import { relativeError } from '../tuner/op-reference.js';
import { checkedRows, readRows } from '../tuner/kernel-check.js';
import { NO_RAMP, onFallbackAdapter } from '../tuner/race.js';
import { PRECISION_TOLERANCE } from '../util/precision.js';
import { MoncError } from '../util/error.js';
import { batchOverLimit, forwardRowsLimit } from '../manifest/rows-limit.js';

/** Rows of the timed run checked against the float64 executor before timing: the first, middle and last (checkedRows). */
const CHECK_ROWS = 16;

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
  /** The kernel set the runner took on this device (MapRunner.kernelSet): e.g. `tensor-core` for an untuned f16 map on an adapter with tensor cores. */
  readonly kernelSet: KernelSetName;
  /** The sets before it this device's capabilities do not meet, with what each lacks (a set that failed to compile is not among them). */
  readonly passedOver: readonly { readonly name: KernelSetName; readonly unmet: readonly string[] }[];
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
 * What `monc bench` measures, on `device`: the map's kernels through MapRunner (the kernel set it
 * takes on this device), its `batch`-row forward pass checked against the float64 executor on 16
 * rows spread over the batch (an error when they disagree: a wrong kernel is never timed),
 * then the whole forward pass and each kernel alone timed at `batch` rows (without the GPU clock ramp
 * on a fallback adapter, as the tuner times its candidates). Also used by
 * bench/sweep.ts.
 */
export async function measureMap(device: GPUDevice, target: BenchTarget, opts: MeasureOptions): Promise<MapMeasurement> {
  const { map, program, dtype } = target;
  const runner = await MapRunner.create(map, target.wgsl, { device, dtype });
  try {
    // The set the runner took: its storage type (f32 for an f16 module without shader-f16) and its kernels.
    const set = runner.kernelSet!;
    // Why the sets before it were not taken, as the runner decided (a tensor-core set passed over is a slow surprise).
    const { skipped: passedOver } = chooseKernelSet(map.name, kernelSetsOf(map, dtype), deviceCapabilities(device));
    const storage = set.storage;
    // Buffers past the device's limits are invalid, and a pass that binds them does nothing in no time.
    const over = batchOverLimit(`map '${map.name}'`, opts.batch, forwardRowsLimit(map, storage, device.limits));
    if (over) throw new MoncError('user', over);
    const params = initParams(map.model.params, 0);
    runner.loadParams(params);
    const io = ioBuffers(device, storage, opts.batch, map.in, map.out);
    try {
      // The B-row dispatch that is timed, checked on rows spread over the batch (full row tiles, several workgroups along the
      // rows, a grid split past 65535 workgroups: QA2 s15 R42, a separate 16-row forward was checked instead).
      const relError = await checkTimedRun(device, runner, program, packParams(map.params, map.paramSize, params), io, opts.batch, storage);
      const tolerance = PRECISION_TOLERANCE[dtype];
      if (!(relError < tolerance)) throw new Error(`internal error: map '${map.name}' gives relative error ${relError} against the float64 reference (tolerance ${tolerance}); not timing a wrong kernel`);
      const options = { repeats: opts.repeats, ...(onFallbackAdapter(device) ? NO_RAMP : {}) };
      const whole = await timePasses(device, (pass) => runner.encodeDispatches(pass, io.x, io.y, opts.batch), options);
      const kernels = [];
      for (const [i, k] of set.kernels.entries()) {
        const t = await timePasses(device, (pass) => runner.encodeDispatches(pass, io.x, io.y, opts.batch, i), options);
        kernels.push({ entryPoint: k.entryPoint, ops: k.ops, schedule: k.schedule, tuned: opts.tuned?.(k.ops, k.schedule) ?? false, ms: t.stats.medianMs, spread: t.stats.spread });
      }
      // Manifest bytes are in the module's dtype; the device may hold f32 instead.
      const scale = (storage === 'f16' ? 2 : 4) / (dtype === 'f16' ? 2 : 4);
      const flops = map.flopsPerRow * opts.batch;
      const bytes = (map.bytesPerRow * opts.batch + map.paramBytes) * scale;
      return { map: map.name, kernelSet: set.name, passedOver, storage, flops, bytes, relError, whole, kernels };
    } finally {
      io.x.destroy();
      io.y.destroy();
    }
  } finally {
    runner.destroy();
  }
}

/** One whole forward pass of `batch` rows over `io`, and the relative error of checkedRows of it against the float64 executor. */
async function checkTimedRun(device: GPUDevice, runner: MapRunner, program: Program, packed: Float32Array, io: { x: GPUBuffer; y: GPUBuffer; values: Float32Array }, batch: number, storage: 'f32' | 'f16'): Promise<number> {
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  runner.encodeDispatches(pass, io.x, io.y, batch);
  pass.end();
  device.queue.submit([enc.finish()]);
  const rows = checkedRows(batch, CHECK_ROWS);
  const n = program.in;
  const x = new Float32Array(rows.length * n);
  rows.forEach((r, k) => x.set(io.values.subarray(r * n, (r + 1) * n), k * n));
  return relativeError(await readRows(device, io.y, rows, program.out, storage), executeProgram(program, packed, x, rows.length));
}

function randomValues(count: number, seed: number): Float32Array<ArrayBuffer> {
  let s = seed;
  // A linear congruential generator: the input only needs to be deterministic and non-trivial.
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return values;
}

/** The timed run's input (random `values`, in `storage`) and output buffers; the output is read back for the check. */
function ioBuffers(device: GPUDevice, storage: 'f32' | 'f16', batch: number, n: number, m: number): { x: GPUBuffer; y: GPUBuffer; values: Float32Array } {
  const elem = storage === 'f16' ? 2 : 4;
  const size = (count: number) => paddedBytes(count, elem);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const x = device.createBuffer({ label: 'monc bench x', size: size(batch * n), usage });
  const y = device.createBuffer({ label: 'monc bench y', size: size(batch * m), usage: usage | GPUBufferUsage.COPY_SRC });
  const values = randomValues(batch * n, 11);
  // Whole 4-byte words for writeBuffer: an odd count of halves gets one zero after it.
  const data = storage === 'f16' ? new Uint16Array(batch * n + ((batch * n) % 2)) : values;
  if (data instanceof Uint16Array) data.set(f32ArrayToF16(values));
  device.queue.writeBuffer(x, 0, data);
  return { x, y, values };
}
