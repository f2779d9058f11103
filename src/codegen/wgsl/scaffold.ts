/**
 * The parts every kernel shares (kernel.ts contract): the four bindings with entry-point-prefixed
 * names, the linear workgroup index from a 2-D dispatch, the bounds guard, and storage-type
 * conversions (kernels always compute in f32; f16 storage converts on load and store).
 */
import type { BufferDecl, ParamLayoutEntry, ParamSlice } from '../../ir/ir.js';
import { invariant } from '../../util/assert.js';
import { renderIndex, type IndexVar } from './index-map.js';
import type { EmittedKernel, Schedule } from './kernel.js';
import { mul, sum, U32Const, u, type U32Expr } from './u32.js';

export type StorageType = 'f32' | 'f16';

/** What an emitter needs to know about the program around the op it emits. */
export interface KernelContext {
  readonly entryPoint: string;
  /** Index of the op in the program (recorded in the emitted kernel). */
  readonly opIndex: number;
  readonly storage: StorageType;
  readonly params: readonly ParamLayoutEntry[];
  readonly buffers: readonly BufferDecl[];
}

/** Absolute element offset of a parameter slice in the packed parameter buffer. */
export function paramOffset(ctx: KernelContext, slice: ParamSlice): number {
  const entry = ctx.params.find((p) => p.name === slice.tensor);
  invariant(entry, `parameter tensor '${slice.tensor}' is not in the program's layout`);
  return entry.offset + slice.offset;
}

/** Elements per batch row of a buffer. */
export function rowSize(ctx: KernelContext, buffer: string): number {
  const decl = ctx.buffers.find((b) => b.name === buffer);
  invariant(decl, `buffer '${buffer}' is not declared by the program`);
  return decl.size;
}

/** Module-scope names of one kernel. */
export interface KernelNames {
  readonly params: string;
  readonly src: string;
  readonly dst: string;
  readonly dims: string;
  /** Binding 4 of gradient kernels. */
  readonly aux: string;
}

export function kernelNames(entryPoint: string): KernelNames {
  return { params: `${entryPoint}_params`, src: `${entryPoint}_src`, dst: `${entryPoint}_dst`, dims: `${entryPoint}_dims`, aux: `${entryPoint}_aux` };
}

/** `buffer[index]` as an f32 value. */
export function load(ctx: KernelContext, buffer: string, index: U32Expr): string {
  return ctx.storage === 'f16' ? `f32(${buffer}[${index}])` : `${buffer}[${index}]`;
}

/** An f32 value converted for storing. */
export function toStorage(ctx: KernelContext, value: string): string {
  return ctx.storage === 'f16' ? `f16(${value})` : value;
}

export { div, mod, mul, sum, u, U32Const, type U32Expr } from './u32.js';

/**
 * `let name = expr;` and how later lines refer to the value: a constant (U32Const) or a copy of
 * another variable (a bare name) is used in place (tile and radix sizes of 1 make many such), so
 * it gets no name.
 */
export function binding(name: string, expr: U32Expr): { readonly decl: readonly string[]; readonly ref: U32Expr } {
  return expr instanceof U32Const || /^\w+$/.test(expr) ? { decl: [], ref: expr } : { decl: [`let ${name} = ${expr};`], ref: name };
}

/**
 * `let` declarations that split `item` (in [0, ∏sizes)) into row-major digits named by `vars`;
 * a digit of size 1 is the constant 0.
 */
export function decompose(item: string, vars: readonly IndexVar[]): string[] {
  const total = vars.reduce((p, v) => p * v.size, 1);
  let stride = total;
  return vars.map((v) => {
    stride /= v.size;
    if (v.size === 1) return `let ${v.name} = 0u;`;
    const digit = { var: item, coef: 1, stride, size: v.size };
    return `let ${v.name} = ${renderIndex({ vars: new Map([[item, total]]), fields: [digit] })};`;
  });
}

/**
 * Writes one output element: dst[rowBase + index] (=|+=) value (+ bias[biasIndex]). The bias
 * is indexed by the op's logical output index: a bias rides on an op with the same output map.
 */
export function storeOutput(
  ctx: KernelContext,
  o: {
    readonly rowBase: U32Expr;
    readonly index: U32Expr;
    readonly value: string;
    readonly accumulate: boolean;
    readonly bias?: { readonly offset: number; readonly index: U32Expr };
  },
): string {
  const n = kernelNames(ctx.entryPoint);
  const at = sum(o.rowBase, o.index);
  let v = o.value;
  if (o.bias) v = `${v} + ${load(ctx, n.params, sum(u(o.bias.offset), o.bias.index))}`;
  if (o.accumulate) v = `${load(ctx, n.dst, at)} + ${v}`;
  return `${n.dst}[${at}] = ${toStorage(ctx, v)};`;
}

/**
 * The WGSL element type of each binding of the kernel contract (kernel.ts): the storage scalar,
 * a vec4 view of it, or f32 for a gradient kernel's partial buffers. `aux` (binding 4) only in
 * gradient kernels.
 */
export interface BindingTypes {
  readonly params: string;
  readonly src: string;
  readonly dst: string;
  readonly aux?: string;
}

/** Every binding in the storage type, no aux: a forward kernel. */
export function forwardBindings(storage: StorageType): BindingTypes {
  return { params: storage, src: storage, dst: storage };
}

/**
 * The one kernel shell every family's text goes through: the Dims struct and the bindings of the
 * contract (names prefixed with the entry point), module-scope `decls`, the entry point with its
 * linear workgroup index `group` (wg.x + wg.y · nwg.x: the runtime lays the dispatch out in 2-D
 * within the device's per-dimension limit) and the guard on dims.groups, then `body`.
 */
export function kernelShell(
  entryPoint: string,
  k: { readonly bindings: BindingTypes; readonly workgroupSize: number; readonly decls?: readonly string[]; readonly body: readonly string[] },
): string {
  const ep = entryPoint;
  const n = kernelNames(ep);
  const lines = [
    `struct ${ep}_Dims { batch: u32, groups: u32, pad0: u32, pad1: u32 }`,
    `@group(0) @binding(0) var<storage, read> ${n.params}: array<${k.bindings.params}>;`,
    `@group(0) @binding(1) var<storage, read> ${n.src}: array<${k.bindings.src}>;`,
    `@group(0) @binding(2) var<storage, read_write> ${n.dst}: array<${k.bindings.dst}>;`,
    `@group(0) @binding(3) var<uniform> ${n.dims}: ${ep}_Dims;`,
    ...(k.bindings.aux === undefined ? [] : [`@group(0) @binding(4) var<storage, read> ${n.aux}: array<${k.bindings.aux}>;`]),
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

/** The WGSL extensions a kernel with these binding element types needs (f16 storage: `f16`). */
export function bindingEnables(storage: StorageType, bindings: BindingTypes): string[] {
  const types = [storage, bindings.params, bindings.src, bindings.dst, bindings.aux ?? storage];
  return types.some((t) => t.includes('f16')) ? ['f16'] : [];
}

/**
 * A forward kernel of one thread per item (`itemsPerRow` items per batch row) through the shell:
 * `body` sees `item_row` (the batch row) and `item` (the item within the row). `decls` are extra
 * module-scope declarations (already prefixed by the caller). Dispatch: one flat item per thread.
 */
export function flatKernel(
  ctx: KernelContext,
  schedule: Schedule,
  k: { readonly workgroupSize: number; readonly itemsPerRow: number; readonly decls?: readonly string[]; readonly body: readonly string[] },
): EmittedKernel {
  const n = kernelNames(ctx.entryPoint);
  const bindings = forwardBindings(ctx.storage);
  const body = [
    `let global = group * ${u(k.workgroupSize)} + lid;`,
    `if (global >= ${n.dims}.batch * ${u(k.itemsPerRow)}) { return; }`,
    k.itemsPerRow === 1 ? `let item_row = global;` : `let item_row = global / ${u(k.itemsPerRow)};`,
    k.itemsPerRow === 1 ? `let item = 0u;` : `let item = global % ${u(k.itemsPerRow)};`,
    ...k.body,
  ];
  return {
    entryPoint: ctx.entryPoint,
    wgsl: kernelShell(ctx.entryPoint, { bindings, workgroupSize: k.workgroupSize, ...(k.decls ? { decls: k.decls } : {}), body }),
    enables: bindingEnables(ctx.storage, bindings),
    workgroupSize: [k.workgroupSize, 1, 1],
    dispatch: { kind: 'flat', itemsPerRow: k.itemsPerRow, itemsPerWorkgroup: k.workgroupSize },
    schedule,
    ops: [ctx.opIndex],
  };
}
