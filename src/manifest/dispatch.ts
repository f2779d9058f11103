/**
 * The kernel contract the manifest records and the runtime honours: bindings, dispatch rules
 * (how many workgroups a batch needs), schedules and target limits. Emitters (src/codegen/wgsl)
 * produce kernels to this contract; the runtime only reads it.
 *
 * Every kernel (forward and gradient) binds, in @group(0):
 *   @binding(0) params : storage, read        (the map's packed parameter buffer)
 *   @binding(1) src    : storage, read        (the op's source activation buffer)
 *   @binding(2) dst    : storage, read_write  (the op's destination activation buffer)
 *   @binding(3) dims   : uniform Dims { batch: u32, groups: u32, pad0: u32, pad1: u32 }
 * Activation buffers are row-major (batch, size). `groups` is the number of workgroups the
 * dispatch rule asks for; the runtime lays them out as (x, y) with x within the device's
 * maxComputeWorkgroupsPerDimension and the kernel reads its linear workgroup index as
 * wg.x + wg.y * num_workgroups.x and returns when it is >= groups.
 * Module-scope names of a kernel are prefixed with its entry point, so kernels concatenate into
 * one valid WGSL module.
 *
 * Gradient kernels (backward programs) use the same shell with one more binding,
 *   @binding(4) aux    : storage, read        (a second source, e.g. the output gradient)
 * and f32 partial buffers. A block-sparse kernel (forward or gradient) also binds its pattern,
 *   @binding(5) pattern : storage, read      (array<u32>: the op's pattern table, pattern.ts)
 * and the runtime binds a placeholder there for every other kernel (one layout for all).
 * Optimizer kernels bind params read_write, the gradients, the optimizer state and their own
 * uniform (src/manifest/optimizer.ts). The emitters that write this: src/codegen/wgsl/kernel.ts.
 */
import { assertNever } from '../util/assert.js';
import type { PatternLayout } from './pattern.js';

/** How many workgroups a dispatch needs for a batch of B rows. */
export type DispatchRule =
  /** ceil(B · itemsPerRow / itemsPerWorkgroup): one thread (or lane group) per item. */
  | { readonly kind: 'flat'; readonly itemsPerRow: number; readonly itemsPerWorkgroup: number }
  /** ceil(B / rowsPerWorkgroup) · workgroupsPerRowTile: tiles over the batch and the outputs. */
  | { readonly kind: 'tiled'; readonly rowsPerWorkgroup: number; readonly workgroupsPerRowTile: number }
  /** ceil(ceil(B / rowsPerSplit) · itemsPerSplit / itemsPerWorkgroup): items per batch split (a batch reduction's partials). */
  | { readonly kind: 'split'; readonly rowsPerSplit: number; readonly itemsPerSplit: number; readonly itemsPerWorkgroup: number }
  /** ceil(items / itemsPerWorkgroup) for any B > 0: work that does not grow with the batch (a reduction's second pass). */
  | { readonly kind: 'fixed'; readonly items: number; readonly itemsPerWorkgroup: number };

export function workgroupCount(rule: DispatchRule, batch: number): number {
  switch (rule.kind) {
    case 'flat':
      return Math.ceil((batch * rule.itemsPerRow) / rule.itemsPerWorkgroup);
    case 'tiled':
      return Math.ceil(batch / rule.rowsPerWorkgroup) * rule.workgroupsPerRowTile;
    case 'split':
      return Math.ceil((Math.ceil(batch / rule.rowsPerSplit) * rule.itemsPerSplit) / rule.itemsPerWorkgroup);
    case 'fixed':
      return batch === 0 ? 0 : Math.ceil(rule.items / rule.itemsPerWorkgroup);
    default:
      return assertNever(rule, 'dispatch rule');
  }
}

/**
 * A schedule: which kernel family and its tuning knobs. JSON-able; stored in the tuning database. A knob named
 * `workgroupSize` is the kernel's workgroup (one-dimensional): its WGSL is `@workgroup_size(workgroupSize)`.
 */
export interface Schedule {
  readonly family: string;
  readonly [knob: string]: string | number | boolean;
}

/** The workgroup a schedule's `workgroupSize` knob gives its kernel, or undefined for a family without the knob. */
export function scheduleWorkgroupSize(schedule: Schedule): readonly [number, number, number] | undefined {
  const size = schedule.workgroupSize;
  return typeof size === 'number' ? [size, 1, 1] : undefined;
}

/** One kernel as an emitter produces it: its WGSL and what the runtime needs to dispatch it. */
export interface EmittedKernel {
  readonly entryPoint: string;
  /** Declarations and entry point, names prefixed with `entryPoint`; no `enable` directives. */
  readonly wgsl: string;
  /** WGSL `enable` extensions this kernel needs (e.g. 'f16', 'subgroups'). */
  readonly enables: readonly string[];
  readonly workgroupSize: readonly [number, number, number];
  readonly dispatch: DispatchRule;
  readonly schedule: Schedule;
  /** Indices into the program's ops that this one dispatch performs (fusion covers several). */
  readonly ops: readonly number[];
  /** The table of its first op's block pattern it reads at PATTERN_BINDING (pattern.ts); absent: none. */
  readonly pattern?: PatternLayout;
}

/** What an emitter may assume about the target; the defaults fit every WebGPU adapter. */
export interface TargetLimits {
  readonly maxWorkgroupSize: number;
  readonly maxWorkgroupStorageBytes: number;
  readonly features: readonly string[];
}

export const DEFAULT_LIMITS: TargetLimits = { maxWorkgroupSize: 256, maxWorkgroupStorageBytes: 16384, features: [] };
