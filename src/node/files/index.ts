/**
 * Node only: the host's file I/O, shared by the CLI and the bundler plugins. Every read of a file
 * the user names goes through `readBytes`/`readText` with the bound of its format (SPEC_FILE,
 * NPY_FILE, SAFETENSORS_FILE, ARRAY_FILE, TUNING_DB_FILE from bounds.ts, or your own
 * `FileBound`): directories, FIFOs and devices are refused, nothing blocks, nothing unbounded is
 * read. Every output goes through `writeAtomic` (one file) or `writeTogether` (several files:
 * all or none), passing the command's input paths as `inputs` so that an output never replaces
 * one. Failures throw FileError (one line; the CLI prints it as a user error, exit 1).
 *
 *   const spec = await readText(file, SPEC_FILE);
 *   await writeAtomic(opts.out, bytes, { inputs: [file, opts.params] });
 *   await writeTogether([{ path: a, data: x }, { path: b, data: y }], { inputs: [file] });
 */
import { readFileBounded, readTextBounded, type FileBound } from './read-bounded.js';
import { checkOutputs, fileIdentity, writeOutput, writeOutputs, type OutputData, type OutputFile, type WriteOptions } from './write-outputs.js';

export { ARRAY_FILE, NPY_FILE, SAFETENSORS_FILE, SPEC_FILE, TUNING_DB_FILE } from './bounds.js';
export { FileError } from './file-error.js';
export { bytesText, MAX_DATA_FILE_BYTES, type FileBound } from './read-bounded.js';
export type { FileRange, OutputData, OutputFile, SourceFile, WriteOptions } from './write-outputs.js';

/** The whole file within `bound`. `shownAs`: the path as the user wrote it, for messages. */
export async function readBytes(path: string, bound: FileBound, shownAs = path): Promise<Uint8Array> {
  return readFileBounded(path, bound, shownAs);
}

export async function readText(path: string, bound: FileBound, shownAs = path): Promise<string> {
  return readTextBounded(path, bound, shownAs);
}

/**
 * Writes `data` to `path` all at once or not at all; creates missing parent directories. Pieces of `data` that are file
 * ranges are copied from their file as the output is written.
 */
export async function writeAtomic(path: string, data: OutputData, options: WriteOptions & { readonly shownAs?: string } = {}): Promise<void> {
  writeOutput(path, data, options);
}

/** Writes all of `files` or none of them (`monc build`'s .wgsl, .ts and .json). */
export async function writeTogether(files: readonly OutputFile[], options: WriteOptions = {}): Promise<void> {
  writeOutputs(files, options);
}

/**
 * Before a command's long work: throws the FileError `writeAtomic(path, …, options)` would throw
 * for a bad path (a directory, an input, read-only, under a regular file…); creates nothing.
 */
export function checkOutputPath(path: string, options: WriteOptions = {}): void {
  checkOutputs([{ path }], options);
}

/** Whether two paths name one existing file (links followed, spellings aside): `monc train --out` over its `--params`. */
export function sameFile(a: string, b: string): boolean {
  const id = fileIdentity(a);
  return id !== undefined && id === fileIdentity(b);
}
