/**
 * The batches `monc grad` and `monc train` read: an input X of shape (…, in) (like nn.Linear and
 * `monc run`: any leading dimensions, none for one vector), and an array paired with it row for
 * row (∂L/∂Y, or the target Y) of shape (…, out) with the same leading dimensions. Every value
 * must be finite once in float32 (runtime/finite-rows.ts, the check fitMse makes too).
 */
import type { CheckedMap } from '../dsl/structure.js';
import { nonFiniteValue } from '../runtime/finite-rows.js';
import { MoncError } from '../util/error.js';
import { readNpyFile, shapeText } from './data-files.js';

export interface Rows {
  readonly data: Float32Array;
  /** The product of the leading dimensions: 1 for a single vector. */
  readonly rows: number;
  /** The shape as read: (…, width). */
  readonly shape: readonly number[];
}

/** X of shape (…, map.in); a leading dimension of 0 is no rows (grad's gradients are then 0, as `backward`'s; train refuses it). */
export async function readInputRows(path: string, map: CheckedMap): Promise<Rows> {
  const x = await readNpyFile(path);
  if (x.shape.length === 0 || x.shape[x.shape.length - 1] !== map.in) {
    throw new MoncError('shape', `${path}: input has shape ${shapeText(x.shape)}; map '${map.name}' takes (…, ${map.in}): the last dimension must be ${map.in}`);
  }
  return finiteRows(path, 'input', x.shape, x.data);
}

/** The array that pairs with `input` row for row: shape (…, map.out) with the input's leading dimensions. */
export async function readPairedRows(path: string, what: string, input: Rows, map: CheckedMap): Promise<Rows> {
  const a = await readNpyFile(path);
  const expected = [...input.shape.slice(0, -1), map.out];
  if (a.shape.length !== expected.length || a.shape.some((d, i) => d !== expected[i])) {
    throw new MoncError('shape', `${path}: ${what} has shape ${shapeText(a.shape)}, expected ${shapeText(expected)} (one row of width ${map.out}, the output of map '${map.name}', per row of the input)`);
  }
  return finiteRows(path, what, a.shape, a.data);
}

function finiteRows(path: string, what: string, shape: readonly number[], values: ArrayLike<number>): Rows {
  const bad = nonFiniteValue(values, shape);
  if (bad) throw new MoncError('value', `${path}: ${what} ${bad}; all values must be finite`);
  const data = Float32Array.from(values);
  return { data, rows: data.length / shape[shape.length - 1], shape };
}
