/**
 * Running one roofline probe (bench/roofline-probes.ts) on a device: its inputs made on the host,
 * uploaded, the kernel compiled and dispatched, the output read back and checked, then timed
 * with timestamp queries. Shared by bench/roofline.ts and its test (which runs the probes'
 * tensor-core and f16 kernels through the subgroup-matrix emulation: f16 buffers as f32).
 */
import { dispatchSize, type Fill, type HostData, type Probe, type ProbeDtype } from './roofline-probes.js';
import { fromStorage, toStorage } from '../src/runtime/host-storage.js';
import { timePasses, type TimingMethod, type TimingStats } from '../src/runtime/timing.js';
import { assertNever } from '../src/util/assert.js';

/** xorshift32: reproducible inputs without a per-element Math.random call (buffers of 67M elements). */
function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** Random finite normal numbers as raw words: every bit pattern moved must arrive unchanged. */
function randomBits(elements: number, dtype: ProbeDtype, seed: number): Uint16Array | Uint32Array {
  const next = xorshift(seed);
  if (dtype === 'f16') {
    const out = new Uint16Array(elements);
    // sign | exponent 8..23 | mantissa
    for (let i = 0; i < elements; i++) {
      const r = next();
      out[i] = (r & 0x3ff) | ((8 + ((r >>> 10) & 0xf)) << 10) | (((r >>> 14) & 1) << 15);
    }
    return out;
  }
  const out = new Uint32Array(elements);
  // sign | exponent 65..192 | mantissa
  for (let i = 0; i < elements; i++) {
    const r = next();
    out[i] = ((r & 0x7fffff) | ((65 + ((r >>> 23) & 0x7f)) << 23) | ((next() & 1) << 31)) >>> 0;
  }
  return out;
}

/** The small exact values of a compute probe's input (see `Fill`). */
function exactValues(elements: number, fill: Exclude<Fill, 'bits'>, seed: number): Float32Array {
  const next = xorshift(seed);
  const out = new Float32Array(elements);
  for (let i = 0; i < elements; i++) {
    const r = next();
    switch (fill) {
      case 'mma':
        out[i] = ((r % 5) - 2) / 2;
        break;
      case 'identity': {
        const e = i % 256;
        out[i] = Math.floor(e / 16) === e % 16 ? 1 : 0;
        break;
      }
      case 'fma':
        out[i] = (1 + (r % 4)) / 4;
        break;
      default:
        assertNever(fill, 'fill');
    }
  }
  return out;
}

function hostData(words: Uint16Array | Uint32Array, dtype: ProbeDtype): HostData {
  let values: Float32Array | undefined;
  return {
    words,
    values: () => (values ??= fromStorage(words.buffer as ArrayBuffer, words.length, dtype)),
  };
}

/** A probe's input `index` in storage type `dtype` (f16 inputs of an emulated kernel: f32). */
export function hostInput(probe: Probe, index: number, dtype: ProbeDtype): HostData {
  const { elements, fill } = probe.inputs[index];
  const seed = 0x9e3779b1 + index * 7919;
  if (fill === 'bits') return hostData(randomBits(elements, dtype, seed), dtype);
  const bytes = toStorage(exactValues(elements, fill, seed), dtype);
  const words = dtype === 'f16' ? new Uint16Array(bytes.buffer, 0, elements) : new Uint32Array(bytes.buffer, 0, elements);
  return hostData(words, dtype);
}

/** Buffer bytes: whole 16-byte units (vec4 arrays of f32, and what Tint's array lengths assume). */
const padded = (bytes: number) => Math.ceil(bytes / 16) * 16;

export interface RunOptions {
  /** The kernel's text (default the probe's own; tests pass its emulation). */
  readonly wgsl?: string;
  /** Run f16 buffers as f32 (the emulation's rewrite of f16 to f32). */
  readonly f16AsF32?: boolean;
  /** Inputs to reuse (same shapes as the probe's), e.g. across probes of one shape. */
  readonly inputs?: readonly HostData[];
  /** Timed passes (0: check only). */
  readonly repeats?: number;
  readonly warmupMs?: number;
}

export interface ProbeRun {
  readonly inputs: readonly HostData[];
  readonly output: HostData;
  /** The probe's check: undefined when the output is what it must be. */
  readonly mismatch?: string;
  readonly timing?: { readonly stats: TimingStats; readonly method: TimingMethod };
}

async function compile(device: GPUDevice, wgsl: string): Promise<GPUComputePipeline> {
  const module = device.createShaderModule({ code: wgsl });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) throw new Error(`WGSL: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
  return device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
}

/** Runs `probe` once, checks its output, then (repeats > 0) times it. */
export async function runProbe(device: GPUDevice, probe: Probe, options: RunOptions = {}): Promise<ProbeRun> {
  const storage = (d: ProbeDtype): ProbeDtype => (options.f16AsF32 ? 'f32' : d);
  const inputs = options.inputs ?? probe.inputs.map((_, i) => hostInput(probe, i, storage(probe.dtype)));
  const outDtype = storage(probe.output.dtype);
  const outBytes = padded(probe.output.elements * (outDtype === 'f16' ? 2 : 4));
  const created: GPUBuffer[] = [];
  const buffer = (size: number, usage: number) => {
    const b = device.createBuffer({ size, usage });
    created.push(b);
    return b;
  };
  try {
    const pipeline = await compile(device, options.wgsl ?? probe.wgsl);
    const bound = inputs.map((d) => {
      const b = buffer(padded(d.words.byteLength), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
      device.queue.writeBuffer(b, 0, d.words.buffer, d.words.byteOffset, Math.ceil(d.words.byteLength / 4) * 4);
      return b;
    });
    const out = buffer(outBytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [...bound, out].map((b, binding) => ({ binding, resource: { buffer: b } })),
    });
    const [gx, gy] = dispatchSize(probe.workgroups);
    const encode = (pass: GPUComputePassEncoder) => {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(gx, gy);
    };
    const readback = buffer(outBytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    encode(pass);
    pass.end();
    enc.copyBufferToBuffer(out, 0, readback, 0, outBytes);
    device.queue.submit([enc.finish()]);
    await readback.mapAsync(GPUMapMode.READ);
    const bytes = readback.getMappedRange().slice(0);
    readback.unmap();
    const words = outDtype === 'f16' ? new Uint16Array(bytes, 0, probe.output.elements) : new Uint32Array(bytes, 0, probe.output.elements);
    const output = hostData(words, outDtype);
    const mismatch = probe.check(inputs, output);
    const repeats = options.repeats ?? 0;
    if (mismatch !== undefined || repeats === 0) return { inputs, output, mismatch };
    const timing = await timePasses(device, encode, { repeats, warmupMs: options.warmupMs });
    return { inputs, output, timing };
  } finally {
    for (const b of created) b.destroy();
  }
}
