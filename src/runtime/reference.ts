/**
 * The float64 reference semantics of a map, read from its model (src/model/types.ts): the meaning
 * of each factor kind (K(a,b,c,d), block-sparse, transpose, bias) and of chains, sums and tied
 * uses, written here once. It never looks at the IR, so it is an independent oracle for lowering
 * and kernels; it knows no constructor of the language (the model spells each one as factors).
 */
import type { KsFactor, ModelMap, ModelNode, ParamSlice, ParamSpec } from '../model/types.js';
import { assertNever } from '../util/assert.js';
import { MoncError } from '../util/error.js';
import { isPlainObject, shown, typeName, userError } from './user-error.js';
import { shapeText } from '../util/shape-text.js';
import { checkShape, elementCount, ParamError, type TensorObject, type Tensors } from './params.js';

/** Parameter tensors by full name (`up.blkdiag1`), row-major. */
export type ParamValues = ReadonlyMap<string, ArrayLike<number>>;

/** A batch of row vectors, row-major (batch, width). */
export type Rows = Float64Array;

/**
 * The arguments of a reference call, as JavaScript may pass them: `model` a map's model (the
 * manifest map itself is the natural slip), `arrays` arrays of numbers, `batch` a whole number ≥ 0,
 * `params` tensors by name, a Map or an object (as loadParams takes them: arrays of numbers or
 * tensor objects `{ shape, data }`), returned as a Map of arrays. Each
 * mistake is one MoncError (kind `user`; `param` for the tensors), never a TypeError.
 */
export function referenceArgs(call: string, model: unknown, params: unknown, arrays: Readonly<Record<string, unknown>>, batch: unknown): ParamValues {
  const m = model as { body?: { in?: unknown }; model?: unknown; name?: unknown } | null;
  if (typeof m?.body?.in !== 'number') {
    throw userError(`${call} takes a map's model (manifest.maps[i].model, or modelOf(map)), got ${m?.model ? `the manifest map '${String(m.name)}' itself` : typeName(model)}`);
  }
  for (const [role, a] of Object.entries(arrays)) {
    if (typeof (a as { length?: unknown } | null)?.length !== 'number' || typeof a === 'string') throw userError(`${call}: ${role} must be an array of numbers, got ${typeName(a)}`);
  }
  if (!Number.isInteger(batch) || (batch as number) < 0) throw userError(`${call}: batch must be a whole number ≥ 0, got ${shown(batch)}`);
  // A Promise, an Array or a typed array holds no tensors by name: refused as the wrong kind of argument, as loadParams
  // refuses it (REV31-2 after QA2 s31 Q1051: each said the first tensor was missing, kind param).
  if (!(params instanceof Map || isPlainObject(params))) throw userError(`${call}: parameters must be tensors by name (a Map or an object), got ${shown(params)}`);
  const byName: Iterable<[string, unknown]> = params instanceof Map ? params : Object.entries(params);
  const isTensor = (value: unknown) => Array.isArray((value as Partial<TensorObject> | null)?.shape);
  // Where the model lists its parameters (a ModelMap does), each tensor it names must have their shape: a tensor object
  // `{ shape, data }` (readSafetensors' tensors, as loadParams takes them; QA2 s14 R30: all NaN) that shape, an array its
  // element count (QA2 s20 R95: a longer one was read in part). Anything else is numbersOnly's to refuse.
  const shapes = new Map((m as { params?: readonly ParamSpec[] }).params?.map((p) => [p.name, p.shape]));
  const checked = [...byName].map(([name, value]): [string, ArrayLike<number>] => {
    const shape = shapes.get(name);
    const data = (isTensor(value) ? (value as TensorObject).data : value) as ArrayLike<number>;
    if (shape && isTensor(value)) checkShape(name, (value as TensorObject).shape, shape);
    if (shape && typeof data?.length === 'number' && data.length !== elementCount(shape)) {
      // packParams' words (written out there too: a shared function would cost every page bytes, the reference is in none).
      throw new ParamError(`parameter tensor '${name}' has ${data.length} elements; expected shape ${shapeText(shape)} = ${elementCount(shape)} elements`);
    }
    return [name, data];
  });
  // A Map of arrays as it is (a caller's Map subclass keeps its own get).
  return params instanceof Map && ![...params.values()].some(isTensor) ? (params as ParamValues) : new Map(checked);
}

/** Y = X Mᵀ (+ bias) for a batch X of shape (batch, in); returns (batch, out). Any ModelMap will do. */
export function referenceApply(model: Pick<ModelMap, 'body'>, params: Tensors, x: ArrayLike<number>, batch: number): Float64Array {
  const tensors = referenceArgs('referenceApply', model, params, { x }, batch);
  const n = model.body.in;
  // Exactly batch rows, as referenceBackward and the runners take them: a longer x was read in part, so a wrong batch
  // gave a reference of fewer rows that matched a runner's first rows (QA2 s24 Q353).
  if (x.length !== batch * n) throw new MoncError('shape', `x has ${x.length} values, expected ${batch}×${n}`);
  return applyNode(model.body, tensors, Float64Array.from(x), batch);
}

/**
 * The dense matrix M of shape (out, in), row-major (bias terms excluded: M is the linear part),
 * in float64. Cost O(structured cost · in), never O(out · in²): factors are written out entry by
 * entry, sums add their terms' matrices, a tied map is densified once per map name however often
 * it is used, and a chain is applied to the identity (its factors' work per column).
 */
export function referenceDense(model: Pick<ModelMap, 'body'>, params: Tensors): Float64Array {
  const tensors = referenceArgs('referenceDense', model, params, {}, 0);
  return denseNode(model.body, tensors, new Map());
}

/** Tensors found to hold numbers only (numbersOnly checks each once). */
const numeric = new WeakSet<object>();

/**
 * Throws (kind `param`) unless `w` is an array of numbers: from JavaScript `{ data }` without a
 * shape, `{}` or strings gave NaN silently (QA2 s14 R30), where loadParams refuses them.
 */
function numbersOnly(name: string, w: ArrayLike<number>): void {
  if (w instanceof Float32Array || w instanceof Float64Array || numeric.has(w)) return;
  const isArray = typeof w.length === 'number' && typeof w !== 'string';
  const at = isArray ? Array.prototype.findIndex.call(w, (v: unknown) => typeof v !== 'number') : -1;
  if (!isArray || at >= 0) throw new MoncError('param', `parameter tensor '${name}' must be an array of numbers or a tensor object { shape, data }, got ${isArray ? `${typeName(w[at])} at element ${at}` : typeName(w)}`);
  numeric.add(w);
}

/** The weights a factor reads: the tensor and where its slice starts. */
export function sliceOf(params: ParamValues, slice: ParamSlice): { readonly w: ArrayLike<number>; readonly offset: number } {
  const w = params.get(slice.tensor);
  if (!w) throw new MoncError('param', `missing parameter tensor '${slice.tensor}'`);
  numbersOnly(slice.tensor, w);
  if (w.length < slice.offset + slice.length) throw new MoncError('param', `parameter tensor '${slice.tensor}' has ${w.length} values, expected at least ${slice.offset + slice.length}`);
  return { w, offset: slice.offset };
}

/** A node applied to every row of a batch: (batch, n.in) -> (batch, n.out); with `linear`, its biases left out (M x). */
export function applyNode(n: ModelNode, params: ParamValues, x: Rows, batch: number, linear = false): Rows {
  switch (n.kind) {
    case 'ks': {
      const { w, offset } = sliceOf(params, n.weight);
      const y = new Float64Array(batch * n.out);
      for (let row = 0; row < batch; row++) y.set(applyKs(n.a, n.b, n.c, n.d, w, offset, x.subarray(row * n.in, (row + 1) * n.in)), row * n.out);
      return y;
    }
    case 'bsr': {
      const { w, offset } = sliceOf(params, n.weight);
      const y = new Float64Array(batch * n.out);
      n.blocks.forEach(([bi, bj], z) => {
        for (let row = 0; row < batch; row++)
          for (let i = 0; i < n.bh; i++) {
            let acc = 0;
            const wBase = offset + (z * n.bh + i) * n.bw;
            const xBase = row * n.in + bj * n.bw;
            for (let j = 0; j < n.bw; j++) acc += w[wBase + j] * x[xBase + j];
            y[row * n.out + bi * n.bh + i] += acc;
          }
      });
      return y;
    }
    case 'transpose': {
      const y = new Float64Array(batch * n.out);
      for (let row = 0; row < batch; row++)
        for (let i = 0; i < n.r; i++) for (let j = 0; j < n.c; j++) y[row * n.out + j * n.r + i] = x[row * n.in + i * n.c + j];
      return y;
    }
    case 'bias': {
      const y = new Float64Array(batch * n.out);
      if (linear) return y;
      const { w, offset } = sliceOf(params, n.param);
      for (let row = 0; row < batch; row++) for (let i = 0; i < n.out; i++) y[row * n.out + i] = w[offset + i];
      return y;
    }
    case 'sum': {
      const y = new Float64Array(batch * n.out);
      for (const term of n.terms) {
        const t = applyNode(term, params, x, batch, linear);
        for (let i = 0; i < y.length; i++) y[i] += t[i];
      }
      return y;
    }
    case 'chain': {
      let h = x;
      for (const stage of n.stages) h = applyNode(stage, params, h, batch, linear);
      return h === x ? Float64Array.from(x) : h;
    }
    case 'tied':
      return applyNode(n.body, params, x, batch, linear);
    default:
      return assertNever(n, 'model node');
  }
}

/** y = K(a,b,c,d) x with weights W (a·d, b, c) starting at `offset`. */
export function applyKs(a: number, b: number, c: number, d: number, w: ArrayLike<number>, offset: number, x: ArrayLike<number>): Float64Array {
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

/** The linear part of a node as a dense (out, in) matrix; `tied` caches each map's matrix by name. */
function denseNode(n: ModelNode, params: ParamValues, tied: Map<string, Float64Array>): Float64Array {
  switch (n.kind) {
    case 'ks':
      return ksDense(n, params);
    case 'bsr': {
      const { w, offset } = sliceOf(params, n.weight);
      const m = new Float64Array(n.out * n.in);
      n.blocks.forEach(([bi, bj], z) => {
        for (let i = 0; i < n.bh; i++)
          for (let j = 0; j < n.bw; j++) m[(bi * n.bh + i) * n.in + bj * n.bw + j] += w[offset + (z * n.bh + i) * n.bw + j];
      });
      return m;
    }
    case 'transpose': {
      const m = new Float64Array(n.out * n.in);
      for (let i = 0; i < n.r; i++) for (let j = 0; j < n.c; j++) m[(j * n.r + i) * n.in + i * n.c + j] = 1;
      return m;
    }
    case 'bias':
      return new Float64Array(n.out * n.in);
    case 'sum': {
      const m = new Float64Array(n.out * n.in);
      for (const term of n.terms) {
        const t = denseNode(term, params, tied);
        for (let i = 0; i < m.length; i++) m[i] += t[i];
      }
      return m;
    }
    case 'chain':
      return denseByColumns(n, params);
    case 'tied': {
      let m = tied.get(n.map);
      if (m === undefined) {
        m = denseNode(n.body, params, tied);
        tied.set(n.map, m);
      }
      return m;
    }
    default:
      return assertNever(n, 'model node');
  }
}

/** M[α·b·d + β·d + δ, α·c·d + γ·d + δ] = W[α·d + δ, β, γ]: the factor's entries, written out. */
function ksDense(n: KsFactor, params: ParamValues): Float64Array {
  const { a, b, c, d } = n;
  const { w, offset } = sliceOf(params, n.weight);
  const m = new Float64Array(n.out * n.in);
  for (let al = 0; al < a; al++)
    for (let be = 0; be < b; be++)
      for (let ga = 0; ga < c; ga++)
        for (let de = 0; de < d; de++) m[(al * b * d + be * d + de) * n.in + al * c * d + ga * d + de] = w[offset + ((al * d + de) * b + be) * c + ga];
  return m;
}

/** Unit vectors per batch in denseByColumns: bounds its memory to this many rows of each stage's width. */
const COLUMN_BATCH = 64;

/**
 * M by applying the node's linear part (its biases left out) to the unit vectors e_j, a batch at a time: nothing is
 * subtracted. Columns f(e_j) − f(0) lost M's digits to a bias inside a chain (QA2 s26 Q555: a tied map with a bias of
 * 1e20 used as g @ g gave M = 0; of 1e6, errors of 7.6e-6), as the runtime's dense() did before it zeroed the biases.
 */
function denseByColumns(n: ModelNode, params: ParamValues): Float64Array {
  const m = new Float64Array(n.out * n.in);
  for (let j0 = 0; j0 < n.in; j0 += COLUMN_BATCH) {
    const count = Math.min(COLUMN_BATCH, n.in - j0);
    const units = new Float64Array(count * n.in);
    for (let k = 0; k < count; k++) units[k * n.in + j0 + k] = 1;
    const columns = applyNode(n, params, units, count, true); // row k is M e_(j0+k)
    for (let k = 0; k < count; k++) for (let i = 0; i < n.out; i++) m[i * n.in + j0 + k] = columns[k * n.out + i];
  }
  return m;
}
