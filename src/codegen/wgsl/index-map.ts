/**
 * Index arithmetic for fused permutations: an IndexMap (ir.ts) applied to an index that is
 * itself a mixed-radix combination of loop variables, rendered as WGSL u32 arithmetic with
 * compile-time constants.
 *
 * The workhorse is the *field sum* Σ coef · ((var / stride) % size): a permutation of digits
 * only moves fields around and rescales their coefficients, so as long as the digit boundaries
 * of a step line up with the fields (always, for the permutations Monarch, butterfly and
 * transpose produce) the whole map stays a field sum over the kernel's own loop variables. A
 * kernel can then hoist every field that does not depend on its inner loop, and an inner loop
 * whose fields collapse to `coef · var` becomes an affine stride. When boundaries do not line
 * up, the index so far is rendered as an opaque expression and the next step works on it.
 */
import type { AxisPermutation, IndexMap } from '../../ir/ir.js';
import { invariant } from '../../util/assert.js';
import { u, type U32Expr } from './u32.js';

/** A loop variable: a WGSL expression (usually an identifier) with values in [0, size). */
export interface IndexVar {
  readonly name: string;
  readonly size: number;
}

/** coef · ((var / stride) % size). */
export interface Field {
  readonly var: string;
  readonly coef: number;
  readonly stride: number;
  readonly size: number;
}

/**
 * An index expression: `fields` summed, over the variables `vars` (name -> size). When `inner`
 * is present, the fields read the single variable OPAQUE, whose value is `inner`.
 */
export interface IndexExpr {
  readonly vars: ReadonlyMap<string, number>;
  readonly fields: readonly Field[];
  readonly inner?: IndexExpr;
}

/** The variable name fields use to read an opaque inner expression. */
const OPAQUE = '$inner';

/** Σ vars[k] · (product of the sizes after k): the row-major flattening of the variables. */
export function rowMajor(vars: readonly IndexVar[]): IndexExpr {
  const fields: Field[] = [];
  let coef = 1;
  for (let k = vars.length - 1; k >= 0; k--) {
    const v = vars[k];
    if (v.size > 1) fields.push({ var: v.name, coef, stride: 1, size: v.size });
    coef *= v.size;
  }
  return { vars: new Map(vars.map((v) => [v.name, v.size])), fields: canonical(fields) };
}

/** The expression for map(index). */
export function applyIndexMap(map: IndexMap, index: IndexExpr): IndexExpr {
  return map.steps.reduce((e, step) => applyStep(step, e, map.size), index);
}

function applyStep(step: AxisPermutation, e: IndexExpr, total: number): IndexExpr {
  invariant(
    step.shape.reduce((p, s) => p * s, 1) === total,
    `axis permutation of shape [${step.shape.join(', ')}] applied to an index of size ${total}`,
  );
  const moved = permuteFields(step, e.fields, total);
  if (moved) return { vars: e.vars, fields: moved, ...(e.inner ? { inner: e.inner } : {}) };
  // Boundaries do not line up: read the expression so far as one opaque variable.
  const opaque = permuteFields(step, [{ var: OPAQUE, coef: 1, stride: 1, size: total }], total);
  invariant(opaque, 'a single full-range field always splits');
  return { vars: new Map([[OPAQUE, total]]), fields: opaque, inner: e };
}

/** Digit strides of a row-major shape: stride[k] = ∏ shape[k+1..]. */
function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    out[k] = s;
    s *= shape[k];
  }
  return out;
}

/**
 * The fields of step(value) given the fields of value, or undefined when a digit boundary of
 * the step cuts a field in a way that cannot be split into two fields.
 */
function permuteFields(step: AxisPermutation, fields: readonly Field[], total: number): Field[] | undefined {
  const inStride = strides(step.shape);
  const outStride = strides(step.perm.map((p) => step.shape[p]));
  const outPosOf = new Array<number>(step.shape.length);
  step.perm.forEach((src, k) => (outPosOf[src] = k));
  const split = splitAt(fields, inStride, total);
  if (!split) return undefined;
  return canonical(
    split.map((f) => {
      // The digit that holds this field: the largest stride not above its coefficient.
      const j = inStride.findIndex((s, k) => s <= f.coef && f.coef < s * step.shape[k]);
      invariant(j >= 0, 'every split field lies within one digit');
      return { ...f, coef: (f.coef / inStride[j]) * outStride[outPosOf[j]] };
    }),
  );
}

/** Splits fields so that no field straddles a boundary (a multiple of the given strides). */
function splitAt(fields: readonly Field[], boundaries: readonly number[], total: number): Field[] | undefined {
  if (!isMixedRadix(fields, total)) return undefined;
  let out = [...fields];
  for (const b of boundaries) {
    const next: Field[] = [];
    for (const f of out) {
      if (f.coef < b && b < f.coef * f.size) {
        const low = b / f.coef;
        if (!Number.isInteger(low) || f.size % low !== 0) return undefined;
        next.push({ ...f, size: low }, { ...f, coef: b, stride: f.stride * low, size: f.size / low });
      } else next.push(f);
    }
    out = next;
  }
  return out;
}

/** Whether the fields' coefficients and sizes tile [0, total) as the digits of one number. */
function isMixedRadix(fields: readonly Field[], total: number): boolean {
  let expected = 1;
  for (const f of [...fields].sort((p, q) => p.coef - q.coef)) {
    if (f.coef !== expected) return false;
    expected *= f.size;
  }
  return expected === total;
}

/** Sorted by variable then stride, adjacent pieces of the same variable merged. */
function canonical(fields: readonly Field[]): Field[] {
  const sorted = fields.filter((f) => f.size > 1).sort((p, q) => (p.var === q.var ? p.stride - q.stride : p.var < q.var ? -1 : 1));
  const out: Field[] = [];
  for (const f of sorted) {
    const last = out[out.length - 1];
    if (last && last.var === f.var && f.stride === last.stride * last.size && f.coef === last.coef * last.size) {
      out[out.length - 1] = { ...last, size: last.size * f.size };
    } else out.push(f);
  }
  return out;
}

/**
 * Splits an expression into the part that depends on `name` and the rest, so a loop over
 * `name` can hoist the rest. Undefined when the expression is opaque (every part depends on
 * everything).
 */
export function splitByVar(e: IndexExpr, name: string): { readonly rest: IndexExpr; readonly part: IndexExpr } | undefined {
  if (e.inner) return undefined;
  return {
    rest: { vars: e.vars, fields: e.fields.filter((f) => f.var !== name) },
    part: { vars: e.vars, fields: e.fields.filter((f) => f.var === name) },
  };
}

/** The coefficient k when `e` is exactly k · name (an affine stride), else undefined. */
export function affineCoefficient(e: IndexExpr, name: string): number | undefined {
  if (e.inner) return undefined;
  const size = e.vars.get(name);
  if (size === undefined) return undefined;
  if (e.fields.length === 0) return 0;
  if (e.fields.length !== 1) return undefined;
  const [f] = e.fields;
  return f.var === name && f.stride === 1 && f.size >= size ? f.coef : undefined;
}

/** Whether variable values come as a map (instanceof does not narrow a ReadonlyMap). */
function isValueMap(values: ReadonlyMap<string, number> | Record<string, number>): values is ReadonlyMap<string, number> {
  return values instanceof Map;
}

/** The value of `e` for concrete variable values. */
export function evaluateIndex(e: IndexExpr, values: ReadonlyMap<string, number> | Record<string, number>): number {
  const get = (name: string): number => {
    if (name === OPAQUE && e.inner) return evaluateIndex(e.inner, values);
    const v = isValueMap(values) ? values.get(name) : values[name];
    invariant(typeof v === 'number', `no value for index variable ${name}`);
    return v;
  };
  return e.fields.reduce((acc, f) => acc + f.coef * (Math.floor(get(f.var) / f.stride) % f.size), 0);
}

/** `e` with some variables fixed to constants (used for fully unrolled loops). */
export function substitute(e: IndexExpr, values: Readonly<Record<string, number>>): { readonly constant: number; readonly rest: IndexExpr } {
  if (e.inner) return { constant: 0, rest: e };
  let constant = 0;
  const rest: Field[] = [];
  for (const f of e.fields) {
    const v = values[f.var];
    if (v === undefined) rest.push(f);
    else constant += f.coef * (Math.floor(v / f.stride) % f.size);
  }
  return { constant, rest: { vars: e.vars, fields: rest } };
}

/** `e` as a WGSL u32 expression (no surrounding parentheses needed for `+` context; sums are parenthesised). */
export function renderIndex(e: IndexExpr): U32Expr {
  const inner = e.inner ? `(${renderIndex(e.inner)})` : undefined;
  const terms = e.fields.map((f) => {
    const name = f.var === OPAQUE && inner ? inner : f.var;
    const range = e.vars.get(f.var);
    invariant(range !== undefined, `unknown index variable ${f.var}`);
    let v = name;
    if (f.stride > 1) v = `${v} / ${f.stride}u`;
    if (f.stride * f.size < range) v = f.stride > 1 ? `(${v}) % ${f.size}u` : `${v} % ${f.size}u`;
    if (f.coef === 1) return v;
    return v === name ? `${v} * ${f.coef}u` : `(${v}) * ${f.coef}u`;
  });
  if (terms.length === 0) return u(0);
  return terms.length === 1 ? terms[0] : `(${terms.join(' + ')})`;
}
