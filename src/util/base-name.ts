/** The file name without its directories, for `/` and `\` paths alike (browser-safe: no node:path). */
export function baseName(file: string): string {
  return file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
}
