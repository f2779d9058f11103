/**
 * A backward program's block-sparse ops against the forward program's: each of them reads the
 * weights of a forward `bsr` op (the input gradient's op, transposed; a recomputed forward op; a
 * weight gradient's `forward`), and must be on that op's grid, with its blocks: block z of the
 * backward op multiplies the stored values of forward block z, so it is that block, swapped,
 * (J, I), in a transposed op. In a manifest file every one of those lists is a reference into
 * `patterns`: one pointing at another list of as many blocks (or at the same list without
 * `transposed`) gave the gradients of another matrix on every backend, which the program checks
 * (program-problems.ts, which sees one program at a time) let pass (QA2 s23, beside Q251).
 */
import type { ParamSlice } from '../model/types.js';
import { assertNever } from '../util/assert.js';
import type { BackwardOpData, BsrShape, KsShape, OpData } from './program.js';

const sliceKey = (s: ParamSlice) => `${s.tensor}@${s.offset}+${s.length}`;

/** A backward op that reads a forward op's weights: its shape, where it is, and whether it reads them transposed. */
interface WeightRead {
  readonly at: string;
  readonly shape: KsShape | BsrShape;
  readonly transposed: boolean;
}

function weightRead(op: BackwardOpData, i: number): WeightRead | undefined {
  switch (op.kind) {
    case 'ks':
    case 'bsr':
      return { at: `.backward.ops[${i}]`, shape: op, transposed: op.transposed === true };
    case 'wgrad':
      return { at: `.backward.ops[${i}].forward`, shape: op.forward, transposed: false };
    case 'bias':
    case 'bgrad':
    case 'reduce':
      return undefined;
    default:
      return assertNever(op, 'backward op');
  }
}

/** The first backward block matmul unlike the forward op whose weights it reads, as a path suffix and message; undefined when all agree. */
export function backwardBlocksProblem(forward: readonly OpData[], backward: readonly BackwardOpData[]): string | undefined {
  const byWeight = new Map<string, [KsShape | BsrShape, number]>();
  forward.forEach((op, i) => {
    if (op.kind !== 'bias' && !byWeight.has(sliceKey(op.weight))) byWeight.set(sliceKey(op.weight), [op, i]);
  });
  for (const [i, op] of backward.entries()) {
    const read = weightRead(op, i);
    if (!read) continue;
    const { at, shape } = read;
    const found = byWeight.get(sliceKey(shape.weight));
    if (!found || found[0].kind !== shape.kind) return `${at}.weight: no forward ${shape.kind} op reads ${shape.weight.tensor}[${shape.weight.offset}:${shape.weight.offset + shape.weight.length}]`;
    const problem = shape.kind === 'ks' ? ksProblem(read, shape, found[0] as KsShape, found[1]) : bsrProblem(read, shape, found[0] as BsrShape, found[1]);
    if (problem) return problem;
  }
  return undefined;
}

/** A backward ks op has its forward op's K(a, b, c, d), with b and c swapped where it is transposed. */
function ksProblem({ at, transposed }: WeightRead, shape: KsShape, f: KsShape, k: number): string | undefined {
  const want = transposed ? [f.a, f.c, f.b, f.d] : [f.a, f.b, f.c, f.d];
  if ([shape.a, shape.b, shape.c, shape.d].every((v, g) => v === want[g])) return undefined;
  return `${at}: K(${shape.a}, ${shape.b}, ${shape.c}, ${shape.d}), where ops[${k}], whose weights it reads, is K(${f.a}, ${f.b}, ${f.c}, ${f.d})${transposed ? ' (transposed: K(a, c, b, d) here)' : ''}`;
}

/** A backward bsr op has its forward op's grid and blocks, each swapped where it is transposed. */
function bsrProblem({ at, transposed }: WeightRead, shape: BsrShape, f: BsrShape, k: number): string | undefined {
  const grid = transposed ? [f.cols, f.rows, f.bw, f.bh] : [f.rows, f.cols, f.bh, f.bw];
  if ([shape.rows, shape.cols, shape.bh, shape.bw].some((v, g) => v !== grid[g])) {
    return `${at}: ${shape.rows}×${shape.cols} in ${shape.bh}×${shape.bw} blocks, where ops[${k}], whose weights it reads, is ${f.rows}×${f.cols} in ${f.bh}×${f.bw}${transposed ? ' (transposed: the other way round)' : ''}`;
  }
  const [row, col] = transposed ? [1, 0] : [0, 1];
  const z = shape.blocks.length !== f.blocks.length ? 0 : shape.blocks.findIndex((b, z) => b[row] !== f.blocks[z][0] || b[col] !== f.blocks[z][1]);
  return z >= 0 ? `${at}.blocks: not the blocks of ops[${k}], whose weights it reads${transposed ? ', each swapped' : ''} (block ${z} is (${shape.blocks[z]?.join(', ')}), of ${shape.blocks.length})` : undefined;
}
