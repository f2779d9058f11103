/**
 * backward: the forward Program of a map becomes its BackwardProgram, which computes from `x`
 * and `dy` = ∂L/∂Y the input gradient `dx` = DY M and every parameter gradient (into a gradient
 * buffer packed exactly like the parameters).
 *
 * - Keep vs recompute: the backward program is self-contained (x, dy in; dx, grads out), so the
 *   forward intermediates a weight gradient needs are *recomputed*: the forward ops that write
 *   temporaries run first. Ops writing `y` are dropped (no gradient reads a map's output: every
 *   op is linear in its input). A map of one factor (dense, ks, blockdiag, sparse, bias)
 *   recomputes nothing; a chain of k stages (Monarch, butterfly, lowrank, `@`) recomputes its
 *   first k - 1 stages, never the output stage. Keeping them instead would need the forward
 *   call's temporaries alive until the backward call on the same rows, and a `backward(x, dy)`
 *   that depends on an earlier `forward` call; recomputing costs less than one forward pass.
 * - Renaming: the forward program reuses a dead temporary for a later value; here every value
 *   (a non-accumulating write and the accumulating writes after it) gets its own buffer `v<k>`,
 *   so each is still live when its consumer's weight gradient reads it. Gradients of values are
 *   `dv<k>`; the map's input and output gradients are `dx` and `dy`.
 * - Then the forward ops in reverse order. A block matmul gives its input gradient as the same
 *   kind of op with its sizes swapped and `transposed` set (input map = forward output map,
 *   output map = forward input map; the weights are read transposed per block in place: no
 *   copy of weights or activations), its weight gradient as a `wgrad` op into a partial buffer
 *   (batch splits of `rowsPerSplit` rows) and a `reduce` op into the gradient buffer. A bias
 *   (op or epilogue) gives a `bgrad` + `reduce`. Every term of a sum sees the same output
 *   gradient; input gradients accumulate into the source's gradient after its first write, and a
 *   reduce accumulates where an earlier one wrote the same slice (weight tying). Slices of one
 *   tensor that are disjoint (butterfly twiddle levels) each write their own part.
 */
import { assertNever, invariant } from '../../util/assert.js';
import type { BackwardOp, BackwardProgram, BsrOp, BufferDecl, KsOp, Op, ParamSlice, PartialDecl, Program, WeightGradShape } from '../ir.js';

/** Batch rows per split of a weight-gradient reduction, unless the caller says otherwise. */
export const DEFAULT_ROWS_PER_SPLIT = 256;

export interface BackwardOptions {
  readonly rowsPerSplit?: number;
}

/** The gradient buffer of a forward value. */
export function gradientOf(value: string): string {
  return value === 'x' ? 'dx' : value === 'y' ? 'dy' : `d${value}`;
}

export function backward(program: Program, options: BackwardOptions = {}): BackwardProgram {
  const rowsPerSplit = options.rowsPerSplit ?? DEFAULT_ROWS_PER_SPLIT;
  invariant(Number.isInteger(rowsPerSplit) && rowsPerSplit > 0, `backward: rowsPerSplit must be a positive integer, got ${rowsPerSplit}`);
  const sizeOf = new Map(program.buffers.map((b) => [b.name, b.size]));
  const buffers: BufferDecl[] = [
    { name: 'x', size: program.in },
    { name: 'dy', size: program.out },
    { name: 'dx', size: program.in },
  ];
  const forward = renameValues(program.ops, sizeOf, buffers);
  const ops: BackwardOp[] = forward.filter((op) => op.dst !== 'y');

  const partials: PartialDecl[] = [];
  const gradWritten = new Set<string>(['dy']);
  const sliceWritten = new Map<string, ParamSlice[]>();
  /** A reduce of partial buffer `src` into the gradient of `slice`: accumulating iff the slice was written. */
  const reduceInto = (slice: ParamSlice, partialOf: (dst: string) => BackwardOp): void => {
    // An empty slice (a sparse pattern without blocks) has no gradient to compute.
    if (slice.length === 0) return;
    const dst = `p${partials.length}`;
    partials.push({ name: dst, size: slice.length });
    ops.push(partialOf(dst));
    const earlier = sliceWritten.get(slice.tensor) ?? [];
    const same = earlier.some((s) => s.offset === slice.offset && s.length === slice.length);
    invariant(
      same || earlier.every((s) => s.offset + s.length <= slice.offset || slice.offset + slice.length <= s.offset),
      `backward: slices of '${slice.tensor}' overlap partially`,
    );
    if (!same) sliceWritten.set(slice.tensor, [...earlier, slice]);
    ops.push({ kind: 'reduce', src: dst, grad: slice, accumulate: same, rowsPerSplit, span: program.span });
  };
  const declareGradient = (value: string): string => {
    const name = gradientOf(value);
    const decl = buffers.find((b) => b.name === value);
    invariant(decl, `backward: no buffer for value '${value}'`);
    if (!buffers.some((b) => b.name === name)) buffers.push({ name, size: decl.size });
    return name;
  };

  for (const op of [...forward].reverse()) {
    const dy = gradientOf(op.dst);
    invariant(gradWritten.has(dy), `backward: the gradient of '${op.dst}' is not complete before its writer`);
    switch (op.kind) {
      case 'ks':
      case 'bsr': {
        invariant(!op.transposed, 'backward: a forward program with a transposed op');
        const dsrc = declareGradient(op.src);
        ops.push(transposedOp(op, dy, dsrc, gradWritten.has(dsrc)));
        gradWritten.add(dsrc);
        reduceInto(op.weight, (dst) => ({ kind: 'wgrad', forward: weightGradShape(op), src: op.src, dy, dst, rowsPerSplit, span: op.span }));
        if (op.bias) {
          const size = op.bias.length;
          reduceInto(op.bias, (dst) => ({ kind: 'bgrad', size, output: op.output, dy, dst, rowsPerSplit, span: op.span }));
        }
        break;
      }
      case 'bias':
        reduceInto(op.param, (dst) => ({ kind: 'bgrad', size: op.size, output: op.output, dy, dst, rowsPerSplit, span: op.span }));
        break;
      default:
        assertNever(op, 'op');
    }
  }

  return {
    name: program.name,
    in: program.in,
    out: program.out,
    dtype: program.dtype,
    params: program.params,
    paramSize: program.paramSize,
    buffers,
    partials,
    rowsPerSplit,
    // A map that never reads its input (only a bias) has a zero input gradient.
    ...(gradWritten.has('dx') ? {} : { zeroInputGradient: true as const }),
    ops,
    span: program.span,
  };
}

/** The forward ops with every value of a temporary in its own buffer `v<k>` (declared in `buffers`). */
function renameValues(ops: readonly Op[], sizeOf: ReadonlyMap<string, number>, buffers: BufferDecl[]): Op[] {
  const current = new Map<string, string>([['x', 'x'], ['y', 'y']]);
  const valueOf = (name: string): string => {
    const v = current.get(name);
    invariant(v, `backward: '${name}' is read before it is written`);
    return v;
  };
  return ops.map((op) => {
    let dst = op.dst;
    if (dst !== 'y' && !op.accumulate) {
      dst = `v${buffers.filter((b) => b.name.startsWith('v')).length}`;
      buffers.push({ name: dst, size: sizeOf.get(op.dst)! });
      current.set(op.dst, dst);
    } else {
      dst = valueOf(dst);
    }
    switch (op.kind) {
      case 'ks':
      case 'bsr':
        return { ...op, src: valueOf(op.src), dst };
      case 'bias':
        return { ...op, dst };
      default:
        return assertNever(op, 'op');
    }
  });
}

/** The input gradient of a forward block matmul: the transposed op from `dy` into `dsrc`. */
function transposedOp(op: KsOp | BsrOp, dy: string, dsrc: string, accumulate: boolean): KsOp | BsrOp {
  const common = { src: dy, dst: dsrc, accumulate, weight: op.weight, input: op.output, output: op.input, transposed: true as const, span: op.span };
  switch (op.kind) {
    case 'ks':
      return { kind: 'ks', a: op.a, b: op.c, c: op.b, d: op.d, ...common };
    case 'bsr':
      return { kind: 'bsr', rows: op.cols, cols: op.rows, bh: op.bw, bw: op.bh, blocks: op.blocks.map(([i, j]) => [j, i] as const), ...common };
    default:
      return assertNever(op, 'op');
  }
}

function weightGradShape(op: KsOp | BsrOp): WeightGradShape {
  switch (op.kind) {
    case 'ks':
      return { kind: 'ks', a: op.a, b: op.b, c: op.c, d: op.d, weight: op.weight, input: op.input, output: op.output };
    case 'bsr':
      return { kind: 'bsr', rows: op.rows, cols: op.cols, bh: op.bh, bw: op.bw, blocks: op.blocks, weight: op.weight, input: op.input, output: op.output };
    default:
      return assertNever(op, 'op');
  }
}
