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
import type { BackwardOpData, BsrShape, KsShape, OpData } from './program.js';

const sliceKey = (s: ParamSlice) => `${s.tensor}@${s.offset}+${s.length}`;

/** A backward op's Kronecker-sparse shape, where it is, and whether it reads the forward blocks transposed. */
function ksRead(op: BackwardOpData, i: number): { at: string; shape: KsShape; transposed: boolean } | undefined {
  if (op.kind === 'ks') return { at: `.backward.ops[${i}]`, shape: op, transposed: op.transposed === true };
  if (op.kind === 'wgrad' && op.forward.kind === 'ks') return { at: `.backward.ops[${i}].forward`, shape: op.forward, transposed: false };
  return undefined;
}

/** The first backward ks op whose K(a, b, c, d) is not its forward op's (b, c swapped where transposed); undefined when all agree. */
function backwardKsProblem(forward: readonly OpData[], backward: readonly BackwardOpData[]): string | undefined {
  const byWeight = new Map<string, [KsShape, number]>();
  forward.forEach((op, i) => {
    if (op.kind === 'ks' && !byWeight.has(sliceKey(op.weight))) byWeight.set(sliceKey(op.weight), [op, i]);
  });
  for (const [i, op] of backward.entries()) {
    const read = ksRead(op, i);
    if (!read) continue;
    const { at, shape, transposed } = read;
    const found = byWeight.get(sliceKey(shape.weight));
    if (!found) return `${at}.weight: no forward ks op reads ${shape.weight.tensor}[${shape.weight.offset}:${shape.weight.offset + shape.weight.length}]`;
    const [f, k] = found;
    const want = transposed ? [f.a, f.c, f.b, f.d] : [f.a, f.b, f.c, f.d];
    if ([shape.a, shape.b, shape.c, shape.d].some((v, g) => v !== want[g])) {
      return `${at}: K(${shape.a}, ${shape.b}, ${shape.c}, ${shape.d}), where ops[${k}], whose weights it reads, is K(${f.a}, ${f.b}, ${f.c}, ${f.d})${transposed ? ' (transposed: K(a, c, b, d) here)' : ''}`;
    }
  }
  return undefined;
}

/** A backward op's block-sparse shape, where it is, and whether it lists the forward blocks swapped. */
function blocksRead(op: BackwardOpData, i: number): { at: string; shape: BsrShape; transposed: boolean } | undefined {
  if (op.kind === 'bsr') return { at: `.backward.ops[${i}]`, shape: op, transposed: op.transposed === true };
  if (op.kind === 'wgrad' && op.forward.kind === 'bsr') return { at: `.backward.ops[${i}].forward`, shape: op.forward, transposed: false };
  return undefined;
}

/** The first backward block list unlike its forward op's, as a path suffix and message; undefined when all agree. */
export function backwardBlocksProblem(forward: readonly OpData[], backward: readonly BackwardOpData[]): string | undefined {
  return backwardKsProblem(forward, backward) ?? backwardBsrProblem(forward, backward);
}

function backwardBsrProblem(forward: readonly OpData[], backward: readonly BackwardOpData[]): string | undefined {
  const byWeight = new Map<string, [BsrShape, number]>();
  forward.forEach((op, i) => {
    if (op.kind === 'bsr' && !byWeight.has(sliceKey(op.weight))) byWeight.set(sliceKey(op.weight), [op, i]);
  });
  for (const [i, op] of backward.entries()) {
    const read = blocksRead(op, i);
    if (!read) continue;
    const { at, shape, transposed } = read;
    const found = byWeight.get(sliceKey(shape.weight));
    if (!found) return `${at}.weight: no forward bsr op reads ${shape.weight.tensor}[${shape.weight.offset}:${shape.weight.offset + shape.weight.length}]`;
    const [f, k] = found;
    const grid = transposed ? [f.cols, f.rows, f.bw, f.bh] : [f.rows, f.cols, f.bh, f.bw];
    if ([shape.rows, shape.cols, shape.bh, shape.bw].some((v, g) => v !== grid[g])) {
      return `${at}: ${shape.rows}×${shape.cols} in ${shape.bh}×${shape.bw} blocks, where ops[${k}], whose weights it reads, is ${f.rows}×${f.cols} in ${f.bh}×${f.bw}${transposed ? ' (transposed: the other way round)' : ''}`;
    }
    const [row, col] = transposed ? [1, 0] : [0, 1];
    const z = shape.blocks.length !== f.blocks.length ? 0 : shape.blocks.findIndex((b, z) => b[row] !== f.blocks[z][0] || b[col] !== f.blocks[z][1]);
    if (z >= 0) return `${at}.blocks: not the blocks of ops[${k}], whose weights it reads${transposed ? ', each swapped' : ''} (block ${z} is (${shape.blocks[z]?.join(', ')}), of ${shape.blocks.length})`;
  }
  return undefined;
}
