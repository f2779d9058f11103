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
}

/** `beforeRead` is told each file before it is read: a watch armed then misses no change made after the read. */
export function recordingMaskResolver(beforeRead?: (file: string) => void): RecordingMaskResolver {
  const files = new Set<string>();
  const resolveMask = (path: string, fromFile: string): MaskResult => {
    const file = resolve(dirname(fromFile), path);
    files.add(file);
    beforeRead?.(file);
    let bytes: Uint8Array;
    try {
      // Bounded and kind-checked: a FIFO or /dev/zero named as a mask is refused, not read forever.
      bytes = readFileBounded(file, NPY_FILE, path);
    } catch (e) {
      if (e instanceof FileError) return { error: e.reason };
      throw e;
    }
    // readNpy throws a FormatError with a one-line reason; the checker turns it into a diagnostic.
    const npy = readNpy(bytes);
    if (npy.shape.length !== 2) return { shape: npy.shape };
    return { rows: npy.shape[0], cols: npy.shape[1], data: npy.data };
  };
  return { resolve: resolveMask, files };
}
