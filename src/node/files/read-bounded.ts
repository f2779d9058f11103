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
  /** What to do about a file over `maxBytes`, added to the message (e.g. a tuning database: remove entries). */
  readonly overLimit?: string;
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

/** A regular file opened for reading parts of it (formats that need only some of a large file). */
export interface OpenFile {
  readonly size: number;
  /**
   * Which file this is and how it is now (device, inode, size, modification time, from the open file): the same string
   * later, or when opened again, means the same contents; another one that the file was replaced or written meanwhile.
   */
  version(): string;
  /** Exactly `length` bytes at `offset`, into `into` when given (a FileError if the file is shorter now). */
  read(offset: number, length: number, into?: Uint8Array): Uint8Array;
}

/**
 * Runs `use` on `path`, opened without blocking and kind-checked as readFileBounded does, but
 * with no size bound: the caller reads only what its format's header says it needs.
 */
export function withRegularFile<T>(path: string, what: string, shownAs: string, use: (file: OpenFile) => T): T {
  const fail = (reason: string) => new FileError(`cannot read ${what} '${shownAs}': ${reason}`, reason);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw fail(ioReason(e));
  }
  try {
    const stats = fstatSync(fd);
    const kind = specialKind(stats);
    if (kind !== undefined) throw fail(`it is ${kind}, not a regular file`);
    return use({
      size: stats.size,
      version() {
        const now = fstatSync(fd);
        return `${now.dev}:${now.ino}:${now.size}:${now.mtimeMs}`;
      },
      read(offset, length, into) {
        const bytes = into ?? new Uint8Array(length);
        let done = 0;
        while (done < length) {
          let n: number;
          try {
            n = readSync(fd, bytes, done, length - done, offset + done);
          } catch (e) {
            throw fail(ioReason(e));
          }
          if (n === 0) throw fail(`the file ended at ${offset + done} bytes while it was read (it changed)`);
          done += n;
        }
        return bytes;
      },
    });
  } finally {
    closeSync(fd);
  }
}

/** Reads the whole of `path` within `bound`. `shownAs`: the path as the user wrote it. */
export function readFileBounded(path: string, bound: FileBound, shownAs: string = path): Uint8Array {
  return withRegularFile(path, bound.what, shownAs, (file) => {
    if (file.size > bound.maxBytes) {
      const reason = `${bytesText(file.size)} is over the limit of ${bytesText(bound.maxBytes)} for a ${bound.what}${bound.overLimit ? `; ${bound.overLimit}` : ''}`;
      throw new FileError(`cannot read ${bound.what} '${shownAs}': ${reason}`, reason);
    }
    const headLength = Math.min(file.size, bound.headBytes ?? 64 * 1024);
    const head = file.read(0, headLength);
    if (bound.checkHead) {
      const problem = bound.checkHead(head, file.size);
      if (problem !== undefined) throw new FileError(`${shownAs}: ${problem}`, problem);
    }
    if (headLength === file.size) return head;
    const bytes = new Uint8Array(file.size);
    bytes.set(head);
    file.read(headLength, file.size - headLength, bytes.subarray(headLength));
    return bytes;
  });
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
