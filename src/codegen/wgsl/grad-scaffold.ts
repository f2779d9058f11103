/**
 * The gradient-kernel variant of the kernel contract (kernel.ts): the same four bindings plus
 *   @binding(4) aux : storage, read  (a second source: the output gradient of a weight gradient)
 * and per-binding element types: partial buffers of batch reductions are always f32 (they hold
 * sums over many rows), activations, parameters and gradients use the storage type. Every
 * backward kernel (backward-program.ts) binds all five; kernels that read no aux leave it unused.
 *
 * Partial buffers are (splits, size) with splits = ceil(batch / rowsPerSplit): the kernel
 * computes `splits` from `dims.batch` itself.
 */
import type { DispatchRule, EmittedKernel, Schedule } from './kernel.js';
import { kernelNames, u, type KernelContext, type StorageType } from './scaffold.js';

export interface GradBindingTypes {
  readonly src: StorageType;
  readonly dst: StorageType;
  readonly aux: StorageType;
}

export function auxName(entryPoint: string): string {
  return `${entryPoint}_aux`;
}

/** `buffer[index]` as f32, for a buffer of element type `type`. */
export function loadAs(type: StorageType, buffer: string, index: string): string {
  return type === 'f16' ? `f32(${buffer}[${index}])` : `${buffer}[${index}]`;
}

/** An f32 value converted for a buffer of element type `type`. */
export function storeAs(type: StorageType, value: string): string {
  return type === 'f16' ? `f16(${value})` : value;
}

/**
 * The kernel text of a gradient kernel: bindings, the entry point, the linear workgroup index
 * `group` (guarded by dims.groups) and `lid`, then `body`. `body` does its own bounds checks.
 */
export function gradKernelText(
  ctx: KernelContext,
  k: { readonly workgroupSize: number; readonly types: GradBindingTypes; readonly decls?: readonly string[]; readonly body: readonly string[] },
): string {
  const ep = ctx.entryPoint;
  const n = kernelNames(ep);
  const lines = [
    `struct ${ep}_Dims { batch: u32, groups: u32, pad0: u32, pad1: u32 }`,
    `@group(0) @binding(0) var<storage, read> ${n.params}: array<${ctx.storage}>;`,
    `@group(0) @binding(1) var<storage, read> ${n.src}: array<${k.types.src}>;`,
    `@group(0) @binding(2) var<storage, read_write> ${n.dst}: array<${k.types.dst}>;`,
    `@group(0) @binding(3) var<uniform> ${n.dims}: ${ep}_Dims;`,
    `@group(0) @binding(4) var<storage, read> ${auxName(ep)}: array<${k.types.aux}>;`,
    ...(k.decls ?? []),
    `@compute @workgroup_size(${k.workgroupSize})`,
    `fn ${ep}(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {`,
    `  let group = wg.x + wg.y * nwg.x;`,
    `  if (group >= ${n.dims}.groups) { return; }`,
    ...k.body.map((l) => `  ${l}`),
    `}`,
  ];
  return lines.join('\n') + '\n';
}

/** `let splits = ceil(batch / rowsPerSplit)`. */
export function splitsDecl(ctx: KernelContext, rowsPerSplit: number): string {
  return `let splits = (${kernelNames(ctx.entryPoint).dims}.batch + ${u(rowsPerSplit - 1)}) / ${u(rowsPerSplit)};`;
}

/**
 * The emitted gradient kernel of ctx's op: gradKernelText's text for `k`, the enables its binding
 * types need, a 1-D workgroup of `k.workgroupSize` and the dispatch rule `k.dispatch`.
 */
export function gradKernel(
  ctx: KernelContext,
  schedule: Schedule,
  k: { readonly workgroupSize: number; readonly types: GradBindingTypes; readonly decls?: readonly string[]; readonly body: readonly string[]; readonly dispatch: DispatchRule },
): EmittedKernel {
  return {
    entryPoint: ctx.entryPoint,
    wgsl: gradKernelText(ctx, k),
    enables: gradEnables(ctx, k.types),
    workgroupSize: [k.workgroupSize, 1, 1],
    dispatch: k.dispatch,
    schedule,
    ops: [ctx.opIndex],
  };
}

/** The enables of a kernel with these binding types. */
export function gradEnables(ctx: KernelContext, types: GradBindingTypes): string[] {
  return ctx.storage === 'f16' || types.src === 'f16' || types.dst === 'f16' || types.aux === 'f16' ? ['f16'] : [];
}
