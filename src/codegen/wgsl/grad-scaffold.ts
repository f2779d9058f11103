/**
 * The gradient-kernel variant of the kernel contract (kernel.ts), written by the same shell
 * (scaffold.ts kernelShell): the same four bindings plus
 *   @binding(4) aux : storage, read  (a second source: the output gradient of a weight gradient)
 * and per-binding element types: partial buffers of batch reductions are always f32 (they hold
 * sums over many rows), activations, parameters and gradients use the storage type. Every
 * backward kernel (backward-program.ts) binds all five; kernels that read no aux leave it unused.
 *
 * Partial buffers are (splits, size) with splits = ceil(batch / rowsPerSplit): the kernel
 * computes `splits` from `dims.batch` itself.
 */
import type { DispatchRule, EmittedKernel, Schedule } from './kernel.js';
import { blockedSum } from './reduction.js';
import { bindingEnables, kernelNames, kernelShell, sum, u, U32Const, type BindingTypes, type U32Expr, type KernelContext, type StorageType } from './scaffold.js';

export interface GradBindingTypes {
  readonly src: StorageType;
  readonly dst: StorageType;
  readonly aux: StorageType;
}

export function auxName(entryPoint: string): string {
  return kernelNames(entryPoint).aux;
}

/** `buffer[index]` as f32, for a buffer of element type `type`. */
export function loadAs(type: StorageType, buffer: string, index: U32Expr): string {
  return type === 'f16' ? `f32(${buffer}[${index}])` : `${buffer}[${index}]`;
}

/** An f32 value converted for a buffer of element type `type`. */
export function storeAs(type: StorageType, value: string): string {
  return type === 'f16' ? `f16(${value})` : value;
}

/** The binding element types of a gradient kernel: params in the storage type, aux bound. */
function gradBindings(ctx: KernelContext, types: GradBindingTypes): BindingTypes {
  return { params: ctx.storage, src: types.src, dst: types.dst, aux: types.aux };
}

/** `let splits = ceil(batch / rowsPerSplit)`. */
export function splitsDecl(ctx: KernelContext, rowsPerSplit: number): string {
  return `let splits = (${kernelNames(ctx.entryPoint).dims}.batch + ${u(rowsPerSplit - 1)}) / ${u(rowsPerSplit)};`;
}

/**
 * The loop over the rows [r0, r1) of a batch split (`r0`, `r1` declared by the caller), its
 * variable `name` stepping by `step` through `body`, which adds into the f32 `accumulators`.
 * A split of more than BLOCKED_SUM_FROM rows sums in blocks of about SUM_BLOCK rows
 * (reduction.ts blockedSum; a multiple of `step`, so chunks never straddle two blocks); the
 * default 256-row split is the plain loop, text unchanged.
 */
export function splitRowsLoop(name: string, rowsPerSplit: number, step: number, accumulators: readonly string[], body: readonly string[]): string[] {
  return blockedSum({
    name,
    count: rowsPerSplit,
    step,
    accumulators: accumulators.map((acc) => ({ name: acc, zero: '0.0' })),
    loop: (from, to) => {
      const end = to instanceof U32Const && to.value >= rowsPerSplit ? 'r1' : `min(${sum('r0', to)}, r1)`;
      return [`for (var ${name} = ${sum('r0', from)}; ${name} < ${end}; ${name}${step === 1 ? '++' : ` += ${u(step)}`}) {`, ...body.map((l) => `  ${l}`), '}'];
    },
  });
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
    wgsl: kernelShell(ctx.entryPoint, { bindings: gradBindings(ctx, k.types), workgroupSize: k.workgroupSize, ...(k.decls ? { decls: k.decls } : {}), body: k.body }),
    enables: bindingEnables(ctx.storage, gradBindings(ctx, k.types)),
    workgroupSize: [k.workgroupSize, 1, 1],
    dispatch: k.dispatch,
    schedule,
    ops: [ctx.opIndex],
  };
}
