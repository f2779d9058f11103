/**
 * Hand-built ops for the kernel benchmarks and tests, exactly as the pipeline lowers them:
 * monarch(nblocks: k) is op0 = K(k, q, p, 1) x -> t0 (blkdiag1) then op1 = K(1, s, r, k) t0 -> y
 * (blkdiag2), identity index maps; dense is K(1, m, n, 1); sparse(block: [bh, bw], pattern) is
 * one bsr op x -> y over `values` (nnz, bh, bw).
 */
import { syntheticSpan } from '../src/dsl/span.js';
import { flatButterflyBlocks } from '../src/dsl/patterns.js';
import type { BsrOp, IndexMap, KsOp, Op, ParamLayoutEntry } from '../src/ir/ir.js';
import type { KernelContext, StorageType } from '../src/codegen/wgsl/scaffold.js';
import type { KernelCase } from '../src/tuner/kernel-check.js';

const span = syntheticSpan('<bench>');
const identity = (size: number): IndexMap => ({ size, steps: [] });

export interface OpsCase<O extends Op = KsOp> {
  readonly name: string;
  readonly ops: readonly O[];
  readonly params: readonly ParamLayoutEntry[];
  readonly paramSize: number;
  readonly buffers: readonly { readonly name: string; readonly size: number }[];
  readonly in: number;
  readonly out: number;
  /** Multiply-adds ×2 per batch row. */
  readonly flopsPerRow: number;
}

export function ks(a: number, b: number, c: number, d: number, src: string, dst: string, tensor: string, extra: Partial<KsOp> = {}): KsOp {
  return {
    kind: 'ks', a, b, c, d, src, dst, accumulate: false, span,
    weight: { tensor, offset: 0, length: a * d * b * c },
    input: identity(a * c * d), output: identity(a * b * d),
    ...extra,
  };
}

function layout(tensors: readonly (readonly [string, readonly number[]])[]): { params: ParamLayoutEntry[]; paramSize: number } {
  let offset = 0;
  const params = tensors.map(([name, shape]) => {
    const e = { name, shape, offset };
    offset += shape.reduce((p, v) => p * v, 1);
    return e;
  });
  return { params, paramSize: offset };
}

export function monarchCase(n: number, m: number, k: number): OpsCase {
  const p = n / k;
  const s = m / k;
  const q = n <= m ? p : s;
  const r = q;
  const op0 = ks(k, q, p, 1, 'x', 't0', 'blkdiag1');
  const op1 = ks(1, s, r, k, 't0', 'y', 'blkdiag2');
  return {
    name: `monarch(n=${n},m=${m},nblocks=${k})`,
    ops: [op0, op1],
    ...layout([['blkdiag1', [k, q, p]], ['blkdiag2', [k, s, r]]]),
    buffers: [{ name: 'x', size: n }, { name: 't0', size: k * q }, { name: 'y', size: m }],
    in: n,
    out: m,
    flopsPerRow: 2 * (k * q * p + k * s * r),
  };
}

export function denseCase(n: number, m: number): OpsCase {
  return {
    name: `dense(${n}->${m})`,
    ops: [ks(1, m, n, 1, 'x', 'y', 'weight')],
    ...layout([['weight', [m, n]]]),
    buffers: [{ name: 'x', size: n }, { name: 'y', size: m }],
    in: n,
    out: m,
    flopsPerRow: 2 * n * m,
  };
}

/**
 * sparse(block: [bh, bw]) of an (m, n) matrix with the given blocks (row-major), as one op
 * x -> y; `bias` adds a `bias` tensor that the op's epilogue adds.
 */
export function bsrCase(
  m: number,
  n: number,
  bh: number,
  bw: number,
  blocks: readonly (readonly [number, number])[],
  opts: { readonly input?: IndexMap; readonly output?: IndexMap; readonly accumulate?: boolean; readonly bias?: boolean } = {},
): OpsCase<BsrOp> {
  const op: BsrOp = {
    kind: 'bsr', rows: m, cols: n, bh, bw, blocks, src: 'x', dst: 'y', accumulate: opts.accumulate ?? false, span,
    weight: { tensor: 'values', offset: 0, length: blocks.length * bh * bw },
    input: opts.input ?? identity(n), output: opts.output ?? identity(m),
    ...(opts.bias ? { bias: { tensor: 'bias', offset: 0, length: m } } : {}),
  };
  return {
    name: `sparse(${m}x${n}, block ${bh}x${bw}, ${blocks.length} blocks)`,
    ops: [op],
    ...layout([['values', [blocks.length, bh, bw]], ...(opts.bias ? ([['bias', [m]]] as const) : [])]),
    buffers: [{ name: 'x', size: n }, { name: 'y', size: m }],
    in: n,
    out: m,
    flopsPerRow: 2 * blocks.length * bh * bw,
  };
}

/** Pixelfly's sparse part: sparse(block: b, pattern: flat_butterfly(factors: f)) at n × n. */
export function pixelflyCase(n: number, block: number, factors: number): OpsCase<BsrOp> {
  return bsrCase(n, n, block, block, flatButterflyBlocks(n / block, factors));
}

export function contextFor(c: OpsCase<Op>, entryPoint: string, opIndex: number, storage: StorageType): KernelContext {
  return { entryPoint, opIndex, storage, params: c.params, buffers: c.buffers };
}

/** The kernel-check case for ops [first, first + count) of `c`. */
export function checkCase(c: OpsCase<Op>, first: number, count: number, storage: StorageType, batch: number, checkRows = 64): KernelCase {
  return {
    ops: c.ops.slice(first, first + count),
    layout: { params: c.params, buffers: new Map(c.buffers.map((b) => [b.name, b.size])) },
    paramSize: c.paramSize,
    storage,
    batch,
    checkRows,
  };
}
