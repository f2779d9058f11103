/**
 * safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header length
 * N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {..}}`,
 * then the tensor bytes (offsets relative to the end of the header), little-endian, row-major.
 *
 * Browser-safe: works on Uint8Array only. The index takes a tensor of any dtype of the format (a
 * state dict's integer counters and boolean masks beside its weights); the values of F32, F16,
 * BF16 (-> Float32Array) and F64 (-> Float64Array) tensors are read, asking for another's is an
 * error. Writing emits F32 or F16. Written files are deterministic: tensors in
 * sorted name order, packed back to back, header padded with spaces to 8-byte alignment.
 */
import { f16BitsToF32, f32ToF16Bits } from './f16.js';
import { isJsonObject, oneLine } from '../../util/json.js';
import { FormatError } from './format-error.js';
import { elementCount } from '../params.js';
import { typeName, userError } from '../user-error.js';
import { checkBytes, checkNumbers, checkOneOf } from './arguments.js';

/** The dtypes whose values monc reads. */
export type SafetensorsReadDtype = 'F32' | 'F16' | 'BF16' | 'F64';
export type SafetensorsWriteDtype = 'F32' | 'F16';

export interface SafetensorsTensor {
  /** The dtype stored in the file. */
  readonly dtype: SafetensorsReadDtype;
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array;
}

export interface SafetensorsFile {
  /** Tensors in the order of their data in the file: those of a dtype monc reads. */
  readonly tensors: ReadonlyMap<string, SafetensorsTensor>;
  /** The other tensors (I64, BOOL, U8, …): their dtypes by name, values not read. */
  readonly skipped: ReadonlyMap<string, SafetensorsDtype>;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface TensorToWrite {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

/** Every dtype of the format, with its bytes per element. */
const BYTES = { F32: 4, F16: 2, BF16: 2, F64: 8, BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, I32: 4, U32: 4, I64: 8, U64: 8 } as const;
/** A dtype of the safetensors format. */
export type SafetensorsDtype = keyof typeof BYTES;
/** The dtypes whose values are read: BYTES' first four. */
const READ_DTYPES: readonly string[] = Object.keys(BYTES).slice(0, 4);
/** The Rust reference implementation refuses headers above 100 MB; so do we. */
const MAX_HEADER = 100_000_000;

/** Where one tensor's bytes lie: [begin, end) relative to the start of the data section. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/** A safetensors file's header: enough to read any one tensor without the others. */
export interface SafetensorsIndex {
  /** Offset of the data section in the file (8 + header length). */
  readonly dataStart: number;
  /** In the order of their data in the file. */
  readonly entries: readonly SafetensorsEntry[];
  readonly metadata: Readonly<Record<string, string>>;
}

/** The error for a file (or, writing, tensors) the format does not allow: `message` after the `safetensors: ` every such message starts with. */
function invalid(message: string): FormatError {
  return new FormatError(`safetensors: ${message}`);
}

/** A header that is not a JSON object starting right after the length (the format requires '{' first), after `safetensors: `. */
export const NOT_AN_OBJECT = "the header is not a JSON object (it must start with '{', nothing before it)";

/** The header length a file's first 8 bytes give, checked against the file's length. */
export function safetensorsHeaderLength(head: Uint8Array, fileLength: number): number {
  if (fileLength < 8 || head.length < 8) throw invalid(`truncated file (${fileLength} bytes, need at least 8 for the header length)`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength > fileLength - 8) {
    throw invalid(`header length ${headerLength} goes beyond the end of the file (${fileLength} bytes)`);
  }
  if (headerLength > MAX_HEADER) throw invalid(`header length ${headerLength} is larger than the limit of ${MAX_HEADER}`);
  return headerLength;
}

/**
 * The index of a file of `fileLength` bytes whose first bytes are `head` (at least the 8-byte
 * length and the header; the whole file will do).
 */
export function readSafetensorsIndex(head: Uint8Array, fileLength: number): SafetensorsIndex {
  const headerLength = safetensorsHeaderLength(head, fileLength);
  if (head.length < 8 + headerLength) throw invalid(`header of ${headerLength} bytes not given whole`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(8, 8 + headerLength)));
  } catch (e) {
    throw invalid(`header is not valid JSON (${oneLine(e)})`);
  }
  // An object, and (the format's rule, which JSON.parse does not check) one with nothing before its '{'.
  if (!isJsonObject(header) || head[8] !== 0x7b) throw invalid(NOT_AN_OBJECT);

  const dataStart = 8 + headerLength;
  const dataLength = fileLength - dataStart;
  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(value);
      continue;
    }
    const entry = parseEntry(name, value);
    if (entry.end > dataLength) {
      throw invalid(`tensor '${name}' data_offsets [${entry.begin}, ${entry.end}] go beyond the data section (${dataLength} bytes)`);
    }
    entries.push(entry);
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  entries.forEach((cur, i) => {
    const prev = entries[i - 1];
    if (cur.begin < prev?.end) throw invalid(`tensors '${prev.name}' and '${cur.name}' overlap`);
  });
  return { dataStart, entries, metadata };
}

/** Whether monc reads the values of a tensor of this dtype. */
export function isReadDtype(dtype: SafetensorsDtype): dtype is SafetensorsReadDtype {
  return READ_DTYPES.includes(dtype);
}

/** The values of one tensor from its bytes (`entry.end − entry.begin` of them); a FormatError for a dtype monc does not read. */
export function decodeSafetensorsTensor(entry: SafetensorsEntry, bytes: Uint8Array): SafetensorsTensor {
  const { dtype } = entry;
  if (!isReadDtype(dtype)) throw invalid(`tensor '${entry.name}' is ${dtype}; monc reads ${READ_DTYPES.join(', ')}`);
  return { dtype, shape: entry.shape, data: decode(dtype, new DataView(bytes.buffer, bytes.byteOffset, entry.end - entry.begin)) };
}

/** Every tensor of a dtype monc reads; the others are listed in `skipped`. */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  checkBytes('readSafetensors', 'a safetensors file', bytes);
  const index = readSafetensorsIndex(bytes, bytes.length);
  const tensors = new Map<string, SafetensorsTensor>();
  const skipped = new Map<string, SafetensorsDtype>();
  for (const e of index.entries) {
    if (isReadDtype(e.dtype)) tensors.set(e.name, decodeSafetensorsTensor(e, bytes.subarray(index.dataStart + e.begin, index.dataStart + e.end)));
    else skipped.set(e.name, e.dtype);
  }
  return { tensors, skipped, metadata: index.metadata };
}

function parseEntry(name: string, value: unknown): SafetensorsEntry {
  if (!isJsonObject(value)) throw invalid(`entry '${name}' is not an object`);
  const { dtype, shape, data_offsets: offsets } = value;
  // Every other refusal names the tensor the same way.
  const bad = (what: string) => invalid(`tensor '${name}' ${what}`);
  if (typeof dtype !== 'string') throw bad('has no dtype');
  if (!Object.hasOwn(BYTES, dtype)) throw bad(`has unknown dtype ${dtype} (known: ${Object.keys(BYTES).join(', ')})`);
  if (!Array.isArray(shape) || !shape.every(isCount)) throw bad(`has an invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw bad(`has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as number[];
  // (The dtype checked above is cast where used, not aliased: an alias is a variable in every page.)
  const bytes = elementCount(shape as number[]) * BYTES[dtype as SafetensorsDtype];
  if (bytes !== end - begin) throw bad(`of shape [${shape.join(', ')}] and dtype ${dtype} needs ${bytes} bytes, data_offsets give ${end - begin}`);
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end };
}

function parseMetadata(value: unknown): Record<string, string> {
  if (!isJsonObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw invalid('__metadata__ must be an object of strings');
  }
  return value as Record<string, string>;
}

function decode(dtype: SafetensorsReadDtype, v: DataView): Float32Array | Float64Array {
  const n = v.byteLength / BYTES[dtype];
  const out = dtype === 'F64' ? new Float64Array(n) : new Float32Array(n);
  // bfloat16 is the top half of a float32: its bits, shifted, are written as such.
  const target = dtype === 'BF16' ? new Uint32Array(out.buffer) : out;
  const value: (i: number) => number =
    dtype === 'F64' ? (i) => v.getFloat64(8 * i, true) : dtype === 'F32' ? (i) => v.getFloat32(4 * i, true) : dtype === 'F16' ? (i) => f16BitsToF32(v.getUint16(2 * i, true)) : (i) => v.getUint16(2 * i, true) << 16;
  for (let i = 0; i < n; i++) target[i] = value(i);
  return out;
}

/**
 * Serialises `tensors` as `dtype` (values are rounded to it). The same input gives the same
 * bytes whatever the insertion order of the map.
 */
export function writeSafetensors(
  tensors: ReadonlyMap<string, TensorToWrite>,
  options: { readonly dtype?: SafetensorsWriteDtype; readonly metadata?: Readonly<Record<string, string>> } = {},
): Uint8Array {
  if (!(tensors instanceof Map)) throw userError(`writeSafetensors takes the tensors by name (a Map of { shape, data }), got ${typeName(tensors)}`);
  const dtype = options?.dtype ?? 'F32';
  checkOneOf('writeSafetensors', 'dtype', dtype, ['F32', 'F16']);
  const size = BYTES[dtype];
  const names = [...tensors.keys()].sort();
  // No prototype: a tensor named `__proto__` is an ordinary key.
  const header: Record<string, unknown> = Object.create(null);
  const metadata = options?.metadata;
  if (metadata !== undefined && (metadata === null || typeof metadata !== 'object' || !Object.values(metadata).every((v) => typeof v === 'string'))) {
    throw userError(`writeSafetensors: metadata must be an object of strings, got ${typeName(metadata)}`);
  }
  if (metadata && Object.keys(metadata).length > 0) {
    header.__metadata__ = Object.fromEntries(Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw invalid("'__metadata__' is reserved and cannot name a tensor");
    const t = tensors.get(name)!;
    if (!Array.isArray(t?.shape)) throw userError(`writeSafetensors: tensor '${name}' must be { shape, data } with shape an array, got ${typeName(t)}`);
    checkNumbers('writeSafetensors', `tensor '${name}''s data`, t.data);
    const elements = elementCount(t.shape);
    if (!t.shape.every(isCount) || elements !== t.data.length) {
      throw invalid(`tensor '${name}' has shape [${t.shape.join(', ')}] but ${t.data.length} values`);
    }
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + elements * size] };
    offset += elements * size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces so that the data section starts 8-byte aligned, as the reference writer does.
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, padded, true);
  out.fill(0x20, 8, 8 + padded);
  out.set(json, 8);
  let at = 8 + padded;
  for (const name of names) {
    const data = tensors.get(name)!.data;
    for (let i = 0; i < data.length; i++, at += size) {
      if (dtype === 'F32') view.setFloat32(at, data[i], true);
      else view.setUint16(at, f32ToF16Bits(data[i]), true);
    }
  }
  return out;
}

function isCount(v: unknown): v is number {
  // (Number.isSafeInteger is false for anything but a number: no typeof test, which every page would carry.)
  return Number.isSafeInteger(v) && (v as number) >= 0;
}
