/**
 * esbuild frames a spec error where it is: its location column counts UTF-8 bytes (esbuild's
 * unit), so non-ASCII text before the error on its line no longer moves the caret left, and the
 * framed line is the error's line in a spec whose lines end in a lone `\r` (the language's third
 * line break), which was an empty frame.
 */
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import { monc } from '../../src/plugin/index.js';
import { RUNTIME_SOURCE, tempProjects } from './fixtures.js';

const newProject = tempProjects();

/** The one error esbuild reports for the project's `main.js`, which imports `./s.mon`. */
async function esbuildError(spec: string): Promise<esbuild.Message> {
  const { root } = newProject({ 's.mon': spec, 'main.js': "export * from './s.mon';\n" });
  const failure = await esbuild
    .build({ entryPoints: [join(root, 'main.js')], bundle: true, write: false, external: [RUNTIME_SOURCE], plugins: [monc.esbuild({ runtime: RUNTIME_SOURCE, dts: false })], logLevel: 'silent' })
    .then(() => undefined, (e: esbuild.BuildFailure) => e);
  expect(failure?.errors).toHaveLength(1);
  return failure!.errors[0]!;
}

describe("esbuild's frame of a spec error", () => {
  it('after non-ASCII text on the line: the column in UTF-8 bytes, under the argument', async () => {
    const line = 'map b : 8 -> 8 = sparse(block: 2, pattern: "éééé.npy", bogus: 1)';
    const { location, text } = (await esbuildError(`map a : 8 -> 8 = dense()\n${line}\n`));
    expect(text).toContain(`:2:${line.indexOf('bogus') + 1}: error:`);
    expect(location?.lineText).toBe(line);
    expect(location?.column).toBe(Buffer.byteLength(line.slice(0, line.indexOf('bogus'))));
  });

  it('in a spec of lone \\r line breaks: the error\'s own line', async () => {
    const { location } = await esbuildError('module cr\rmap a : 8 -> 8 = dense()\rmap b : 8 -> 8 = monarch(nblocks: 3)\r');
    expect(location).toMatchObject({ line: 3, lineText: 'map b : 8 -> 8 = monarch(nblocks: 3)' });
  });
});
