/**
 * Node-only file I/O for the CLI: reads with one-line reasons instead of stack traces, and
 * atomic writes (temp file in the same directory + rename) so that a failure never leaves a
 * half-written output behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from './user-error.js';

/** `shownAs`: the path as the user wrote it, for messages. */
export async function readBytes(path: string, shownAs = path): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new UserError(`cannot read '${shownAs}': ${ioReason(e)}`);
  }
}

export async function readText(path: string, shownAs = path): Promise<string> {
  return new TextDecoder().decode(await readBytes(path, shownAs));
}

/** Writes `data` to `path` all at once or not at all; creates the parent directory if needed. */
export async function writeAtomic(path: string, data: Uint8Array | string, shownAs = path): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw new UserError(`cannot write '${shownAs}': ${ioReason(e)}`);
  }
}

function ioReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a parent is not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return err.message ?? String(e);
  }
}
