/**
 * What the forward (gpu-executor.ts) and backward (gpu-backward.ts) runners share to dispatch
 * their kernels: each kernel's uniform dims slot (batch, workgroup count) per batch size, the
 * (x, y) workgroup grid, and the bind group entries every kernel has (params, src, dst, dims,
 * pattern).
 */
import { PATTERN_BINDING } from '../manifest/pattern.js';
import { deviceError } from '../util/error.js';
import * as flags from './gpu-flags.js';
import { createBuffer } from './buffer.js';

/** Uniform slots are this far apart (WebGPU's default minUniformBufferOffsetAlignment). */
export const DIMS_STRIDE = 256;
/** Distinct batch sizes whose dims are kept; beyond that the oldest is dropped. */
export const DIMS_CACHE = 16;

/** Sets `key` in a cache of at most DIMS_CACHE entries, dropping the oldest one beyond that. */
export function cacheSet<K, V>(cache: Map<K, V>, key: K, value: V): void {
  if (cache.size >= DIMS_CACHE) cache.delete(cache.keys().next().value as K);
  cache.set(key, value);
}

/** One uniform buffer per batch size, with kernel i's (batch, workgroups) at slot i. */
export interface DimsBuffers {
  /** The buffer for `batch`, where `groups[i]` is kernel i's workgroup count. */
  get(batch: number, groups: readonly number[]): GPUBuffer;
  destroy(): void;
}

/**
 * The dims buffers of one runner on `device`, each labelled `monc <label>` for debugging tools (not
 * by batch: the bytes are in every page). A closure, not a class: every page bundles it, and the
 * minifier shortens its variables, not a class's field declarations and `this.#` reads.
 */
export function dimsBuffers(device: GPUDevice, label: string): DimsBuffers {
  const byBatch = new Map<number, GPUBuffer>();
  return {
    get(batch, groups) {
      let buffer = byBatch.get(batch);
      if (buffer) return buffer;
      buffer = createBuffer(device, label, Math.max(groups.length, 1) * DIMS_STRIDE, flags.UNIFORM, true);
      const words = new Uint32Array(buffer.getMappedRange());
      groups.forEach((g, i) => words.set([batch, g], (i * DIMS_STRIDE) / 4));
      buffer.unmap();
      cacheSet(byBatch, batch, buffer);
      return buffer;
    },
    destroy: () => byBatch.forEach((d) => d.destroy()),
  };
}

/** (x, y) workgroup counts covering `groups` within the device's per-dimension limit. */
export function dispatchGrid(device: GPUDevice, groups: number): [number, number] {
  const max = device.limits.maxComputeWorkgroupsPerDimension;
  const x = Math.min(groups, max);
  const y = Math.ceil(groups / x);
  if (y > max) throw deviceError(`a dispatch of ${groups} workgroups exceeds this device's ${max}x${max} grid; use a smaller batch`);
  return [x, y];
}

/**
 * The bindings of kernel `index`: parameters, source, destination, its dims slot and its block
 * pattern table (pattern-buffers.ts; a placeholder for kernels without one).
 */
export function kernelBindings(params: GPUBuffer, src: GPUBuffer, dst: GPUBuffer, dims: GPUBuffer, index: number, pattern: GPUBuffer): GPUBindGroupEntry[] {
  return [wholeBuffer(0, params), wholeBuffer(1, src), wholeBuffer(2, dst), { binding: 3, resource: { buffer: dims, offset: index * DIMS_STRIDE, size: 16 } }, wholeBuffer(PATTERN_BINDING, pattern)];
}

/** A binding of a whole buffer. */
export function wholeBuffer(binding: number, buffer: GPUBuffer): GPUBindGroupEntry {
  return { binding, resource: { buffer } };
}
