/**
 * Runs of butterfly-like factors merged into fewer, larger ones. k consecutive Kronecker-sparse
 * factors K(·, r, r, d) whose strides d go s, s·r, …, s·r^(k-1) (or back down) only mix the
 * base-r digits of weight s … s·r^(k-1): together they are one factor K(n/(r^k·s), r^k, r^k, s).
 * In ONNX Runtime every factor costs a Transpose of the activations and a batched MatMul over
 * tiny blocks, so a radix-2 butterfly of 10 factors runs far slower than 2 factors of 32×32
 * blocks (3.2× the multiply-adds). The merged weights are computed in the graph from the
 * parameters (constant-folded when the session loads), so the initializers stay the parameters.
 * They are computed in float32 whatever the model's type: ONNX Runtime's CPU provider has no
 * float16 MatMul to fold with, so an f16 model recomputed them on every run (a radix-2 butterfly
 * of 1024 ran 10× slower than a Monarch of the same shape), and the merged weights are rounded to
 * float16 once instead of after each factor.
 */
import type { KsOp, Op, Program } from '../ir/ir.js';
import type { GraphBuilder, Value } from './onnx-graph.js';
import { ksNodes, type ParamSource } from './ops.js';
import { asRows, rowsActivation } from './permute.js';

/** Largest merged block: by 32×32 blocks a batched MatMul is no longer dominated by its overhead. */
export const MAX_MERGED_BLOCK = 32;

/** A run of ops (program indices `first` … `first + ops.length - 1`) computed as one K(a, block, block, d). */
export interface MergedRun {
  readonly first: number;
  readonly ops: readonly KsOp[];
  readonly a: number;
  readonly block: number;
  readonly d: number;
}

/** The runs to merge, by the program index of their first op. */
export function planMerges(program: Program, maxBlock = MAX_MERGED_BLOCK): Map<number, MergedRun> {
  const runs = new Map<number, MergedRun>();
  let i = 0;
  while (i < program.ops.length) {
    const op = program.ops[i];
    if (op.kind !== 'ks' || op.b !== op.c || op.b < 2) {
      i++;
      continue;
    }
    const r = op.b;
    // Blocks up to √n at most, like a Monarch factor's: a structured map never becomes one dense block.
    const n = op.a * op.c * op.d;
    const most = Math.floor(Math.log(Math.min(maxBlock, Math.sqrt(n))) / Math.log(r) + 1e-9);
    const chunk: KsOp[] = [op];
    while (chunk.length < most && i + chunk.length < program.ops.length && continues(program, i + chunk.length - 1, r, chunk)) {
      chunk.push(program.ops[i + chunk.length] as KsOp);
    }
    if (chunk.length >= 2) {
      const d = Math.min(...chunk.map((o) => o.d));
      const block = r ** chunk.length;
      runs.set(i, { first: i, ops: chunk, a: (op.a * op.b * op.d) / (block * d), block, d });
    }
    i += chunk.length;
  }
  return runs;
}

/** Whether op `j + 1` extends the run ending with op `j` (radix r, strides monotone by factors of r). */
function continues(program: Program, j: number, r: number, chunk: readonly KsOp[]): boolean {
  const prev = program.ops[j] as KsOp;
  const next = program.ops[j + 1];
  if (next.kind !== 'ks' || next.b !== r || next.c !== r || next.accumulate || next.src !== prev.dst) return false;
  if (prev.accumulate || prev.bias || prev.output.steps.length > 0 || next.input.steps.length > 0) return false;
  const strides = chunk.length < 2 ? [prev.d * r, prev.d / r] : [chunk[1].d > chunk[0].d ? prev.d * r : prev.d / r];
  if (!strides.includes(next.d)) return false;
  return !readLater(program.ops, j + 2, prev.dst);
}

/** Whether the value in `buffer` is read from op `from` on before it is overwritten (or is the output). */
function readLater(ops: readonly Op[], from: number, buffer: string): boolean {
  for (let k = from; k < ops.length; k++) {
    const op = ops[k];
    if (op.kind !== 'bias' && op.src === buffer) return true;
    if (op.dst === buffer) return op.accumulate;
  }
  return buffer === 'y';
}

/**
 * The merged factor's weights, (a·d, block, block): the run's factors applied to `block` basis
 * rows (row γ is 1 at digit γ of every block, 0 elsewhere) give every block's column γ at once.
 */
export function mergedWeight(g: GraphBuilder, params: ParamSource, run: MergedRun): Value {
  const { a, block, d } = run;
  const n = a * block * d;
  const f32 = g.elem === 'float32';
  // Each parameter tensor converted once, whichever runs read it.
  const source: ParamSource = f32 ? params : { ...params, tag: 'float32', value: (tensor) => g.memo(`float32:${tensor}`, () => g.cast(params.value(tensor), 'float32')) };
  const identity = Array.from({ length: block * block }, (_, i) => (Math.floor(i / block) === i % block ? 1 : 0));
  const basis = g.reshape(g.node('Expand', [g.elemConstant([block, 1, block, 1], identity, 'float32'), g.ints([block, a, block, d])]), [block, n]);
  let act = rowsActivation(basis, n);
  for (const op of run.ops) act = ksNodes(g, source, { ...op, bias: undefined, input: { size: n, steps: [] }, output: { size: n, steps: [] } }, act);
  // Y[γ, α, β, δ] = W[α·d + δ, β, γ]
  const merged = g.reshape(g.transpose(g.reshape(asRows(g, act), [block, a, block, d]), [1, 3, 2, 0]), [a * d, block, block]);
  return f32 ? merged : g.cast(merged, g.elem);
}
