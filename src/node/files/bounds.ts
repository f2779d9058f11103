/**
 * The bound of each kind of file monc reads (see read-bounded.ts). Data files are bounded by
 * what their header describes: a .npy file must be exactly as long as its header's shape and
 * dtype say, which is checked on the first bytes before the rest is read.
 */
import { FormatError } from '../../runtime/formats/format-error.js';
import { isNpy, npySizeProblem, readNpyLayout } from '../../runtime/formats/npy.js';
import { NOT_AN_OBJECT } from '../../runtime/formats/safetensors.js';
import { MAX_DATA_FILE_BYTES, bytesText, type FileBound } from './read-bounded.js';

const MiB = 1024 * 1024;

/** A `.mon` spec: far larger than any real spec, small enough to check in well under a second. */
export const SPEC_FILE: FileBound = { what: 'spec', maxBytes: 4 * MiB };

/**
 * A tuning database: about 200,000 entries. monc tune never writes a larger one (it leaves out
 * the oldest entries, tuning-db.ts); a larger one was made some other way.
 */
export const TUNING_DB_FILE: FileBound = {
  what: 'tuning database',
  maxBytes: 64 * MiB,
  overLimit: 'remove entries (the oldest first, as monc tune does when it saves) or use another database',
};

const NPY_HEAD = 64 * 1024;

/** A .npy array (inputs, masks, dense matrices): the file must match its header. */
export const NPY_FILE: FileBound = {
  what: '.npy array',
  maxBytes: MAX_DATA_FILE_BYTES,
  headBytes: NPY_HEAD,
  checkHead(head, size) {
    if (!isNpy(head) && looksLikeSafetensors(head, size)) return 'is a safetensors file, not a .npy file';
    return formatProblem(() => {
      if (size > head.length && headerLength(head) > head.length) return `npy: header over the limit of ${bytesText(NPY_HEAD)}`;
      return npySizeProblem(readNpyLayout(head), size);
    });
  },
};

/** A safetensors file (parameters, or a state dict to project from). */
export const SAFETENSORS_FILE: FileBound = {
  what: 'safetensors file',
  maxBytes: MAX_DATA_FILE_BYTES,
  headBytes: 16,
  checkHead(head, size) {
    if (isNpy(head)) return 'is a .npy file, not a safetensors file (parameters are a .safetensors file: monc init or monc project writes one)';
    if (size < 8 || head.length < 8) return undefined; // the reader says it is truncated
    const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
    if (n + 8n > BigInt(size)) return `safetensors: header length ${n} goes beyond the end of the file (${size} bytes): not a safetensors file`;
    // The format's rule: the JSON header is an object and starts with '{' (no white space or byte-order mark before it).
    if (head[8] !== 0x7b) return `safetensors: ${NOT_AN_OBJECT}: not a safetensors file`;
    return undefined;
  },
};

/** A .npy array or a safetensors file, told apart by the magic bytes (`monc project --dense`). */
export const ARRAY_FILE: FileBound = {
  what: 'array file',
  maxBytes: MAX_DATA_FILE_BYTES,
  headBytes: NPY_HEAD,
  checkHead: (head, size) => (isNpy(head) ? NPY_FILE.checkHead!(head, size) : undefined),
};

/** The 8-byte header length of a safetensors file fits in the file, and the JSON header starts with `{`. */
export function looksLikeSafetensors(head: Uint8Array, size: number): boolean {
  if (head.length < 9) return false;
  const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  return n + 8n <= BigInt(size) && head[8] === 0x7b;
}

/** The header length field of a .npy file (v1: u16, v2/v3: u32), or 0 when absent. */
function headerLength(head: Uint8Array): number {
  if (head.length < 12) return 0;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  return 10 + (head[6] === 1 ? view.getUint16(8, true) : view.getUint32(8, true) + 2);
}

function formatProblem(check: () => string | undefined): string | undefined {
  try {
    return check();
  } catch (e) {
    if (e instanceof FormatError) return e.message;
    throw e;
  }
}
