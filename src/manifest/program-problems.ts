/**
 * The invariants of a map's programs (program.ts) that the compiler promises and every executor
 * relies on: buffers declared once and sized as the ops use them, parameter slices inside the
 * packed layout, index maps that are permutations, blocks inside their matrix, and data flow (an
 * op reads only what was written before it). The compiler's verify passes report a failure as a
 * bug of its own; decodeManifest (check-manifest.ts) as a damaged manifest. Both read the
 * problems from here, so the knowledge is written once.
 */
import { assertNever } from '../util/assert.js';
import { indexMapProblems, product, type IndexMap } from './index-map.js';
import { paramOffsetAfter, type BackwardProgramData, type BsrShape, type KsShape, type OpData, type ParamSlice, type ProgramData, type ProgramHeader } from './program.js';

/** Logical (input, output) sizes of an op; a bias op reads nothing. */
export function opSizes(op: OpData): { in?: number; out: number } {
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

/** Elements of a block matmul's weight slice. */
function weightLength(op: KsShape | BsrShape): number {
  return op.kind === 'ks' ? op.a * op.d * op.b * op.c : op.blocks.length * op.bh * op.bw;
}

/** Element counts of the layout's tensors, with the problems of the layout itself. */
function layoutProblems(p: ProgramHeader, problems: string[]): Map<string, number> {
  const tensors = new Map<string, number>();
  let end = 0;
  for (const e of p.params) {
    if (tensors.has(e.name)) problems.push(`parameter '${e.name}' is declared twice`);
    // The compiled kernels read each tensor where the layout puts it: another offset (clear of the others or not) would
    // be followed by the CPU executor and not by them (QA2 s22 Q155: bias 104 -> 100 ran with errors of 20 on WebGPU).
    // That includes the layout of development versions before every dtype took 8 (f32 tensors at multiples of 4): a
    // file cannot tell it from an edited one (QA2 s22 Q155 b), so such a file is rebuilt, not guessed at.
    const at = paramOffsetAfter(end);
    if (e.offset !== at) problems.push(`parameter '${e.name}' at ${e.offset}: the packed layout puts it at ${at}, where the kernels read it`);
    end = e.offset + product(e.shape);
    tensors.set(e.name, product(e.shape));
  }
  if (end > p.paramSize) problems.push(`paramSize ${p.paramSize} is smaller than the layout (${end})`);
  return tensors;
}

/**
 * The problems of one block matmul's own fields: its weight slice, its index maps, its blocks. `transposed`: a backward
 * op's blocks are the forward op's swapped, (J, I), in the forward order.
 */
function matmulShapeProblems(where: string, op: KsShape | BsrShape, tensors: Map<string, number>, problems: string[], transposed = false): void {
  const { in: inSize, out: outSize } = op.kind === 'ks' ? { in: op.a * op.c * op.d, out: op.a * op.b * op.d } : { in: op.cols, out: op.rows };
  sliceProblems(where, op.weight, weightLength(op), tensors, problems);
  mapProblems(where, 'input', op.input, inSize, problems);
  mapProblems(where, 'output', op.output, outSize, problems);
  if (op.kind === 'bsr') blockProblems(where, op, transposed, problems);
}

/**
 * A bsr op's blocks: a grid of bh × bw blocks, each inside it, each once and in row-major order of (I, J), or of (J, I)
 * for a transposed op. The forward kernels read block k of a row's walk (the `csr` table, pattern.ts) as the k-th
 * block's values, the CPU executor and the reference read blocks[z]'s: a list in another order ran other numbers on
 * WebGPU (QA2 s23 Q251: two blocks swapped, 86% off; a block listed twice is no pattern of the language either).
 * The one statement of the rule: the compiler's verify pass checks its expression IR's bsr nodes with it too (REV s23 2).
 */
export function blockProblems(where: string, op: BsrShape, transposed: boolean, problems: string[]): void {
  if (op.rows % op.bh !== 0 || op.cols % op.bw !== 0) problems.push(`${where}: ${op.bh}×${op.bw} blocks do not tile its ${op.rows}×${op.cols} matrix`);
  // (A manifest's blocks are non-negative integers, its schema's check; the IR's are what the compiler made.)
  const outside = op.blocks.findIndex(([i, j]) => i < 0 || j < 0 || (i + 1) * op.bh > op.rows || (j + 1) * op.bw > op.cols);
  if (outside >= 0) problems.push(`${where}: block ${outside} (${op.blocks[outside].join(', ')}) lies outside the ${op.rows}×${op.cols} matrix of ${op.bh}×${op.bw} blocks`);
  // (Up to millions of blocks: one pass, no message made unless one is out of order.)
  const [major, minor] = transposed ? [1, 0] : [0, 1];
  const z = op.blocks.findIndex((b, z) => z > 0 && (b[major] - op.blocks[z - 1][major] || b[minor] - op.blocks[z - 1][minor]) <= 0);
  if (z > 0) {
    const order = transposed ? '(J, I), the forward blocks swapped in their order' : '(I, J)';
    problems.push(`${where}: block ${z} (${op.blocks[z].join(', ')}) does not follow block ${z - 1} (${op.blocks[z - 1].join(', ')}): a bsr op lists each block once, in row-major order of ${order}`);
  }
}

function sliceProblems(where: string, s: ParamSlice, length: number | undefined, tensors: Map<string, number>, problems: string[]): void {
  const size = tensors.get(s.tensor);
  if (size === undefined) problems.push(`${where}: unknown parameter tensor '${s.tensor}'`);
  else if (s.offset < 0 || s.offset + s.length > size) problems.push(`${where}: slice [${s.offset}:${s.offset + s.length}] outside '${s.tensor}'`);
  if (length !== undefined && s.length !== length) problems.push(`${where}: slice of '${s.tensor}' has ${s.length} elements, expected ${length}`);
}

function mapProblems(where: string, which: string, m: IndexMap, size: number, problems: string[]): void {
  if (m.size !== size) problems.push(`${where}: ${which} map has size ${m.size}, expected ${size}`);
  for (const q of indexMapProblems(m)) problems.push(`${where}: ${which} map: ${q}`);
}

/** What a program's buffers and tensors are, and which buffers are written so far. */
interface ProgramState {
  readonly tensors: Map<string, number>;
  readonly sizes: Map<string, number>;
  readonly written: Set<string>;
  /** Buffers whose value no op has read since it was written: an op accumulates into its destination exactly when it is one. */
  readonly unread: Set<string>;
  /** The program's input buffers, which no op may write. */
  readonly inputs: readonly string[];
}

/**
 * A ks, bsr or bias op of a forward or backward program, past how it reads its source (each
 * program checks that its own way): its weights or bias slice, its output map, and its
 * destination (sized, written before it accumulates, never an input); then marks it written.
 */
function mapOpProblems(where: string, op: OpData, state: ProgramState, problems: string[]): void {
  const outSize = opSizes(op).out;
  if (op.kind !== 'bias') {
    if (op.src === op.dst) problems.push(`${where}: reads and writes '${op.src}'`);
    matmulShapeProblems(where, op, state.tensors, problems, op.transposed === true);
    if (op.bias) sliceProblems(where, op.bias, outSize, state.tensors, problems);
  } else {
    sliceProblems(where, op.param, outSize, state.tensors, problems);
    mapProblems(where, 'output', op.output, outSize, problems);
  }
  if (state.sizes.get(op.dst) !== outSize) problems.push(`${where}: writes ${outSize} values to '${op.dst}' of size ${state.sizes.get(op.dst)}`);
  if (op.accumulate && !state.written.has(op.dst)) problems.push(`${where}: accumulates into '${op.dst}' before it is written`);
  // The kernels are compiled to add or to store as the flag says, the CPU executor reads the flag: one flipped in a file
  // (QA2 s22 Q155: a sum's last term storing over the others) would be followed by the CPU backend only.
  else if (!!op.accumulate !== state.unread.has(op.dst)) problems.push(`${where}: ${op.accumulate ? `accumulates into '${op.dst}', whose value an op read already` : `overwrites '${op.dst}', whose value no op read`}`);
  if (state.inputs.includes(op.dst)) problems.push(`${where}: writes ${state.inputs.length === 1 ? 'the input' : 'an input'}`);
  state.written.add(op.dst);
  state.unread.add(op.dst);
}

/** Buffers other than a program's inputs and outputs that no op uses (an executor would allocate them for nothing). */
function unusedProblems(buffers: readonly { readonly name: string }[], used: Set<string>, fixed: readonly string[], problems: string[]): void {
  for (const b of buffers) if (!fixed.includes(b.name) && !used.has(b.name)) problems.push(`buffer '${b.name}' is never used`);
}

export function programProblems(p: ProgramData): string[] {
  const problems: string[] = [];
  const sizes = new Map<string, number>();
  for (const b of p.buffers) {
    if (sizes.has(b.name)) problems.push(`buffer '${b.name}' declared twice`);
    sizes.set(b.name, b.size);
  }
  if (sizes.get('x') !== p.in) problems.push(`buffer x must have size ${p.in}`);
  if (sizes.get('y') !== p.out) problems.push(`buffer y must have size ${p.out}`);
  const tensors = layoutProblems(p, problems);

  const written = new Set(['x']);
  const unread = new Set<string>();
  p.ops.forEach((op, i) => {
    const where = `op ${i} (${op.kind})`;
    const inSize = opSizes(op).in;
    if (op.kind !== 'bias') {
      if (sizes.get(op.src) !== inSize) problems.push(`${where}: reads ${inSize} values from '${op.src}' of size ${sizes.get(op.src)}`);
      if (!written.has(op.src)) problems.push(`${where}: reads '${op.src}' before it is written`);
      unread.delete(op.src);
    }
    mapOpProblems(where, op, { tensors, sizes, written, unread, inputs: ['x'] }, problems);
  });
  if (!written.has('y')) problems.push('y is never written');
  unusedProblems(p.buffers, written, ['x', 'y'], problems);
  return problems;
}

/**
 * The backward program's invariants besides the forward ones: partial buffers match their
 * reductions, `dx` is written (or zeroed), and the gradient buffer receives every element of
 * every parameter tensor exactly once before any accumulation.
 */
export function backwardProblems(p: BackwardProgramData): string[] {
  const problems: string[] = [];
  const sizes = new Map(p.buffers.map((b) => [b.name, b.size]));
  const partialSizes = new Map(p.partials.map((b) => [b.name, b.size]));
  if (sizes.size !== p.buffers.length) problems.push('a buffer is declared twice');
  if (partialSizes.size !== p.partials.length) problems.push('a partial buffer is declared twice');
  for (const [name, size] of [['x', p.in], ['dx', p.in], ['dy', p.out]] as const) {
    if (sizes.get(name) !== size) problems.push(`buffer ${name} must have size ${size}`);
  }
  const tensors = layoutProblems(p, problems);
  const written = new Set(['x', 'dy']);
  const unread = new Set<string>();
  const used = new Set<string>();
  const partialsWritten = new Set<string>();
  /** Per tensor: the ranges written by reduces so far (work per op, not per parameter element). */
  const covered = new Map([...tensors.keys()].map((name) => [name, new CoveredRanges()]));

  const read = (where: string, name: string, size: number) => {
    if (sizes.get(name) !== size) problems.push(`${where}: reads ${size} values from '${name}' of size ${sizes.get(name)}`);
    if (!written.has(name)) problems.push(`${where}: reads '${name}' before it is written`);
    used.add(name);
    unread.delete(name);
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
        if (op.kind !== 'bias') read(where, op.src, opSizes(op).in!);
        mapOpProblems(where, op, { tensors, sizes, written, unread, inputs: ['x', 'dy'] }, problems);
        used.add(op.dst);
        return;
      }
      case 'wgrad': {
        const f = op.forward;
        const [inSize, outSize] = f.kind === 'ks' ? [f.a * f.c * f.d, f.a * f.b * f.d] : [f.cols, f.rows];
        read(where, op.src, inSize);
        read(where, op.dy, outSize);
        matmulShapeProblems(where, f, tensors, problems);
        writePartial(where, op.dst, f.weight.length);
        return;
      }
      case 'bgrad':
        read(where, op.dy, op.size);
        mapProblems(where, 'output', op.output, op.size, problems);
        writePartial(where, op.dst, op.size);
        return;
      case 'reduce': {
        if (!partialsWritten.has(op.src)) problems.push(`${where}: reduces '${op.src}' before it is written`);
        if (partialSizes.get(op.src) !== op.grad.length) problems.push(`${where}: reduces ${op.grad.length} values from partial '${op.src}' of size ${partialSizes.get(op.src)}`);
        sliceProblems(where, op.grad, undefined, tensors, problems);
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
  unusedProblems(p.buffers, used, ['x', 'dx', 'dy'], problems);
  unusedProblems(p.partials, partialsWritten, [], problems);
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
