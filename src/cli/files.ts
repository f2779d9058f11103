/**
 * The CLI's file I/O: the host layer's (src/node/files: bounded reads, atomic writes, FileError),
 * plus the CLI's own check of an output's size. Commands import from here.
 */
import { bytesText, FileError, MAX_DATA_FILE_BYTES } from '../node/files/index.js';

export * from '../node/files/index.js';

/**
 * Throws a FileError, before anything is allocated, when a data file of `bytes` would exceed
 * what monc writes (and reads back): 2 GiB. `what`: "map 'up' has 2,147,483,648 parameters".
 */
export function checkOutputSize(what: string, bytes: number, as: string): void {
  if (bytes > MAX_DATA_FILE_BYTES) {
    const reason = `${bytesText(bytes)} ${as}, over the limit of ${bytesText(MAX_DATA_FILE_BYTES)} for a data file monc writes`;
    throw new FileError(`${what}: ${reason}`, reason);
  }
}
