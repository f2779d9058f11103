/**
 * Small text helpers shared by the fast kernel families: storage element types (scalar or vec4
 * views of the same buffer), staging and epilogue pieces, and `tiledKernel`, which puts a tiled
 * kernel through the one kernel shell (scaffold.ts). Kernels compute in f32; f16 storage
 * converts on load and store.
 */
import type { EmittedKernel, Schedule } from '../kernel.js';
import type { BindingTypes, StorageType } from '../scaffold.js';
import { binding, bindingEnables, div, kernelNames, kernelShell, mod, mul, sum, u } from '../scaffold.js';
import type { U32Expr } from '../u32.js';

/** The WGSL element type of a binding: the storage scalar, or a vec4 of it. */
export function elemType(storage: StorageType, vec4: boolean): string {
  return vec4 ? `vec4<${storage}>` : storage;
}

/** An f32 (or vec4<f32>) expression from a storage load. */
export function toF32(storage: StorageType, expr: string, vec4: boolean): string {
  if (storage === 'f32') return expr;
  return vec4 ? `vec4<f32>(${expr})` : `f32(${expr})`;
}

/** A storage value from an f32 (or vec4<f32>) expression. */
export function fromF32(storage: StorageType, expr: string, vec4: boolean): string {
  if (storage === 'f32') return expr;
  return vec4 ? `vec4<f16>(${expr})` : `f16(${expr})`;
}

/** Which bindings a kernel views as arrays of vec4 (all legal views of the same buffers). */
export interface BindingViews {
  readonly params: boolean;
  readonly src: boolean;
  readonly dst: boolean;
}

/** The binding element types of a tiled kernel: the storage type, or vec4 views of it. */
export function tiledBindings(storage: StorageType, views: BindingViews): BindingTypes {
  return { params: elemType(storage, views.params), src: elemType(storage, views.src), dst: elemType(storage, views.dst) };
}

/** Reads one scalar element of a binding that may be viewed as vec4. */
export function scalarAt(name: string, vec4: boolean, index: U32Expr): string {
  return vec4 ? `${name}[${div(index, 4)}][${mod(index, 4)}]` : `${name}[${index}]`;
}

/** `lid`-strided cooperative loop over `count` items (unrolled by whole passes of the workgroup). */
export function cooperative(count: number, threads: number, item: string, body: readonly string[]): string[] {
  const passes = Math.ceil(count / threads);
  const out: string[] = [];
  for (let p = 0; p < passes; p++) {
    const guarded = (p + 1) * threads > count;
    out.push('{', `  let ${item} = ${sum('lid', u(p * threads))};`);
    if (guarded) out.push(`  if (${item} < ${u(count)}) {`);
    out.push(...body.map((l) => (guarded ? `    ${l}` : `  ${l}`)));
    if (guarded) out.push('  }');
    out.push('}');
  }
  return out;
}

export const LANES = ['x', 'y', 'z', 'w'] as const;

/**
 * One cooperative copy from global into workgroup memory, split in two halves so a kernel can
 * software-pipeline it: `load` fills a per-invocation register with item `e` of the chunk at
 * `k0`, `store` writes that register to workgroup memory.
 */
export interface StagedCopy {
  readonly count: number;
  /** WGSL type of one item's register. */
  readonly register: string;
  /** Index lines for item `e` (may use the chunk start k0). */
  readonly item: (k0: U32Expr) => readonly string[];
  /** Lines assigning item `e` of chunk `k0` to the register `reg`. */
  readonly load: (reg: string, k0: U32Expr) => readonly string[];
  /** Workgroup-memory writes of the register `reg` (after `item`'s lines). */
  readonly store: (reg: string) => readonly string[];
}

export interface Staging {
  /** Register declarations (function scope, before the loop). */
  readonly registers: readonly string[];
  /** Global loads of the chunk at `k0` into the registers. */
  fetch(k0: U32Expr): string[];
  /** Writes of the registers (holding the chunk at `k0`) to workgroup memory. */
  stash(k0: U32Expr): string[];
}

/** Staging of several copies by `threads` invocations, `lid`-strided passes (the last one guarded). */
export function staging(prefix: string, threads: number, copies: readonly StagedCopy[]): Staging {
  const passes = copies.map((c) => Math.ceil(c.count / threads));
  const reg = (ci: number, p: number) => `${prefix}${ci}_${p}`;
  const each = (body: (c: StagedCopy, ci: number, p: number) => readonly string[]): string[] =>
    copies.flatMap((c, ci) =>
      Array.from({ length: passes[ci] }, (_, p) => {
        const guarded = (p + 1) * threads > c.count;
        const lines = body(c, ci, p);
        return guarded
          ? ['{', `  let e = ${sum('lid', u(p * threads))};`, `  if (e < ${u(c.count)}) {`, ...lines.map((l) => `    ${l}`), '  }', '}']
          : ['{', `  let e = ${sum('lid', u(p * threads))};`, ...lines.map((l) => `  ${l}`), '}'];
      }).flat(),
    );
  return {
    registers: copies.flatMap((c, ci) => Array.from({ length: passes[ci] }, (_, p) => `var ${reg(ci, p)}: ${c.register};`)),
    fetch: (k0) => each((c, ci, p) => [...c.item(k0), ...c.load(reg(ci, p), k0)]),
    stash: (k0) => each((c, ci, p) => [...c.item(k0), ...c.store(reg(ci, p))]),
  };
}

/**
 * The chunks of a staged reduction: `variable` runs from `first` while below `end`, by `step`
 * (WGSL u32 expressions, uniform over the workgroup: the loop holds barriers).
 */
export interface ChunkRange {
  readonly variable: string;
  readonly first: U32Expr;
  readonly end: U32Expr;
  readonly step: U32Expr;
  /** The range may be empty (run-time bounds): the pipelined prologue's loads are then guarded. */
  readonly mayBeEmpty: boolean;
}

/**
 * The reduction loop over chunks of `tk` (of `total`) with staged operands: load, barrier,
 * `compute`, barrier. Pipelined, the next chunk's global loads are issued before `compute` and
 * land in registers, hiding their latency behind the multiply-adds.
 */
export function stagedLoop(s: Staging, total: number, tk: number, pipelined: boolean, compute: readonly string[]): string[] {
  return stagedChunks(s, { variable: 'k0', first: u(0), end: u(total), step: u(tk), mayBeEmpty: false }, pipelined, compute);
}

/** `stagedLoop` over any chunk range (a block-sparse row walks a run-time range of chunks). */
export function stagedChunks(s: Staging, range: ChunkRange, pipelined: boolean, compute: readonly string[]): string[] {
  const indent = (ls: readonly string[], by = '  ') => ls.map((l) => by + l);
  const { variable: v, first, end, step } = range;
  const loop = `for (var ${v} = ${first}; ${v} < ${end}; ${v} += ${step}) {`;
  if (!pipelined)
    return [...s.registers, loop, ...indent(s.fetch(v)), ...indent(s.stash(v)), '  workgroupBarrier();', ...indent(compute), '  workgroupBarrier();', '}'];
  const prologue = range.mayBeEmpty ? [`if (${first} < ${end}) {`, ...indent(s.fetch(first)), '}'] : s.fetch(first);
  return [
    ...s.registers,
    ...prologue,
    loop,
    ...indent(s.stash(v)),
    '  workgroupBarrier();',
    `  if (${v} + ${step} < ${end}) {`,
    ...indent(s.fetch(`${v} + ${step}`), '    '),
    '  }',
    ...indent(compute),
    '  workgroupBarrier();',
    '}',
  ];
}

/**
 * A StagedCopy of a (lines × tk) tile of a global buffer into workgroup memory, transposed so
 * that the inner product reads consecutive lines (batch rows, outputs) as one vector: element
 * (t, k) of the chunk at `k0` is `buffer[at(t, k, k0)]` and lands in the workgroup slot
 * `slot(k, t)`. Consecutive invocations take consecutive k, so the global reads coalesce; with
 * `vec4` (the buffer viewed as vec4, tk and every at(t, 0, k0) multiples of 4) each takes four.
 */
export function transposedTile(o: {
  readonly storage: StorageType;
  readonly buffer: string;
  readonly vec4: boolean;
  readonly lines: number;
  readonly tk: number;
  readonly at: (t: U32Expr, k: U32Expr, k0: U32Expr) => U32Expr;
  readonly slot: (k: U32Expr, t: U32Expr) => U32Expr;
}): StagedCopy {
  const per = o.vec4 ? o.tk / 4 : o.tk;
  const t = binding('t', div('e', per));
  const kv = binding('kv', mod('e', per));
  return {
    count: o.lines * per,
    register: o.vec4 ? 'vec4<f32>' : 'f32',
    item: () => [...t.decl, ...kv.decl],
    load: (v, k0) => [`${v} = ${toF32(o.storage, o.vec4 ? `${o.buffer}[${div(o.at(t.ref, mul(kv.ref, 4), k0), 4)}]` : `${o.buffer}[${o.at(t.ref, kv.ref, k0)}]`, o.vec4)};`],
    store: (v) => (o.vec4 ? LANES.map((l, q) => `${o.slot(sum(mul(kv.ref, 4), u(q)), t.ref)} = ${v}.${l};`) : [`${o.slot(kv.ref, t.ref)} = ${v};`]),
  };
}

/**
 * The epilogue's write of one element (or one vec4) of dst at `at` (an index into dst's view):
 * dst = value (+ bias) (+ the old dst when accumulating). `bias` are the bias elements'
 * expressions in storage type: one, or four for a vec4.
 */
export function epilogueWrite(o: {
  readonly storage: StorageType;
  readonly dst: string;
  readonly at: U32Expr;
  readonly value: string;
  readonly vec4: boolean;
  readonly accumulate: boolean;
  readonly bias?: readonly string[];
}): string {
  const st = o.storage;
  let v = o.value;
  if (o.bias) v = `${v} + ${toF32(st, o.vec4 ? `vec4<${st}>(${o.bias.join(', ')})` : o.bias[0], o.vec4)}`;
  if (o.accumulate) v = `${toF32(st, `${o.dst}[${o.at}]`, o.vec4)} + ${v}`;
  return `${o.dst}[${o.at}] = ${fromF32(st, v, o.vec4)};`;
}

/** What a tiled fast kernel is made of; `tiledKernel` turns it into the kernel.ts contract. */
export interface TiledKernelParts {
  readonly entryPoint: string;
  readonly storage: StorageType;
  readonly views: BindingViews;
  /** Module-scope `var<workgroup>` declarations. */
  readonly workgroupVars: readonly string[];
  /** Other module-scope declarations (const tables, helper functions), names prefixed. */
  readonly decls?: readonly string[];
  readonly threads: number;
  readonly body: readonly string[];
  readonly rowsPerWorkgroup: number;
  readonly workgroupsPerRowTile: number;
  readonly schedule: Schedule;
  readonly ops: readonly number[];
  /** WGSL extensions beyond the storage type's. */
  readonly extraEnables?: readonly string[];
}

/** Bindings, workgroup variables and the entry point of a kernel tiled over batch rows. */
export function tiledKernel(k: TiledKernelParts): EmittedKernel {
  const bindings = tiledBindings(k.storage, k.views);
  const wgsl = kernelShell(k.entryPoint, {
    bindings,
    workgroupSize: k.threads,
    decls: [...(k.decls ?? []), ...k.workgroupVars],
    body: [`let batch = ${kernelNames(k.entryPoint).dims}.batch;`, ...k.body],
  });
  return {
    entryPoint: k.entryPoint,
    wgsl,
    enables: [...bindingEnables(k.storage, bindings), ...(k.extraEnables ?? [])],
    workgroupSize: [k.threads, 1, 1],
    dispatch: { kind: 'tiled', rowsPerWorkgroup: k.rowsPerWorkgroup, workgroupsPerRowTile: k.workgroupsPerRowTile },
    schedule: k.schedule,
    ops: k.ops,
  };
}

