/**
 * The parts every kernel shares (kernel.ts contract): the four bindings with entry-point-prefixed
 * names, the linear workgroup index from a 2-D dispatch, the bounds guard, and storage-type
 * conversions (kernels always compute in f32; f16 storage converts on load and store).
 */
import type { BufferDecl, ParamLayoutEntry, ParamSlice } from '../../ir/ir.js';
import { invariant } from '../../util/assert.js';
import { renderIndex, type IndexVar } from './index-map.js';
import type { EmittedKernel, Schedule } from './kernel.js';

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
export function load(ctx: KernelContext, buffer: string, index: string): string {
  return ctx.storage === 'f16' ? `f32(${buffer}[${index}])` : `${buffer}[${index}]`;
}

/** An f32 value converted for storing. */
export function toStorage(ctx: KernelContext, value: string): string {
  return ctx.storage === 'f16' ? `f16(${value})` : value;
}

/** An unsigned WGSL literal. */
export function u(n: number): string {
  invariant(Number.isInteger(n) && n >= 0 && n < 2 ** 32, `index constant ${n} does not fit u32`);
  return `${n}u`;
}

/*
 * u32 arithmetic on WGSL expressions with a compile-time constant operand. Tile and radix sizes
 * are often 1 and offsets 0, so the identities are left out (`x * 1u` is `x`, `x % 1u` is `0u`)
 * and literal operands are folded, keeping the generated text readable.
 */

/** The value of `e` when it is a u32 literal as `u` writes it. */
function literalValue(e: string): number | undefined {
  return /^\d+u$/.test(e) ? Number(e.slice(0, -1)) : undefined;
}

/** `e` as the left operand of `*`, `/` or `%`: parenthesised unless it is one term already. */
function operand(e: string): string {
  let depth = 0;
  for (const ch of e) {
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === ' ' && depth === 0) return `(${e})`;
  }
  return e;
}

/** WGSL sum of index terms, leaving out absent and zero terms; literal terms fold into the first one. */
export function sum(...terms: readonly (string | undefined)[]): string {
  const present = terms.filter((t): t is string => t !== undefined);
  const constant = present.reduce((acc, t) => acc + (literalValue(t) ?? 0), 0);
  const first = present.findIndex((t) => literalValue(t) !== undefined);
  const kept = present.flatMap((t, i) => (literalValue(t) === undefined ? [t] : i === first && constant > 0 ? [u(constant)] : []));
  return kept.length === 0 ? '0u' : kept.join(' + ');
}

/** `e * k`. */
export function mul(e: string, k: number): string {
  const v = literalValue(e);
  if (k === 0) return '0u';
  if (v !== undefined) return u(v * k);
  return k === 1 ? e : `${operand(e)} * ${u(k)}`;
}

/** `e / k` (k > 0). */
export function div(e: string, k: number): string {
  const v = literalValue(e);
  if (v !== undefined) return u(Math.floor(v / k));
  return k === 1 ? e : `${operand(e)} / ${u(k)}`;
}

/** `e % k` (k > 0). */
export function mod(e: string, k: number): string {
  const v = literalValue(e);
  if (k === 1) return '0u';
  return v !== undefined ? u(v % k) : `${operand(e)} % ${u(k)}`;
}

/**
 * `let name = expr;` and how later lines refer to the value: a literal or a copy of another
 * variable is used in place (tile and radix sizes of 1 make many such), so it gets no name.
 */
export function binding(name: string, expr: string): { readonly decl: readonly string[]; readonly ref: string } {
  return /^\w+$/.test(expr) ? { decl: [], ref: expr } : { decl: [`let ${name} = ${expr};`], ref: name };
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
    readonly rowBase: string;
    readonly index: string;
    readonly value: string;
    readonly accumulate: boolean;
    readonly bias?: { readonly offset: number; readonly index: string };
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
