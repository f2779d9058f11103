/**
 * Runs tensor-core kernels (WGSL with `enable f16; enable chromium_experimental_subgroup_matrix;`)
 * on adapters that have neither feature, SwiftShader included: `emulateSubgroupMatrix` rewrites
 * such a module into plain WGSL with the same results up to f16 rounding, so their index
 * arithmetic can be checked against the float64 reference here, not only on the GPU.
 *
 * The rewrite:
 *  - f16 becomes f32 everywhere: the `f16` enable goes, `f16` / `vecNh` / `matCxRh` types become
 *    their f32 counterparts, `h`-suffixed literals become `f` ones. Storage buffers the kernel
 *    declares as f16 are therefore f32 buffers: tests upload f32 data where the real kernel
 *    expects f16 (run the check with f32 storage: `emulatedEmit` + `kernelError(…, 'f32')`).
 *    With `packWorkgroupF16`, f16 workgroup arrays stay f16: two values per `atomic<u32>` word
 *    (pack2x16float; an atomic xor of the changed bits, so neighbouring halves written by
 *    different invocations do not race), which keeps the kernel's workgroup footprint (SwiftShader offers 32 KiB) and its
 *    f16 rounding of staged values.
 *  - each subgroup matrix becomes a struct holding, in each invocation, what that invocation
 *    needs for its share of the result, as on the hardware: the subgroup (`subgroupSize`
 *    invocations, one per workgroup in monc's kernels) is a grid of lanes, each owning an a x b
 *    block of every result matrix (rows i0.., columns j0..); it holds those a rows of every left
 *    matrix and those b columns of every right matrix (whole, along K). Loads read, stores write
 *    and the multiply computes exactly those parts; a store of a left or right matrix writes each
 *    entry from the first lane of the lane row or column holding it (two writers of one packed
 *    f16 half would race). The builtins become generated plain functions, one per (buffer, matrix
 *    type, layout), that name the buffer directly (no pointers to storage or workgroup arrays);
 *    matrices are function variables passed by pointer.
 *    Why not the whole matrix in every invocation: SwiftShader's compile time grows steeply with
 *    the per-invocation variable footprint (measured: 8 left/right/result triples of 16x16 f32,
 *    ~30 s per kernel; the fragments here keep a kernel to seconds).
 *
 * Semantics followed: the WebGPU proposal "Subgroup Matrix" (gpuweb/gpuweb,
 * proposals/subgroup-matrix.md, itself copied from Dawn's docs/dawn/features/subgroup_matrix.md)
 * and, for the call forms with a layout template argument, Dawn's Tint tests
 * (test/tint/extensions/subgroup_matrix/*.wgsl):
 *  - `subgroup_matrix_left<T, K, M>` is M rows x K columns, `subgroup_matrix_right<T, N, K>` is
 *    K rows x N columns, `subgroup_matrix_result<T, N, M>` is M rows x N columns: the template
 *    arguments are always (component type, columns, rows);
 *  - load / store at `offset` elements into the array with `stride` in elements of the array:
 *    row-major puts entry [r, c] at offset + r * stride + c, column-major at
 *    offset + c * stride + r, for left, right and result alike;
 *  - `subgroupMatrixMultiply<TR>(l, r)` = l · r (an M x N result of component type TR),
 *    `subgroupMatrixMultiplyAccumulate(l, r, acc)` = l · r + acc;
 *  - `T()` is the zero matrix, `T(v)` every entry v; `subgroupMatrixScalarAdd/Subtract/Multiply`.
 * And what Dawn's compiler adds on the GPU (option `robustness`, on by default): Tint's
 * Robustness transform (src/tint/lang/core/ir/transform/robustness.cc, ClampSubgroupMatrixCall;
 * its `clamp_subgroup_matrix` is on by default and the SPIR-V, MSL and HLSL writers keep it, and
 * the transform runs unless the device's `disable_robustness` toggle is set, which it is not by
 * default) rewrites every load and store: min_stride = the matrix's columns (row_major) or rows
 * (col_major); stride = max(stride, min_stride); and if offset + stride·(rows or columns − 1) +
 * min_stride > the array's length, offset = 0 and stride = min_stride. So a 16x16 load that
 * crosses the buffer's end reads its first entries (not zeros, not the entries before the end)
 * and such a store writes over them. Array lengths: a workgroup or fixed-size array's declared
 * count, a runtime-sized storage array's arrayLength (for an f16 one, what the real f16 buffer of
 * the same element count has: monc's buffers are whole 16-byte units).
 * Statement forms parsed (what the emitters write): `let|var m = CALL;`, `m = CALL;` and
 * `subgroupMatrixStore…(…);` (a declaration stays a declaration, of an unused u32, so WGSL's
 * scoping rules still catch a name declared twice in one scope), where CALL is `subgroupMatrixLoad<T, row_major|col_major>(&buf,
 * offset, stride)` (or `subgroupMatrixLoad<T>(&buf, offset, col_major_bool, stride)`), a multiply,
 * a constructor or a scalar op whose matrix arguments are matrix variables, and the store is
 * `subgroupMatrixStore<row_major|col_major>(&buf, offset, m, stride)` (or
 * `subgroupMatrixStore(&buf, offset, m, col_major_bool, stride)`). Anything else that names a
 * subgroup matrix (another builtin or form, a pointer that is not a module-scope array of
 * scalars, mismatched multiply dimensions, more than one multiply shape per module, a component
 * type that does not match the array's, a workgroup size that is not whole subgroups) throws:
 * the emulation fails loudly rather than guessing. Not emulated: the uniformity rules of the
 * builtins (the real compiler checks them); diagnostic filters for them are dropped.
 */
import type { EmittedKernel } from '../../src/codegen/wgsl/kernel.js';
import type { KernelContext } from '../../src/codegen/wgsl/scaffold.js';
import { assertNever } from '../../src/util/assert.js';

export const SUBGROUP_MATRIX_ENABLE = 'chromium_experimental_subgroup_matrix';

export interface EmulationOptions {
  /** Invocations sharing one matrix (NVIDIA: 32, ks-sgmat's SUBGROUP). */
  readonly subgroupSize?: number;
  /**
   * Poison (NaN) what a load or store moves when its offset or stride differs between the
   * invocations of the adapter's subgroup, or when some of them are not active (divergent
   * control flow): both undefined for the real builtins, whose uniformity rule kernels may
   * switch off. Needs the adapter's `subgroups` (SwiftShader: subgroups of 4, so it sees
   * differences within each 4 invocations only). Off by default: SwiftShader's compile time
   * grows steeply with it (ks-sgmat with 8 δ: over 2 minutes, 8 s without); fine for small
   * kernels.
   */
  readonly checkUniformity?: boolean;
  /**
   * Model Dawn's robustness for matrix loads and stores (on by default, as on the GPU; see
   * `Rewriter.access`): a stride below the matrix's minimum is raised to it, and a call that
   * would run past the array's end uses offset 0 and the minimum stride instead. Off: the
   * proposal's bare semantics (what the real builtins do only with robustness disabled).
   */
  readonly robustness?: boolean;
  /**
   * Keep f16 workgroup arrays f16 (two per atomic<u32>): the kernel's own workgroup footprint
   * and rounding of staged values. Off: they become f32 arrays (twice the bytes, exact f32).
   */
  readonly packWorkgroupF16?: boolean;
  /**
   * Keep f16 storage arrays f16 in memory, two halves per u32 word (a read-only array of u32, a read-write one of
   * atomic<u32>), as the buffers of an f16-storage executor hold them: kernels of an f16 module then run on the
   * runtime's own f16 buffers (its conversions to and from halves, its byte offsets) without shader-f16. Off: they
   * become f32 arrays, for data the test uploads as f32.
   */
  readonly packStorageF16?: boolean;
}

/** A kernel whose WGSL runs without shader-f16 and subgroup matrices (see the file comment). */
export function emulateSubgroupMatrixKernel(kernel: EmittedKernel, options: EmulationOptions = {}): EmittedKernel {
  const text = emulateSubgroupMatrix(kernel.wgsl, options);
  // The enable the uniformity check adds goes with the kernel's own enables.
  const wgsl = text.replace(/^enable subgroups;\n/, '');
  const enables = kernel.enables.filter((e) => e !== 'f16' && e !== SUBGROUP_MATRIX_ENABLE);
  return { ...kernel, wgsl, enables: wgsl === text || enables.includes('subgroups') ? enables : [...enables, 'subgroups'] };
}

/**
 * An emitter for `kernelError` / KernelCheck with f32 storage: emits the kernel for f16 storage
 * (the only storage tensor-core families accept) and returns its emulation.
 */
export function emulatedEmit(emit: (ctx: KernelContext) => EmittedKernel, options: EmulationOptions = {}): (ctx: KernelContext) => EmittedKernel {
  return (ctx) => emulateSubgroupMatrixKernel(emit({ ...ctx, storage: 'f16' }), options);
}

/** The WGSL module (or a kernel's text without its enables) rewritten as plain WGSL. */
export function emulateSubgroupMatrix(wgsl: string, options: EmulationOptions = {}): string {
  const r = new Rewriter(stripUniformityRules(stripEnables(wgsl)), options);
  return r.run();
}

type Kind = 'left' | 'right' | 'result';

interface MatrixType {
  readonly kind: Kind;
  /** The component type as written (f16 stays f16 here; checked against arrays and configurations). */
  readonly component: string;
  readonly cols: number;
  readonly rows: number;
  /** The emulation's struct name. */
  readonly name: string;
}

interface ArrayVar {
  readonly name: string;
  /** The element type as declared (before f16 becomes f32). */
  readonly element: string;
  readonly length?: number;
  /** An f16 array packed two per u32 word: atomic<u32> where it is written (workgroup, read-write storage), else u32. */
  readonly packed: false | 'atomic' | 'words';
}

const SCALARS = new Set(['f16', 'f32', 'i32', 'u32']);
/** The emulation's type for a component type. */
const emulated = (component: string) => (component === 'f16' ? 'f32' : component);

function stripEnables(wgsl: string): string {
  return wgsl.replace(/^\s*enable\s+([^;]*);[^\S\n]*\n?/gm, (_line, list: string) => {
    const kept = list.split(',').map((e) => e.trim()).filter((e) => e !== '' && e !== 'f16' && e !== SUBGROUP_MATRIX_ENABLE);
    return kept.length > 0 ? `enable ${kept.join(', ')};\n` : '';
  });
}

/**
 * Drops diagnostic filters for the subgroup-matrix uniformity rule (`@diagnostic(off,
 * chromium.subgroup_matrix_uniformity)` on a statement or function, or as a directive): the rule
 * concerns only the matrix builtins the emulation replaces, and plain WGSL does not know it.
 */
function stripUniformityRules(wgsl: string): string {
  return wgsl
    .replace(/^\s*diagnostic\s*\(\s*\w+\s*,\s*[\w.]*subgroup_matrix_uniformity\s*\)\s*;[^\S\n]*\n?/gm, '')
    .replace(/@diagnostic\s*\(\s*\w+\s*,\s*[\w.]*subgroup_matrix_uniformity\s*\)\s*/g, '');
}

/** The f16 -> f32 rewrite of types and literals. */
function f16ToF32(text: string): string {
  return text
    .replace(/\bf16\b/g, 'f32')
    .replace(/\bvec([234])h\b/g, 'vec$1f')
    .replace(/\bmat([234])x([234])h\b/g, 'mat$1x$2f')
    .replace(/(?<![\w.])((?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)h\b/g, '$1f');
}

/** Index of the bracket closing the one at `open` ('(' or '[' count both kinds; '<' counts '<' and '>'). */
function closing(text: string, open: number): number {
  const angle = text[open] === '<';
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (angle ? ch === '<' : ch === '(' || ch === '[') depth++;
    else if (angle ? ch === '>' : ch === ')' || ch === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw new Error(`sgmat emulation: unbalanced '${text[open]}' in: ${text.slice(open, open + 80)}`);
}

/** Splits at commas outside (), [] and template lists (a '<' right after an identifier). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let angle = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === '<' && /\w/.test(text[i - 1] ?? '')) angle++;
    else if (ch === '>' && angle > 0) angle--;
    else if (ch === ',' && depth === 0 && angle === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = text.slice(start).trim();
  if (last !== '' || parts.length > 0) parts.push(last);
  if (depth !== 0 || angle !== 0) throw new Error(`sgmat emulation: cannot split arguments: ${text}`);
  return parts;
}

/** A compile-time integer (`16`, `16u`, `16i`). */
function integer(text: string, what: string): number {
  const m = /^(\d+)[ui]?$/.exec(text.trim());
  if (!m) throw new Error(`sgmat emulation: ${what} must be an integer literal, got '${text}'`);
  return Number(m[1]);
}

/**
 * How a subgroup shares one M x N (x K) multiply shape: lane `lane` owns rows
 * i0 = (lane / laneCols) * a .. + a and columns j0 = (lane % laneCols) * b .. + b of a result.
 */
interface LaneGrid {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly a: number;
  readonly b: number;
  readonly laneCols: number;
  readonly subgroup: number;
}

/**
 * The lane grid for the module's matrix types: one shape, blocks as square as they can be (a
 * module without right or result matrices, or without left or result ones, is taken as square).
 */
function laneGrid(types: readonly MatrixType[], subgroup: number): LaneGrid {
  const one = (what: string, values: number[]): number | undefined => {
    const distinct = [...new Set(values)];
    if (distinct.length > 1) throw new Error(`sgmat emulation: more than one ${what} among the matrix types (${types.map((t) => t.name).join(', ')})`);
    return distinct[0];
  };
  const m = one('M', types.flatMap((t) => (t.kind === 'right' ? [] : [t.rows])));
  const n = one('N', types.flatMap((t) => (t.kind === 'left' ? [] : [t.cols])));
  const K = one('K', types.flatMap((t) => (t.kind === 'left' ? [t.cols] : t.kind === 'right' ? [t.rows] : []))) ?? 0;
  const M = m ?? n!;
  const N = n ?? m!;
  const per = (M * N) / subgroup;
  let best: LaneGrid | undefined;
  for (let a = 1; a <= per; a++) {
    const b = per / a;
    if (!Number.isInteger(b) || M % a !== 0 || N % b !== 0) continue;
    if (!best || a + b < best.a + best.b) best = { M, N, K, a, b, laneCols: N / b, subgroup };
  }
  if (!best) throw new Error(`sgmat emulation: ${M} x ${N} results do not split over ${subgroup} invocations`);
  return best;
}

class Rewriter {
  private readonly types = new Map<string, MatrixType>();
  private readonly arrays = new Map<string, ArrayVar>();
  /** Matrix variables: their type and offset in their component's pool. */
  private readonly slots = new Map<string, { readonly type: MatrixType; readonly offset: number }>();
  /** Entries of each pool (by emulated component type) the slots use. */
  private readonly poolSizes = new Map<string, number>();
  private readonly functions = new Map<string, string>();
  private grid!: LaneGrid;
  private readonly check: boolean;

  constructor(
    private text: string,
    private readonly options: EmulationOptions,
  ) {
    this.check = options.checkUniformity ?? false;
  }

  run(): string {
    this.findArrays();
    this.packArrays();
    this.text = this.text.replace(/\bsubgroup_matrix_(left|right|result)\s*<([^<>]*)>/g, (_m, kind: Kind, args: string) => this.matrixType(kind, args).name);
    if (this.types.size > 0) {
      this.grid = laneGrid([...this.types.values()], this.options.subgroupSize ?? 32);
      this.instrumentEntryPoints();
    }
    this.rewriteStatements();
    const left = /\bsubgroup_?[mM]atrix\w*/.exec(this.text);
    if (left) throw new Error(`sgmat emulation: unrecognised use of '${left[0]}' near: ${this.text.slice(left.index, left.index + 80)}`);
    const used = this.types.size > 0;
    const lane = used ? ['var<private> sgm_lane: u32;'] : [];
    const check = used && this.check ? ['var<private> sgm_width: u32;', 'var<private> sgm_nan_bits: u32 = 0x7fc00000u;', ...UNIFORM_CHECK] : [];
    const pools = [...this.poolSizes].map(([component, size]) => `var<private> sgm_pool_${component}: array<${component}, ${size}>;`);
    const directives = used && this.check ? ['enable subgroups;', 'diagnostic(off, subgroup_uniformity);'] : [];
    const shared = ['// Subgroup-matrix emulation (test harness).', ...lane, ...check, ...pools];
    const functions = [...this.functions.values()];
    const body = withEmulation(this.text, shared, functions);
    return f16ToF32([...directives, body].join('\n')) + '\n';
  }

  private matrixType(kind: Kind, args: string): MatrixType {
    const [component, cols, rows, ...rest] = splitTopLevel(args);
    if (rest.length > 0 || !SCALARS.has(component)) throw new Error(`sgmat emulation: unsupported matrix type subgroup_matrix_${kind}<${args}>`);
    const c = integer(cols, 'a matrix dimension');
    const r = integer(rows, 'a matrix dimension');
    const name = `sgm_${kind}_${component}_c${c}_r${r}`;
    const t: MatrixType = { kind, component, cols: c, rows: r, name };
    this.types.set(name, t);
    return t;
  }

  /** Entries of a matrix one invocation holds: a rows of a left, b columns of a right, a x b of a result. */
  private fragment(t: MatrixType): number {
    const g = this.grid;
    switch (t.kind) {
      case 'left':
        return g.a * t.cols;
      case 'right':
        return t.rows * g.b;
      case 'result':
        return g.a * g.b;
      default:
        return assertNever(t.kind, 'matrix kind');
    }
  }

  /**
   * Every compute entry point sets `sgm_lane` (its invocation's lane in the subgroup) first;
   * its workgroup must be whole subgroups.
   */
  private instrumentEntryPoints(): void {
    const S = this.grid.subgroup;
    const re = /@compute\s*@workgroup_size\(([^)]*)\)\s*fn\s+(\w+)\s*\(([\s\S]*?)\)\s*\{/g;
    let found = 0;
    this.text = this.text.replace(re, (_m, size: string, name: string, params: string) => {
      found++;
      const x = integer(splitTopLevel(size)[0], 'the workgroup size');
      if (x % S !== 0) throw new Error(`sgmat emulation: ${name}'s workgroup size ${x} is not whole subgroups of ${S}`);
      let all = params;
      const builtin = (which: string, fallback: string): string => {
        const found = new RegExp(`@builtin\\(\\s*${which}\\s*\\)\\s*(\\w+)`).exec(all);
        if (found) return found[1];
        all = `${all.trim() === '' ? '' : `${all.trimEnd()}, `}@builtin(${which}) ${fallback}: u32`;
        return fallback;
      };
      const sets = [`sgm_lane = ${builtin('local_invocation_index', 'sgm_lid')} % ${S}u;`];
      if (this.check) sets.push(`sgm_width = ${builtin('subgroup_size', 'sgm_subgroup_size')};`);
      return `@compute @workgroup_size(${size}) fn ${name}(${all}) {\n  ${sets.join(' ')}`;
    });
    if (found === 0) throw new Error('sgmat emulation: no compute entry point with a workgroup size');
  }

  /** Module-scope arrays a matrix may be loaded from or stored to. */
  private findArrays(): void {
    for (const m of this.text.matchAll(/var<\s*(storage|workgroup)\s*(?:,\s*(read|read_write)\s*)?>\s*(\w+)\s*:\s*array<\s*([\w<>]+?)\s*(?:,\s*(\d+)u?\s*)?>\s*;/g)) {
      const [, space, access, name, element, length] = m;
      const pack = element === 'f16' && (space === 'workgroup' ? this.options.packWorkgroupF16 : this.options.packStorageF16);
      const packed = !pack ? false : space === 'storage' && access !== 'read_write' ? 'words' : 'atomic';
      this.arrays.set(name, { name, element, length: length === undefined ? undefined : Number(length), packed });
    }
  }
  /** Packed f16 arrays -> u32 or atomic<u32> words; element reads and writes -> packing helpers. */
  private packArrays(): void {
    for (const a of this.arrays.values()) {
      if (!a.packed) continue;
      const word = a.packed === 'atomic' ? 'atomic<u32>' : 'u32';
      const count = a.length === undefined ? '' : `, ${Math.ceil(a.length / 2)}`;
      this.text = this.text.replace(new RegExp(`(var<[^>]*>\\s*${a.name}\\s*:\\s*)array<\\s*f16\\s*(?:,\\s*\\d+u?\\s*)?>`), `$1array<${word}${count}>`);
      this.text = this.rewriteAccesses(this.text, a.name);
      const load = a.packed === 'atomic' ? `atomicLoad(&${a.name}[i / 2u])` : `${a.name}[i / 2u]`;
      // Right after the array's declaration, in its kernel's text: the runtime compiles each kernel with the
      // header alone (module-groups.ts), and these read the kernel's own binding.
      const helpers = [
        `fn ${a.name}_get(i: u32) -> f32 { return unpack2x16float(${load})[i % 2u]; }`,
        ...(a.packed === 'words'
          ? []
          : [
              // Flips the bits where the new half differs from the old: only a write of element i
              // changes its half, so the half read first is current, and the other half's writer
              // (another invocation, perhaps at the same time) flips only its own bits.
              `fn ${a.name}_set(i: u32, v: f32) {`,
              `  let shift = (i % 2u) * 16u;`,
              `  let old = atomicLoad(&${a.name}[i / 2u]) >> shift;`,
              `  atomicXor(&${a.name}[i / 2u], ((old ^ sgm_f16_bits(v)) & 0xffffu) << shift);`,
              `}`,
            ]),
      ].join('\n');
      this.text = this.text.replace(new RegExp(`(var<[^>]*>\\s*${a.name}\\s*:[^;]*;)`), (decl) => `${decl}\n${helpers}`);
      this.functions.set('sgm_f16_bits', F16_BITS);
    }
  }

  /** `name[i] = v;` -> `name_set(i, v);` (compound assignments too), other `name[i]` -> `name_get(i)`. */
  private rewriteAccesses(text: string, name: string): string {
    const re = new RegExp(`(?<![\\w&.])${name}\\s*\\[`, 'g');
    let out = '';
    let from = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const open = m.index + m[0].length - 1;
      const close = closing(text, open);
      const index = this.rewriteAccesses(text.slice(open + 1, close), name);
      const assign = /^\s*([+\-*/]?)=(?!=)/.exec(text.slice(close + 1));
      out += text.slice(from, m.index);
      if (assign) {
        const rhsStart = close + 1 + assign[0].length;
        const end = statementEnd(text, rhsStart);
        const rhs = this.rewriteAccesses(text.slice(rhsStart, end), name).trim();
        const value = assign[1] ? `${name}_get(${index}) ${assign[1]} (${rhs})` : rhs;
        out += `${name}_set(${index}, ${value})`;
        from = end;
      } else {
        out += `${name}_get(${index})`;
        from = close + 1;
      }
      re.lastIndex = from;
    }
    return out + text.slice(from);
  }

  private typeByName(name: string): MatrixType {
    const t = this.types.get(name);
    if (!t) throw new Error(`sgmat emulation: '${name}' is not a subgroup matrix type`);
    return t;
  }

  /** A new matrix variable `name` of type t (a name declared again, in another scope, keeps its slot). */
  private declare(name: string, t: MatrixType): string {
    const known = this.slots.get(name);
    if (known && known.type !== t) throw new Error(`sgmat emulation: '${name}' is declared as both ${known.type.name} and ${t.name}`);
    if (!known) {
      const pool = emulated(t.component);
      const offset = this.poolSizes.get(pool) ?? 0;
      this.poolSizes.set(pool, offset + this.fragment(t));
      this.slots.set(name, { type: t, offset });
    }
    return this.slotOf(name);
  }

  /** The slot (pool offset) of matrix variable `name`, checked to be of type t when given. */
  private slotOf(name: string, t?: MatrixType): string {
    const s = this.slots.get(name.trim());
    if (!s) throw new Error(`sgmat emulation: '${name}' is not a matrix variable (bind matrix values to names first)`);
    if (t && s.type !== t) throw new Error(`sgmat emulation: '${name}' is a ${s.type.name}, not a ${t.name}`);
    return `${s.offset}u`;
  }

  private typeOf(name: string): MatrixType {
    this.slotOf(name);
    return this.slots.get(name.trim())!.type;
  }

  private array(pointer: string): ArrayVar {
    const m = /^&\s*\(?\s*(\w+)\s*\)?$/.exec(pointer.trim());
    const a = m ? this.arrays.get(m[1]) : undefined;
    if (!a) throw new Error(`sgmat emulation: the pointer '${pointer}' is not to a module-scope array`);
    if (!SCALARS.has(a.element)) throw new Error(`sgmat emulation: ${a.name} is an array of ${a.element}; subgroup-matrix loads and stores need an array of scalars`);
    return a;
  }

  private layout(text: string): Layout {
    const t = text.trim();
    if (t === 'row_major' || t === 'false') return 'row_major';
    if (t === 'col_major' || t === 'true') return 'col_major';
    throw new Error(`sgmat emulation: the layout must be row_major, col_major or a bool literal, got '${text}'`);
  }

  /**
   * Rewrites every statement that declares a matrix or calls a matrix builtin or constructor.
   * Matrix variables become slots of one private pool per component type, which the generated
   * functions index (SwiftShader compiles one pool in seconds; as many function variables, each
   * passed by pointer, it takes ten times longer), so the statement forms are `var m: T;`,
   * `let|var m = CALL;`, `m = CALL;` and `subgroupMatrixStore…(…);`, with matrix arguments that
   * are matrix variables.
   */
  private rewriteStatements(): void {
    this.text = this.text.replace(/\bvar\s+(\w+)\s*:\s*(sgm_\w+)\s*;/g, (_m, name: string, type: string) => {
      const t = this.typeByName(type);
      const slot = this.declare(name, t);
      return `let ${name} = ${slot}; ${this.zero(t)}(${slot});`;
    });
    const re = /\b(subgroupMatrix\w+|sgm_(?:left|right|result)_\w+)\s*(?=[<(])/g;
    let text = this.text;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      let at = m.index + m[0].length;
      let template: string[] = [];
      if (text[at] === '<') {
        const close = closing(text, at);
        template = splitTopLevel(text.slice(at + 1, close));
        at = close + 1;
        while (/\s/.test(text[at])) at++;
      }
      if (text[at] !== '(') {
        re.lastIndex = at;
        continue;
      }
      const close = closing(text, at);
      const args = splitTopLevel(text.slice(at + 1, close));
      const start = Math.max(text.lastIndexOf(';', m.index), text.lastIndexOf('{', m.index), text.lastIndexOf('}', m.index)) + 1;
      const end = statementEnd(text, close + 1);
      const head = text.slice(start, m.index);
      const statement = text.slice(start, end + 1).trim();
      if (text.slice(close + 1, end).trim() !== '') throw new Error(`sgmat emulation: a matrix call must be a whole statement's value: ${statement}`);
      const declared = /^\s*(?:let|var)\s+(\w+)\s*(?::\s*\w+\s*)?=\s*$/.exec(head);
      const assigned = /^\s*(\w+)\s*=\s*$/.exec(head);
      if (!declared && !assigned && head.trim() !== '') throw new Error(`sgmat emulation: unrecognised statement: ${statement}`);
      const target = declared ? { name: declared[1], declare: true } : assigned ? { name: assigned[1], declare: false } : undefined;
      const indent = /^\s*/.exec(head)![0];
      const lines = this.statement(m[1], template, args, target, statement);
      // A declaration stays one (of the slot's index, unused): WGSL's scoping rules still apply,
      // so a name declared twice in one scope fails to compile here as on the GPU.
      const replacement = indent + (target?.declare ? [`let ${target.name} = ${this.slotOf(target.name)};`, ...lines] : lines).join(' ');
      text = text.slice(0, start) + replacement + text.slice(end + 1);
      re.lastIndex = start + replacement.length;
    }
    this.text = text;
    const left = /\bsgm_(?:left|right|result)_[a-z0-9]+_c\d+_r\d+\b/.exec(this.text);
    if (left) throw new Error(`sgmat emulation: unsupported use of a matrix type near: ${this.text.slice(Math.max(0, left.index - 40), left.index + 60)}`);
  }

  /** The plain statements for one matrix statement (`target` receives the call's value). */
  private statement(name: string, template: readonly string[], args: readonly string[], target: { name: string; declare: boolean } | undefined, statement: string): string[] {
    for (const a of args)
      if (/\b(subgroupMatrix\w+|sgm_(?:left|right|result)_\w+)\s*[<(]/.test(a) && !/^sgm_\w+\s*\(\s*\)$/.test(a))
        throw new Error(`sgmat emulation: nested matrix calls are not supported (bind the inner value to a name): ${statement}`);
    const tg = (): { name: string; declare: boolean } => {
      if (!target) throw new Error(`sgmat emulation: the value of ${name} is not used: ${statement}`);
      return target;
    };
    /** The target's slot (declared with type t, or checked to be of it). */
    const slot = (t: MatrixType): string => (tg().declare ? this.declare(tg().name, t) : this.slotOf(tg().name, t));
    /** The target set to zero (`from` undefined) or to matrix variable `from`, before an in-place op. */
    const init = (t: MatrixType, from: string | undefined): string[] => {
      const s = slot(t);
      if (from === undefined) return [`${this.zero(t)}(${s});`];
      return from.trim() === tg().name ? [] : [`${this.copy(t)}(${s}, ${this.slotOf(from, t)});`];
    };
    if (name.startsWith('sgm_')) {
      const t = this.typeByName(name);
      if (args.length === 0) return init(t, undefined);
      if (args.length === 1) return [`${this.fill(t)}(${slot(t)}, ${args[0]});`];
      throw new Error(`sgmat emulation: a matrix constructor takes 0 or 1 argument: ${statement}`);
    }
    switch (name) {
      case 'subgroupMatrixLoad': {
        const t = this.typeByName(template[0] ?? '');
        const [pointer, offset, ...rest] = args;
        const layout = template.length === 2 && rest.length === 1 ? this.layout(template[1]) : template.length === 1 && rest.length === 2 ? this.layout(rest[0]) : undefined;
        if (!layout || pointer === undefined) throw new Error(`sgmat emulation: unrecognised subgroupMatrixLoad: ${statement}`);
        return [`${this.load(this.array(pointer), t, layout)}(${slot(t)}, ${offset}, ${rest[rest.length - 1]});`];
      }
      case 'subgroupMatrixStore': {
        const [pointer, offset, value, ...rest] = args;
        const layout = template.length === 1 && rest.length === 1 ? this.layout(template[0]) : template.length === 0 && rest.length === 2 ? this.layout(rest[0]) : undefined;
        if (!layout || value === undefined || target) throw new Error(`sgmat emulation: unrecognised subgroupMatrixStore: ${statement}`);
        return [`${this.store(this.array(pointer), this.typeOf(value), layout)}(${offset}, ${this.slotOf(value)}, ${rest[rest.length - 1]});`];
      }
      case 'subgroupMatrixMultiply':
      case 'subgroupMatrixMultiplyAccumulate': {
        const accumulate = name === 'subgroupMatrixMultiplyAccumulate';
        if (args.length !== (accumulate ? 3 : 2) || (!accumulate && template.length !== 1) || (accumulate && template.length > 1))
          throw new Error(`sgmat emulation: unrecognised ${name}: ${statement}`);
        const l = this.typeOf(args[0]);
        const r = this.typeOf(args[1]);
        const zero = !accumulate || /^sgm_\w+\s*\(\s*\)$/.test(args[2]);
        const acc = !accumulate ? this.resultType(template[0], r.cols, l.rows) : zero ? this.typeByName(args[2].replace(/\s*\(\s*\)$/, '')) : this.typeOf(args[2]);
        if (template.length === 1 && template[0] !== acc.component) throw new Error(`sgmat emulation: ${name}<${template[0]}> into a ${acc.name}: ${statement}`);
        const f = this.multiply(l, r, acc);
        const lSlot = this.slotOf(args[0]);
        const rSlot = this.slotOf(args[1]);
        if (tg().name === args[0].trim() || tg().name === args[1].trim()) throw new Error(`sgmat emulation: a multiply into its own operand: ${statement}`);
        return [...init(acc, zero ? undefined : args[2]), `${f}(${lSlot}, ${rSlot}, ${slot(acc)});`];
      }
      case 'subgroupMatrixScalarAdd':
      case 'subgroupMatrixScalarSubtract':
      case 'subgroupMatrixScalarMultiply': {
        if (args.length !== 2 || template.length > 0) throw new Error(`sgmat emulation: unrecognised ${name}: ${statement}`);
        const t = this.typeOf(args[0]);
        const op = name === 'subgroupMatrixScalarAdd' ? '+' : name === 'subgroupMatrixScalarSubtract' ? '-' : '*';
        return [...init(t, args[0]), `${this.scalar(t, op, name.slice('subgroupMatrixScalar'.length).toLowerCase())}(${slot(t)}, ${args[1]});`];
      }
      default:
        throw new Error(`sgmat emulation: unsupported subgroup-matrix builtin '${name}': ${statement}`);
    }
  }

  /** The result type of component `component` a multiply produces (declared on first use). */
  private resultType(component: string, cols: number, rows: number): MatrixType {
    return this.matrixType('result', `${component}, ${cols}, ${rows}`);
  }

  private define(key: string, lines: readonly string[]): void {
    if (!this.functions.has(key)) this.functions.set(key, lines.join('\n'));
  }

  private checkComponent(a: ArrayVar, t: MatrixType, what: string): void {
    if (a.element !== t.component) throw new Error(`sgmat emulation: ${what} of ${t.name} through ${a.name}: array<${a.element}> (the builtin needs array<${t.component}>)`);
  }

  /**
   * The invocation's part of a matrix of type t, as one loop over its entries `e` (the index
   * in its slot): the outer and inner coordinates, and the entry's row and column.
   */
  private parts(t: MatrixType): { readonly size: number; readonly inner: number; readonly outer: string; readonly innerVar: string; readonly row: string; readonly col: string } {
    const g = this.grid;
    switch (t.kind) {
      case 'left':
        return { size: g.a * t.cols, inner: t.cols, outer: 'qa', innerVar: 'k', row: 'i0 + qa', col: 'k' };
      case 'right':
        return { size: t.rows * g.b, inner: g.b, outer: 'k', innerVar: 'qb', row: 'k', col: 'j0 + qb' };
      case 'result':
        return { size: g.a * g.b, inner: g.b, outer: 'qa', innerVar: 'qb', row: 'i0 + qa', col: 'j0 + qb' };
      default:
        return assertNever(t.kind, 'matrix kind');
    }
  }

  /** The pool of a type's component: `sgm_pool_f32[…]`. */
  private static pool(t: MatrixType): string {
    return `sgm_pool_${emulated(t.component)}`;
  }

  /**
   * A function over the invocation's part of the matrix in slot `m`: `body` per entry (pool entry,
   * array index of [row, col]). A load or store (`access` given) takes the call's offset and
   * stride as `offset0` and `stride0` and addresses entries with the `offset` and `stride` its
   * prologue derives from them (Tint's robustness, when on).
   */
  private perEntry(name: string, params: string, t: MatrixType, access: { readonly layout: Layout; readonly prologue: readonly string[] } | undefined, body: (entry: string, at: string) => string): string {
    const p = this.parts(t);
    const g = this.grid;
    const at = access ? entryAt(access.layout, p.row, p.col) : '';
    this.define(name, [
      `fn ${name}(${params}) {`,
      // The uniformity rule concerns the call's own arguments, before robustness rewrites them.
      ...(access && this.check ? ['  let ok = sgm_uniform(offset0, stride0);'] : []),
      ...(access ? access.prologue.map((line) => `  ${line}`) : []),
      `  let i0 = (sgm_lane / ${g.laneCols}u) * ${g.a}u;`,
      `  let j0 = (sgm_lane % ${g.laneCols}u) * ${g.b}u;`,
      `  for (var e = 0u; e < ${p.size}u; e++) {`,
      `    let ${p.outer} = e / ${p.inner}u;`,
      `    let ${p.innerVar} = e % ${p.inner}u;`,
      `    ${body(`${Rewriter.pool(t)}[m + e]`, at)}`,
      `  }`,
      `}`,
    ]);
    return name;
  }

  /** `value`, or NaN where the uniformity check (when on) failed. */
  private guarded(component: string, value: string): string {
    return this.check ? `select(${poison(component)}, ${value}, ok)` : value;
  }

  /**
   * The offset and stride a load or store of t through array a uses, as Dawn's compiler rewrites
   * them (Tint's Robustness transform, ClampSubgroupMatrixCall, on for every backend while the
   * device's robustness is, i.e. unless the `disable_robustness` toggle is set): the minimum
   * stride is the matrix's extent along its minor dimension (columns row-major, rows
   * column-major; scaled by element size / array stride, 1 here: the array's element is the
   * component type) and a smaller stride is raised to it; then a call whose last slice would end
   * past the array (offset + stride·(major extent − 1) + min_stride > length, in wrapping u32)
   * uses offset 0 and the minimum stride instead, so a load reads the array's first entries and
   * a store writes there. Array lengths: a fixed-size array's declared count; a runtime-sized
   * storage array's arrayLength, for f16 ones as the real f16 buffer would have it (see
   * `storageLength`).
   */
  private access(a: ArrayVar, t: MatrixType, layout: Layout): { readonly layout: Layout; readonly prologue: readonly string[] } {
    if (!(this.options.robustness ?? true)) return { layout, prologue: ['let offset = offset0;', 'let stride = stride0;'] };
    const min = layout === 'col_major' ? t.rows : t.cols;
    const major = layout === 'col_major' ? t.cols : t.rows;
    const length = a.length !== undefined ? `${a.length}u` : storageLength(a);
    return {
      layout,
      prologue: [
        `let stride1 = max(stride0, ${min}u);`,
        `let inside = offset0 + stride1 * ${major - 1}u + ${min}u <= ${length};`,
        'let offset = select(0u, offset0, inside);',
        `let stride = select(${min}u, stride1, inside);`,
      ],
    };
  }

  private load(a: ArrayVar, t: MatrixType, layout: Layout): string {
    this.checkComponent(a, t, 'load');
    const read = (at: string) => (a.packed ? `${a.name}_get(${at})` : `${a.name}[${at}]`);
    const et = emulated(t.component);
    return this.perEntry(`${t.name}_load_${layout}_${a.name}`, 'm: u32, offset0: u32, stride0: u32', t, this.access(a, t, layout), (e, at) => `${e} = ${this.guarded(et, `${et}(${read(at)})`)};`);
  }

  private store(a: ArrayVar, t: MatrixType, layout: Layout): string {
    this.checkComponent(a, t, 'store');
    // A left (right) matrix's rows (columns) are held by every lane of a lane row (column): only
    // its first lane writes them, since two writers of one packed half race (each flips the bits
    // it saw differ, so a second flip of the same bits undoes the first).
    const owner = t.kind === 'left' ? 'j0 == 0u' : t.kind === 'right' ? 'i0 == 0u' : undefined;
    return this.perEntry(`${t.name}_store_${layout}_${a.name}`, 'offset0: u32, m: u32, stride0: u32', t, this.access(a, t, layout), (e, at) => {
      const write = a.packed ? `${a.name}_set(${at}, f32(${this.guarded(emulated(t.component), e)}));` : `${a.name}[${at}] = ${emulated(a.element)}(${this.guarded(emulated(t.component), e)});`;
      return owner === undefined ? write : `if (${owner}) { ${write} }`;
    });
  }

  /** acc += l · r on the lane's a x b block of acc, from its a rows of l and b columns of r. */
  private multiply(l: MatrixType, r: MatrixType, acc: MatrixType): string {
    const { a, b } = this.grid;
    const K = l.cols;
    if (l.kind !== 'left' || r.kind !== 'right' || acc.kind !== 'result' || r.rows !== K || acc.rows !== l.rows || acc.cols !== r.cols || l.component !== r.component)
      throw new Error(`sgmat emulation: no multiply configuration ${l.name} x ${r.name} -> ${acc.name}`);
    const f = `sgm_mma_${l.name}_${r.name}_${acc.name}`;
    const et = emulated(acc.component);
    this.define(f, [
      `fn ${f}(l: u32, r: u32, acc: u32) {`,
      `  for (var qa = 0u; qa < ${a}u; qa++) {`,
      `    for (var qb = 0u; qb < ${b}u; qb++) {`,
      `      var s = ${Rewriter.pool(acc)}[acc + qa * ${b}u + qb];`,
      `      for (var k = 0u; k < ${K}u; k++) {`,
      `        s += ${et}(${Rewriter.pool(l)}[l + qa * ${K}u + k]) * ${et}(${Rewriter.pool(r)}[r + k * ${b}u + qb]);`,
      `      }`,
      `      ${Rewriter.pool(acc)}[acc + qa * ${b}u + qb] = s;`,
      `    }`,
      `  }`,
      `}`,
    ]);
    return f;
  }

  private zero(t: MatrixType): string {
    return this.perEntry(`${t.name}_zero`, 'm: u32', t, undefined, (e) => `${e} = ${emulated(t.component)}();`);
  }

  private copy(t: MatrixType): string {
    const size = this.fragment(t);
    const pool = Rewriter.pool(t);
    this.define(`${t.name}_copy`, [`fn ${t.name}_copy(m: u32, from: u32) {`, `  for (var i = 0u; i < ${size}u; i++) { ${pool}[m + i] = ${pool}[from + i]; }`, `}`]);
    return `${t.name}_copy`;
  }

  private fill(t: MatrixType): string {
    return this.perEntry(`${t.name}_fill`, `m: u32, v: ${emulated(t.component)}`, t, undefined, (e) => `${e} = v;`);
  }

  private scalar(t: MatrixType, op: string, what: string): string {
    return this.perEntry(`${t.name}_${what}`, `m: u32, v: ${emulated(t.component)}`, t, undefined, (e) => `${e} = ${e} ${op} v;`);
  }
}

type Layout = 'row_major' | 'col_major';

/**
 * Whether a load or store's offset and stride are the same in every invocation of the adapter's
 * subgroup and all of it is active (the emulation's uniformity check).
 */
const UNIFORM_CHECK = [
  'fn sgm_uniform(offset: u32, stride: u32) -> bool {',
  '  let lanes = countOneBits(subgroupBallot(true));',
  '  let same = offset == subgroupBroadcastFirst(offset) && stride == subgroupBroadcastFirst(stride);',
  '  return lanes.x + lanes.y + lanes.z + lanes.w == sgm_width && subgroupAll(same);',
  '}',
];

/** A NaN (quiet) of the emulated component type, at run time (a constant NaN is a WGSL error). */
function poison(component: string): string {
  return `bitcast<${component}>(sgm_nan_bits)`;
}

/**
 * The length in elements a runtime-sized storage array has on the GPU. A packed f16 array is the
 * real f16 buffer: two halves a word. An unpacked f16 array here is the f32 buffer the test
 * uploads in its place, of the same element count n; monc's buffers (the runtime's and
 * KernelCheck's) are whole 16-byte units, so the real f16 buffer holds n rounded up to 8
 * elements, which is the f32 buffer's length (n rounded up to 4) rounded up to 8.
 */
function storageLength(a: ArrayVar): string {
  if (a.packed) return `(arrayLength(&${a.name}) * 2u)`;
  return a.element === 'f16' ? `((arrayLength(&${a.name}) + 7u) / 8u * 8u)` : `arrayLength(&${a.name})`;
}

/**
 * The f16 bits of an f32, as f16() stores it on hardware: rounded to nearest, ±∞ past f16's range (pack2x16float
 * leaves a value out of range indeterminate), NaN kept.
 */
const F16_BITS = [
  'fn sgm_f16_bits(v: f32) -> u32 {',
  '  let bits = bitcast<u32>(v);',
  '  let sign = (bits >> 16u) & 0x8000u;',
  '  if ((bits & 0x7fffffffu) > 0x7f800000u) { return sign | 0x7e00u; }',
  // 65520 = 65504 + half an ulp: what rounds to it and above is ∞.
  '  if (abs(v) >= 65520.0) { return sign | 0x7c00u; }',
  '  return pack2x16float(vec2<f32>(v, 0.0)) & 0xffffu;',
  '}',
].join('\n');

/** The array index of entry [r, c] of a matrix at `offset` with `stride`, for the layout. */
function entryAt(layout: Layout, r: string, c: string): string {
  return layout === 'row_major' ? `offset + (${r}) * stride + ${c}` : `offset + (${c}) * stride + ${r}`;
}

/** Index of the ';' ending the statement whose expression starts at `from`. */
function statementEnd(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === ';' && depth === 0) return i;
  }
  throw new Error(`sgmat emulation: no ';' after: ${text.slice(from, from + 80)}`);
}

/**
 * `text` with the emulation's declarations: in every marked kernel's own text (after its `// kernel` line), each
 * function there only where the module-scope variables it names are that kernel's, since the runtime compiles a
 * module's header and one kernel per shader module (module-groups.ts) and a set's text extends the module's after
 * its groups; declarations after the kernels would reach one kernel only. Unmarked text gets them at its end.
 */
function withEmulation(text: string, shared: readonly string[], functions: readonly string[]): string {
  const sections = text.split(/^(?=\/\/ (?:kernel|map) )/m);
  if (!sections.some((s) => s.startsWith('// kernel '))) return [text.trimEnd(), '', ...shared, ...functions].join('\n');
  const declared = (s: string) => new Set([...s.matchAll(/\bvar(?:<[^>]*>)?\s+(\w+)\s*:/g)].map((m) => m[1]));
  const everywhere = declared(text);
  return sections
    .map((section) => {
      if (!section.startsWith('// kernel ')) return section;
      const own = declared(section);
      // A packed array's `<name>_get`/`_set` helpers stand for the array they read.
      const fits = (f: string) =>
        [...f.matchAll(/\b\w+\b/g)].map(([word]) => word.replace(/_(get|set)$/, '')).every((name) => !everywhere.has(name) || own.has(name));
      const eol = section.indexOf('\n') + 1 || section.length;
      return `${section.slice(0, eol)}${[...shared, ...functions.filter(fits)].join('\n')}\n${section.slice(eol)}`;
    })
    .join('');
}
