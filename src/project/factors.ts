/**
 * A structure as a product of sparse factors whose nonzeros are parameter slots: every
 * constructor except lowrank-as-a-whole, bias and sums is one (SPEC §3 writes each of them as
 * Kronecker-sparse factors K(a,b,c,d)). Transposes are fixed permutations and are folded into
 * the row or column indices of a neighbouring factor, so a chain becomes a list of factors only.
 */
import type { Structure } from '../dsl/structure.js';
import { assertNever } from '../util/assert.js';
import { ProjectionError } from './errors.js';

/** A sparse factor: entry e sits at (row[e], col[e]) and is parameter `tensor[offset + e]`. */
export interface Factor {
  readonly rows: number;
  readonly cols: number;
  readonly row: Int32Array;
  readonly col: Int32Array;
  readonly tensor: string;
  readonly offset: number;
}

/** A fixed permutation matrix: input index x goes to output index dest[x]. */
interface Permutation {
  readonly dest: Int32Array;
}

type Item = { readonly factor: Factor } | { readonly permutation: Permutation };

/** K(a,b,c,d) with weights (a·d, b, c): entries enumerated in the weight tensor's row-major order. */
function ksFactor(a: number, b: number, c: number, d: number, tensor: string, offset = 0): Factor {
  const size = a * b * c * d;
  const row = new Int32Array(size);
  const col = new Int32Array(size);
  let e = 0;
  for (let al = 0; al < a; al++)
    for (let de = 0; de < d; de++)
      for (let be = 0; be < b; be++)
        for (let ga = 0; ga < c; ga++) {
          row[e] = al * b * d + be * d + de;
          col[e] = al * c * d + ga * d + de;
          e++;
        }
  return { rows: a * b * d, cols: a * c * d, row, col, tensor, offset };
}

function sparseFactor(s: Extract<Structure, { kind: 'sparse' }>): Factor {
  const size = s.blocks.length * s.bh * s.bw;
  const row = new Int32Array(size);
  const col = new Int32Array(size);
  let e = 0;
  for (const [bi, bj] of s.blocks)
    for (let i = 0; i < s.bh; i++)
      for (let j = 0; j < s.bw; j++) {
        row[e] = bi * s.bh + i;
        col[e] = bj * s.bw + j;
        e++;
      }
  return { rows: s.out, cols: s.in, row, col, tensor: `${s.path}.values`, offset: 0 };
}

const product = (xs: readonly number[]) => xs.reduce((p, v) => p * v, 1);

/** The factors of `s` in matrix order: M = F_0 · F_1 ⋯ (the last is applied first). */
function items(s: Structure): Item[] {
  const t = (name: string) => `${s.path}.${name}`;
  switch (s.kind) {
    case 'dense':
      return [{ factor: ksFactor(1, s.out, s.in, 1, t('weight')) }];
    case 'ks':
      return [{ factor: ksFactor(s.a, s.b, s.c, s.d, t('w')) }];
    case 'blockdiag':
      return [{ factor: ksFactor(s.nblocks, s.out / s.nblocks, s.in / s.nblocks, 1, t('weight')) }];
    case 'transpose': {
      const dest = new Int32Array(s.in);
      for (let i = 0; i < s.r; i++) for (let j = 0; j < s.c; j++) dest[i * s.c + j] = j * s.r + i;
      return [{ permutation: { dest } }];
    }
    case 'monarch':
      return [{ factor: ksFactor(1, s.s, s.r, s.nblocks, t('blkdiag2')) }, { factor: ksFactor(s.nblocks, s.q, s.p, 1, t('blkdiag1')) }];
    case 'monarch_order': {
      const rs = s.radices;
      return rs
        .map((b, i) => ({ factor: ksFactor(product(rs.slice(i + 1)), b, b, product(rs.slice(0, i)), t(`factor${i}`)) }))
        .reverse();
    }
    case 'butterfly': {
      const r = s.radix;
      const n = s.in;
      const levels = [...Array(s.levels).keys()].map((lvl) => ({
        factor: ksFactor(n / (r * r ** lvl), r, r, r ** lvl, t('twiddle'), lvl * (n / r) * r * r),
      }));
      // Increasing applies level 0 first, so it is the last factor in matrix order.
      return s.stride === 'increasing' ? levels.reverse() : levels;
    }
    case 'lowrank':
      return [{ factor: ksFactor(1, s.out, s.rank, 1, t('U')) }, { factor: ksFactor(1, s.rank, s.in, 1, t('V')) }];
    case 'sparse':
      return [{ factor: sparseFactor(s) }];
    case 'chain':
      return s.factors.flatMap(items);
    case 'ref':
      return items(s.target);
    case 'bias':
    case 'sum':
      throw new ProjectionError(`cannot project onto '${s.path}': a ${s.kind === 'sum' ? 'sum' : 'bias'} inside a chain is not supported`);
    default:
      return assertNever(s, 'structure');
  }
}

export interface FactorChain {
  readonly factors: readonly Factor[];
  /** When the chain has no parameters at all: the permutation it is (M[dest[x], x] = 1). */
  readonly fixed?: Int32Array;
}

/** `s` as a product of factors (matrix order), transposes folded into their neighbours. */
export function factorChain(s: Structure): FactorChain {
  const list = items(s);
  const factors: Factor[] = [];
  // Walk right to left: a permutation applied before any factor (at the right end) is folded
  // into the first factor found to its left (F·P); any other into the factor on its right (P·F).
  let trailing: Int32Array | undefined;
  for (let i = list.length - 1; i >= 0; i--) {
    const item = list[i];
    if ('factor' in item) {
      factors.unshift(trailing ? permuteColumns(item.factor, trailing) : item.factor);
      trailing = undefined;
    } else if (factors.length > 0) {
      factors[0] = permuteRows(factors[0], item.permutation.dest);
    } else {
      // Permutations compose: (P_a · P_b) x = P_a (P_b x).
      const dest = item.permutation.dest;
      trailing = trailing ? trailing.map((y) => dest[y]) : dest.slice();
    }
  }
  checkUntied(factors);
  return trailing ? { factors, fixed: trailing } : { factors };
}

/** P·F: the output of F goes through P. */
function permuteRows(f: Factor, dest: Int32Array): Factor {
  return { ...f, row: f.row.map((r) => dest[r]) };
}

/** F·P: F reads the output of P, so F's column y becomes column x with dest[x] = y. */
function permuteColumns(f: Factor, dest: Int32Array): Factor {
  const inverse = new Int32Array(dest.length);
  dest.forEach((y, x) => (inverse[y] = x));
  return { ...f, col: f.col.map((c) => inverse[c]) };
}

function checkUntied(factors: readonly Factor[]): void {
  const seen = new Set<string>();
  for (const f of factors) {
    const key = `${f.tensor}@${f.offset}`;
    if (seen.has(key)) {
      throw new ProjectionError(`cannot project: parameter '${f.tensor}' is used by two factors of one chain (weight tying inside a chain is not supported)`);
    }
    seen.add(key);
  }
}

/** The dense matrix of a chain with parameter `values` (one array per factor, in factor order). */
export function chainDense(factors: readonly Factor[], values: readonly Float64Array[], from = 0, to = factors.length): Float64Array {
  const last = factors[to - 1];
  const n = last.cols;
  let dense: Float64Array = new Float64Array(last.rows * n);
  const lv = values[to - 1];
  for (let e = 0; e < lv.length; e++) dense[last.row[e] * n + last.col[e]] += lv[e];
  for (let i = to - 2; i >= from; i--) dense = sparseTimesDense(factors[i], values[i], dense, n);
  return dense;
}

/** F·D for a factor F with values v and a dense D (F.cols × n). */
export function sparseTimesDense(f: Factor, v: ArrayLike<number>, d: Float64Array, n: number): Float64Array {
  const out = new Float64Array(f.rows * n);
  for (let e = 0; e < v.length; e++) {
    const x = v[e];
    if (x === 0) continue;
    const o = f.row[e] * n;
    const s = f.col[e] * n;
    for (let j = 0; j < n; j++) out[o + j] += x * d[s + j];
  }
  return out;
}

/** Fᵀ·D for a factor F with values v and a dense D (F.rows × n). */
export function sparseTransposeTimesDense(f: Factor, v: ArrayLike<number>, d: Float64Array, n: number): Float64Array {
  const out = new Float64Array(f.cols * n);
  for (let e = 0; e < v.length; e++) {
    const x = v[e];
    if (x === 0) continue;
    const o = f.col[e] * n;
    const s = f.row[e] * n;
    for (let j = 0; j < n; j++) out[o + j] += x * d[s + j];
  }
  return out;
}
