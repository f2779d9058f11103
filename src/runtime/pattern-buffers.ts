/**
 * The pattern tables of block-sparse kernels on the device (src/manifest/pattern.ts): built from
 * the ops' blocks and uploaded once per runner, bound at PATTERN_BINDING. Every monc kernel
 * shares one bind group layout, so kernels without a pattern bind a small placeholder there.
 * Building a table is block-sparse support (`monc/runtime/sparse`): a runner reaches it through
 * the registry (extensions.ts), so a page without block-sparse maps does not bundle it.
 */
import type { PatternLayout } from '../manifest/pattern.js';
import { patternSource, patternTable } from '../manifest/pattern.js';
import type { BackwardOpData } from '../manifest/program.js';
import { missingEntry, blockSparseSupport } from './extensions.js';
import * as flags from './gpu-flags.js';
import { createBuffer, paddedBytes } from './buffer.js';
import { memo } from './memo.js';

const placeholders = new WeakMap<GPUDevice, GPUBuffer>();

/** The buffer bound at PATTERN_BINDING for kernels that read no pattern (one per device, never destroyed). */
export function noPattern(device: GPUDevice): GPUBuffer {
  return memo(placeholders, device, () => createBuffer(device, 'no pattern', 16, flags.STORAGE));
}

/**
 * A new buffer holding the `layout` table of `op`'s pattern; throws (createBuffer) when the device cannot bind it.
 * The op has a pattern: a manifest file's maps are checked for it (check-manifest.ts), the
 * bindings' own manifest is monc's, and GpuExecutor.create as monc/runtime exports it checks a
 * caller's spec (checked-exports.ts patternProblem) — a check here would be in every page with
 * block-sparse maps.
 */
export function patternBuffer(device: GPUDevice, op: BackwardOpData, layout: PatternLayout, what: string, map?: string): GPUBuffer {
  const table = patternTable(patternSource(op)!, layout);
  // Over the device's limits: refused by createBuffer, naming it (and the map whose it is: a runner's, QA1 s28 Q754).
  const buffer = createBuffer(device, `pattern (${what})`, paddedBytes(table.length, 4), flags.STORAGE, true, map);
  new Uint32Array(buffer.getMappedRange()).set(table);
  buffer.unmap();
  return buffer;
}

/** What a kernel needs to find its pattern: the ops it performs (indices into `ops`) and the table it reads. */
export interface PatternKernel {
  readonly entryPoint: string;
  readonly ops?: readonly number[];
  readonly pattern?: PatternLayout;
}

/** The buffers a runner's kernels bind at PATTERN_BINDING: `get(i)` is kernel i's. */
export interface PatternBuffers {
  get(i: number): GPUBuffer;
  destroy(): void;
}

/**
 * The buffers a runner's kernels bind at PATTERN_BINDING (`map`: the runner's, named when a table
 * is over the device's limit). Without block-sparse support registered every kernel binds the
 * placeholder, and a kernel that reads a pattern table is refused, naming the entry that builds it.
 */
export function patternBuffers(device: GPUDevice, map: string, kernels: readonly PatternKernel[], ops: readonly BackwardOpData[]): PatternBuffers {
  if (blockSparseSupport) return blockSparseSupport.patternTables(device, map, kernels, ops);
  const reader = kernels.find((k) => k.pattern);
  if (reader) throw missingEntry(`the pattern table of block-sparse kernel ${reader.entryPoint}`, 'sparse');
  const none = noPattern(device);
  return { get: () => none, destroy: () => undefined };
}

/**
 * patternBuffers with block-sparse support: kernels of the same op and layout share one table. A
 * table that cannot be made (over the device's limits) frees those made before it.
 */
export function patternTables(device: GPUDevice, map: string, kernels: readonly PatternKernel[], ops: readonly BackwardOpData[]): PatternBuffers {
  const tables = new Map<string, GPUBuffer>();
  const destroy = () => tables.forEach((b) => b.destroy());
  try {
    const perKernel = kernels.map((k) => {
      if (!k.pattern) return noPattern(device);
      const op = k.ops?.[0] ?? -1;
      return memo(tables, `${op} ${k.pattern}`, () => patternBuffer(device, ops[op], k.pattern!, `kernel ${k.entryPoint}`, map));
    });
    return { get: (i) => perKernel[i], destroy };
  } catch (e) {
    destroy();
    throw e;
  }
}
