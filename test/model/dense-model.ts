/**
 * The dense matrix of a model, built from the factor definitions of docs/language.md written out
 * here entry by entry (not from any src/ evaluator), so that tests compare the model against the
 * float64 reference independently.
 */
import type { ModelNode } from '../../src/model/types.js';
import { assertNever } from '../../src/util/assert.js';

/** A row-major (rows x cols) matrix. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export type Tensors = ReadonlyMap<string, ArrayLike<number>>;

export function zeros(rows: number, cols: number): Matrix {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** A · B. */
export function matmul(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) throw new Error(`matmul ${a.rows}x${a.cols} · ${b.rows}x${b.cols}`);
  const c = zeros(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++)
    for (let k = 0; k < a.cols; k++) {
      const v = a.data[i * a.cols + k];
      if (v !== 0) for (let j = 0; j < b.cols; j++) c.data[i * b.cols + j] += v * b.data[k * b.cols + j];
    }
  return c;
}

function weights(tensors: Tensors, name: string): ArrayLike<number> {
  const t = tensors.get(name);
  if (t === undefined) throw new Error(`no tensor ${name}`);
  return t;
}

/** M[α·b·d + β·d + δ, α·c·d + γ·d + δ] = W[α·d + δ, β, γ], W = tensor[offset…] of shape (a·d, b, c). */
export function ksMatrix(a: number, b: number, c: number, d: number, w: ArrayLike<number>, offset: number): Matrix {
  const m = zeros(a * b * d, a * c * d);
  for (let al = 0; al < a; al++)
    for (let be = 0; be < b; be++)
      for (let ga = 0; ga < c; ga++)
        for (let de = 0; de < d; de++) m.data[(al * b * d + be * d + de) * m.cols + al * c * d + ga * d + de] = w[offset + ((al * d + de) * b + be) * c + ga];
  return m;
}

/** The linear part of a model node (a bias contributes nothing to it). */
export function denseOfModel(n: ModelNode, tensors: Tensors): Matrix {
  switch (n.kind) {
    case 'ks':
      return ksMatrix(n.a, n.b, n.c, n.d, weights(tensors, n.weight.tensor), n.weight.offset);
    case 'bsr': {
      const m = zeros(n.out, n.in);
      const w = weights(tensors, n.weight.tensor);
      n.blocks.forEach(([bi, bj], z) => {
        for (let i = 0; i < n.bh; i++)
          for (let j = 0; j < n.bw; j++) m.data[(bi * n.bh + i) * n.in + bj * n.bw + j] += w[n.weight.offset + (z * n.bh + i) * n.bw + j];
      });
      return m;
    }
    case 'transpose': {
      const m = zeros(n.out, n.in);
      for (let i = 0; i < n.r; i++) for (let j = 0; j < n.c; j++) m.data[(j * n.r + i) * n.in + i * n.c + j] = 1;
      return m;
    }
    case 'bias':
      return zeros(n.out, n.in);
    case 'chain':
      // stages[0] is applied first: M = S_last ⋯ S_0.
      return n.stages.map((s) => denseOfModel(s, tensors)).reduce((acc, s) => matmul(s, acc));
    case 'sum': {
      const m = zeros(n.out, n.in);
      for (const t of n.terms) denseOfModel(t, tensors).data.forEach((v, i) => (m.data[i] += v));
      return m;
    }
    case 'tied':
      return denseOfModel(n.body, tensors);
    default:
      return assertNever(n, 'model node');
  }
}
