/**
 * The float64 reference VJP of a map (SPEC §7), read from its model like reference.ts and never
 * from the IR: it is the oracle the backward kernels are checked against, and the CPU backend's
 * gradients. One rule per factor kind (K(a,b,c,d), block-sparse, transpose, bias) and per
 * combinator; no constructor of the language appears here.
 *
 * For Y = X Mᵀ (+ b) and DY = ∂L/∂Y (batch, out): dx = DY M (batch, in), and one gradient per
 * parameter tensor (`model.params` order, full names, row-major). A tensor used several times
 * (weight tying, butterfly levels sharing one tensor) gets the sum over its uses, because every
 * use accumulates into the same array.
 */
import type { KsFactor, ModelMap, ModelNode, ParamSlice } from '../model/types.js';
import { assertNever } from '../util/assert.js';
import { MoncError } from '../util/error.js';
import { applyNode, referenceArgs, sliceOf, type ParamValues, type Rows } from './reference.js';
import type { Tensors } from './params.js';

export interface ReferenceGradients {
  /** ∂L/∂X = DY M, shape (batch, in). */
  readonly dx: Float64Array;
  /** ∂L/∂θ for every parameter tensor of the map, by full name, in `model.params` order. */
  readonly grads: Map<string, Float64Array>;
}

export function referenceBackward(
  model: Pick<ModelMap, 'params' | 'body'>,
  params: Tensors,
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  batch: number,
): ReferenceGradients {
  const tensors = referenceArgs('referenceBackward', Array.isArray(model?.params) ? model : undefined, params, { x, dy }, batch);
  const { in: n, out: m } = model.body;
  if (x.length !== batch * n) throw new MoncError('shape', `x has ${x.length} values, expected ${batch}×${n}`);
  if (dy.length !== batch * m) throw new MoncError('shape', `dy has ${dy.length} values, expected ${batch}×${m}`);
  const grads = new Map<string, Float64Array>();
  for (const p of model.params) grads.set(p.name, new Float64Array(p.shape.reduce((a, b) => a * b, 1)));
  const dx = vjp(model.body, tensors, grads, Float64Array.from(x), Float64Array.from(dy), batch);
  return { dx, grads };
}

function vjp(n: ModelNode, params: ParamValues, grads: Map<string, Float64Array>, x: Rows, dy: Rows, batch: number): Rows {
  switch (n.kind) {
    case 'ks': {
      const { w, offset } = sliceOf(params, n.weight);
      return ksVjp(n, w, gradient(grads, n.weight), offset, x, dy, batch);
    }
    case 'bsr': {
      const { w, offset } = sliceOf(params, n.weight);
      const gw = gradient(grads, n.weight);
      const dx = new Float64Array(batch * n.in);
      n.blocks.forEach(([bi, bj], z) => {
        for (let row = 0; row < batch; row++)
          for (let i = 0; i < n.bh; i++) {
            const d = dy[row * n.out + bi * n.bh + i];
            for (let j = 0; j < n.bw; j++) {
              const v = offset + (z * n.bh + i) * n.bw + j;
              const xi = row * n.in + bj * n.bw + j;
              dx[xi] += w[v] * d;
              gw[v] += d * x[xi];
            }
          }
      });
      return dx;
    }
    case 'transpose': {
      // y[j·r + i] = x[i·c + j], so dx[i·c + j] = dy[j·r + i].
      const dx = new Float64Array(batch * n.in);
      for (let row = 0; row < batch; row++)
        for (let i = 0; i < n.r; i++)
          for (let j = 0; j < n.c; j++) dx[row * n.in + i * n.c + j] = dy[row * n.out + j * n.r + i];
      return dx;
    }
    case 'bias': {
      // y = b ignores x: dx = 0, ∂b = column sums of DY.
      const gb = gradient(grads, n.param);
      const at = n.param.offset;
      for (let row = 0; row < batch; row++) for (let i = 0; i < n.out; i++) gb[at + i] += dy[row * n.out + i];
      return new Float64Array(batch * n.in);
    }
    case 'sum': {
      const dx = new Float64Array(batch * n.in);
      for (const term of n.terms) {
        const t = vjp(term, params, grads, x, dy, batch);
        for (let i = 0; i < dx.length; i++) dx[i] += t[i];
      }
      return dx;
    }
    case 'chain': {
      // stages[0] is applied first: inputs[i] feeds stages[i]; the VJP walks them backwards.
      const inputs: Rows[] = [];
      let h = x;
      for (const stage of n.stages) {
        inputs.push(h);
        h = applyNode(stage, params, h, batch);
      }
      let gy = dy;
      for (let i = n.stages.length - 1; i >= 0; i--) gy = vjp(n.stages[i], params, grads, inputs[i], gy, batch);
      return gy;
    }
    case 'tied':
      return vjp(n.body, params, grads, x, dy, batch);
    default:
      return assertNever(n, 'model node');
  }
}

/**
 * The VJP of K(a,b,c,d): dx[α·c·d + γ·d + δ] = Σ_β W[α·d + δ, β, γ] · dy[α·b·d + β·d + δ], and
 * ∂W[α·d + δ, β, γ] += Σ_rows dy[α·b·d + β·d + δ] · x[α·c·d + γ·d + δ] (into gw at `offset`).
 */
function ksVjp(f: Pick<KsFactor, 'a' | 'b' | 'c' | 'd'>, w: ArrayLike<number>, gw: Float64Array, offset: number, x: Rows, dy: Rows, batch: number): Rows {
  const { a, b, c, d } = f;
  const n = a * c * d;
  const m = a * b * d;
  const dx = new Float64Array(batch * n);
  for (let row = 0; row < batch; row++)
    for (let al = 0; al < a; al++)
      for (let be = 0; be < b; be++)
        for (let de = 0; de < d; de++) {
          const gyv = dy[row * m + al * b * d + be * d + de];
          if (gyv === 0) continue;
          const wBase = offset + ((al * d + de) * b + be) * c;
          const xBase = row * n + al * c * d + de;
          for (let ga = 0; ga < c; ga++) {
            dx[xBase + ga * d] += w[wBase + ga] * gyv;
            gw[wBase + ga] += gyv * x[xBase + ga * d];
          }
        }
  return dx;
}

function gradient(grads: Map<string, Float64Array>, slice: ParamSlice): Float64Array {
  const t = grads.get(slice.tensor);
  if (!t) throw new Error(`no gradient slot for '${slice.tensor}' (not among the map's parameters)`);
  return t;
}
