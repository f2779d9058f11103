/**
 * The CPU backend: runs a map's scheduled program (manifest/program.ts) in float64, op by op,
 * with exactly the semantics GPU kernels implement: index maps on reads and writes, accumulate,
 * bias epilogues, and buffers of row-major (batch, size). Slow and simple on purpose; also the
 * oracle for kernels.
 */
import { indexMapTable } from '../manifest/index-map.js';
import type {
  BackwardOpData,
  BackwardProgramData,
  BiasGradOpData,
  BiasOpData,
  BsrOpData,
  KsOpData,
  ParamLayoutEntry,
  ParamSlice,
  ProgramData,
  ReduceOpData,
  WeightGradOpData,
} from '../manifest/program.js';
import { listedBlocks } from '../manifest/manifest-file.js';
import { assertNever } from '../util/assert.js';
import { MoncError } from '../util/error.js';

/** Y (batch, program.out) for X (batch, program.in) and the packed parameter buffer. */
export function executeProgram(program: ProgramData, packedParams: ArrayLike<number>, x: ArrayLike<number>, batch: number): Float64Array {
  if (!Number.isInteger(batch) || batch < 0) throw new MoncError('shape', `batch must be a non-negative integer, got ${batch}`);
  if (x.length !== batch * program.in) throw new MoncError('shape', `input has ${x.length} values; expected batch ${batch} x ${program.in}`);
  if (packedParams.length < program.paramSize) throw new MoncError('param', `packed parameters have ${packedParams.length} elements; map '${program.name}' needs ${program.paramSize}`);
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

/** What gradient ops (backward programs) write to: partial buffers and the packed gradient buffer. */
export interface CpuGradientTarget {
  /** Partial buffer `name`: (splits, size) row-major. */
  readonly partial: (name: string) => CpuBuffer;
  /** Packed like the parameters. */
  readonly grad: Float64Array;
  readonly rowsPerSplit: number;
}

/**
 * Runs `ops` in order on the buffers `buffer(name)` gives (the tuner checks single kernels with
 * it). Gradient ops need `gradients`.
 */
export function runOps(
  ops: readonly BackwardOpData[],
  layout: readonly ParamLayoutEntry[],
  packedParams: ArrayLike<number>,
  buffer: (name: string) => CpuBuffer,
  batch: number,
  gradients?: CpuGradientTarget,
): void {
  const base = (slice: ParamSlice): number => {
    const entry = layout.find((p) => p.name === slice.tensor);
    if (!entry) throw new Error(`internal error: parameter tensor '${slice.tensor}' is not in the layout`);
    return entry.offset + slice.offset;
  };
  const ctx: Context = { params: packedParams, batch, buffer, base, gradients };
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
      case 'wgrad':
        runWeightGrad(op, ctx);
        break;
      case 'bgrad':
        runBiasGrad(op, ctx);
        break;
      case 'reduce':
        runReduce(op, ctx);
        break;
      default:
        assertNever(op, 'op');
    }
  }
}

/** dx (batch, in) and the packed parameter gradients for X (batch, in) and DY (batch, out). */
export function executeBackwardProgram(
  program: BackwardProgramData,
  packedParams: ArrayLike<number>,
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  batch: number,
): { dx: Float64Array; grad: Float64Array } {
  if (!Number.isInteger(batch) || batch < 0) throw new MoncError('shape', `batch must be a non-negative integer, got ${batch}`);
  if (x.length !== batch * program.in) throw new MoncError('shape', `input has ${x.length} values; expected batch ${batch} x ${program.in}`);
  if (dy.length !== batch * program.out) throw new MoncError('shape', `output gradient has ${dy.length} values; expected batch ${batch} x ${program.out}`);
  if (packedParams.length < program.paramSize) throw new MoncError('param', `packed parameters have ${packedParams.length} elements; map '${program.name}' needs ${program.paramSize}`);
  const buffers = new Map(program.buffers.map((b) => [b.name, { size: b.size, data: new Float64Array(batch * b.size) }]));
  const splits = Math.ceil(batch / program.rowsPerSplit);
  const partials = new Map(program.partials.map((b) => [b.name, { size: b.size, data: new Float64Array(splits * b.size) }]));
  const lookup = (map: ReadonlyMap<string, CpuBuffer>, name: string) => {
    const b = map.get(name);
    if (!b) throw new Error(`internal error: op uses undeclared buffer '${name}'`);
    return b;
  };
  lookup(buffers, 'x').data.set(x);
  lookup(buffers, 'dy').data.set(dy);
  const grad = new Float64Array(program.paramSize);
  // Fresh buffers are zero: `zeroInputGradient` needs nothing more here.
  runOps(program.ops, program.params, packedParams, (name) => lookup(buffers, name), batch, {
    partial: (name) => lookup(partials, name),
    grad,
    rowsPerSplit: program.rowsPerSplit,
  });
  return { dx: lookup(buffers, 'dx').data, grad };
}

interface Context {
  readonly params: ArrayLike<number>;
  readonly batch: number;
  readonly buffer: (name: string) => CpuBuffer;
  readonly base: (slice: ParamSlice) => number;
  readonly gradients?: CpuGradientTarget;
}

function gradientTarget(ctx: Context, kind: string): CpuGradientTarget {
  if (!ctx.gradients) throw new Error(`internal error: a ${kind} op outside a backward program`);
  return ctx.gradients;
}

/** Writes a row's logical result r: dst[output(l)] (=|+=) r[l] + bias[l]. */
function writeRow(result: Float64Array, outTable: Int32Array, dst: Float64Array, dstBase: number, accumulate: boolean, params: ArrayLike<number>, biasBase: number | undefined): void {
  for (let l = 0; l < result.length; l++) {
    const v = result[l] + (biasBase === undefined ? 0 : params[biasBase + l]);
    const o = dstBase + outTable[l];
    dst[o] = accumulate ? dst[o] + v : v;
  }
}

function runKs(op: KsOpData, ctx: Context): void {
  const { a, b, c, d } = op;
  const inTable = indexMapTable(op.input);
  const outTable = indexMapTable(op.output);
  const src = ctx.buffer(op.src);
  const dst = ctx.buffer(op.dst);
  const w = ctx.base(op.weight);
  const biasBase = op.bias && ctx.base(op.bias);
  const result = new Float64Array(a * b * d);
  // W[α·d + δ, β, γ] at wBase + γ·wStride; transposed: the stored block is (c, b).
  const wStride = op.transposed ? b : 1;
  for (let row = 0; row < ctx.batch; row++) {
    const srcBase = row * src.size;
    for (let al = 0; al < a; al++)
      for (let be = 0; be < b; be++)
        for (let de = 0; de < d; de++) {
          const wBase = w + (al * d + de) * b * c + (op.transposed ? be : be * c);
          let acc = 0;
          for (let ga = 0; ga < c; ga++) acc += ctx.params[wBase + ga * wStride] * src.data[srcBase + inTable[al * c * d + ga * d + de]];
          result[al * b * d + be * d + de] = acc;
        }
    writeRow(result, outTable, dst.data, row * dst.size, op.accumulate, ctx.params, biasBase);
  }
}

function runBsr(op: BsrOpData, ctx: Context): void {
  const inTable = indexMapTable(op.input);
  const outTable = indexMapTable(op.output);
  const src = ctx.buffer(op.src);
  const dst = ctx.buffer(op.dst);
  const w = ctx.base(op.weight);
  const biasBase = op.bias && ctx.base(op.bias);
  const result = new Float64Array(op.rows);
  const blocks = listedBlocks(op);
  for (let row = 0; row < ctx.batch; row++) {
    const srcBase = row * src.size;
    result.fill(0);
    blocks.forEach(([bi, bj], z) => {
      for (let i = 0; i < op.bh; i++) {
        // values[z, i, j]; transposed: the stored block is (bw, bh).
        const wBase = w + z * op.bh * op.bw + (op.transposed ? i : i * op.bw);
        const wStride = op.transposed ? op.bh : 1;
        let acc = 0;
        for (let j = 0; j < op.bw; j++) acc += ctx.params[wBase + j * wStride] * src.data[srcBase + inTable[bj * op.bw + j]];
        result[bi * op.bh + i] += acc;
      }
    });
    writeRow(result, outTable, dst.data, row * dst.size, op.accumulate, ctx.params, biasBase);
  }
}

function runBias(op: BiasOpData, ctx: Context): void {
  const outTable = indexMapTable(op.output);
  const dst = ctx.buffer(op.dst);
  const zero = new Float64Array(op.size);
  for (let row = 0; row < ctx.batch; row++) writeRow(zero, outTable, dst.data, row * dst.size, op.accumulate, ctx.params, ctx.base(op.param));
}

/** How many splits of g.rowsPerSplit rows cover the batch (each has its own partial row). */
function splitCount(g: CpuGradientTarget, batch: number): number {
  return Math.ceil(batch / g.rowsPerSplit);
}

/**
 * For each batch split s: zeroes s's row of `partial`, then calls `add(part, row)` for every
 * batch row of s, `part` being that row of the partial buffer.
 */
function accumulateSplits(g: CpuGradientTarget, batch: number, partial: CpuBuffer, add: (part: Float64Array, row: number) => void): void {
  const splits = splitCount(g, batch);
  for (let s = 0; s < splits; s++) {
    const part = partial.data.subarray(s * partial.size, (s + 1) * partial.size);
    part.fill(0);
    const end = Math.min(batch, (s + 1) * g.rowsPerSplit);
    for (let row = s * g.rowsPerSplit; row < end; row++) add(part, row);
  }
}

function runWeightGrad(op: WeightGradOpData, ctx: Context): void {
  const g = gradientTarget(ctx, 'wgrad');
  const f = op.forward;
  const inTable = indexMapTable(f.input);
  const outTable = indexMapTable(f.output);
  const src = ctx.buffer(op.src);
  const dy = ctx.buffer(op.dy);
  accumulateSplits(g, ctx.batch, g.partial(op.dst), (part, row) => {
    const x = (k: number) => src.data[row * src.size + inTable[k]];
    const e = (l: number) => dy.data[row * dy.size + outTable[l]];
    if (f.kind === 'ks') {
      const { a, b, c, d } = f;
      for (let al = 0; al < a; al++)
        for (let de = 0; de < d; de++)
          for (let be = 0; be < b; be++) {
            const ev = e(al * b * d + be * d + de);
            const wBase = ((al * d + de) * b + be) * c;
            for (let ga = 0; ga < c; ga++) part[wBase + ga] += ev * x(al * c * d + ga * d + de);
          }
    } else {
      listedBlocks(f).forEach(([bi, bj], z) => {
        for (let i = 0; i < f.bh; i++) {
          const ev = e(bi * f.bh + i);
          for (let j = 0; j < f.bw; j++) part[(z * f.bh + i) * f.bw + j] += ev * x(bj * f.bw + j);
        }
      });
    }
  });
}

function runBiasGrad(op: BiasGradOpData, ctx: Context): void {
  const g = gradientTarget(ctx, 'bgrad');
  const outTable = indexMapTable(op.output);
  const dy = ctx.buffer(op.dy);
  accumulateSplits(g, ctx.batch, g.partial(op.dst), (part, row) => {
    for (let i = 0; i < op.size; i++) part[i] += dy.data[row * dy.size + outTable[i]];
  });
}

function runReduce(op: ReduceOpData, ctx: Context): void {
  const g = gradientTarget(ctx, 'reduce');
  const src = g.partial(op.src);
  const at = ctx.base(op.grad);
  const splits = splitCount(g, ctx.batch);
  for (let i = 0; i < op.grad.length; i++) {
    let acc = 0;
    for (let s = 0; s < splits; s++) acc += src.data[s * src.size + i];
    g.grad[at + i] = op.accumulate ? g.grad[at + i] + acc : acc;
  }
}
