/**
 * An output copying a range of a file (monc train in place: the state dict's other tensors) refuses a source written to
 * while the range is copied (REV s25 2): its version was compared when the copy began only, so a write during the copy
 * landed in part in the new file with no error. Here the source's first read appends to it, as another process would
 * while the copy runs; the write must fail, leave the target as it was and no temporary behind.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { writeOutput } from '../../src/node/files/write-outputs.js';
import { withRegularFile } from '../../src/node/files/read-bounded.js';

vi.mock('../../src/node/files/read-bounded.js', async (original) => {
  const actual = await original<typeof import('../../src/node/files/read-bounded.js')>();
  return {
    ...actual,
    // Each open file's first read appends a byte to it first: a write by someone else during the copy.
    withRegularFile: ((path, what, shownAs, use) =>
      actual.withRegularFile(path, what, shownAs, (file) => {
        let written = false;
        return use({
          size: file.size,
          version: () => file.version(),
          read(offset, length, into) {
            if (!written) appendFileSync(path, 'x');
            written = true;
            return file.read(offset, length, into);
          },
        });
      })) satisfies typeof actual.withRegularFile,
  };
});

const dir = mkdtempSync(join(tmpdir(), 'monc-copy-range-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a source written to while its range is copied: refused, the target untouched, no temporary left', () => {
  const source = join(dir, 'state.safetensors');
  writeFileSync(source, new Uint8Array(4096).fill(3));
  const target = join(dir, 'out.bin');
  writeFileSync(target, 'before');
  const version = withRegularFile(source, 'safetensors file', source, (file) => file.version());
  const range = { source: { path: source, what: 'safetensors file', shownAs: source, version }, offset: 16, length: 1024 };
  expect(() => writeOutput(target, [Uint8Array.of(1, 2), range])).toThrow(`cannot write '${target}': '${source}', which it copies bytes of, was changed or replaced while this command ran`);
  expect(readFileSync(target, 'utf8')).toBe('before');
  expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
});
