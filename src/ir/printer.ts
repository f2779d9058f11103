/**
 * Deterministic text for the IR (`monc check --ir`, pass tests). The expression form is read back
 * by parse.ts; spans are not printed. Example:
 *
 *   map up : 1024 -> 4096 f32
 *   param up.blkdiag1 (32,128,32)
 *   param up.blkdiag2 (32,128,128)
 *   chain
 *     ks(a=32 b=128 c=32 d=1) w=up.blkdiag1[0:131072] in=[] out=[] pair=0.0
 *     ks(a=1 b=128 c=128 d=32) w=up.blkdiag2[0:524288] in=[] out=[] pair=0.1
 *
 * An index map prints as its steps, `(shape):(perm)` each, applied left to right; `[]` is the
 * identity. A slice prints as `tensor[start:end]` (elements). `pair=<group>.<stage>` is a
 * block matmul's Monarch pair mark (ir.ts PairMark).
 */
import { assertNever } from '../util/assert.js';
import { argumentError, isRecord } from '../util/library-arguments.js';
import { checkProgramArgument } from './program-argument.js';
import type { BackwardOp, BackwardProgram, BiasExpr, BsrExpr, IndexMap, IrExpr, IrMap, KsExpr, Op, ParamSlice, Program } from './ir.js';

// The printers are library entries (monc, monc/compiler): what JavaScript may pass is checked by name.
export function printIndexMap(map: IndexMap): string {
  if (!(isRecord(map) && Array.isArray(map.steps))) throw argumentError('printIndexMap', 'map must be an index map (an op\'s input or output)', map);
  return `[${map.steps.map((s) => `(${s.shape.join(',')}):(${s.perm.join(',')})`).join(' ')}]`;
}

export function printSlice(slice: ParamSlice): string {
  if (!(isRecord(slice) && typeof slice.tensor === 'string' && typeof slice.offset === 'number' && typeof slice.length === 'number')) {
    throw argumentError('printSlice', 'slice must be a parameter slice { tensor, offset, length }', slice);
  }
  return `${slice.tensor}[${slice.offset}:${slice.offset + slice.length}]`;
}

function printShape(shape: readonly number[]): string {
  return `(${shape.join(',')})`;
}

type KsFields = Omit<KsExpr, 'kind' | 'span'>;
type BsrFields = Omit<BsrExpr, 'kind' | 'span'>;
type BiasFields = Omit<BiasExpr, 'kind' | 'span'>;

function printKs(e: KsFields): string {
  const pair = e.pair ? ` pair=${e.pair.group}.${e.pair.stage}` : '';
  return `ks(a=${e.a} b=${e.b} c=${e.c} d=${e.d}) w=${printSlice(e.weight)} in=${printIndexMap(e.input)} out=${printIndexMap(e.output)}${pair}`;
}

function printBsr(e: BsrFields): string {
  const blocks = e.blocks.map(([i, j]) => `(${i},${j})`).join(' ');
  return `bsr(rows=${e.rows} cols=${e.cols} bh=${e.bh} bw=${e.bw}) blocks=[${blocks}] w=${printSlice(e.weight)} in=${printIndexMap(e.input)} out=${printIndexMap(e.output)}`;
}

function printBias(e: BiasFields): string {
  return `bias(size=${e.size}) b=${printSlice(e.param)} out=${printIndexMap(e.output)}`;
}

/** The fields each IR node's printing reads: what printIrExpr checks of what JavaScript passes, at every level. */
const IR_NODE_FIELDS: Readonly<Record<IrExpr['kind'], readonly string[]>> = {
  ks: ['weight', 'input', 'output'],
  bsr: ['blocks', 'weight', 'input', 'output'],
  perm: ['map'],
  bias: ['param', 'output'],
  chain: ['stages'],
  sum: ['terms'],
};

export function printIrExpr(e: IrExpr, depth = 0): string {
  const fields = isRecord(e) && typeof e.kind === 'string' && Object.hasOwn(IR_NODE_FIELDS, e.kind) ? IR_NODE_FIELDS[e.kind as IrExpr['kind']] : undefined;
  if (!fields || !fields.every((f) => isRecord((e as unknown as Record<string, unknown>)[f]))) throw argumentError('printIrExpr', "e must be an IR expression (an IR map's body)", e);
  if (!(Number.isSafeInteger(depth) && depth >= 0)) throw argumentError('printIrExpr', 'depth must be a whole number of levels', depth);
  const pad = '  '.repeat(depth);
  switch (e.kind) {
    case 'ks':
      return pad + printKs(e);
    case 'bsr':
      return pad + printBsr(e);
    case 'perm':
      return `${pad}perm(size=${e.map.size}) map=${printIndexMap(e.map)}`;
    case 'bias':
      return pad + printBias(e);
    case 'chain':
      return [`${pad}chain`, ...e.stages.map((s) => printIrExpr(s, depth + 1))].join('\n');
    case 'sum':
      return [`${pad}sum`, ...e.terms.map((t) => printIrExpr(t, depth + 1))].join('\n');
    default:
      return assertNever(e, 'IR node');
  }
}

export function printIrMap(map: IrMap): string {
  if (!(isRecord(map) && typeof map.name === 'string' && Array.isArray(map.params) && isRecord(map.body))) throw argumentError('printIrMap', 'map must be an IR map (optimizeMap(...).result)', map);
  return [
    `map ${map.name} : ${map.in} -> ${map.out} ${map.dtype}`,
    ...map.params.map((p) => `param ${p.name} ${printShape(p.shape)}`),
    printIrExpr(map.body),
  ].join('\n') + '\n';
}

function printOp(op: Op, index: number): string {
  const assign = `op ${index}: ${op.dst} ${op.accumulate ? '+=' : '='}`;
  switch (op.kind) {
    case 'ks':
    case 'bsr': {
      const body = op.kind === 'ks' ? printKs(op) : printBsr(op);
      return `${assign} ${body}${op.transposed ? ' transposed' : ''} src=${op.src}${op.bias ? ` bias=${printSlice(op.bias)}` : ''}`;
    }
    case 'bias':
      return `${assign} ${printBias(op)}`;
    default:
      return assertNever(op, 'op');
  }
}

export function printProgram(p: Program): string {
  checkProgramArgument('printProgram', p, 'forward');
  return [
    `program ${p.name} : ${p.in} -> ${p.out} ${p.dtype}`,
    ...p.params.map((e) => `param ${e.name} ${printShape(e.shape)} @${e.offset}`),
    `paramSize ${p.paramSize}`,
    `buffers ${p.buffers.map((b) => `${b.name}[${b.size}]`).join(' ')}`,
    ...p.ops.map(printOp),
  ].join('\n') + '\n';
}

/**
 * A backward program: like a program, plus its partial buffers and gradient ops:
 *   op 7: p0 = wgrad ks(a=4 b=8 c=8 d=1) w=… in=[] out=[] src=x dy=dv0
 *   op 8: grad m.weight[0:256] = reduce p0
 */
function printBackwardOp(op: BackwardOp, index: number): string {
  switch (op.kind) {
    case 'ks':
    case 'bsr':
    case 'bias':
      return printOp(op, index);
    case 'wgrad': {
      const shape = op.forward.kind === 'ks' ? printKs(op.forward) : printBsr(op.forward);
      return `op ${index}: ${op.dst} = wgrad ${shape} src=${op.src} dy=${op.dy}`;
    }
    case 'bgrad':
      return `op ${index}: ${op.dst} = bgrad(size=${op.size}) out=${printIndexMap(op.output)} dy=${op.dy}`;
    case 'reduce':
      return `op ${index}: grad ${printSlice(op.grad)} ${op.accumulate ? '+=' : '='} reduce ${op.src}`;
    default:
      return assertNever(op, 'backward op');
  }
}

export function printBackwardProgram(p: BackwardProgram): string {
  return [
    `backward ${p.name} : ${p.in} -> ${p.out} ${p.dtype}`,
    ...p.params.map((e) => `param ${e.name} ${printShape(e.shape)} @${e.offset}`),
    `paramSize ${p.paramSize}`,
    `buffers ${p.buffers.map((b) => `${b.name}[${b.size}]`).join(' ')}`,
    `partials ${p.partials.map((b) => `${b.name}[${b.size}]`).join(' ')} rowsPerSplit ${p.rowsPerSplit}`,
    ...(p.zeroInputGradient ? ['dx = 0'] : []),
    ...p.ops.map(printBackwardOp),
  ].join('\n') + '\n';
}
