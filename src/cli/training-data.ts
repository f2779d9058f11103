/**
 * The batches `monc grad` and `monc train` read: an input X of shape (B, in) or (in,), and an
 * array paired with it row for row (∂L/∂Y, or the target Y) whose shape follows from X. Every
 * value must be finite once in float32: a NaN or Inf would only come back as a NaN gradient or
 * loss far from its cause.
 */
import type { CheckedMap } from '../dsl/structure.js';
import { readNpyFile, shapeText } from './data-files.js';
import { UserError } from './user-error.js';

export interface Rows {
  readonly data: Float32Array;
  readonly rows: number;
  /** The shape as read: (B, width), or (width,) for a single vector. */
  readonly shape: readonly number[];
}

/** X of shape (B, map.in) or (map.in,). */
export async function readInputRows(path: string, map: CheckedMap): Promise<Rows> {
  const x = await readNpyFile(path);
  const vector = x.shape.length === 1;
  if (!((vector || x.shape.length === 2) && x.shape[x.shape.length - 1] === map.in)) {
    throw new UserError(`${path}: input has shape ${shapeText(x.shape)}; map '${map.name}' takes (B, ${map.in}) or (${map.in},)`);
  }
  if (x.shape[0] === 0) throw new UserError(`${path}: input has no rows`);
  return finiteRows(path, 'input', x.shape, x.data);
}

/** The array that pairs with `input` row for row, of width map.out: its shape must be the one X implies. */
export async function readPairedRows(path: string, what: string, input: Rows, map: CheckedMap): Promise<Rows> {
  const a = await readNpyFile(path);
  const expected = input.shape.length === 1 ? [map.out] : [input.rows, map.out];
  if (a.shape.length !== expected.length || a.shape.some((d, i) => d !== expected[i])) {
    throw new UserError(`${path}: ${what} has shape ${shapeText(a.shape)}, expected ${shapeText(expected)} (one row of width ${map.out}, the output of map '${map.name}', per row of the input)`);
  }
  return finiteRows(path, what, a.shape, a.data);
}

function finiteRows(path: string, what: string, shape: readonly number[], values: ArrayLike<number>): Rows {
  const data = Float32Array.from(values);
  const width = shape[shape.length - 1];
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    const where = shape.length === 1 ? `element ${bad}` : `row ${Math.floor(bad / width)}, column ${bad % width}`;
    const value = Number.isNaN(values[bad]) ? 'NaN' : Number.isFinite(values[bad]) ? `${values[bad]} (beyond float32)` : String(values[bad]);
    throw new UserError(`${path}: ${what} holds ${value} at ${where}; all values must be finite`);
  }
  return { data, rows: shape.length === 1 ? 1 : shape[0], shape };
}
