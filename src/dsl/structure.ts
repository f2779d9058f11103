/**
 * The checked form of a `.mon` map: the constructors as written, with every size resolved and
 * every argument checked (SPEC §3, §4). It is what the front end (src/dsl) hands on; what each
 * constructor means (its parameter tensors and factors) is the structure model's
 * (src/model/constructors.ts), built from this by `modelOf`, and lowering, the float64
 * reference, projection and the manifest read that model.
 *
 * Every node maps `in -> out` (a matrix of shape (out, in)); `path` is the prefix of its
 * parameter names (`up`, `pf.0`, `raw.3`): a parameter `p` of the node is the tensor `${path}.${p}`.
 */
import type { Dtype } from '../manifest/program.js';
import type { Span } from './span.js';

/** The module's storage type: the data format (src/manifest) defines it, the language names it. */
export type { Dtype };

interface NodeBase {
  readonly in: number;
  readonly out: number;
  readonly path: string;
  readonly span?: Span;
}

/** `dense()`: weight (out, in). */
export interface DenseNode extends NodeBase { readonly kind: 'dense' }
/** `diag()`: the diagonal n -> n, d (n); K(n, 1, 1, 1). */
export interface DiagNode extends NodeBase { readonly kind: 'diag' }
/** `ks(a, b, c, d)`: K(a,b,c,d), w (a·d, b, c); in = a·c·d, out = a·b·d. */
export interface KsNode extends NodeBase { readonly kind: 'ks'; readonly a: number; readonly b: number; readonly c: number; readonly d: number }
/** `blockdiag(nblocks: k)`: K(k, out/k, in/k, 1), weight (k, out/k, in/k). */
export interface BlockdiagNode extends NodeBase { readonly kind: 'blockdiag'; readonly nblocks: number }
/** `transpose(r, c)`: y[j·r + i] = x[i·c + j]; no parameters. */
export interface TransposeNode extends NodeBase { readonly kind: 'transpose'; readonly r: number; readonly c: number }
/**
 * `monarch(nblocks: k)` (fly's MonarchLinear): K(1, s, r, k)[blkdiag2] · K(k, q, p, 1)[blkdiag1],
 * p = in/k, s = out/k, q = r = monarchInnerSize(p, s). blkdiag1 (k, q, p), blkdiag2 (k, s, r).
 */
export interface MonarchNode extends NodeBase {
  readonly kind: 'monarch';
  readonly nblocks: number;
  readonly p: number;
  readonly q: number;
  readonly r: number;
  readonly s: number;
}
/**
 * `monarch(order: p, radix/radices)`: factor i (1-based) is K(∏_{j>i} b_j, b_i, b_i, ∏_{j<i} b_j),
 * applied in order i = 1..p; parameter `factor{i-1}` of shape (n/b_i, b_i, b_i).
 */
export interface MonarchOrderNode extends NodeBase { readonly kind: 'monarch_order'; readonly radices: readonly number[] }
/**
 * `butterfly(radix: r, stride)`: n = r^L; increasing applies t = 0..L-1 the factor
 * K(n/(r·s), r, r, s), s = r^t, with weight twiddle[t]; decreasing applies t = L-1..0.
 * twiddle (L, n/r, r, r).
 */
export interface ButterflyNode extends NodeBase {
  readonly kind: 'butterfly';
  readonly radix: number;
  readonly levels: number;
  readonly stride: 'increasing' | 'decreasing';
}
/** `lowrank(rank: r)`: y = U (V x); U (out, r), V (r, in). */
export interface LowrankNode extends NodeBase { readonly kind: 'lowrank'; readonly rank: number }
/**
 * `sparse(block: [bh, bw], pattern)`: block (I, J) present iff listed; `blocks` are the present
 * (I, J) in row-major order, and values (nnz, bh, bw) follows that order.
 */
export interface SparseNode extends NodeBase {
  readonly kind: 'sparse';
  readonly bh: number;
  readonly bw: number;
  readonly blocks: readonly (readonly [number, number])[];
  /** How the pattern was written, for printing and docs: `flat_butterfly(factors: 2)`, `"mask.npy"`… */
  readonly pattern: string;
}
/** `bias()`: adds bias (out); it ignores its input, and its `in` is that of the sum it is a term of. */
export interface BiasNode extends NodeBase { readonly kind: 'bias' }
/** `A + B + …`: all terms in -> out. Operand i has path `${path}.${i}`. */
export interface SumNode extends NodeBase { readonly kind: 'sum'; readonly terms: readonly Structure[] }
/** `A @ B @ …` as written (left is applied last). Operand i has path `${path}.${i}`. */
export interface ChainNode extends NodeBase { readonly kind: 'chain'; readonly factors: readonly Structure[] }
/** A reference to another map of the module: same parameters (weight tying); `path` is the target's name. */
export interface RefNode extends NodeBase { readonly kind: 'ref'; readonly map: string; readonly target: Structure }

export type Structure =
  | DenseNode
  | DiagNode
  | KsNode
  | BlockdiagNode
  | TransposeNode
  | MonarchNode
  | MonarchOrderNode
  | ButterflyNode
  | LowrankNode
  | SparseNode
  | BiasNode
  | SumNode
  | ChainNode
  | RefNode;

export interface CheckedMap {
  readonly name: string;
  readonly in: number;
  readonly out: number;
  readonly structure: Structure;
  readonly span?: Span;
}

export interface CheckedModule {
  readonly name: string;
  readonly file: string;
  readonly dtype: Dtype;
  readonly consts: Readonly<Record<string, number>>;
  readonly maps: readonly CheckedMap[];
}

/** One parameter tensor of a map: the structure model's (src/model/types.ts), where constructors declare them. */
export type { ParamSpec } from '../model/types.js';

/** A monarch's inner block size q = r: p (= in/k) when in <= out, else s (= out/k), as fly's MonarchLinear builds it. */
export function monarchInnerSize(p: number, s: number): number {
  return p <= s ? p : s;
}
