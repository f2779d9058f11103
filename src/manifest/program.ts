/**
 * The programs a manifest carries, as data: a map's forward ops and its backward program over
 * named buffers, their parameter slices and index maps. These are the IR's scheduled programs
 * without source spans (src/ir/ir.ts adds the spans); executors run them as they are.
 */
import type { BsrFactor, KsFactor, ParamSlice } from '../model/types.js';
import type { IndexMap } from './index-map.js';

export type { ParamSlice };

/** A module's storage type for parameters and activations. */
export type Dtype = 'f32' | 'f16';

/**
 * `x` is the map's input, `y` its output, `t<i>` temporaries. Sizes are per batch row; a buffer is
 * row-major (batch, size), and every op reading or writing it has that logical size (a temporary
 * is reused only for values of exactly its size).
 */
export interface BufferDecl {
  readonly name: string;
  readonly size: number;
}

/** A buffer of `size` values per batch split (partials of a batch reduction). */
export interface PartialDecl {
  readonly name: string;
  readonly size: number;
}

/**
 * Alignment of each tensor in a map's packed parameter buffer, in elements, whatever the dtype.
 * Why 8: at f16 it is the 16 bytes the tensor-core kernels' matrix loads of a weight read in place
 * need (at f32 it is 32 bytes, more than the 16 of its vec4 loads). Why one count for both dtypes:
 * an f16 module's f32-storage kernel set (for adapters without shader-f16, reading the same packed
 * offsets) must be exactly the f32 build of the spec. The checker's size limit counts the padding.
 */
export const PARAM_ALIGN = 8;

/**
 * Where the packed layout puts the tensor after one that ends at element `end`: the next multiple of
 * PARAM_ALIGN. The compiler lays tensors out so (layoutParams) and its kernels read them there.
 */
export const paramOffsetAfter = (end: number): number => Math.ceil(end / PARAM_ALIGN) * PARAM_ALIGN;

/**
 * Where each parameter tensor lives in the map's one packed parameter buffer (elements). A
 * ParamSlice {tensor, offset} of an op lives at layout[tensor].offset + offset.
 */
export interface ParamLayoutEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
}

/**
 * Kronecker-sparse block matmul K(a,b,c,d) (the model's factor, its fields taken from there) with fused permutations:
 * out[outMap(α·b·d + β·d + δ)] = Σ_γ W[α·d + δ, β, γ] · src[inMap(α·c·d + γ·d + δ)].
 */
export interface KsShape extends Pick<KsFactor, 'kind' | 'a' | 'b' | 'c' | 'd' | 'weight'> {
  readonly input: IndexMap;
  readonly output: IndexMap;
}

/** Block-sparse matmul with a compile-time pattern: blocks (I, J) in row-major order, values (nnz, bh, bw). */
export interface BsrShape extends Pick<BsrFactor, 'kind' | 'bh' | 'bw' | 'blocks' | 'weight'> {
  readonly rows: number;
  readonly cols: number;
  readonly input: IndexMap;
  readonly output: IndexMap;
}

/**
 * A block matmul op computes its whole logical result vector r (one entry per logical output
 * index l; a `bsr` op's block rows without blocks are 0) and writes every position:
 * dst[output(l)] = (accumulate ? dst[output(l)] : 0) + r[l] + (bias ? bias[l] : 0).
 * The bias is indexed by the *logical* output index.
 */
interface MatmulOpData {
  readonly src: string;
  readonly dst: string;
  /** false: dst = result (+ bias); true: dst += result (+ bias). */
  readonly accumulate: boolean;
  /** Optional bias added by this op's epilogue (folded from a `bias` term), indexed by logical output. */
  readonly bias?: ParamSlice;
}

export interface KsOpData extends MatmulOpData, KsShape {
  /**
   * Backward programs only: the weights are read transposed per block, from the forward op's
   * tensor of shape (a·d, c, b): W[α·d + δ, β, γ] here is the stored element [α·d + δ, γ, β].
   * Absent in forward programs; kernels that honour it say so.
   */
  readonly transposed?: true;
}

export interface BsrOpData extends MatmulOpData, BsrShape {
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
export interface BiasOpData {
  readonly kind: 'bias';
  readonly dst: string;
  readonly size: number;
  readonly param: ParamSlice;
  readonly output: IndexMap;
  readonly accumulate: boolean;
}

/** A forward op as the manifest stores it (one kernel dispatch, or part of a fused one). */
export type OpData = KsOpData | BsrOpData | BiasOpData;

/** The shape of a forward block matmul whose weight gradient a WeightGradOp computes. */
export type WeightGradShape = KsShape | BsrShape;

/**
 * Weight-gradient partials of a forward `ks`/`bsr` op over batch splits of `rowsPerSplit` rows:
 * for split s and every element e of the forward weight slice,
 *   dst[s][e] = Σ_{rows r of split s} Σ dy[r][outMap(l)] · src[r][inMap(k)]
 * over the (l, k) pairs that element e multiplies in the forward op (ks: l = α·b·d + β·d + δ,
 * k = α·c·d + γ·d + δ for e = W[α·d + δ, β, γ]; bsr: block z = (I, J), l = I·bh + i,
 * k = J·bw + j for e = values[z, i, j]). `dst` is a partial buffer; a reduce op sums it.
 */
export interface WeightGradOpData {
  readonly kind: 'wgrad';
  readonly forward: WeightGradShape;
  /** The forward op's input value (an activation buffer). */
  readonly src: string;
  /** The gradient of the forward op's output value. */
  readonly dy: string;
  readonly dst: string;
  /** The program's rowsPerSplit (the partial buffer's layout; kept on the op so a kernel is op + schedule). */
  readonly rowsPerSplit: number;
}

/** Bias-gradient partials: dst[s][i] = Σ_{rows r of split s} dy[r][output(i)]. */
export interface BiasGradOpData {
  readonly kind: 'bgrad';
  readonly size: number;
  readonly output: IndexMap;
  readonly dy: string;
  readonly dst: string;
  readonly rowsPerSplit: number;
}

/**
 * grad[slice] (=|+=) Σ_s src[s]: the second pass of a batch reduction, over the partial buffer
 * `src`, into the gradient buffer (packed exactly like the parameters). `accumulate` where an
 * earlier op already wrote the slice (a tensor used more than once: weight tying).
 */
export interface ReduceOpData {
  readonly kind: 'reduce';
  readonly src: string;
  readonly grad: ParamSlice;
  readonly accumulate: boolean;
  readonly rowsPerSplit: number;
}

export type GradOpData = WeightGradOpData | BiasGradOpData | ReduceOpData;

/** What a backward program runs: forward-kind ops (recomputation, transposed matmuls) and gradient ops. */
export type BackwardOpData = OpData | GradOpData;

/** A map's interface and packed parameter layout, shared by its forward and backward programs. */
export interface ProgramHeader {
  readonly name: string;
  readonly in: number;
  readonly out: number;
  readonly dtype: Dtype;
  readonly params: readonly ParamLayoutEntry[];
  /** Total elements of the packed parameter buffer. */
  readonly paramSize: number;
}

/** A map's forward program: a straight-line list of ops over named buffers. */
export interface ProgramData extends ProgramHeader {
  readonly buffers: readonly BufferDecl[];
  readonly ops: readonly OpData[];
}

/**
 * The backward program of a map: from `x` (batch, in) and `dy` (batch, out) it computes `dx`
 * (batch, in) and the parameter gradients into the gradient buffer (packed like the params:
 * same `params` layout, same `paramSize`). Activation buffers are row-major (batch, size);
 * partial buffers are (ceil(batch / rowsPerSplit), size).
 */
export interface BackwardProgramData extends ProgramHeader {
  readonly buffers: readonly BufferDecl[];
  readonly partials: readonly PartialDecl[];
  /** Batch rows per split of every batch reduction (wgrad/bgrad partials). */
  readonly rowsPerSplit: number;
  /** Set when no op writes `dx` (a map that is only a bias): executors fill it with zeros. */
  readonly zeroInputGradient?: true;
  readonly ops: readonly BackwardOpData[];
}
