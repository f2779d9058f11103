/**
 * Packing a map's parameter tensors into its one parameter buffer (the layout `schedule` chose,
 * ir.ts `ParamLayoutEntry`) and back. Padding between tensors is zero.
 */
import type { Dtype, ParamLayoutEntry } from '../manifest/program.js';
import { MoncError } from '../util/error.js';
import { shapeText } from '../util/shape-text.js';
import { checkValues } from './numerics.js';

/** A parameter set that does not fit the map: missing tensor or wrong number of elements. */
export class ParamError extends MoncError {
  override readonly name = 'ParamError';
  constructor(message: string) {
    super('param', message);
  }
}

/**
 * One parameter tensor as loadParams takes it: its values row-major, or a tensor object
 * `{ shape, data }` (what readSafetensors(bytes).tensors holds, and exportOnnx and the converters
 * take), whose shape must then be the map's.
 */
export type ParamTensor = ArrayLike<number> | TensorObject;

/** A tensor with its shape (readSafetensors' tensors are such objects). */
export interface TensorObject {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

/** Parameter tensors by name: an object or a Map. */
export type Tensors = ReadonlyMap<string, ParamTensor> | Readonly<Record<string, ParamTensor>>;

/** The number of elements of a tensor of this shape. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((p, v) => p * v, 1);
}

/** Throws unless a tensor's shape is the layout's (compared as messages write them: equal texts, equal shapes). */
export function checkShape(name: string, shape: readonly number[], expected: readonly number[]): void {
  const [a, b] = [shape, expected].map(shapeText);
  if (a !== b) throw new ParamError(`parameter tensor '${name}' has shape ${a}; expected ${b}`);
}

/**
 * The values of tensor `entry.name`: an array of numbers as given, or the data of a tensor object
 * `{ shape, data }` (what readSafetensors gives and exportOnnx and the converters take; from
 * JavaScript, QA2 s11 B2), whose shape must then be the entry's.
 */
function lookup(tensors: Tensors, entry: ParamLayoutEntry): ArrayLike<number> | undefined {
  const { name } = entry;
  // (Casts, not aliases: an alias is a variable in every page.)
  const value = (tensors instanceof Map ? tensors.get(name) : Object.hasOwn(tensors, name) ? (tensors as Readonly<Record<string, unknown>>)[name] : undefined) as
    | { shape?: readonly number[]; data?: ArrayLike<number> }
    | null
    | undefined;
  if (!Array.isArray(value?.shape)) return value as ArrayLike<number> | undefined;
  checkShape(name, value.shape, entry.shape);
  return value.data;
}

/**
 * The packed buffer of `tensors`. Values must be finite, and within ±65504 for an f16 module
 * (`dtype`): a ValueRangeError names the tensor and element otherwise (numerics.ts).
 */
export function packParams(layout: readonly ParamLayoutEntry[], paramSize: number, tensors: Tensors, dtype: Dtype = 'f32'): Float32Array {
  // (What a JavaScript caller passes as `tensors` is checked before: loadParams' tensorsOfParams, the exported packParams.)
  const packed = new Float32Array(paramSize);
  for (const entry of layout) {
    const values = lookup(tensors, entry);
    const expected = elementCount(entry.shape);
    const what = `parameter tensor '${entry.name}'`;
    const shape = `shape ${shapeText(entry.shape)}`;
    // null too: from JavaScript, a tensor set to null is as missing as one left out.
    if (values == null) throw new ParamError(`missing ${what} (expected ${shape})`);
    if (values.length !== expected) throw new ParamError(`${what} has ${values.length} elements; expected ${shape} = ${expected} elements`);
    checkSpan(entry, expected, paramSize);
    checkValues(values, dtype, what, entry.shape);
    packed.set(values, entry.offset);
  }
  return packed;
}

/** Throws unless the `n` elements of `entry` lie within a packed buffer of `size` (a layout its paramSize does not hold: a manifest edited by hand). */
function checkSpan(entry: ParamLayoutEntry, n: number, size: number): void {
  if (entry.offset + n > size) throw new ParamError(`packed parameters have ${size} elements; '${entry.name}' needs [${entry.offset}, ${entry.offset + n})`);
}

/** The tensors of a packed buffer by name, each a copy of its elements (row-major). */
export function unpackParams(layout: readonly ParamLayoutEntry[], packed: ArrayLike<number>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const entry of layout) {
    const n = elementCount(entry.shape);
    checkSpan(entry, n, packed.length);
    out.set(entry.name, new Float32Array(n).map((_, i) => packed[entry.offset + i]));
  }
  return out;
}
