/**
 * verify-backward: the invariants a BackwardProgram promises to codegen and the runtime. Every
 * buffer an op uses is declared with the op's size, an op reads only what was written before it,
 * partial buffers match their reductions, no permutation op exists (none can: every op is a
 * block matmul, a bias or a reduction), `dx` is written (or zeroed), and the gradient buffer
 * receives every element of every parameter tensor exactly once before any accumulation.
 */
import { assertNever } from '../../util/assert.js';
import { product } from '../index-map.js';
import type { BackwardProgram, ParamSlice } from '../ir.js';
import { opSizes } from './verify-program.js';

export function backwardProblems(p: BackwardProgram): string[] {
  const problems: string[] = [];
  const sizes = new Map(p.buffers.map((b) => [b.name, b.size]));
  const partialSizes = new Map(p.partials.map((b) => [b.name, b.size]));
  if (sizes.size !== p.buffers.length) problems.push('a buffer is declared twice');
  for (const [name, size] of [['x', p.in], ['dx', p.in], ['dy', p.out]] as const) {
    if (sizes.get(name) !== size) problems.push(`buffer ${name} must have size ${size}`);
  }
  const tensors = new Map(p.params.map((e) => [e.name, product(e.shape)]));
  const written = new Set(['x', 'dy']);
  const partialsWritten = new Set<string>();
  /** Per tensor: the ranges written by reduces so far (work per op, not per parameter element). */
  const covered = new Map([...tensors.keys()].map((name) => [name, new CoveredRanges()]));

  const read = (where: string, name: string, size: number) => {
    if (sizes.get(name) !== size) problems.push(`${where}: reads ${size} values from '${name}' of size ${sizes.get(name)}`);
    if (!written.has(name)) problems.push(`${where}: reads '${name}' before it is written`);
  };
  const slice = (where: string, s: ParamSlice) => {
    const size = tensors.get(s.tensor);
    if (size === undefined) problems.push(`${where}: unknown parameter tensor '${s.tensor}'`);
    else if (s.offset < 0 || s.offset + s.length > size) problems.push(`${where}: slice [${s.offset}:${s.offset + s.length}] outside '${s.tensor}'`);
  };
  const writePartial = (where: string, name: string, size: number) => {
    if (partialSizes.get(name) !== size) problems.push(`${where}: writes ${size} values per split to partial '${name}' of size ${partialSizes.get(name)}`);
    partialsWritten.add(name);
  };

  p.ops.forEach((op, i) => {
    const where = `op ${i} (${op.kind})`;
    if ((op.kind === 'wgrad' || op.kind === 'bgrad' || op.kind === 'reduce') && op.rowsPerSplit !== p.rowsPerSplit) {
      problems.push(`${where}: rowsPerSplit ${op.rowsPerSplit}, the program's is ${p.rowsPerSplit}`);
    }
    switch (op.kind) {
      case 'ks':
      case 'bsr':
      case 'bias': {
        const { in: inSize, out: outSize } = opSizes(op);
        if (op.kind !== 'bias') read(where, op.src, inSize!);
        if (sizes.get(op.dst) !== outSize) problems.push(`${where}: writes ${outSize} values to '${op.dst}' of size ${sizes.get(op.dst)}`);
        if (op.accumulate && !written.has(op.dst)) problems.push(`${where}: accumulates into '${op.dst}' before it is written`);
        if (op.dst === 'x' || op.dst === 'dy') problems.push(`${where}: writes an input`);
        written.add(op.dst);
        return;
      }
      case 'wgrad': {
        const f = op.forward;
        const [inSize, outSize] = f.kind === 'ks' ? [f.a * f.c * f.d, f.a * f.b * f.d] : [f.cols, f.rows];
        read(where, op.src, inSize);
        read(where, op.dy, outSize);
        slice(where, f.weight);
        writePartial(where, op.dst, f.weight.length);
        return;
      }
      case 'bgrad':
        read(where, op.dy, op.size);
        writePartial(where, op.dst, op.size);
        return;
      case 'reduce': {
        if (!partialsWritten.has(op.src)) problems.push(`${where}: reduces '${op.src}' before it is written`);
        if (partialSizes.get(op.src) !== op.grad.length) problems.push(`${where}: reduces ${op.grad.length} values from partial '${op.src}' of size ${partialSizes.get(op.src)}`);
        slice(where, op.grad);
        const cover = covered.get(op.grad.tensor);
        if (!cover) return;
        const [start, end] = [op.grad.offset, op.grad.offset + op.grad.length];
        const already = end > start && cover.covers(start, end);
        if (op.accumulate !== already) problems.push(`${where}: ${op.accumulate ? 'accumulates into' : 'overwrites'} a gradient slice ${op.accumulate ? 'not yet' : 'already'} written`);
        cover.add(start, end);
        return;
      }
      default:
        assertNever(op, 'backward op');
    }
  });
  if (!written.has('dx') && !p.zeroInputGradient) problems.push('dx is never written');
  for (const [name, cover] of covered) if (!cover.covers(0, tensors.get(name)!)) problems.push(`the gradient of '${name}' is not fully written`);
  return problems;
}

/**
 * A set of integer positions kept as sorted, disjoint, non-adjacent half-open ranges [start, end):
 * a tensor of 2^31 elements written by a few slices costs a few ranges, not 2^31 flags.
 */
class CoveredRanges {
  private ranges: (readonly [number, number])[] = [];

  /** Whether every position in [start, end) is in the set (true for an empty range). */
  covers(start: number, end: number): boolean {
    if (end <= start) return true;
    // Ranges are maximal, so a covered [start, end) lies inside one of them.
    return this.ranges.some(([s, e]) => s <= start && end <= e);
  }

  add(start: number, end: number): void {
    if (end <= start) return;
    const kept: (readonly [number, number])[] = [];
    let [s, e] = [start, end];
    for (const r of this.ranges) {
      if (r[1] < s || r[0] > e) kept.push(r);
      else [s, e] = [Math.min(s, r[0]), Math.max(e, r[1])];
    }
    kept.push([s, e]);
    this.ranges = kept.sort((a, b) => a[0] - b[0]);
  }
}

/** Returns the program unchanged, or throws an internal error listing every problem. */
export function verifyBackward(p: BackwardProgram): BackwardProgram {
  const problems = backwardProblems(p);
  if (problems.length > 0) throw new Error(`internal error: invalid backward program for map '${p.name}':\n  ${problems.join('\n  ')}`);
  return p;
}
