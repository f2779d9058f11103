/**
 * The emitters' side of the kernel contract. The contract itself (bindings 0-5, the `dims`
 * uniform, the (x, y) workgroup layout and the linear workgroup index, entry-point prefixes,
 * the optimizer kernels' bindings) is written once, in src/manifest/dispatch.ts, with its data
 * types, since the runtime reads it without the emitters. Where the emitters write it:
 * scaffold.ts `kernelShell` (the bindings and the workgroup index of every family),
 * grad-scaffold.ts (gradient kernels' `aux` and partial buffers), bsr-pattern.ts (the pattern
 * table of block-sparse kernels) and optimizer.ts.
 */
// The contract's data (dispatch rules, schedules, emitted kernels, target limits) belongs to the
// shipped format, so the runtime reads it without the emitters.
export { DEFAULT_LIMITS, workgroupCount, type DispatchRule, type EmittedKernel, type Schedule, type TargetLimits } from '../../manifest/dispatch.js';

