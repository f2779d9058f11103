/**
 * The float64 reference VJP of a structure (SPEC §7), written from the SPEC §3 semantics like
 * reference.ts and never from the IR: it is the oracle the backward kernels are checked against,
 * and the CPU backend's gradients.
 *
 * For Y = X Mᵀ (+ b) and DY = ∂L/∂Y (batch, out): dx = DY M (batch, in), and one gradient per
 * parameter tensor (paramsOf order, full names, row-major). A tensor used several times (weight
 * tying) gets the sum over its uses, because every use accumulates into the same array.
 */
import { paramsOf } from '../dsl/params.js';
import type { Structure } from '../dsl/structure.js';
import { assertNever } from '../util/assert.js';
import { applyKs, referenceApply, type ParamValues } from './reference.js';

export interface ReferenceGradients {
  /** ∂L/∂X = DY M, shape (batch, in). */
  readonly dx: Float64Array;
  /** ∂L/∂θ for every parameter tensor of the map, by full name, in paramsOf order. */
  readonly grads: Map<string, Float64Array>;
}

export function referenceBackward(
  s: Structure,
  params: ParamValues,
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  batch: number,
): ReferenceGradients {
  if (x.length !== batch * s.in) throw new Error(`x has ${x.length} values, expected ${batch}×${s.in}`);
  if (dy.length !== batch * s.out) throw new Error(`dy has ${dy.length} values, expected ${batch}×${s.out}`);
  const grads = new Map<string, Float64Array>();
  for (const p of paramsOf(s)) grads.set(p.name, new Float64Array(p.shape.reduce((a, b) => a * b, 1)));
  const dx = vjp(s, params, grads, Float64Array.from(x), Float64Array.from(dy), batch);
  return { dx, grads };
}

/** A batch of row vectors, row-major (batch, width). */
type Rows = Float64Array;

function vjp(s: Structure, params: ParamValues, grads: Map<string, Float64Array>, x: Rows, dy: Rows, batch: number): Rows {
  const w = (name: string) => weight(params, `${s.path}.${name}`);
  const g = (name: string) => gradient(grads, `${s.path}.${name}`);
  switch (s.kind) {
    case 'dense':
      return ksVjp({ a: 1, b: s.out, c: s.in, d: 1 }, w('weight'), g('weight'), 0, x, dy, batch);
    case 'ks':
      return ksVjp(s, w('w'), g('w'), 0, x, dy, batch);
    case 'blockdiag': {
      const k = s.nblocks;
      return ksVjp({ a: k, b: s.out / k, c: s.in / k, d: 1 }, w('weight'), g('weight'), 0, x, dy, batch);
    }
    case 'transpose': {
      // y[j·r + i] = x[i·c + j], so dx[i·c + j] = dy[j·r + i].
      const dx = new Float64Array(batch * s.in);
      for (let row = 0; row < batch; row++)
        for (let i = 0; i < s.r; i++)
          for (let j = 0; j < s.c; j++) dx[row * s.in + i * s.c + j] = dy[row * s.out + j * s.r + i];
      return dx;
    }
    case 'monarch': {
      const k = s.nblocks;
      const f1: Ks = { a: k, b: s.q, c: s.p, d: 1 };
      const f2: Ks = { a: 1, b: s.s, c: s.r, d: k };
      const h = ksForward(f1, w('blkdiag1'), 0, x, batch);
      const dh = ksVjp(f2, w('blkdiag2'), g('blkdiag2'), 0, h, dy, batch);
      return ksVjp(f1, w('blkdiag1'), g('blkdiag1'), 0, x, dh, batch);
    }
    case 'monarch_order': {
      const rs = s.radices;
      const product = (v: readonly number[]) => v.reduce((p, b) => p * b, 1);
      const factors = rs.map((b, i): Ks => ({ a: product(rs.slice(i + 1)), b, c: b, d: product(rs.slice(0, i)) }));
      return ksChainVjp(
        factors.map((f, i) => ({ f, w: w(`factor${i}`), g: g(`factor${i}`), offset: 0 })),
        x,
        dy,
        batch,
      );
    }
    case 'butterfly': {
      const r = s.radix;
      const n = s.in;
      const levels = [...Array(s.levels).keys()];
      if (s.stride === 'decreasing') levels.reverse();
      const tw = w('twiddle');
      const gtw = g('twiddle');
      const steps = levels.map((lvl) => {
        const stride = r ** lvl;
        return { f: { a: n / (r * stride), b: r, c: r, d: stride }, w: tw, g: gtw, offset: lvl * (n / r) * r * r };
      });
      return ksChainVjp(steps, x, dy, batch);
    }
    case 'lowrank': {
      const fv: Ks = { a: 1, b: s.rank, c: s.in, d: 1 };
      const fu: Ks = { a: 1, b: s.out, c: s.rank, d: 1 };
      return ksChainVjp(
        [
          { f: fv, w: w('V'), g: g('V'), offset: 0 },
          { f: fu, w: w('U'), g: g('U'), offset: 0 },
        ],
        x,
        dy,
        batch,
      );
    }
    case 'sparse': {
      const vals = w('values');
      const gv = g('values');
      const dx = new Float64Array(batch * s.in);
      s.blocks.forEach(([bi, bj], z) => {
        for (let row = 0; row < batch; row++)
          for (let i = 0; i < s.bh; i++) {
            const d = dy[row * s.out + bi * s.bh + i];
            for (let j = 0; j < s.bw; j++) {
              const v = (z * s.bh + i) * s.bw + j;
              const xi = row * s.in + bj * s.bw + j;
              dx[xi] += vals[v] * d;
              gv[v] += d * x[xi];
            }
          }
      });
      return dx;
    }
    case 'bias': {
      // y = b ignores x: dx = 0, ∂b = column sums of DY.
      const gb = g('bias');
      for (let row = 0; row < batch; row++) for (let i = 0; i < s.out; i++) gb[i] += dy[row * s.out + i];
      return new Float64Array(batch * s.in);
    }
    case 'sum': {
      const dx = new Float64Array(batch * s.in);
      for (const term of s.terms) {
        const t = vjp(term, params, grads, x, dy, batch);
        for (let i = 0; i < dx.length; i++) dx[i] += t[i];
      }
      return dx;
    }
    case 'chain': {
      // Factors are written left to right and applied right to left: inputs[i] feeds factors[i].
      const inputs: Rows[] = new Array(s.factors.length);
      let h = x;
      for (let i = s.factors.length - 1; i >= 0; i--) {
        inputs[i] = h;
        h = referenceApply(s.factors[i], params, h, batch);
      }
      let gy = dy;
      for (let i = 0; i < s.factors.length; i++) gy = vjp(s.factors[i], params, grads, inputs[i], gy, batch);
      return gy;
    }
    case 'ref':
      return vjp(s.target, params, grads, x, dy, batch);
    default:
      return assertNever(s, 'structure');
  }
}

/** The sizes of a Kronecker-sparse factor K(a,b,c,d): in = a·c·d, out = a·b·d. */
interface Ks {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
}

interface KsStep {
  readonly f: Ks;
  readonly w: ArrayLike<number>;
  readonly g: Float64Array;
  readonly offset: number;
}

/** VJP through factors applied in array order (steps[0] first). */
function ksChainVjp(steps: readonly KsStep[], x: Rows, dy: Rows, batch: number): Rows {
  const inputs: Rows[] = [];
  let h = x;
  for (const st of steps) {
    inputs.push(h);
    h = ksForward(st.f, st.w, st.offset, h, batch);
  }
  let gy = dy;
  for (let i = steps.length - 1; i >= 0; i--) gy = ksVjp(steps[i].f, steps[i].w, steps[i].g, steps[i].offset, inputs[i], gy, batch);
  return gy;
}

/** K(a,b,c,d) applied to every row of the batch (reference.ts's applyKs, row by row). */
function ksForward(f: Ks, w: ArrayLike<number>, offset: number, x: Rows, batch: number): Rows {
  const n = f.a * f.c * f.d;
  const m = f.a * f.b * f.d;
  const y = new Float64Array(batch * m);
  for (let row = 0; row < batch; row++) y.set(applyKs(f.a, f.b, f.c, f.d, w, offset, x.subarray(row * n, (row + 1) * n)), row * m);
  return y;
}

/**
 * The VJP of K(a,b,c,d): dx[α·c·d + γ·d + δ] = Σ_β W[α·d + δ, β, γ] · dy[α·b·d + β·d + δ], and
 * ∂W[α·d + δ, β, γ] += Σ_rows dy[α·b·d + β·d + δ] · x[α·c·d + γ·d + δ] (into gw at `offset`).
 */
function ksVjp(f: Ks, w: ArrayLike<number>, gw: Float64Array, offset: number, x: Rows, dy: Rows, batch: number): Rows {
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

function weight(params: ParamValues, name: string): ArrayLike<number> {
  const t = params.get(name);
  if (!t) throw new Error(`missing parameter tensor '${name}'`);
  return t;
}

function gradient(grads: Map<string, Float64Array>, name: string): Float64Array {
  const t = grads.get(name);
  if (!t) throw new Error(`no gradient slot for '${name}' (not among the map's parameters)`);
  return t;
}
