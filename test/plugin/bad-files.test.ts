/** Regression (issue 13): a bundler plugin never blocks or exhausts memory on a `.mon` path that is not a regular file. */
import { execFileSync } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { compileMonFile } from '../../src/plugin/compile-mon.js';
import { FileError } from '../../src/node/files/file-error.js';
import { scratchDir } from '../cli/helpers.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());

// The kind in the message is found before any read (a FIFO without a writer would block the open, /dev/zero never end),
// so the refusal itself shows nothing blocked or was read: no wall-clock bound (s26 OPEN-b).
it('compileMonFile refuses /dev/zero, a FIFO and a directory with a one-line FileError, at once', () => {
  const fifo = scratch.path('spec.mon');
  execFileSync('mkfifo', [fifo]);
  for (const [file, kind] of [['/dev/zero', 'a character device'], [fifo, 'a FIFO (named pipe)'], [scratch.dir, 'a directory']]) {
    expect(() => compileMonFile(file, { runtimeImport: 'monc/runtime' })).toThrow(FileError);
    expect(() => compileMonFile(file, { runtimeImport: 'monc/runtime' })).toThrow(`cannot read spec '${file}': it is ${kind}, not a regular file`);
  }
});
