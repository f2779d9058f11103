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
import type { IndexMap } from '../manifest/index-map.js';
import type {
  BackwardProgramData,
  BiasGradOpData,
  BiasOpData,
  BsrOpData,
  BsrShape,
  Dtype,
  KsOpData,
  KsShape,
  ParamSlice,
  ProgramData,
  ReduceOpData,
  WeightGradOpData,
} from '../manifest/program.js';

// The data a manifest carries (ops, buffers, parameter layout, index maps) is defined once, in
// src/manifest; the IR's nodes are those data plus a source span.
export type { AxisPermutation, IndexMap } from '../manifest/index-map.js';
export type { BufferDecl, ParamLayoutEntry, ParamSlice, PartialDecl, WeightGradShape } from '../manifest/program.js';

/** Where in the source a node comes from (for diagnostics; the manifest drops it). */
interface Spanned {
  readonly span: Span;
}

/**
 * Which factor of which Monarch pair a block matmul is: lowering marks the two factors of a chain
 * the model tags `monarch` (stage 0 the block-diagonal one, applied first), and canonicalize-blocks
 * marks the explicit `P L Pᵀ R` spelling once it has the same form. Fusion reads this (a pair fuses
 * because it is one), never the shapes. `group` tells pairs apart; the manifest drops the mark.
 */
export interface PairMark {
  readonly group: number;
  readonly stage: 0 | 1;
}

/** Kronecker-sparse block matmul K(a,b,c,d) (SPEC §3) with fused permutations (KsShape). */
export interface KsExpr extends KsShape, Spanned {
  readonly pair?: PairMark;
}

/** Block-sparse matmul with a compile-time pattern (BsrShape). */
export interface BsrExpr extends BsrShape, Spanned {}

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
// Scheduled program and backward program (semantics: src/manifest/program.ts)

/**
 * One op per kernel dispatch. `schedule` folds a `bias` term into a matmul op's epilogue only
 * when the term's output map equals the op's, otherwise it emits a BiasOp.
 */
export interface KsOp extends KsOpData, Spanned {
  /** Copied from the KsExpr by `schedule`. */
  readonly pair?: PairMark;
}
export interface BsrOp extends BsrOpData, Spanned {}
export interface BiasOp extends BiasOpData, Spanned {}

export type Op = KsOp | BsrOp | BiasOp;

/** Gradient ops of backward programs (passes/backward.ts). */
export interface WeightGradOp extends WeightGradOpData, Spanned {}
export interface BiasGradOp extends BiasGradOpData, Spanned {}
export interface ReduceOp extends ReduceOpData, Spanned {}

export type GradOp = WeightGradOp | BiasGradOp | ReduceOp;

/** What a backward program runs: forward-kind ops (recomputation, transposed matmuls) and gradient ops. */
export type BackwardOp = Op | GradOp;

export interface Program extends ProgramData, Spanned {
  readonly ops: readonly Op[];
}

export interface BackwardProgram extends BackwardProgramData, Spanned {
  readonly ops: readonly BackwardOp[];
}
