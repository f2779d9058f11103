/**
 * The monc IR: a discriminated union of readonly plain objects, each with a `kind` and a span.
 *
 * Two levels:
 *  - the *expression* IR (`IrExpr`), lowered from a checked structure: block matmuls (`ks`,
 *    `bsr`), explicit permutations (`perm`), `bias`, n-ary `chain` and `sum`. Passes rewrite it;
 *    after `fold-permutations` no `perm` node survives: every permutation lives in the input or
 *    output index map of a block matmul.
 *  - the *program* (`Program`), produced by the `schedule` pass: a straight-line list of ops over
 *    named buffers, one op per kernel dispatch. Codegen emits one WGSL entry point per op.
 */
import type { Span } from '../dsl/span.js';
import type { Dtype } from '../dsl/structure.js';

/**
 * One mixed-radix axis permutation of [0, ∏shape): view the index as digits of `shape`
 * (row-major), reorder the digits as `perm` says, flatten again. Digit k of the result is digit
 * perm[k] of the argument, and the result's shape is shape[perm[k]].
 * transpose(r, c) as a function from x-positions to y-positions is {shape: [r, c], perm: [1, 0]}.
 */
export interface AxisPermutation {
  readonly shape: readonly number[];
  readonly perm: readonly number[];
}

/**
 * A permutation of [0, size), the composition of `steps` (steps[0] applied first). No steps is
 * the identity. On a matmul's input it maps the logical index the matmul reads to the physical
 * position in the source buffer; on its output, the logical index it computes to the physical
 * position it writes.
 */
export interface IndexMap {
  readonly size: number;
  readonly steps: readonly AxisPermutation[];
}

/** A contiguous slice of a parameter tensor: the weights of one block matmul. */
export interface ParamSlice {
  readonly tensor: string;
  /** Element offset into the tensor. */
  readonly offset: number;
  /** Number of elements used. */
  readonly length: number;
}

/**
 * Kronecker-sparse block matmul K(a,b,c,d) (SPEC §3) with fused permutations:
 * out[outMap(α·b·d + β·d + δ)] = Σ_γ W[α·d + δ, β, γ] · src[inMap(α·c·d + γ·d + δ)].
 */
export interface KsExpr {
  readonly kind: 'ks';
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
  readonly weight: ParamSlice;
  readonly input: IndexMap;
  readonly output: IndexMap;
  readonly span: Span;
}

/** Block-sparse matmul with a compile-time pattern: blocks (I, J) in row-major order, values (nnz, bh, bw). */
export interface BsrExpr {
  readonly kind: 'bsr';
  readonly rows: number;
  readonly cols: number;
  readonly bh: number;
  readonly bw: number;
  readonly blocks: readonly (readonly [number, number])[];
  readonly weight: ParamSlice;
  readonly input: IndexMap;
  readonly output: IndexMap;
  readonly span: Span;
}

/** A pure permutation: out[map(i)] = in[i]. Exists only before `fold-permutations`. */
export interface PermExpr {
  readonly kind: 'perm';
  readonly map: IndexMap;
  readonly span: Span;
}

/** Adds a parameter vector: out[output(i)] = bias[i]. Only meaningful as a term of a sum. */
export interface BiasExpr {
  readonly kind: 'bias';
  readonly size: number;
  readonly param: ParamSlice;
  readonly output: IndexMap;
  readonly span: Span;
}

/** Composition; `stages[0]` is applied first (the reverse of the source's `@` order). */
export interface ChainExpr {
  readonly kind: 'chain';
  readonly stages: readonly IrExpr[];
  readonly span: Span;
}

export interface SumExpr {
  readonly kind: 'sum';
  readonly terms: readonly IrExpr[];
  readonly span: Span;
}

export type IrExpr = KsExpr | BsrExpr | PermExpr | BiasExpr | ChainExpr | SumExpr;

/** A parameter tensor of a map (SPEC §4), as `paramsOf` lists it: the unit of the packed layout. */
export interface IrParam {
  readonly name: string;
  readonly shape: readonly number[];
}

/** A map's expression IR with its interface. */
export interface IrMap {
  readonly name: string;
  readonly in: number;
  readonly out: number;
  readonly dtype: Dtype;
  /** The map's parameter tensors in `paramsOf` order, each once (tied weights included once). */
  readonly params: readonly IrParam[];
  readonly body: IrExpr;
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------------
// Scheduled program

/**
 * `x` is the map's input, `y` its output, `t<i>` temporaries. Sizes are per batch row; a buffer is
 * row-major (batch, size), and every op reading or writing it has that logical size (a temporary
 * is reused only for values of exactly its size).
 */
export interface BufferDecl {
  readonly name: string;
  readonly size: number;
}

/**
 * A block matmul op computes its whole logical result vector r (one entry per logical output
 * index l; a `bsr` op's block rows without blocks are 0) and writes every position:
 * dst[output(l)] = (accumulate ? dst[output(l)] : 0) + r[l] + (bias ? bias[l] : 0).
 * The bias is indexed by the *logical* output index; `schedule` folds a `bias` term into an op
 * only when the term's output map equals the op's, otherwise it emits a BiasOp.
 */
interface OpBase {
  readonly src: string;
  readonly dst: string;
  /** false: dst = result (+ bias); true: dst += result (+ bias). */
  readonly accumulate: boolean;
  /** Optional bias added by this op's epilogue (folded from a `bias` term), indexed by logical output. */
  readonly bias?: ParamSlice;
  readonly span: Span;
}

export interface KsOp extends OpBase, Omit<KsExpr, 'kind' | 'span'> {
  readonly kind: 'ks';
  /**
   * Backward programs only (passes/backward.ts): the weights are read transposed per block, from
   * the forward op's tensor of shape (a·d, c, b): W[α·d + δ, β, γ] here is the stored
   * element [α·d + δ, γ, β]. Absent in forward programs; kernels that honour it say so.
   */
  readonly transposed?: true;
}

export interface BsrOp extends OpBase, Omit<BsrExpr, 'kind' | 'span'> {
  readonly kind: 'bsr';
  /**
   * Backward programs only: block z's values are read transposed from the forward op's stored
   * block (bw, bh), i.e. value [z, i, j] here is the stored element [z, j, i]; `blocks` lists the
   * forward blocks swapped, (J, I), in the forward order (so z indexes the same stored block).
   */
  readonly transposed?: true;
}

/**
 * dst[output(i)] (=|+=) bias[i], for a bias that no matmul could absorb (a map that is only
 * `bias()`, or a bias whose output map differs from every matmul writing the same buffer).
 */
export interface BiasOp {
  readonly kind: 'bias';
  readonly dst: string;
  readonly size: number;
  readonly param: ParamSlice;
  readonly output: IndexMap;
  readonly accumulate: boolean;
  readonly span: Span;
}

export type Op = KsOp | BsrOp | BiasOp;

// ---------------------------------------------------------------------------------------------
// Backward program (passes/backward.ts)

/** The shape of a forward block matmul whose weight gradient a WeightGradOp computes. */
export type WeightGradShape = Omit<KsExpr, 'span'> | Omit<BsrExpr, 'span'>;

/**
 * Weight-gradient partials of a forward `ks`/`bsr` op over batch splits of `rowsPerSplit` rows
 * (BackwardProgram): for split s and every element e of the forward weight slice,
 *   dst[s][e] = Σ_{rows r of split s} Σ dy[r][outMap(l)] · src[r][inMap(k)]
 * over the (l, k) pairs that element e multiplies in the forward op (ks: l = α·b·d + β·d + δ,
 * k = α·c·d + γ·d + δ for e = W[α·d + δ, β, γ]; bsr: block z = (I, J), l = I·bh + i,
 * k = J·bw + j for e = values[z, i, j]). `dst` is a partial buffer; a ReduceOp sums it.
 */
export interface WeightGradOp {
  readonly kind: 'wgrad';
  readonly forward: WeightGradShape;
  /** The forward op's input value (an activation buffer). */
  readonly src: string;
  /** The gradient of the forward op's output value. */
  readonly dy: string;
  readonly dst: string;
  /** The program's rowsPerSplit (the partial buffer's layout; kept on the op so a kernel is op + schedule). */
  readonly rowsPerSplit: number;
  readonly span: Span;
}

/** Bias-gradient partials: dst[s][i] = Σ_{rows r of split s} dy[r][output(i)]. */
export interface BiasGradOp {
  readonly kind: 'bgrad';
  readonly size: number;
  readonly output: IndexMap;
  readonly dy: string;
  readonly dst: string;
  readonly rowsPerSplit: number;
  readonly span: Span;
}

/**
 * grad[slice] (=|+=) Σ_s src[s]: the second pass of a batch reduction, over the partial buffer
 * `src`, into the gradient buffer (packed exactly like the parameters). `accumulate` where an
 * earlier op already wrote the slice (a tensor used more than once: weight tying).
 */
export interface ReduceOp {
  readonly kind: 'reduce';
  readonly src: string;
  readonly grad: ParamSlice;
  readonly accumulate: boolean;
  readonly rowsPerSplit: number;
  readonly span: Span;
}

export type GradOp = WeightGradOp | BiasGradOp | ReduceOp;

/** What a backward program runs: forward-kind ops (recomputation, transposed matmuls) and gradient ops. */
export type BackwardOp = Op | GradOp;

/** A buffer of `size` values per batch split (partials of a batch reduction). */
export interface PartialDecl {
  readonly name: string;
  readonly size: number;
}

/**
 * The backward program of a map: from `x` (batch, in) and `dy` (batch, out) it computes `dx`
 * (batch, in) and the parameter gradients into the gradient buffer (packed like the params:
 * same `params` layout, same `paramSize`). Activation buffers are row-major (batch, size);
 * partial buffers are (ceil(batch / rowsPerSplit), size).
 */
export interface BackwardProgram {
  readonly name: string;
  readonly in: number;
  readonly out: number;
  readonly dtype: Dtype;
  readonly params: readonly ParamLayoutEntry[];
  readonly paramSize: number;
  readonly buffers: readonly BufferDecl[];
  readonly partials: readonly PartialDecl[];
  /** Batch rows per split of every batch reduction (wgrad/bgrad partials). */
  readonly rowsPerSplit: number;
  /** Set when no op writes `dx` (a map that is only a bias): executors fill it with zeros. */
  readonly zeroInputGradient?: true;
  readonly ops: readonly BackwardOp[];
  readonly span: Span;
}

/**
 * Where each parameter tensor lives in the map's one packed parameter buffer (elements). A
 * ParamSlice {tensor, offset} of an op lives at layout[tensor].offset + offset.
 */
export interface ParamLayoutEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
}

export interface Program {
  readonly name: string;
  readonly in: number;
  readonly out: number;
  readonly dtype: Dtype;
  readonly params: readonly ParamLayoutEntry[];
  /** Total elements of the packed parameter buffer. */
  readonly paramSize: number;
  readonly buffers: readonly BufferDecl[];
  readonly ops: readonly Op[];
  readonly span: Span;
}
