/**
 * One kernel on random data, in isolation: GPU buffers for the ops it performs, its output
 * checked against the float64 op reference (on a subset of rows, so large batches stay cheap),
 * and its time measured with timestamp queries. Used by the tuner and the benchmarks.
 */
import type { Op } from '../ir/ir.js';
import type { EmittedKernel } from '../codegen/wgsl/kernel.js';
import { f16ArrayToF32, f32ArrayToF16 } from '../runtime/formats/f16.js';
import { timePasses, type TimingOptions, type TimingStats } from '../runtime/timing.js';
import { encodeDispatch, prepareKernel, type PreparedDispatch } from './dispatch.js';
import type { PatternLayout } from '../manifest/pattern.js';
import { patternBuffer } from '../runtime/pattern-buffers.js';
import { paddedBytes } from '../runtime/buffer.js';
import { applyOpReference, relativeError, type OpLayout } from './op-reference.js';
import { uniform01 } from '../util/random.js';

export type StorageType = 'f32' | 'f16';

export interface KernelCase {
  /** The ops the kernel performs, in order (one, or a fused run). */
  readonly ops: readonly Op[];
  readonly layout: OpLayout;
  readonly paramSize: number;
  readonly storage: StorageType;
  readonly batch: number;
  /** Rows checked against the reference (checkedRows; default 64). */
  readonly checkRows?: number;
  readonly seed?: number;
}

type DeviceData = Float32Array<ArrayBuffer> | Uint16Array<ArrayBuffer>;

/**
 * Random data is a block of PERIOD values repeated. PERIOD is prime and larger than any row and
 * any batch, so no two rows hold the same data (a kernel that reads the wrong row still fails the
 * check), while filling buffers of hundreds of MB (B = 16384 rows of 4096) stays a copy.
 */
const PERIOD = 1_048_573;

/** `dst` filled with `block` repeated over its first `count` elements. */
function tiled<T extends DeviceData>(dst: T, block: ArrayLike<number>, count: number): T {
  dst.set(block);
  for (let filled = block.length; filled < count; filled *= 2) dst.copyWithin(filled, 0, Math.min(filled, count - filled));
  return dst;
}

interface Filled {
  /** What the device holds: f32 values, or f16 bits (an even count: uploads are whole 4-byte words). */
  readonly data: DeviceData;
  /** Elements [start, end) as the device holds them (f16 rounded), as f32. */
  stored(start: number, end: number): Float32Array;
}

/** `count` uniform values in [-scale, scale). */
function uniform(rnd: () => number, storage: StorageType, count: number, scale: number): Filled {
  const block = new Float32Array(Math.min(count, PERIOD));
  for (let i = 0; i < block.length; i++) block[i] = (2 * rnd() - 1) * scale;
  if (storage === 'f32') {
    const data = tiled(new Float32Array(count), block, count);
    return { data, stored: (start, end) => data.subarray(start, end) };
  }
  const bits = f32ArrayToF16(block);
  const rounded = f16ArrayToF32(bits);
  return {
    data: tiled(new Uint16Array(count + (count % 2)), bits, count),
    stored: (start, end) => {
      const out = new Float32Array(end - start);
      for (let i = 0, j = start % rounded.length; i < out.length; i++, j = j + 1 === rounded.length ? 0 : j + 1) out[i] = rounded[j];
      return out;
    },
  };
}

/**
 * The rows of a batch whose output is checked, ascending: all of them when there are at most
 * `wanted` (at least 2); otherwise the first and the last quarter of them (the first row tile, and the last,
 * often partial) and the other half spread evenly over the rows between, so that a kernel that
 * mishandles a middle row tile (tiles are 32-256 rows; a batch of 4096 has dozens) is compared
 * too, at no more cost. The spacing is rarely a multiple of a tile, so the rows fall at varied
 * places within their tiles.
 */
export function checkedRows(batch: number, wanted: number): number[] {
  const count = Math.max(2, wanted); // the first row and the last, at least
  if (batch <= count) return [...Array(batch).keys()];
  const edge = Math.max(1, Math.floor(count / 4));
  const spread = count - 2 * edge;
  const middle = batch - 2 * edge;
  return [
    ...Array.from({ length: edge }, (_, i) => i),
    ...Array.from({ length: spread }, (_, i) => edge + Math.floor(((i + 0.5) * middle) / spread)),
    ...Array.from({ length: edge }, (_, i) => batch - edge + i),
  ];
}

/** Buffers the ops read before writing them (inputs, and accumulation targets). */
function inputsOf(ops: readonly Op[]): string[] {
  const written = new Set<string>();
  const inputs: string[] = [];
  for (const op of ops) {
    const reads = [...(op.kind !== 'bias' ? [op.src] : []), ...(op.accumulate ? [op.dst] : [])];
    for (const r of reads) if (!written.has(r) && !inputs.includes(r)) inputs.push(r);
    written.add(op.dst);
  }
  return inputs;
}

export class KernelCheck {
  private readonly patterns = new Map<PatternLayout, GPUBuffer>();

  private constructor(
    private readonly device: GPUDevice,
    private readonly c: KernelCase,
    private readonly gpu: { readonly params: GPUBuffer; readonly src: GPUBuffer; readonly dst: GPUBuffer },
    /** The destination's initial contents as uploaded, when the ops accumulate into it (else it starts at zero). */
    private readonly dstInit: DeviceData | undefined,
    private readonly rows: readonly number[],
    private readonly expected: Float64Array,
  ) {}

  /** Allocates and fills the buffers and computes the expected rows. */
  static create(device: GPUDevice, c: KernelCase): KernelCheck {
    const rnd = uniform01(c.seed ?? 1);
    const size = (name: string) => c.layout.buffers.get(name)!;
    const first = c.ops[0];
    const last = c.ops[c.ops.length - 1];
    const src = first.kind === 'bias' ? last.dst : first.src;
    const paramData = uniform(rnd, c.storage, c.paramSize, 0.5);
    const params = paramData.stored(0, c.paramSize);
    const inputs = new Map(inputsOf(c.ops).map((name) => [name, uniform(rnd, c.storage, c.batch * size(name), 1)]));
    const rows = checkedRows(c.batch, c.checkRows ?? 64);
    // The reference on the selected rows only: rows are independent.
    const sub = new Map<string, Float64Array>();
    for (const [name, filled] of inputs) {
      const s = size(name);
      const rowsData = new Float64Array(rows.length * s);
      rows.forEach((r, k) => rowsData.set(filled.stored(r * s, (r + 1) * s), k * s));
      sub.set(name, rowsData);
    }
    for (const op of c.ops) applyOpReference(op, c.layout, params, sub, rows.length);
    const mk = (data: DeviceData | undefined, count: number, usage: number) => {
      const elem = c.storage === 'f16' ? 2 : 4;
      const buf = device.createBuffer({ size: paddedBytes(count, elem), usage });
      if (data) device.queue.writeBuffer(buf, 0, data);
      return buf;
    };
    const S = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    const dstInit = inputs.get(last.dst)?.data;
    const gpu = {
      params: mk(paramData.data, c.paramSize, S),
      src: mk(inputs.get(src)?.data, c.batch * size(src), S),
      dst: mk(dstInit, c.batch * size(last.dst), S),
    };
    return new KernelCheck(device, c, gpu, dstInit, rows, sub.get(last.dst)!);
  }

  async prepare(kernel: EmittedKernel): Promise<PreparedDispatch> {
    const pattern = kernel.pattern && this.patternTable(kernel.pattern, kernel.entryPoint);
    return prepareKernel(this.device, kernel, { ...this.gpu, ...(pattern ? { pattern } : {}) }, this.c.batch);
  }

  /** The pattern table of the case's (first) op in `layout`, uploaded once for every candidate kernel. */
  private patternTable(layout: PatternLayout, entryPoint: string): GPUBuffer {
    let buffer = this.patterns.get(layout);
    if (!buffer) this.patterns.set(layout, (buffer = patternBuffer(this.device, this.c.ops[0], layout, `kernel ${entryPoint}`)));
    return buffer;
  }

  /** Runs the kernel once on fresh data and returns its relative error on the checked rows. */
  async check(kernel: EmittedKernel): Promise<number> {
    const d = await this.prepare(kernel);
    this.resetDst();
    const enc = this.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    encodeDispatch(pass, d);
    pass.end();
    this.device.queue.submit([enc.finish()]);
    return relativeError(await this.readRows(), this.expected);
  }

  /** Times the kernel (output not checked here: call `check` first); by the wall clock when the device has no timestamp queries. */
  async time(kernel: EmittedKernel, options?: TimingOptions): Promise<TimingStats> {
    const d = await this.prepare(kernel);
    return (await timePasses(this.device, (pass) => encodeDispatch(pass, d), options)).stats;
  }

  destroy(): void {
    for (const b of this.patterns.values()) b.destroy();
    this.gpu.params.destroy();
    this.gpu.src.destroy();
    this.gpu.dst.destroy();
  }

  private resetDst(): void {
    if (this.dstInit) {
      this.device.queue.writeBuffer(this.gpu.dst, 0, this.dstInit);
    } else {
      const enc = this.device.createCommandEncoder();
      enc.clearBuffer(this.gpu.dst);
      this.device.queue.submit([enc.finish()]);
    }
  }

  private async readRows(): Promise<Float32Array> {
    const last = this.c.ops[this.c.ops.length - 1];
    return readRows(this.device, this.gpu.dst, this.rows, this.c.layout.buffers.get(last.dst)!, this.c.storage);
  }
}

/** Rows `rows` of a (batch, size) activation buffer of `storage` (COPY_SRC), as f32, one after another. */
export async function readRows(device: GPUDevice, buffer: GPUBuffer, rows: readonly number[], size: number, storage: StorageType): Promise<Float32Array> {
  const elem = storage === 'f16' ? 2 : 4;
  const rowBytes = size * elem;
  // Copies must be 4-byte aligned: each row's aligned span goes to its own slot of `stride` bytes.
  const stride = Math.ceil(rowBytes / 4) * 4 + 4;
  const staging = device.createBuffer({ size: rows.length * stride, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  rows.forEach((r, k) => {
    const start = Math.floor((r * rowBytes) / 4) * 4;
    const end = Math.ceil(((r + 1) * rowBytes) / 4) * 4;
    enc.copyBufferToBuffer(buffer, start, staging, k * stride, end - start);
  });
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const raw = new Uint8Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  const out = new Float32Array(rows.length * size);
  rows.forEach((r, k) => {
    const skew = (r * rowBytes) % 4;
    const bytes = raw.slice(k * stride + skew, k * stride + skew + rowBytes);
    out.set(elem === 2 ? f16ArrayToF32(new Uint16Array(bytes.buffer)) : new Float32Array(bytes.buffer), k * size);
  });
  return out;
}
