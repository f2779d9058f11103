/**
 * The ops of a scheduled program (ir.ts `Op`) as ONNX nodes. A Kronecker-sparse op K(a,b,c,d)
 * is one MatMul batched over its a·d blocks: the input, permuted by the op's index map, is
 * viewed as [a·d, batch, c] and multiplied by the weight viewed as [a·d, c, b]. A block-sparse
 * op multiplies only the blocks it has: per block row from Slices of the input (no index table),
 * or, when asked (SparseForm 'gather'), gathered and scattered back by index tables.
 */
import { invertIndexMap } from '../ir/index-map.js';
import type { BiasOp, BsrOp, IndexMap, KsOp, ParamSlice } from '../ir/ir.js';
import { GraphBuilder, type Value } from './onnx-graph.js';
import { asRows, permuted, rowsActivation, type Activation } from './permute.js';

/** Where the op's tensors come from: an initializer per parameter tensor, with its element count. */
export interface ParamSource {
  readonly value: (tensor: string) => Value;
  readonly size: (tensor: string) => number;
  /** Tells apart the views derived from another source of the same tensors (converted ones): part of their memo keys. */
  readonly tag?: string;
}

/** A slice of a parameter tensor viewed as `shape` (Slice only when it is not the whole tensor; constant-folded by runtimes). */
function paramView(g: GraphBuilder, params: ParamSource, slice: ParamSlice, shape: readonly number[]): Value {
  const whole = params.value(slice.tensor);
  const data =
    slice.offset === 0 && slice.length === params.size(slice.tensor)
      ? whole
      : g.slice(g.reshape(whole, [-1]), 0, slice.offset, slice.offset + slice.length);
  return g.reshape(data, shape);
}

/**
 * K(a,b,c,d): Y = permute_out(blocks(W) · blocks(permute_in(X))). The result stays block-major
 * (its output permutation pending), so the next op's input permutation joins it in one Transpose.
 * `weight` (a·d, b, c), when given, replaces the op's parameter slice (a merged factor's).
 */
export function ksNodes(g: GraphBuilder, params: ParamSource, op: KsOp, src: Activation, weight?: Value): Activation {
  const { a, b, c, d } = op;
  const groups = a * d;
  // Logical input l reads src[input(l)]: permuting src by the inverse map gathers it; the
  // (α, γ, δ) -> (α, δ, γ) step makes the blocks (α, δ) lead.
  const gather: IndexMap = { size: a * c * d, steps: [...invertIndexMap(op.input).steps, { shape: [a, c, d], perm: [0, 2, 1] }] };
  const x = permuted(g, src, gather, groups);
  const shape = groups === 1 ? [b, c] : [groups, b, c];
  const key = weight ?? `ks:${params.tag ?? ''}:${op.weight.tensor}:${op.weight.offset}:${groups}:${b}:${c}`;
  const w = g.memo(key, () => g.transpose(weight ? g.reshape(weight, shape) : paramView(g, params, op.weight, shape), groups === 1 ? [1, 0] : [0, 2, 1]));
  const r = g.matmul(x, w);
  // Results come out in (α, δ, β) order; the logical output is (α, β, δ), then the output map.
  const result: Activation = { value: r, groups, map: { size: a * b * d, steps: [{ shape: [a, d, b], perm: [0, 2, 1] }, ...op.output.steps] } };
  return op.bias ? rowsActivation(withBias(g, params, op.bias, op.output, asRows(g, result)), a * b * d) : result;
}

/**
 * How a block-sparse op's blocks are selected: 'slices' (per block row, Slices of the input: no
 * index table, about 20 nodes per block row) or 'gather' (Gather and ScatterND over int64 index
 * tables: about 25 nodes whatever the pattern; a fine pattern's per-row graph takes ONNX Runtime
 * minutes to load).
 */
export type SparseForm = 'slices' | 'gather';

/** Block-sparse, in `form`; 'gather' keeps the per-row form where that has fewer nodes (one or two block rows). */
export function bsrNodes(g: GraphBuilder, params: ParamSource, op: BsrOp, src: Activation, form: SparseForm): Activation {
  const result = (form === 'gather' && gatherIsSmaller(g, params, op) ? bsrGathered : bsrPerRow)(g, params, op, src);
  return op.bias ? rowsActivation(withBias(g, params, op.bias, op.output, asRows(g, result)), op.rows) : result;
}

/**
 * Whether the gathered form has fewer nodes than the per-row one (counted on scratch builders).
 * No blocks at all: zeros, which the per-row form writes without a Gather of nothing. The per-row
 * form has at least a MatMul per block row with blocks: built to be counted only when that alone
 * does not already exceed the gathered form.
 */
function gatherIsSmaller(g: GraphBuilder, params: ParamSource, op: BsrOp): boolean {
  if (op.blocks.length === 0) return false;
  const cost = (form: typeof bsrPerRow) => {
    const scratch = new GraphBuilder(g.elem);
    form(scratch, params, op, rowsActivation('x', op.cols));
    return scratch.nodeCount;
  };
  const gathered = cost(bsrGathered);
  return new Set(op.blocks.map(([row]) => row)).size >= gathered || gathered <= cost(bsrPerRow);
}

/**
 * Every present block at once: the input as column blocks [nbc, B, bw], `Gather` of each present
 * block's column (one index per block), one `MatMul` batched over the blocks with the stored
 * blocks viewed [nnzb, bw, bh], and `ScatterND` (reduction add, opset 16+) summing each product
 * into its block row of zeros [nbr, B, bh] (in float32 for an f16 model, cast back once): the
 * result in block-major form, its output map pending.
 */
function bsrGathered(g: GraphBuilder, params: ParamSource, op: BsrOp, src: Activation): Activation {
  const nbc = op.cols / op.bw;
  const nbr = op.rows / op.bh;
  const nnzb = op.blocks.length;
  const blocked = (v: Value, groups: number, inner: number) => (groups === 1 ? g.reshape(v, [1, -1, inner]) : v);
  const x = blocked(permuted(g, src, invertIndexMap(op.input), nbc), nbc, op.bw);
  const gathered = g.node('Gather', [x, g.indexTable(op.blocks.map(([, col]) => col), [nnzb])], { axis: 0 });
  // (nnzb, bh, bw) -> (nnzb, bw, bh): each block's transpose, batched.
  const w = g.transpose(paramView(g, params, op.weight, [nnzb, op.bh, op.bw]), [0, 2, 1]);
  const products = g.matmul(gathered, w);
  const batch = g.node('Shape', [products], { start: 1, end: 2 });
  // ONNX Runtime's CPU provider has no float16 ScatterND with reduction add: f16 sums in float32.
  const half = g.elem === 'float16';
  const zero = half ? g.memo('zero:float32', () => g.elemConstant([], [0], 'float32')) : g.zero();
  const zeros = g.node('Expand', [zero, g.node('Concat', [g.ints([nbr]), batch, g.ints([op.bh])], { axis: 0 })]);
  const rows = g.indexTable(op.blocks.map(([row]) => row), [nnzb, 1]);
  const scattered = g.node('ScatterND', [zeros, rows, half ? g.cast(products, 'float32') : products], { reduction: 'add' });
  const sums = half ? g.cast(scattered, 'float16') : scattered;
  return nbr === 1 ? { value: g.reshape(sums, [-1, op.bh]), groups: 1, map: op.output } : { value: sums, groups: nbr, map: op.output };
}

/** Per block row, the present column blocks (runs of adjacent ones as one Slice) times that row's blocks. */
function bsrPerRow(g: GraphBuilder, params: ParamSource, op: BsrOp, src: Activation): Activation {
  const x = permuted(g, src, invertIndexMap(op.input), 1);
  const blockRows = op.rows / op.bh;
  const pieces: Value[] = [];
  let emptyRows = 0;
  const flushEmpty = () => {
    if (emptyRows > 0) pieces.push(g.expandToBatch(g.zero(), x, emptyRows * op.bh));
    emptyRows = 0;
  };
  let z = 0;
  for (let row = 0; row < blockRows; row++) {
    const cols: number[] = [];
    while (z + cols.length < op.blocks.length && op.blocks[z + cols.length][0] === row) cols.push(op.blocks[z + cols.length][1]);
    if (cols.length === 0) {
      emptyRows++;
      continue;
    }
    flushEmpty();
    const gathered = g.concat(runs(cols).map(([from, to]) => g.slice(x, 1, from * op.bw, to * op.bw)), 1);
    const blocksOfRow: ParamSlice = { tensor: op.weight.tensor, offset: op.weight.offset + z * op.bh * op.bw, length: cols.length * op.bh * op.bw };
    // (k, bh, bw) -> (k, bw, bh) -> (k·bw, bh): row-major matches the joined column blocks.
    const w = g.reshape(g.transpose(paramView(g, params, blocksOfRow, [cols.length, op.bh, op.bw]), [0, 2, 1]), [cols.length * op.bw, op.bh]);
    pieces.push(g.matmul(gathered, w));
    z += cols.length;
  }
  flushEmpty();
  if (z !== op.blocks.length) throw new Error('internal error: bsr blocks are not in row-major order');
  return { value: g.concat(pieces, 1), groups: 1, map: op.output };
}

/** A bias op: the bias permuted to its physical positions, broadcast over the batch of `like`. */
export function biasNodes(g: GraphBuilder, params: ParamSource, op: BiasOp, like: Value): Activation {
  return rowsActivation(g.expandToBatch(permutedBias(g, params, op.param, op.output), like, op.size), op.size);
}

/** The bias vector (indexed by the logical output) moved to physical positions, as (1, size). */
function permutedBias(g: GraphBuilder, params: ParamSource, slice: ParamSlice, output: IndexMap): Value {
  return permuted(g, rowsActivation(paramView(g, params, slice, [1, slice.length]), slice.length), output, 1);
}

function withBias(g: GraphBuilder, params: ParamSource, bias: ParamSlice | undefined, output: IndexMap, y: Value): Value {
  return bias ? g.add(y, permutedBias(g, params, bias, output)) : y;
}

/** Maximal runs [from, to) of consecutive integers in an increasing list. */
function runs(sorted: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const v of sorted) {
    const last = out[out.length - 1];
    if (last && last[1] === v) last[1] = v + 1;
    else out.push([v, v + 1]);
  }
  return out;
}
