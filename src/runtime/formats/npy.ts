/**
 * NumPy .npy files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 * magic `\x93NUMPY`, version, header length (u16 LE in v1, u32 LE in v2/v3), then an ASCII
 * Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (B, n), }` padded with
 * spaces and a newline, then the data.
 *
 * Browser-safe: works on Uint8Array only. Reads little-endian floats `<f4`, `<f2` (-> Float32Array)
 * and `<f8` (-> Float64Array), and, so that masks saved from NumPy as booleans or integers load,
 * `|b1` and little-endian integers (-> Float64Array). C order only. Writes `<f4` or `<f2`, v1.0,
 * the header padded as np.save pads it (the data starts at a multiple of 64 bytes),
 * so a written file is byte-identical to NumPy's.
 */
import { f16BitsToF32, f32ToF16Bits } from './f16.js';
import { FormatError } from './format-error.js';
import { shapeText } from '../../util/shape-text.js';
import { checkBytes, checkNumbers, checkOneOf } from './arguments.js';
import { userError } from '../user-error.js';

export type NpyWriteDtype = '<f4' | '<f2';

export interface NpyArray {
  /** The dtype descriptor in the file, e.g. '<f4'. */
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

type Kind = 'f' | 'i' | 'u' | 'b';
const SUPPORTED: Record<string, readonly number[]> = { f: [2, 4, 8], i: [1, 2, 4, 8], u: [1, 2, 4, 8], b: [1] };

/** Whether `bytes` start like a .npy file (the `\x93NUMPY` magic). */
export function isNpy(bytes: Uint8Array): boolean {
  checkBytes('isNpy', 'a file', bytes);
  return MAGIC.every((b, i) => bytes[i] === b);
}

/** Where a .npy file's array lies, from its header alone. */
export interface NpyLayout {
  readonly descr: string;
  readonly shape: readonly number[];
  readonly kind: Kind;
  /** Bytes per element. */
  readonly size: number;
  readonly elements: number;
  /** Offset of the data: the file must be exactly `dataStart + dataBytes` bytes long. */
  readonly dataStart: number;
  readonly dataBytes: number;
}

/**
 * The layout a .npy header describes. `bytes` may be only the start of the file (the header
 * must be complete); throws a FormatError for anything that is not a supported .npy header.
 */
export function readNpyLayout(bytes: Uint8Array): NpyLayout {
  if (bytes.length < 10 || !isNpy(bytes)) throw new FormatError('npy: not a .npy file (missing \\x93NUMPY magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major < 1 || major > 3) throw new FormatError(`npy: unsupported format version ${major}.${bytes[7]}`);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new FormatError('npy: truncated file (header length missing)');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lengthBytes;
  if (headerStart + headerLength > bytes.length) throw new FormatError(`npy: header length ${headerLength} goes beyond the end of the file (${bytes.length} bytes)`);
  const header = parseHeader(new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLength)));

  const { descr, fortranOrder, shape } = header;
  if (fortranOrder && shape.length > 1) throw new FormatError('npy: fortran_order True is not supported: save the array in C order (np.ascontiguousarray)');
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  if (!m || !SUPPORTED[m[2]]?.includes(Number(m[3]))) throw new FormatError(`npy: unsupported dtype '${descr}' (supported: <f4, <f2, <f8, |b1 and little-endian integers)`);
  const [, order, kind, sizeText] = m;
  const size = Number(sizeText);
  if (order === '>' && size > 1) throw new FormatError(`npy: big-endian dtype '${descr}' is not supported: convert with arr.astype('<${kind}${size}')`);
  if (order === '=' && size > 1) throw new FormatError(`npy: native-order dtype '${descr}' is ambiguous: save it as '<${kind}${size}'`);
  const elements = shape.reduce((p, v) => p * v, 1);
  return { descr, shape, kind: kind as Kind, size, elements, dataStart: headerStart + headerLength, dataBytes: elements * size };
}

/** Why a file of `fileBytes` bytes cannot hold the array `layout` describes, or undefined. */
export function npySizeProblem(layout: NpyLayout, fileBytes: number): string | undefined {
  const have = fileBytes - layout.dataStart;
  const need = layout.dataBytes;
  if (have < need) return `npy: truncated data: shape ${shapeText(layout.shape)} of ${layout.descr} needs ${need} bytes, the file has ${have}`;
  if (have > need) return `npy: ${have - need} bytes of trailing data after the array`;
  return undefined;
}

export function readNpy(bytes: Uint8Array): NpyArray {
  checkBytes('readNpy', 'a .npy file', bytes);
  const layout = readNpyLayout(bytes);
  const problem = npySizeProblem(layout, bytes.length);
  if (problem !== undefined) throw new FormatError(problem);
  const data = decode(layout.kind, layout.size, new DataView(bytes.buffer, bytes.byteOffset + layout.dataStart, layout.dataBytes), layout.elements);
  return { dtype: layout.descr, shape: layout.shape, data };
}

function decode(kind: Kind, size: number, v: DataView, n: number): Float32Array | Float64Array {
  if (kind === 'f' && size !== 8) {
    const out = new Float32Array(n);
    if (size === 4) for (let i = 0; i < n; i++) out[i] = v.getFloat32(4 * i, true);
    else for (let i = 0; i < n; i++) out[i] = f16BitsToF32(v.getUint16(2 * i, true));
    return out;
  }
  const out = new Float64Array(n);
  const read = reader(kind, size, v);
  for (let i = 0; i < n; i++) out[i] = read(i * size);
  return out;
}

function reader(kind: Kind, size: number, v: DataView): (at: number) => number {
  if (kind === 'f') return (at) => v.getFloat64(at, true);
  if (kind === 'b') return (at) => (v.getUint8(at) !== 0 ? 1 : 0);
  const signed = kind === 'i';
  switch (size) {
    case 1:
      return signed ? (at) => v.getInt8(at) : (at) => v.getUint8(at);
    case 2:
      return signed ? (at) => v.getInt16(at, true) : (at) => v.getUint16(at, true);
    case 4:
      return signed ? (at) => v.getInt32(at, true) : (at) => v.getUint32(at, true);
    default:
      return signed ? (at) => Number(v.getBigInt64(at, true)) : (at) => Number(v.getBigUint64(at, true));
  }
}

/** Serialises a C-order array as `<f4` (default) or `<f2`. */
export function writeNpy(data: ArrayLike<number>, shape: readonly number[], dtype: NpyWriteDtype = '<f4'): Uint8Array {
  checkNumbers('writeNpy', 'data', data);
  checkNumbers('writeNpy', 'shape', shape);
  checkOneOf('writeNpy', 'dtype', dtype, ['<f4', '<f2']);
  const elements = shape.reduce((p, v) => p * v, 1);
  // The caller's arguments (kind user), not a file's (QA2 s31 Q1052: both were FormatErrors, a bad dimension said only
  // that the shape did not hold the values).
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw userError(`writeNpy: shape must be whole numbers ≥ 0, got ${shapeText(shape)}`);
  if (elements !== data.length) throw userError(`writeNpy: shape ${shapeText(shape)} holds ${elements} values, data ${data.length}`);
  // NumPy's own text of a shape, as the header holds it.
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText(shape)}, }`;
  // Like np.save: room for the first axis to grow to 21 digits in place, then spaces and '\n' so
  // that magic (6) + version (2) + length (2) + header is a multiple of 64.
  const growth = shape.length > 0 ? Math.max(0, 21 - String(shape[0]).length) : 0;
  const total = Math.ceil((10 + dict.length + growth + 1) / 64) * 64;
  const headerLength = total - 10;
  if (headerLength > 0xffff) throw new FormatError(`npy: shape ${shapeText(shape)} makes a header too long for format 1.0`);
  const header = dict.padEnd(headerLength - 1, ' ') + '\n';
  const size = dtype === '<f4' ? 4 : 2;
  const out = new Uint8Array(total + elements * size);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  view.setUint16(8, headerLength, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  if (size === 4) for (let i = 0; i < elements; i++) view.setFloat32(total + 4 * i, data[i], true);
  else for (let i = 0; i < elements; i++) view.setUint16(total + 2 * i, f32ToF16Bits(data[i]), true);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The header: a Python dict literal with string keys, string / bool / tuple-of-int values.

interface Header {
  readonly descr: string;
  readonly fortranOrder: boolean;
  readonly shape: number[];
}

type PyValue = string | boolean | number | PyValue[];

function parseHeader(text: string): Header {
  let dict: unknown;
  try {
    dict = new PyLiteralParser(text).parseDict();
  } catch (e) {
    throw new FormatError(`npy: malformed header ${JSON.stringify(text.trim())}: ${(e as Error).message}`);
  }
  const d = dict as Record<string, PyValue>;
  const { descr, fortran_order: fortranOrder, shape } = d;
  if (typeof descr !== 'string') throw new FormatError(`npy: header has no string 'descr' (structured dtypes are not supported)`);
  if (typeof fortranOrder !== 'boolean') throw new FormatError("npy: header has no boolean 'fortran_order'");
  if (!Array.isArray(shape) || !shape.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) {
    throw new FormatError("npy: header has no valid 'shape' tuple");
  }
  return { descr, fortranOrder, shape: shape as number[] };
}

class PyLiteralParser {
  private at = 0;
  constructor(private readonly text: string) {}

  parseDict(): Record<string, PyValue> {
    const out: Record<string, PyValue> = {};
    this.expect('{');
    while (!this.eat('}')) {
      const key = this.value();
      if (typeof key !== 'string') throw new Error('dict keys must be strings');
      this.expect(':');
      out[key] = this.value();
      if (!this.eat(',')) {
        this.expect('}');
        break;
      }
    }
    this.skipSpace();
    if (this.at !== this.text.length) throw new Error(`unexpected text after the dict at ${this.at}`);
    return out;
  }

  private value(): PyValue {
    this.skipSpace();
    const rest = this.text.slice(this.at);
    const c = rest[0];
    if (c === "'" || c === '"') {
      const end = rest.indexOf(c, 1);
      if (end < 0) throw new Error('unterminated string');
      this.at += end + 1;
      return rest.slice(1, end);
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      this.at++;
      const items: PyValue[] = [];
      while (!this.eat(close)) {
        items.push(this.value());
        if (!this.eat(',')) {
          this.expect(close);
          break;
        }
      }
      return items;
    }
    const word = /^(True|False|\d+L?)/.exec(rest);
    if (!word) throw new Error(`unexpected '${rest.slice(0, 10)}' at ${this.at}`);
    this.at += word[0].length;
    return word[0] === 'True' ? true : word[0] === 'False' ? false : Number(word[0].replace('L', ''));
  }

  private skipSpace(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at])) this.at++;
  }

  private eat(token: string): boolean {
    this.skipSpace();
    if (this.text[this.at] !== token) return false;
    this.at++;
    return true;
  }

  private expect(token: string): void {
    if (!this.eat(token)) throw new Error(`expected '${token}' at ${this.at}`);
  }
}
