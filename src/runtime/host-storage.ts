/**
 * Host data to and from a GPU buffer's storage type (f32, or f16 as raw halves), shared by the
 * forward (gpu-executor.ts, host-io.ts) and backward (gpu-backward.ts) runners, and reading a
 * device buffer back.
 */
import { f16BitsArrayToF32, f32ArrayToF16 } from './formats/f16.js';
import * as flags from './gpu-flags.js';
import { copyOf, paddedBytes } from './buffer.js';
import { deviceLost } from './run-errors.js';

/** `values` in the storage type, padded to whole 4-byte words (what writeBuffer needs). */
export function toStorage(values: Float32Array, storage: 'f32' | 'f16'): ArrayBufferView<ArrayBuffer> {
  if (storage === 'f32') return values as Float32Array<ArrayBuffer>;
  const half = new Uint16Array(values.length + (values.length % 2));
  half.set(f32ArrayToF16(values));
  return half;
}

/**
 * The first `count` elements of `bytes` (in the storage type) as f32: written into `out` (of
 * `count` values, returned) when given, else into a new array.
 */
export function fromStorage(bytes: ArrayBuffer, count: number, storage: 'f32' | 'f16', out?: Float32Array): Float32Array {
  // A new array filled with set(): 0.96 ms for 8 MiB of mapped memory on the H200 machine,
  // where slice() took 3.43 ms (bench/readback-probe.ts, bench/results/s3/readback-probe.json).
  const f16 = storage === 'f16';
  const values = f16 ? f16BitsArrayToF32(new Uint16Array(bytes, 0, count)) : new Float32Array(bytes, 0, count);
  // (An f32 view of `bytes` is copied out: a mapped range is detached at unmap.)
  return out ? (out.set(values), out) : f16 ? values : values.slice();
}

/** The first `count` elements of a device buffer (COPY_SRC usage) in the storage type, as f32. */
export async function readDeviceBuffer(device: GPUDevice, buffer: GPUBuffer, count: number, storage: 'f32' | 'f16'): Promise<Float32Array> {
  const bytes = paddedBytes(count, storage === 'f16' ? 2 : 4);
  const staging = copyOf(device, buffer, 'read-back', bytes, flags.MAP_READ);
  try {
    // A device lost before or meanwhile: its error (the mapping would only abort).
    await Promise.race([staging.mapAsync(flags.MODE_READ), deviceLost(device)]);
    const data = staging.getMappedRange().slice(0);
    return storage === 'f32' ? new Float32Array(data, 0, count) : f16BitsArrayToF32(new Uint16Array(data, 0, count));
  } finally {
    staging.destroy();
  }
}
