/**
 * Reads `sparse(pattern: "mask.npy")` files for a build, relative to the `.mon` file, and
 * remembers which ones it read: they are inputs of the build, so watch mode must watch them.
 */
import { dirname, resolve } from 'node:path';
import type { MaskResolver, MaskResult } from '../dsl/check-sparse.js';
import { NPY_FILE } from './files/bounds.js';
import { FileError } from './files/file-error.js';
import { readFileBounded } from './files/read-bounded.js';
import { readNpy } from '../runtime/formats/npy.js';

export interface RecordingMaskResolver {
  readonly resolve: MaskResolver;
  /** Absolute paths of every mask file asked for, readable or not. */
  readonly files: ReadonlySet<string>;
  /** What each of them held when it was read: its bytes, or undefined where it could not be read. */
  readonly contents: ReadonlyMap<string, Uint8Array | undefined>;
}

/** `beforeRead` is told each file before it is read: a watch armed then misses no change made after the read. */
export function recordingMaskResolver(beforeRead?: (file: string) => void): RecordingMaskResolver {
  const files = new Set<string>();
  const contents = new Map<string, Uint8Array | undefined>();
  const resolveMask = (path: string, fromFile: string): MaskResult => {
    const file = resolve(dirname(fromFile), path);
    files.add(file);
    beforeRead?.(file);
    let bytes: Uint8Array;
    try {
      bytes = readMaskFile(file, path);
    } catch (e) {
      if (e instanceof FileError) {
        contents.set(file, undefined);
        return { error: e.reason };
      }
      throw e;
    }
    contents.set(file, bytes);
    // readNpy throws a FormatError with a one-line reason; the checker turns it into a diagnostic.
    const npy = readNpy(bytes);
    if (npy.shape.length !== 2) return { shape: npy.shape };
    return { rows: npy.shape[0], cols: npy.shape[1], data: npy.data };
  };
  return { resolve: resolveMask, files, contents };
}

/** A mask file's bytes (`shownAs` names it in a FileError): bounded and kind-checked, so a FIFO or /dev/zero named as a mask is refused, not read forever. */
export function readMaskFile(file: string, shownAs: string = file): Uint8Array {
  return readFileBounded(file, NPY_FILE, shownAs);
}
