/**
 * The float64 semantics of a checked structure, constructor by constructor, as the runtime's
 * reference computed them before the model existed (frozen here as the oracle the model is
 * checked against: the runtime's reference now reads the model, so it cannot be that oracle).
 */
import type { Structure } from '../../src/dsl/structure.js';
import { assertNever } from '../../src/util/assert.js';

/** Parameter tensors by full name (`up.blkdiag1`), row-major. */
type ParamValues = ReadonlyMap<string, ArrayLike<number>>;

/**
 * The dense matrix M of shape (out, in), row-major (bias terms excluded: M is the linear part),
 * in float64. Cost O(structured cost · in), never O(out · in²) for what is a copy: dense weights
 * are copied, sums add their terms' matrices, and everything else is applied to the unit
 * vectors (a chain of structured factors costs its factors' work per column).
 */
export function structureDense(s: Structure, params: ParamValues): Float64Array {
  switch (s.kind) {
    case 'dense':
      return Float64Array.from(tensor(params, `${s.path}.weight`));
    case 'bias':
      return new Float64Array(s.out * s.in);
    case 'ref':
      return structureDense(s.target, params);
    case 'sum': {
      const m = new Float64Array(s.out * s.in);
      for (const term of s.terms) {
        const t = structureDense(term, params);
        for (let i = 0; i < m.length; i++) m[i] += t[i];
      }
      return m;
    }
    default:
      return denseByColumns(s, params);
  }
}

/** M by applying the structure to each unit vector e_j (minus the image of 0, which is the bias). */
function denseByColumns(s: Structure, params: ParamValues): Float64Array {
  const m = new Float64Array(s.out * s.in);
  const zero = applyVector(s, params, new Float64Array(s.in));
  const e = new Float64Array(s.in);
  for (let j = 0; j < s.in; j++) {
    e[j] = 1;
    const col = applyVector(s, params, e); // may be `e` itself (a structure without factors)
    for (let i = 0; i < s.out; i++) m[i * s.in + j] = col[i] - zero[i];
    e[j] = 0;
  }
  return m;
}

function tensor(params: ParamValues, name: string): ArrayLike<number> {
  const t = params.get(name);
  if (!t) throw new Error(`missing parameter tensor '${name}'`);
  return t;
}

/** y = K(a,b,c,d) x with weights W (a·d, b, c) starting at `offset`. */
function applyKs(a: number, b: number, c: number, d: number, w: ArrayLike<number>, offset: number, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(a * b * d);
  for (let al = 0; al < a; al++)
    for (let be = 0; be < b; be++)
      for (let de = 0; de < d; de++) {
        let acc = 0;
        const wBase = offset + ((al * d + de) * b + be) * c;
        for (let ga = 0; ga < c; ga++) acc += w[wBase + ga] * x[al * c * d + ga * d + de];
        y[al * b * d + be * d + de] = acc;
      }
  return y;
}

function applyVector(s: Structure, params: ParamValues, x: Float64Array): Float64Array {
  const t = (name: string) => tensor(params, `${s.path}.${name}`);
  switch (s.kind) {
    case 'dense':
      return applyKs(1, s.out, s.in, 1, t('weight'), 0, x);
    case 'diag': {
      // y_i = d_i · x_i (docs/language.md).
      const d = t('d');
      return Float64Array.from(x, (v, i) => d[i] * v);
    }
    case 'ks':
      return applyKs(s.a, s.b, s.c, s.d, t('w'), 0, x);
    case 'blockdiag': {
      const k = s.nblocks;
      return applyKs(k, s.out / k, s.in / k, 1, t('weight'), 0, x);
    }
    case 'transpose': {
      const y = new Float64Array(s.out);
      for (let i = 0; i < s.r; i++) for (let j = 0; j < s.c; j++) y[j * s.r + i] = x[i * s.c + j];
      return y;
    }
    case 'monarch': {
      const k = s.nblocks;
      const h = applyKs(k, s.q, s.p, 1, t('blkdiag1'), 0, x);
      return applyKs(1, s.s, s.r, k, t('blkdiag2'), 0, h);
    }
    case 'monarch_order': {
      let h = x;
      const rs = s.radices;
      for (let i = 0; i < rs.length; i++) {
        const after = rs.slice(i + 1).reduce((p, v) => p * v, 1);
        const before = rs.slice(0, i).reduce((p, v) => p * v, 1);
        h = applyKs(after, rs[i], rs[i], before, t(`factor${i}`), 0, h);
      }
      return h;
    }
    case 'butterfly': {
      const r = s.radix;
      const n = s.in;
      const order = [...Array(s.levels).keys()];
      if (s.stride === 'decreasing') order.reverse();
      let h = x;
      for (const lvl of order) {
        const stride = r ** lvl;
        h = applyKs(n / (r * stride), r, r, stride, t('twiddle'), lvl * (n / r) * r * r, h);
      }
      return h;
    }
    case 'lowrank': {
      const v = applyKs(1, s.rank, s.in, 1, t('V'), 0, x);
      return applyKs(1, s.out, s.rank, 1, t('U'), 0, v);
    }
    case 'sparse': {
      const y = new Float64Array(s.out);
      const vals = t('values');
      s.blocks.forEach(([bi, bj], z) => {
        for (let i = 0; i < s.bh; i++) {
          let acc = 0;
          for (let j = 0; j < s.bw; j++) acc += vals[(z * s.bh + i) * s.bw + j] * x[bj * s.bw + j];
          y[bi * s.bh + i] += acc;
        }
      });
      return y;
    }
    case 'bias':
      return Float64Array.from(t('bias'));
    case 'sum': {
      const y = new Float64Array(s.out);
      for (const term of s.terms) {
        const ty = applyVector(term, params, x);
        for (let i = 0; i < y.length; i++) y[i] += ty[i];
      }
      return y;
    }
    case 'chain': {
      let h = x;
      for (let i = s.factors.length - 1; i >= 0; i--) h = applyVector(s.factors[i], params, h);
      return h;
    }
    case 'ref':
      return applyVector(s.target, params, x);
    default:
      return assertNever(s, 'structure');
  }
}
