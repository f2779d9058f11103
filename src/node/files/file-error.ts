import { MoncError } from '../../util/error.js';

/**
 * A file the user named cannot be read or written as asked (missing, a directory, a FIFO or
 * device, too large for its format, a write under a regular file…): a user error with a one-line
 * reason, never a compiler bug. The CLI prints it as `monc: error: <message>` with exit code 1.
 */
export class FileError extends MoncError {
  override readonly name = 'FileError';
  /** `message` without the path: for callers that name the file themselves. */
  readonly reason: string;
  constructor(message: string, reason?: string) {
    super('file', message);
    this.reason = reason ?? message;
  }
}

/** A one-line reason for a Node file-system error. */
export function ioReason(e: unknown): string {
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
    case 'EROFS':
      return 'read-only file system';
    case 'ENAMETOOLONG':
      return 'file name too long';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'EXDEV':
      return 'crosses file systems';
    default:
      return (err.message ?? String(e)).split('\n')[0];
  }
}
