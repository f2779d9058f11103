/**
 * Whether `\` separates directories in this process's paths: on Windows only. On POSIX it is a
 * file-name character (`a\b.mon` is a file of the working directory, not `b.mon` of directory
 * `a`). Browser-safe: read off globalThis, no node:process import; a browser's names have `/` only.
 */
const BACKSLASH_SEPARATES = (globalThis as { process?: { platform?: string } }).process?.platform === 'win32';

/** The file name without its directories: after the last `/`, and on Windows also `\` (`windows`). */
export function baseName(file: string, windows: boolean = BACKSLASH_SEPARATES): string {
  return file.slice(Math.max(file.lastIndexOf('/'), windows ? file.lastIndexOf('\\') : -1) + 1);
}
