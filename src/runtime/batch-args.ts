/**
 * The checks of a runner call's batch and, for the calls that record on the caller's encoder
 * (encodeForward, encodeDispatches, encodeBackward), of the caller's buffers. WebGPU itself takes
 * a buffer too small for the batch without any error (reads past its end give zeros or other
 * rows, writes past it are dropped) and truncates a fractional or negative batch in the dispatch
 * sizes, so without these a mistake gives silent garbage; a missing usage would only show as a
 * validation message of the device, after the submit, on another stack.
 */
import { MoncError } from '../util/error.js';
import { typeName, userError } from './user-error.js';
import * as flags from './gpu-flags.js';

/** Throws unless `batch` is a whole number of rows, at least 0 (kind `user`, naming the call). */
export function checkBatch(mapName: string, call: string, batch: number): void {
  if (!Number.isInteger(batch) || batch < 0) throw userError(`map '${mapName}': ${call}: batch must be a whole number ≥ 0, got ${typeof batch === 'string' ? `'${batch}' (a string)` : batch}`);
}

/**
 * Throws unless `value` is an array of numbers (a Float32Array, as typed; JavaScript callers can
 * pass anything, and other arrays are taken by value) or, `exact`, a Float32Array: kind `user`.
 */
export function checkArray(mapName: string, call: string, role: string, value: unknown, exact?: boolean): void {
  if (typeof (value as { length?: unknown } | null)?.length !== 'number' || typeof value === 'string' || (exact && !(value instanceof Float32Array))) {
    throw userError(`map '${mapName}': ${call}: ${role} must be a Float32Array, got ${typeName(value)}`);
  }
}

/** `value` checked (checkArray) and taken by value as a Float32Array: itself if it is one, else a converted copy (an Int32Array's 3 is 3, not its bits). */
export function float32Array(mapName: string, call: string, role: string, value: ArrayLike<number>): Float32Array {
  checkArray(mapName, call, role, value);
  return value instanceof Float32Array ? value : Float32Array.from(value);
}

/** A caller's buffer as a call uses it: its role, its row width in values, the usages it needs beyond STORAGE. */
export interface CallerBuffer {
  readonly role: string;
  readonly buffer: GPUBuffer;
  readonly width: number;
  /** Also cleared by the call (encoder.clearBuffer): needs COPY_DST. */
  readonly cleared?: boolean;
  /** Written by the call: it cannot also be one of the buffers the call reads (WebGPU refuses a buffer bound writable and read in one pass). */
  readonly written?: boolean;
}

/**
 * Throws before anything is recorded when the batch is not a whole number ≥ 0 (kind `user`), a
 * buffer lacks STORAGE usage (or COPY_DST where the call clears it; kind `user`), or holds fewer
 * than `batch × width` values of the storage type (kind `shape`), or a buffer the call writes is
 * also one it reads (kind `user`).
 */
export function checkCallerBuffers(mapName: string, call: string, batch: number, storage: 'f32' | 'f16', buffers: readonly CallerBuffer[]): void {
  checkBatch(mapName, call, batch);
  const bytesPerValue = storage === 'f16' ? 2 : 4;
  for (const { role, buffer, width, cleared, written } of buffers) {
    const what = `map '${mapName}': ${call}: the ${role} buffer`;
    // (`?.`: from JavaScript `buffer` may be anything; what has no usage is refused here too.)
    if ((buffer?.usage & flags.STORAGE) === 0) throw userError(`${what} lacks GPUBufferUsage.STORAGE (its usage is ${buffer?.usage})`);
    if (cleared && (buffer.usage & flags.COPY_DST) === 0) throw userError(`${what} lacks GPUBufferUsage.COPY_DST, which this map's call needs to clear it (its usage is ${buffer.usage})`);
    const needed = batch * width * bytesPerValue;
    if (buffer.size < needed) {
      throw new MoncError('shape', `${what} holds ${buffer.size} bytes; batch ${batch} x ${width} ${storage} values need ${needed}`);
    }
    const read = written && buffers.find((other) => other.buffer === buffer && other.role !== role);
    if (read) throw userError(`${what} is also its ${read.role} buffer: the map cannot run in place, give each its own buffer`);
  }
}
