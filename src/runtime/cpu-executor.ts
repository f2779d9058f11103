/**
 * The CPU backend: runs a scheduled Program in float64, op by op, with exactly the semantics GPU
 * kernels implement (ir.ts): index maps on reads and writes, accumulate, bias epilogues, and
 * buffers of row-major (batch, size). Slow and simple on purpose; also the oracle for kernels.
 */
import { indexMapTable } from '../ir/index-map.js';
import type { BiasOp, BsrOp, KsOp, Op, ParamLayoutEntry, ParamSlice, Program } from '../ir/ir.js';
import { assertNever } from '../util/assert.js';

/** Y (batch, program.out) for X (batch, program.in) and the packed parameter buffer. */
export function executeProgram(program: Program, packedParams: ArrayLike<number>, x: ArrayLike<number>, batch: number): Float64Array {
  if (!Number.isInteger(batch) || batch < 0) throw new Error(`batch must be a non-negative integer, got ${batch}`);
  if (x.length !== batch * program.in) throw new Error(`input has ${x.length} values; expected batch ${batch} x ${program.in}`);
  if (packedParams.length < program.paramSize) throw new Error(`packed parameters have ${packedParams.length} elements; map '${program.name}' needs ${program.paramSize}`);
  const buffers = new Map(program.buffers.map((b) => [b.name, { size: b.size, data: new Float64Array(batch * b.size) }]));
  const buffer = (name: string) => {
    const b = buffers.get(name);
    if (!b) throw new Error(`internal error: op uses undeclared buffer '${name}'`);
    return b;
  };
  buffer('x').data.set(x);
  runOps(program.ops, program.params, packedParams, buffer, batch);
  return buffer('y').data;
}

/** A buffer of `size` values per row, (batch, size) row-major. */
export interface CpuBuffer {
  readonly size: number;
  readonly data: Float64Array;
}

/** Runs `ops` in order on the buffers `buffer(name)` gives (the tuner checks single kernels with it). */
export function runOps(
  ops: readonly Op[],
  layout: readonly ParamLayoutEntry[],
  packedParams: ArrayLike<number>,
  buffer: (name: string) => CpuBuffer,
  batch: number,
): void {
  const base = (slice: ParamSlice): number => {
    const entry = layout.find((p) => p.name === slice.tensor);
    if (!entry) throw new Error(`internal error: parameter tensor '${slice.tensor}' is not in the layout`);
    return entry.offset + slice.offset;
  };
  const ctx = { params: packedParams, batch, buffer, base };
  for (const op of ops) {
    switch (op.kind) {
      case 'ks':
        runKs(op, ctx);
        break;
      case 'bsr':
        runBsr(op, ctx);
        break;
      case 'bias':
        runBias(op, ctx);
        break;
      default:
        assertNever(op, 'op');
    }
  }
}

interface Context {
  readonly params: ArrayLike<number>;
  readonly batch: number;
  readonly buffer: (name: string) => CpuBuffer;
  readonly base: (slice: ParamSlice) => number;
}

/** Writes a row's logical result r: dst[output(l)] (=|+=) r[l] + bias[l]. */
function writeRow(result: Float64Array, outTable: Int32Array, dst: Float64Array, dstBase: number, accumulate: boolean, params: ArrayLike<number>, biasBase: number | undefined): void {
  for (let l = 0; l < result.length; l++) {
    const v = result[l] + (biasBase === undefined ? 0 : params[biasBase + l]);
    const o = dstBase + outTable[l];
    dst[o] = accumulate ? dst[o] + v : v;
  }
}

function runKs(op: KsOp, ctx: Context): void {
  const { a, b, c, d } = op;
  const inTable = indexMapTable(op.input);
  const outTable = indexMapTable(op.output);
  const src = ctx.buffer(op.src);
  const dst = ctx.buffer(op.dst);
  const w = ctx.base(op.weight);
  const biasBase = op.bias && ctx.base(op.bias);
  const result = new Float64Array(a * b * d);
  for (let row = 0; row < ctx.batch; row++) {
    const srcBase = row * src.size;
    for (let al = 0; al < a; al++)
      for (let be = 0; be < b; be++)
        for (let de = 0; de < d; de++) {
          const wBase = w + ((al * d + de) * b + be) * c;
          let acc = 0;
          for (let ga = 0; ga < c; ga++) acc += ctx.params[wBase + ga] * src.data[srcBase + inTable[al * c * d + ga * d + de]];
          result[al * b * d + be * d + de] = acc;
        }
    writeRow(result, outTable, dst.data, row * dst.size, op.accumulate, ctx.params, biasBase);
  }
}

function runBsr(op: BsrOp, ctx: Context): void {
  const inTable = indexMapTable(op.input);
  const outTable = indexMapTable(op.output);
  const src = ctx.buffer(op.src);
  const dst = ctx.buffer(op.dst);
  const w = ctx.base(op.weight);
  const biasBase = op.bias && ctx.base(op.bias);
  const result = new Float64Array(op.rows);
  for (let row = 0; row < ctx.batch; row++) {
    const srcBase = row * src.size;
    result.fill(0);
    op.blocks.forEach(([bi, bj], z) => {
      for (let i = 0; i < op.bh; i++) {
        const wBase = w + (z * op.bh + i) * op.bw;
        let acc = 0;
        for (let j = 0; j < op.bw; j++) acc += ctx.params[wBase + j] * src.data[srcBase + inTable[bj * op.bw + j]];
        result[bi * op.bh + i] += acc;
      }
    });
    writeRow(result, outTable, dst.data, row * dst.size, op.accumulate, ctx.params, biasBase);
  }
}

function runBias(op: BiasOp, ctx: Context): void {
  const outTable = indexMapTable(op.output);
  const dst = ctx.buffer(op.dst);
  const zero = new Float64Array(op.size);
  for (let row = 0; row < ctx.batch; row++) writeRow(zero, outTable, dst.data, row * dst.size, op.accumulate, ctx.params, ctx.base(op.param));
}
