/** Creating the runtime's buffers, and the one rule for their sizes. */
import { deviceError } from '../util/error.js';
import * as flags from './gpu-flags.js';
import { bindingBytes } from '../manifest/rows-limit.js';

/**
 * Every buffer the runtime creates, in one call shape, labelled `monc <label>` (what WebGPU's
 * error messages and debugging tools show): one short call instead of the descriptor written
 * out at each site keeps every page's bundle smaller. A buffer the device refuses at once (WebGPU
 * throws a RangeError for a mapped-at-creation buffer it cannot allocate; others fail in the error
 * scopes of their first run) is a MoncError of kind 'device', as an out-of-memory error is there.
 * Anything else it throws (a TypeError for a descriptor monc got wrong) is a bug, not the device's:
 * it goes on as it is (REV s18 7). `map` names the map whose buffer it is in the refusal of one over the
 * device's limit, where nothing else does (its parameters, gradients, optimizer state: QA1 s28 Q754).
 */
export function createBuffer(device: GPUDevice, label: string, size: number, usage: GPUBufferUsageFlags, mappedAtCreation = false, map?: string): GPUBuffer {
  // A storage buffer is bound whole: one over what the device binds (maxStorageBufferBindingSize, maxBufferSize) would be
  // made invalid and fail only the runs that bind it (QA2 s28 Q752: a map's parameters over 1 GiB, kind `wgsl` at
  // forward()): refused here, before anything is made of it. So is a block-sparse kernel's pattern table.
  const limit = bindingBytes(device.limits);
  if (usage & flags.STORAGE && size > limit) throw deviceError(`${map ? `map '${map}': ` : ''}monc ${label} needs ${size} bytes in one buffer, over this device's limit of ${limit}`);
  try {
    return device.createBuffer({ label: `monc ${label}`, size, usage, mappedAtCreation });
  } catch (e) {
    throw e instanceof RangeError ? deviceError(`monc ${label}: ${e}`) : e;
  }
}

/**
 * A new buffer of `size` bytes (`usage`, plus COPY_DST) holding a copy of the first `size` bytes
 * of `source` (COPY_SRC), by a copy submitted now: queued work submitted later never reaches it.
 */
export function copyOf(device: GPUDevice, source: GPUBuffer, label: string, size: number, usage: GPUBufferUsageFlags): GPUBuffer {
  const copy = createBuffer(device, label, size, usage | flags.COPY_DST);
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(source, 0, copy, 0, size);
  device.queue.submit([encoder.finish()]);
  return copy;
}

/**
 * Bytes of a device buffer holding `count` elements of `elementBytes` each, rounded up to whole
 * 16-byte vec4s and at least one: kernels may view a buffer as array<vec4<…>> and read the vec4
 * holding its last elements (a bias at the end of the parameters, say), which must lie inside the
 * buffer, and WebGPU refuses to bind an empty one.
 */
export function paddedBytes(count: number, elementBytes: number): number {
  return Math.max(16, Math.ceil((count * elementBytes) / 16) * 16);
}
