/**
 * A map's model as a product of sparse factors whose nonzeros are parameter slots: every factor
 * kind of the model is one (K(a,b,c,d) and block-sparse factors; docs/language.md writes every
 * constructor that way). Transposes are fixed permutations and are folded into the row or column
 * indices of a neighbouring factor, so a chain becomes a list of factors only. This reads node
 * kinds, never the language's constructors.
 */
import type { BsrFactor, KsFactor, ModelNode } from '../model/types.js';
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
function ksFactor(f: KsFactor): Factor {
  const { a, b, c, d } = f;
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
  return { rows: f.out, cols: f.in, row, col, tensor: f.weight.tensor, offset: f.weight.offset };
}

/** Block z at (I, J) holds values (bh, bw), row-major: entries in the values tensor's order. */
function bsrFactor(f: BsrFactor): Factor {
  const size = f.blocks.length * f.bh * f.bw;
  const row = new Int32Array(size);
  const col = new Int32Array(size);
  let e = 0;
  for (const [bi, bj] of f.blocks)
    for (let i = 0; i < f.bh; i++)
      for (let j = 0; j < f.bw; j++) {
        row[e] = bi * f.bh + i;
        col[e] = bj * f.bw + j;
        e++;
      }
  return { rows: f.out, cols: f.in, row, col, tensor: f.weight.tensor, offset: f.weight.offset };
}

/** A term that only adds a bias (through references too): it adds nothing to M, the linear part. */
function isBiasOnly(n: ModelNode): boolean {
  return n.kind === 'bias' || (n.kind === 'tied' && isBiasOnly(n.body));
}

/**
 * The products whose sum is M, each as its factors in matrix order (M = F_0 · F_1 ⋯, the last
 * applied first). A chain distributes over the sums among its stages: `(A + B) @ C` is A·C + B·C,
 * C's factors one parameter slice in both products. A stage that is one weighted term plus biases
 * (`monarch(…) + bias()`, an nn.Linear, chained as `down @ up`) is its weighted term: M, the linear
 * part, does not depend on its biases, which project to zero (the minimum-norm choice, as for a
 * bias term of a sum); `biases` collects their paths. A stage of biases only (from code: the DSL refuses it, E0506 and
 * E0507) gives its input up for a constant, so the chain's linear part is 0: no product at all.
 */
function products(n: ModelNode, biases: Set<string>): Item[][] {
  switch (n.kind) {
    case 'ks':
      return [[{ factor: ksFactor(n) }]];
    case 'bsr':
      return [[{ factor: bsrFactor(n) }]];
    case 'transpose': {
      const dest = new Int32Array(n.in);
      for (let i = 0; i < n.r; i++) for (let j = 0; j < n.c; j++) dest[i * n.c + j] = j * n.r + i;
      return [[{ permutation: { dest } }]];
    }
    case 'chain': {
      // Stages are in application order (stages[0] first): matrix order is the reverse.
      let result: Item[][] = [[]];
      for (const stage of [...n.stages].reverse()) {
        const stageProducts = products(stage, biases);
        if (result.length * stageProducts.length > MAX_PRODUCTS) {
          throw new ProjectionError(`cannot project onto '${n.path}': its sums inside a chain expand to more than ${MAX_PRODUCTS} products`);
        }
        result = result.flatMap((left) => stageProducts.map((right) => [...left, ...right]));
      }
      return result;
    }
    case 'tied':
      return products(n.body, biases);
    case 'sum': {
      for (const t of n.terms) if (isBiasOnly(t)) biases.add(t.path);
      return n.terms.filter((t) => !isBiasOnly(t)).flatMap((t) => products(t, biases));
    }
    case 'bias':
      biases.add(n.path);
      return [];
    default:
      return assertNever(n, 'model node');
  }
}

/**
 * At most this many products from distributing a chain over its sums (each is refined on its own
 * every round): `(A + B) @ (C + D) @ (E + F)` is 8; 64 is six two-term stages.
 */
const MAX_PRODUCTS = 64;

/** One product of the sum M is: its factors (matrix order), transposes folded into their neighbours. */
export interface FactorChain {
  readonly factors: readonly Factor[];
  /** When the product has no parameters at all: the permutation it is (M[dest[x], x] = 1). */
  readonly fixed?: Int32Array;
}

/**
 * `n`'s linear part as a sum of products of factors, and the bias terms of its stages (paths),
 * left at zero: they add nothing to M. One product for a chain without a sum stage. A factor
 * whose parameter slice (tensor and offset) appears in several places (`up @ up`, or C in
 * A·C + B·C) is one `Factor` per place, with the same slice: `usesSliceTwice` tells.
 */
export function factorProducts(n: ModelNode): { readonly products: readonly FactorChain[]; readonly biases: readonly string[] } {
  const biases = new Set<string>();
  return { products: products(n, biases).map(folded), biases: [...biases] };
}

/** `n` as one product of factors, for a chain without a sum stage (tests, the playground's pictures); else a ProjectionError. */
export function factorChain(n: ModelNode): FactorChain & { readonly biases: readonly string[] } {
  const { products, biases } = factorProducts(n);
  if (products.length !== 1) throw new ProjectionError(`'${n.path}' is a sum of ${products.length} products of factors (a chain with a sum stage), not one`);
  return { ...products[0], biases };
}

/** A product's items with its transposes folded into the neighbouring factors. */
function folded(list: readonly Item[]): FactorChain {
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
  return trailing ? { factors, fixed: trailing } : { factors };
}

/** The key of a factor's parameter slice: equal for two places of one slice. */
export const sliceKey = (f: Factor): string => `${f.tensor}\u0000${f.offset}`;

/** Whether some parameter slice is a factor in two places of these products: a tie that the fit of one chain (product.ts) knows nothing of. */
export function usesSliceTwice(products: readonly FactorChain[]): boolean {
  const keys = products.flatMap((p) => p.factors.map(sliceKey));
  return new Set(keys).size !== keys.length;
}

/** P·F: the output of F goes through P. */
export function permuteRows(f: Factor, dest: Int32Array): Factor {
  return { ...f, row: f.row.map((r) => dest[r]) };
}

/** F·P: F reads the output of P, so F's column y becomes column x with dest[x] = y. */
export function permuteColumns(f: Factor, dest: Int32Array): Factor {
  const inverse = new Int32Array(dest.length);
  dest.forEach((y, x) => (inverse[y] = x));
  return { ...f, col: f.col.map((c) => inverse[c]) };
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

/** A product's factors and their values (one array per factor, in factor order; one array for every place of a slice). */
export interface ProductValues {
  readonly factors: readonly Factor[];
  readonly values: readonly Float64Array[];
}

/** The sum (m × n) of the products' dense matrices. */
export function sumOfProducts(products: readonly ProductValues[], m: number, n: number): Float64Array {
  const sum = new Float64Array(m * n);
  for (const { factors, values } of products) {
    const dense = chainDense(factors, values);
    for (let i = 0; i < sum.length; i++) sum[i] += dense[i];
  }
  return sum;
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
