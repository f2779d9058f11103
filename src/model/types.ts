/**
 * The structure model: what a map *means*, as data. Every constructor of the language is written
 * once (src/model/constructors.ts) as the parameter tensors it owns and the factors it applies:
 * Kronecker-sparse block matmuls K(a,b,c,d), block-sparse matmuls, fixed transposes and bias
 * vectors, combined by chains and sums. Everything downstream reads this model and nothing else:
 * parameter lists, costs, lowering to the IR, the float64 reference and its VJP, projection, ONNX
 * export and the manifest (which ships it, so a runtime never needs the front end).
 *
 * Plain JSON-able readonly data (spans are optional and dropped in the manifest). This file
 * imports nothing but the span type, so the runtime may import it.
 */
import type { Span } from '../util/span.js';

/** A contiguous slice of a parameter tensor, row-major: elements [offset, offset + length). */
export interface ParamSlice {
  readonly tensor: string;
  readonly offset: number;
  readonly length: number;
}

/** One parameter tensor of a map (SPEC §4 names). `fanIn` drives the default init (uniform ±1/√fanIn). */
export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly fanIn: number;
}

interface NodeBase {
  /** Every node maps a vector of `in` values to `out` values (a matrix of shape (out, in)). */
  readonly in: number;
  readonly out: number;
  /** Parameter path of the constructor this node belongs to (`up`, `pf.0`): for messages. */
  readonly path: string;
  readonly span?: Span;
}

/**
 * K(a,b,c,d): y[α·b·d + β·d + δ] = Σ_γ W[α·d + δ, β, γ] · x[α·c·d + γ·d + δ], with W of shape
 * (a·d, b, c) read from `weight` (length a·b·c·d). in = a·c·d, out = a·b·d.
 */
export interface KsFactor extends NodeBase {
  readonly kind: 'ks';
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
  readonly weight: ParamSlice;
}

/**
 * Block-sparse matmul with a fixed pattern: block z = blocks[z] = (I, J) (row-major order) holds
 * values[z] of shape (bh, bw): y[I·bh + i] += Σ_j values[z, i, j] · x[J·bw + j]. out = rows, in = cols.
 */
export interface BsrFactor extends NodeBase {
  readonly kind: 'bsr';
  readonly bh: number;
  readonly bw: number;
  readonly blocks: readonly (readonly [number, number])[];
  readonly weight: ParamSlice;
}

/** The fixed permutation y[j·r + i] = x[i·c + j] (in = out = r·c); no parameters. */
export interface TransposeFactor extends NodeBase {
  readonly kind: 'transpose';
  readonly r: number;
  readonly c: number;
}

/** y = bias (length out): ignores its input, meaningful as a term of a sum (whose `in` it takes). */
export interface BiasTerm extends NodeBase {
  readonly kind: 'bias';
  readonly param: ParamSlice;
}

/**
 * Composition in application order: stages[0] is applied first. `constructorKind` names the
 * language constructor the chain spells out (`monarch`, `lowrank`, `butterfly`, …) when it is
 * one: consumers that treat, say, a Monarch pair as a pair read it here, not from shapes.
 */
export interface ChainNode extends NodeBase {
  readonly kind: 'chain';
  /** Not `constructor`: every object already has that property (a function). Absent on a chain written with `@`. */
  readonly constructorKind?: string;
  readonly stages: readonly ModelNode[];
}

/** Σ terms; every term maps in -> out. */
export interface SumNode extends NodeBase {
  readonly kind: 'sum';
  readonly terms: readonly ModelNode[];
}

/**
 * A use of another map of the module (`map`): the same parameters (weight tying). `body` is that
 * map's model; consumers that walk it should do so once per map name, not once per use.
 */
export interface TiedNode extends NodeBase {
  readonly kind: 'tied';
  readonly map: string;
  readonly body: ModelNode;
}

export type ModelNode = KsFactor | BsrFactor | TransposeFactor | BiasTerm | ChainNode | SumNode | TiedNode;

/** A map's model: its interface, its parameter tensors (first-use order, each once) and its body. */
export interface ModelMap {
  readonly name: string;
  readonly in: number;
  readonly out: number;
  readonly params: readonly ParamSpec[];
  readonly body: ModelNode;
}
