/**
 * Index maps (the IR's permutations) as ONNX Reshape/Transpose. An activation is held either as
 * rows (batch, size) or block-major [groups, batch, inner] (what a batched MatMul reads and
 * writes); moving between two such layouts through a permutation step is one Transpose of a
 * view whose axes are the step's digits with the batch axis among them, so a permutation costs
 * no index table, and a permutation between two block matmuls costs one Transpose, not two.
 */
import { simplifyIndexMap, stepOutputShape } from '../ir/index-map.js';
import type { AxisPermutation, IndexMap } from '../ir/ir.js';
import type { GraphBuilder, Value } from './onnx-graph.js';

/**
 * An activation of shape (batch, size): `value` is [groups, batch, size/groups] (or (batch, size)
 * with one group) whose (group, inner) entries, permuted by `map` (y[map(i)] = x[i]), are the rows.
 */
export interface Activation {
  readonly value: Value;
  readonly groups: number;
  readonly map: IndexMap;
}

export function rowsActivation(value: Value, size: number): Activation {
  return { value, groups: 1, map: { size, steps: [] } };
}

/** The activation as rows (batch, size); built once per activation. */
export function asRows(g: GraphBuilder, act: Activation): Value {
  if (act.groups === 1 && act.map.steps.length === 0) return act.value;
  return g.memo(`rows:${act.value}:${JSON.stringify(act.map.steps)}`, () => relayout(g, act.value, act.groups, act.map, 1));
}

/** The activation permuted by `map` (y[map(i)] = x[i]), then laid out as [groups, batch, size/groups]. */
export function permuted(g: GraphBuilder, act: Activation, map: IndexMap, groups: number): Value {
  return relayout(g, act.value, act.groups, { size: map.size, steps: [...act.map.steps, ...map.steps] }, groups);
}

/** `x` in layout `from` (groups), permuted by `map`, in layout `to`. */
function relayout(g: GraphBuilder, x: Value, from: number, map: IndexMap, to: number): Value {
  const size = map.size;
  const steps = simplifyIndexMap(map).steps;
  if (steps.length === 0 && from === to) return x;
  const identity: AxisPermutation = { shape: [size], perm: [0] };
  const all = steps.length === 0 ? [identity] : steps;
  let cur = x;
  let groups = from;
  all.forEach((step, i) => {
    const target = i === all.length - 1 ? to : 1;
    let moved = moveBlocks(g, cur, groups, step, target, size, true);
    if (moved === undefined) {
      // The digits do not line up with the group boundaries, or the one Transpose would be a
      // slow one: go through rows, one Reshape apart (so that ONNX Runtime keeps them apart).
      const rows = groups === 1 ? cur : moveBlocks(g, cur, groups, identity, 1, size, false)!;
      moved =
        moveBlocks(g, rows, 1, step, target, size, true) ??
        moveBlocks(g, moveBlocks(g, rows, 1, step, 1, size, false)!, 1, identity, target, size, false)!;
    }
    cur = moved;
    groups = target;
  });
  return cur;
}

/**
 * One step from layout `from` to layout `to` as Reshape + Transpose + Reshape: the view's axes
 * are the step's input digits with the batch axis inserted where the `from` groups end, and the
 * Transpose puts it where the `to` groups end. Undefined when the step's digits cannot be split
 * there, or (`fastOnly`) when the Transpose would not be one ONNX Runtime's CPU kernel copies in
 * blocks: one that keeps the last axis in place or moves a single axis. Others (e.g. [2, 1, 0])
 * go element by element, several times slower than two block-copying ones.
 */
function moveBlocks(g: GraphBuilder, x: Value, from: number, step: AxisPermutation, to: number, size: number, fastOnly: boolean): Value | undefined {
  const refined = withSplits(step, from, to);
  if (!refined) return undefined;
  const { shape, perm, kIn, kOut } = refined;
  const axis = (j: number) => (j < kIn ? j : j + 1);
  const order = [...perm.slice(0, kOut).map(axis), kIn, ...perm.slice(kOut).map(axis)];
  if (fastOnly && !copiesInBlocks(order)) return undefined;
  const view = g.reshape(x, [...shape.slice(0, kIn), -1, ...shape.slice(kIn)]);
  return g.reshape(g.transpose(view, order), to === 1 ? [-1, size] : [to, -1, size / to]);
}

/** Whether a Transpose by `perm` keeps the last axis last or moves only one axis (see moveBlocks). */
function copiesInBlocks(perm: readonly number[]): boolean {
  if (perm[perm.length - 1] === perm.length - 1) return true;
  return perm.some((a) => perm.filter((b) => b !== a).every((b, i, rest) => i === 0 || rest[i - 1] < b));
}

/** Where the digits of `shape` that multiply to `lead` end: an axis index, or the axis to split and the size of its first part. */
function boundary(shape: readonly number[], lead: number): { at: number } | { split: number; first: number } | undefined {
  let prefix = 1;
  for (let k = 0; k <= shape.length; k++) {
    if (prefix === lead) return { at: k };
    if (k === shape.length || lead % prefix !== 0) return undefined;
    const first = lead / prefix;
    if (first < shape[k]) return shape[k] % first === 0 ? { split: k, first } : undefined;
    prefix *= shape[k];
  }
  return undefined;
}

/** The same permutation with input axis j split into (first, shape[j]/first): the two parts move together. */
function splitInputAxis(step: AxisPermutation, j: number, first: number): AxisPermutation {
  return {
    shape: [...step.shape.slice(0, j), first, step.shape[j] / first, ...step.shape.slice(j + 1)],
    perm: step.perm.flatMap((p) => (p === j ? [j, j + 1] : [p > j ? p + 1 : p])),
  };
}

/** `step` refined so that its input digits end a group of `inLead` at kIn and its output digits one of `outLead` at kOut. */
function withSplits(step: AxisPermutation, inLead: number, outLead: number): (AxisPermutation & { kIn: number; kOut: number }) | undefined {
  let s = step;
  const out = boundary(stepOutputShape(s), outLead);
  if (!out) return undefined;
  if ('split' in out) s = splitInputAxis(s, s.perm[out.split], out.first);
  const inp = boundary(s.shape, inLead);
  if (!inp) return undefined;
  if ('split' in inp) s = splitInputAxis(s, inp.split, inp.first);
  const kIn = boundary(s.shape, inLead);
  const kOut = boundary(stepOutputShape(s), outLead);
  if (!kIn || !kOut || !('at' in kIn) || !('at' in kOut)) throw new Error('internal error: a refined permutation step lost a digit boundary');
  return { ...s, kIn: kIn.at, kOut: kOut.at };
}

