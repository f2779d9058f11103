/**
 * verify-program: the invariants a scheduled Program promises to codegen and the runtime.
 * Buffers and op sizes agree, slices lie inside the packed layout, and data flows: an op reads
 * only buffers fully written before it, the first write of a value overwrites, and `y` is
 * written. A failure is a compiler bug.
 */
import { assertNever } from '../../util/assert.js';
import { indexMapProblems, product } from '../index-map.js';
import type { IndexMap, Op, ParamSlice, Program } from '../ir.js';

/** Logical (input, output) sizes of an op; a BiasOp reads nothing. */
export function opSizes(op: Op): { in?: number; out: number } {
  switch (op.kind) {
    case 'ks':
      return { in: op.a * op.c * op.d, out: op.a * op.b * op.d };
    case 'bsr':
      return { in: op.cols, out: op.rows };
    case 'bias':
      return { out: op.size };
    default:
      return assertNever(op, 'op');
  }
}

export function programProblems(p: Program): string[] {
  const problems: string[] = [];
  const sizes = new Map<string, number>();
  for (const b of p.buffers) {
    if (sizes.has(b.name)) problems.push(`buffer '${b.name}' declared twice`);
    sizes.set(b.name, b.size);
  }
  if (sizes.get('x') !== p.in) problems.push(`buffer x must have size ${p.in}`);
  if (sizes.get('y') !== p.out) problems.push(`buffer y must have size ${p.out}`);

  const tensors = new Map<string, number>();
  let end = 0;
  for (const e of p.params) {
    if (e.offset < end) problems.push(`parameter '${e.name}' at ${e.offset} overlaps the previous one`);
    end = e.offset + product(e.shape);
    tensors.set(e.name, product(e.shape));
  }
  if (end > p.paramSize) problems.push(`paramSize ${p.paramSize} is smaller than the layout (${end})`);

  const written = new Set(['x']);
  p.ops.forEach((op, i) => {
    const where = `op ${i} (${op.kind})`;
    const slice = (s: ParamSlice, length: number) => {
      const size = tensors.get(s.tensor);
      if (size === undefined) problems.push(`${where}: unknown parameter tensor '${s.tensor}'`);
      else if (s.offset < 0 || s.offset + s.length > size) problems.push(`${where}: slice [${s.offset}:${s.offset + s.length}] outside '${s.tensor}'`);
      if (s.length !== length) problems.push(`${where}: slice of '${s.tensor}' has ${s.length} elements, expected ${length}`);
    };
    const map = (which: string, m: IndexMap, size: number) => {
      if (m.size !== size) problems.push(`${where}: ${which} map has size ${m.size}, expected ${size}`);
      for (const q of indexMapProblems(m)) problems.push(`${where}: ${which} map: ${q}`);
    };
    const { in: inSize, out: outSize } = opSizes(op);
    if (op.kind !== 'bias') {
      if (sizes.get(op.src) !== inSize) problems.push(`${where}: reads ${inSize} values from '${op.src}' of size ${sizes.get(op.src)}`);
      if (!written.has(op.src)) problems.push(`${where}: reads '${op.src}' before it is written`);
      if (op.src === op.dst) problems.push(`${where}: reads and writes '${op.src}'`);
      slice(op.weight, op.kind === 'ks' ? op.a * op.d * op.b * op.c : op.blocks.length * op.bh * op.bw);
      map('input', op.input, inSize!);
      if (op.bias) slice(op.bias, outSize);
    } else {
      slice(op.param, outSize);
    }
    map('output', op.output, outSize);
    if (sizes.get(op.dst) !== outSize) problems.push(`${where}: writes ${outSize} values to '${op.dst}' of size ${sizes.get(op.dst)}`);
    if (op.accumulate && !written.has(op.dst)) problems.push(`${where}: accumulates into '${op.dst}' before it is written`);
    if (op.dst === 'x') problems.push(`${where}: writes the input`);
    written.add(op.dst);
  });
  if (!written.has('y')) problems.push('y is never written');
  return problems;
}

/** Returns the program unchanged, or throws an internal error listing every problem. */
export function verifyProgram(p: Program): Program {
  const problems = programProblems(p);
  if (problems.length > 0) throw new Error(`internal error: invalid program for map '${p.name}':\n  ${problems.join('\n  ')}`);
  return p;
}
