/**
 * The contract between kernel emitters, the manifest and the runtime (its data types live in
 * src/manifest/dispatch.ts).
 *
 * Every kernel binds, in @group(0):
 *   @binding(0) params : storage, read        (the map's packed parameter buffer)
 *   @binding(1) src    : storage, read        (the op's source activation buffer)
 *   @binding(2) dst    : storage, read_write  (the op's destination activation buffer)
 *   @binding(3) dims   : uniform Dims { batch: u32, groups: u32, pad0: u32, pad1: u32 }
 * Activation buffers are row-major (batch, size). `groups` is the number of workgroups the
 * dispatch rule asks for; the runtime lays them out as (x, y) with x within the device's
 * maxComputeWorkgroupsPerDimension and the kernel reads its linear workgroup index as
 * wg.x + wg.y * num_workgroups.x and returns when it is >= groups. scaffold.ts `kernelShell` writes
 * the bindings and that index once for every family.
 * Module-scope names of a kernel are prefixed with its entry point, so kernels concatenate into
 * one valid WGSL module.
 *
 * Gradient kernels (backward programs) use the same shell with one more binding,
 *   @binding(4) aux    : storage, read        (a second source, e.g. the output gradient)
 * and f32 partial buffers (grad-scaffold.ts). Block-sparse kernels, forward and gradient, read
 * their op's pattern from one more binding (bsr-pattern.ts),
 *   @binding(5) pattern : storage, read        (array<u32>: a table of src/manifest/pattern.ts)
 * and the runtime binds a placeholder there for the others. Optimizer kernels (optimizer.ts) bind
 * params read_write, the gradients, the optimizer state and their own uniform.
 */
import type { Op } from '../../ir/ir.js';

// The contract's data (dispatch rules, schedules, emitted kernels, target limits) belongs to the
// shipped format, so the runtime reads it without the emitters.
export { DEFAULT_LIMITS, workgroupCount, type DispatchRule, type EmittedKernel, type Schedule, type TargetLimits } from '../../manifest/dispatch.js';

export type OpKind = Op['kind'];
