/**
 * The host round trip of a forward pass, shared by GpuExecutor's one-piece run and a GpuStaging's
 * run(): one submission (copy the input in, the kernels, copy the result out), then the upload
 * buffer mapped again for the next input as soon as the GPU has read it, and the readback mapped
 * for the result. Nothing is created per call.
 */
import * as flags from './gpu-flags.js';
import { scopeError } from './run-errors.js';

/** The host-side buffers of a round trip, reused call after call. */
export interface RoundTripBuffers {
  /** MAP_WRITE | COPY_SRC: the input's way to the device. */
  readonly upload: GPUBuffer;
  /** Resolves true once `upload` is mapped again (false: mapping failed after an earlier error). */
  uploadMapped: Promise<boolean>;
  /** MAP_READ | COPY_DST: the result's way back. */
  readonly readback: GPUBuffer;
  /** Batch sizes whose round trip with these buffers ran without a WebGPU error. */
  readonly validated: Set<number>;
}

/**
 * Submits what `record` encodes (ending with the copy of the result into `io.readback`) and
 * resolves once the first `yBytes` of `io.readback` are mapped. Rejects with the map's error for a
 * WebGPU error of this submission, or with `lost`'s once the device is lost.
 */
export async function roundTrip(device: GPUDevice, io: RoundTripBuffers, batch: number, yBytes: number, record: (encoder: GPUCommandEncoder) => void, mapName: string, lost: Promise<never>): Promise<void> {
  // New buffers or a new batch size may fail validation or allocation; repeats of a round trip
  // that ran cleanly cannot, so they skip the error scopes' extra round trips.
  const checked = !io.validated.has(batch);
  // The scopes are the device's one stack: pushed only now, popped right after the submit, with
  // no await between, they catch this run's errors only, never another caller's meanwhile.
  if (checked) {
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
  }
  let scopes;
  try {
    // (No label of its own: the compute pass it records is 'monc forward', which WebGPU's messages name.)
    const encoder = device.createCommandEncoder();
    record(encoder);
    device.queue.submit([encoder.finish()]);
  } finally {
    // Popped also when record throws (a new batch size's dims buffer refused): a scope left on the stack would take
    // every later error meant for onuncapturederror, for the device's life (REV s18 2).
    scopes = checked && Promise.all([device.popErrorScope(), device.popErrorScope()]);
  }
  io.uploadMapped = remapUpload(io.upload);
  const mapped = io.readback.mapAsync(flags.MODE_READ, 0, yBytes);
  // Whichever loses a race below may still reject later; that must not go unhandled.
  mapped.catch(() => undefined);
  if (scopes) {
    scopes.catch(() => undefined);
    const error = scopeError(mapName, 'while running the map', await Promise.race([scopes, lost]));
    if (error) throw error;
  }
  await Promise.race([mapped, lost]);
  io.validated.add(batch);
}

/** Maps an upload buffer again (queued behind the GPU's reads of it): true once mapped, false if mapping failed. */
export function remapUpload(upload: GPUBuffer): Promise<boolean> {
  return upload.mapAsync(flags.MODE_WRITE).then(
    () => true,
    () => false,
  );
}
