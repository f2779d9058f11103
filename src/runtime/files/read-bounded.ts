/**
 * Node only: the one way monc reads a file a user names (spec, mask, parameters, input, dense
 * matrix, tuning database). It opens without blocking (a FIFO with no writer would block a
 * plain open forever), refuses anything that is not a regular file (directories, FIFOs,
 * sockets, devices such as /dev/zero), refuses files over the bound of their format, lets the
 * format look at the file's first bytes and its size before the rest is read (a .npy header
 * that promises less data than the file holds is refused before 10 GB are read), and reads
 * exactly the size it checked. Every failure is a FileError with a one-line reason.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { FileError, ioReason } from './file-error.js';

export interface FileBound {
  /** What the file is, for messages: `spec`, `.npy array`, `tuning database`. */
  readonly what: string;
  /** Files larger than this are refused before anything is read. */
  readonly maxBytes: number;
  /**
   * Given the first `min(size, headBytes)` bytes and the file's size: the reason to refuse the
   * file before reading the rest, or undefined to go on. May throw a FormatError.
   */
  readonly checkHead?: (head: Uint8Array, size: number) => string | undefined;
  /** How many leading bytes `checkHead` sees (default 64 KiB). */
  readonly headBytes?: number;
}

const MiB = 1024 * 1024;
/** Node cannot hold one buffer much larger than this, and no monc data file needs to be. */
export const MAX_DATA_FILE_BYTES = 2 * 1024 * MiB;

/** Human-readable byte count for limits in messages: `4 MiB`, `2 GiB`, `1234 bytes`. */
export function bytesText(n: number): string {
  if (n >= 1024 * MiB && n % (1024 * MiB) === 0) return `${n / (1024 * MiB)} GiB`;
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
  return `${n} bytes`;
}

/** Reads the whole of `path` within `bound`. `shownAs`: the path as the user wrote it. */
export function readFileBounded(path: string, bound: FileBound, shownAs: string = path): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new FileError(`cannot read ${bound.what} '${shownAs}': ${ioReason(e)}`, ioReason(e));
  }
  try {
    const stats = fstatSync(fd);
    const kind = specialKind(stats);
    if (kind !== undefined) throw new FileError(`cannot read ${bound.what} '${shownAs}': it is ${kind}, not a regular file`, `it is ${kind}, not a regular file`);
    const size = stats.size;
    if (size > bound.maxBytes) {
      const reason = `${bytesText(size)} is over the limit of ${bytesText(bound.maxBytes)} for a ${bound.what}`;
      throw new FileError(`cannot read ${bound.what} '${shownAs}': ${reason}`, reason);
    }
    const bytes = new Uint8Array(size);
    const head = Math.min(size, bound.headBytes ?? 64 * 1024);
    const got = readInto(fd, bytes, 0, head, bound, shownAs);
    if (bound.checkHead) {
      const problem = bound.checkHead(bytes.subarray(0, got), size);
      if (problem !== undefined) throw new FileError(`${shownAs}: ${problem}`, problem);
    }
    if (got < head) return bytes.subarray(0, got);
    return bytes.subarray(0, got + readInto(fd, bytes, got, size - got, bound, shownAs));
  } finally {
    closeSync(fd);
  }
}

/** Reads a UTF-8 text file within `bound`. */
export function readTextBounded(path: string, bound: FileBound, shownAs: string = path): string {
  return new TextDecoder().decode(readFileBounded(path, bound, shownAs));
}

/** What a non-regular file is, in words ("a directory", "a FIFO"), or undefined for a regular file. */
export function specialKind(stats: Stats): string | undefined {
  if (stats.isFile()) return undefined;
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** Reads up to `length` bytes at `offset`; stops early when the file turns out shorter (it shrank). */
function readInto(fd: number, into: Uint8Array, offset: number, length: number, bound: FileBound, shownAs: string): number {
  let done = 0;
  while (done < length) {
    let n: number;
    try {
      n = readSync(fd, into, offset + done, length - done, null);
    } catch (e) {
      throw new FileError(`cannot read ${bound.what} '${shownAs}': ${ioReason(e)}`, ioReason(e));
    }
    if (n === 0) break;
    done += n;
  }
  return done;
}
