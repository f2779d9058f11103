/**
 * The checks of a runner call's batch and, for the calls that record on the caller's encoder
 * (encodeForward, encodeDispatches, encodeBackward), of the caller's buffers. WebGPU itself takes
 * a buffer too small for the batch without any error (reads past its end give zeros or other
 * rows, writes past it are dropped) and truncates a fractional or negative batch in the dispatch
 * sizes, so without these a mistake gives silent garbage; a missing usage would only show as a
 * validation message of the device, after the submit, on another stack.
 */
import { MoncError } from '../util/error.js';
import { arrayError, mustBe, typeName, userError } from './user-error.js';
import * as flags from './gpu-flags.js';

/**
 * Throws unless `batch` is a whole number of rows, at least 0 (kind `user`, naming the call; mustBe shows it: `2n` as
 * `'2' (a bigint)`, QA2 s23 Q258; `{ batch: 9 }` as `object`, QA2 s20 R93).
 */
export function checkBatch(mapName: string, call: string, batch: number): void {
  if (!Number.isInteger(batch) || batch < 0) throw mustBe(mapName, `${call}: batch`, 'a whole number ≥ 0', batch);
}

/**
 * Throws unless `value` is an array of numbers (a Float32Array, as typed; JavaScript callers can
 * pass anything, and other arrays are taken by value) or, `exact`, a Float32Array: kind `user`,
 * saying which (QA2 s20 R93: 'must be a Float32Array' for an input that may be any array of numbers).
 */
export function checkArray(mapName: string, call: string, role: string, value: unknown, exact?: boolean): void {
  if (typeof (value as { length?: unknown } | null)?.length !== 'number' || typeof value === 'string' || (exact && !(value instanceof Float32Array))) {
    throw mustBe(mapName, `${call}: ${role}`, exact ? 'a Float32Array' : 'an array of numbers', value);
  }
}

/**
 * `value` checked (checkArray) and taken by value as a Float32Array: itself if it is one, else a converted copy (an Int32Array's 3
 * is 3, not its bits). An element that does not convert (a BigInt, a valueOf that throws) is kind `user`, a copy the host refuses
 * kind `device`, as in forward (arrayError).
 */
export function float32Array(mapName: string, call: string, role: string, value: ArrayLike<number>): Float32Array {
  checkArray(mapName, call, role, value);
  try {
    return value instanceof Float32Array ? value : Float32Array.from(value);
  } catch (e) {
    throw arrayError(mapName, `${call}: ${role}`, e, value);
  }
}

/** A caller's buffer as a call uses it: its role, its row width in values. */
export interface CallerBuffer {
  readonly role: string;
  readonly buffer: GPUBuffer;
  readonly width: number;
  /** Written by the call: it cannot also be one of the buffers the call reads (WebGPU refuses a buffer bound writable and read in one pass). */
  readonly written?: boolean;
}

/**
 * Throws before anything is recorded when the batch is not a whole number ≥ 0 (kind `user`),
 * `recorder` is not what the call records on (kind `user`: a GPUCommandEncoder, or with `pass` an
 * open GPUComputePassEncoder), a buffer is not a GPUBuffer or lacks STORAGE usage (kind `user`),
 * or holds fewer than `batch × width` values of the storage type (kind `shape`), or a buffer the
 * call writes is also one it reads (kind `user`). (From JavaScript any of them may be anything:
 * QA2 s13 R21, null gave a TypeError deeper in and `undefined` "lacks STORAGE".)
 */
export function checkCallerBuffers(mapName: string, call: string, batch: number, storage: 'f32' | 'f16', buffers: readonly CallerBuffer[], recorder: unknown, pass?: boolean): void {
  checkBatch(mapName, call, batch);
  checkRecorder(mapName, call, recorder, pass);
  const bytesPerValue = storage === 'f16' ? 2 : 4;
  for (const { role, buffer, width, written } of buffers) {
    const what = callerBuffer(mapName, call, role);
    // A GPUBuffer, not anything with a numeric usage: a GPUTexture's are GPUTextureUsage bits, and a plain object with
    // the STORAGE bit reached createBindGroup, whose TypeError came out raw (QA2 s24 Q352).
    if (!buffer?.mapAsync) throw userError(`${what} must be a GPUBuffer, got ${typeName(buffer)}`);
    if (!(buffer.usage & flags.STORAGE)) throw userError(`${what} lacks GPUBufferUsage.STORAGE (its usage is ${buffer.usage})`);
    const needed = batch * width * bytesPerValue;
    if (buffer.size < needed) {
      throw new MoncError('shape', `${what} holds ${buffer.size} bytes; batch ${batch} x ${width} ${storage} values need ${needed}`);
    }
    const read = written && buffers.find((other) => other.buffer === buffer && other.role !== role);
    if (read) throw userError(`${what} is also its ${read.role} buffer: the map cannot run in place, give each its own buffer`);
  }
}

/**
 * Throws (kind `user`) unless `recorder` is what the call records on: a GPUCommandEncoder, or with `pass` an open
 * GPUComputePassEncoder (the optimizer's encodeStep too, which takes no buffers: QA2 s21 Q53).
 */
export function checkRecorder(mapName: string, call: string, recorder: unknown, pass?: boolean): void {
  if (!(recorder as Record<string, unknown> | null)?.[pass ? 'dispatchWorkgroups' : 'beginComputePass']) {
    throw mustBe(mapName, `${call}: ${pass ? 'pass' : 'encoder'}`, `a GPU${pass ? 'ComputePass' : 'Command'}Encoder`, recorder);
  }
}

/** How messages name a caller's buffer. */
function callerBuffer(mapName: string, call: string, role: string): string {
  return `map '${mapName}': ${call}: the ${role} buffer`;
}

/**
 * Throws (kind `user`) unless a caller's buffer, already checked by checkCallerBuffers, also has
 * COPY_DST usage, which a call that clears it (encoder.clearBuffer) needs. Only encodeBackward
 * clears a caller's buffer: a separate check, so that forward-only pages do not bundle it.
 */
export function checkClearable(mapName: string, call: string, { role, buffer }: CallerBuffer): void {
  if ((buffer.usage & flags.COPY_DST) === 0) throw userError(`${callerBuffer(mapName, call, role)} lacks GPUBufferUsage.COPY_DST, which this map's call needs to clear it (its usage is ${buffer.usage})`);
}
