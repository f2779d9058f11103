/**
 * Index maps (the IR's permutations) as ONNX Reshape/Transpose: every axis permutation step
 * becomes one Transpose of a (batch, …digits) view, so a permutation costs no index table. A
 * block matmul also needs its blocks as a leading axis ([groups, batch, inner] for a batched
 * MatMul); where the last (first) step's digit boundaries allow, that move of the batch axis is
 * folded into the step's own Transpose instead of costing one more.
 */
import { product, simplifyIndexMap, stepOutputShape } from '../ir/index-map.js';
import type { AxisPermutation, IndexMap } from '../ir/ir.js';
import type { GraphBuilder, Value } from './onnx-graph.js';

/** Each step as a Transpose of a (batch, …step.shape) view; `x` is (batch, size) in any row-major view. */
function applySteps(g: GraphBuilder, x: Value, steps: readonly AxisPermutation[], size: number): Value {
  let t = x;
  for (const step of steps) t = g.transpose(g.reshape(t, [-1, ...step.shape]), [0, ...step.perm.map((j) => j + 1)]);
  return steps.length === 0 ? x : g.reshape(t, [-1, size]);
}

/** y with y[map(i)] = x[i] per row: `x` is (batch, map.size). */
export function permuteRows(g: GraphBuilder, x: Value, map: IndexMap): Value {
  return applySteps(g, x, simplifyIndexMap(map).steps, map.size);
}

/** The split point k of `shape` where the digits before k multiply to `lead`, if there is one. */
function splitAt(shape: readonly number[], lead: number): number | undefined {
  for (let k = 1; k < shape.length; k++) if (product(shape.slice(0, k)) === lead) return k;
  return undefined;
}

/**
 * `x` (batch, groups·inner) permuted by `map` (y[map(i)] = x[i]), then viewed as
 * [groups, batch, inner]; with one group, just (batch, inner).
 */
export function toBlockMajor(g: GraphBuilder, x: Value, map: IndexMap, groups: number, inner: number): Value {
  if (groups === 1) return permuteRows(g, x, map);
  const steps = simplifyIndexMap(map).steps;
  const last = steps[steps.length - 1];
  const k = last && splitAt(stepOutputShape(last), groups);
  if (k === undefined) {
    const rows = g.reshape(applySteps(g, x, steps, map.size), [-1, groups, inner]);
    return g.transpose(rows, [1, 0, 2]);
  }
  // The last step's Transpose also puts the batch axis between the group digits and the inner ones.
  const before = applySteps(g, x, steps.slice(0, -1), map.size);
  const perm = [...last.perm.slice(0, k).map((j) => j + 1), 0, ...last.perm.slice(k).map((j) => j + 1)];
  return g.reshape(g.transpose(g.reshape(before, [-1, ...last.shape]), perm), [groups, -1, inner]);
}

/**
 * The inverse arrangement: `r` is [groups, batch, inner] (or (batch, inner) with one group),
 * whose rows in (group, inner) order are permuted by `map`; the result is (batch, map.size).
 */
export function fromBlockMajor(g: GraphBuilder, r: Value, map: IndexMap, groups: number, inner: number): Value {
  if (groups === 1) return permuteRows(g, r, map);
  const steps = simplifyIndexMap(map).steps;
  const first = steps[0];
  const k = first && splitAt(first.shape, groups);
  if (k === undefined) return applySteps(g, g.reshape(g.transpose(r, [1, 0, 2]), [-1, map.size]), steps, map.size);
  // The first step's Transpose also brings the batch axis (between its group and inner digits) to the front.
  const view = g.reshape(r, [...first.shape.slice(0, k), -1, ...first.shape.slice(k)]);
  const perm = [k, ...first.perm.map((j) => (j < k ? j : j + 1))];
  const moved = g.reshape(g.transpose(view, perm), [-1, map.size]);
  return applySteps(g, moved, steps.slice(1), map.size);
}
