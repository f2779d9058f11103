/**
 * The library's spec entry points called from JavaScript with arguments that are not the
 * (source, file, options) strings: a one-line MoncError of kind user naming the argument, not a
 * TypeError from deep in the parser (`file.lastIndexOf is not a function`).
 */
import { describe, expect, it } from 'vitest';
import { compileKernels } from '../../src/compile-kernels.js';
import { checkSource, parse } from '../../src/dsl/index.js';
import { expectMoncErrorNow } from '../support/user-error.js';

const SPEC = 'map a : 16 -> 16 = monarch(nblocks: 4)\n';
type Loose = (source: unknown, file: unknown) => unknown;

describe('spec entry points with wrong arguments', () => {
  it.each([
    ['checkSource', checkSource as Loose],
    ['compileKernels', compileKernels as Loose],
    ['parse', parse as Loose],
  ])('%s(source, { file }) names the file argument', (_name, call) => {
    expectMoncErrorNow(() => call(SPEC, { file: 'a.mon' }), 'user', `a spec's file must be a string (the arguments are (source, file, options)), not {"file":"a.mon"}`);
  });

  it('names the source argument too, and keeps a long value short', () => {
    expectMoncErrorNow(() => (checkSource as Loose)(undefined, 'a.mon'), 'user', "a spec's source must be a string");
    const long = expectMoncErrorNow(() => (checkSource as Loose)(SPEC, { file: 'x'.repeat(500) }), 'user', 'not {"file":"xxx');
    expect(long.message.length).toBeLessThan(200);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expectMoncErrorNow(() => (checkSource as Loose)(SPEC, cyclic), 'user', 'not [object Object]');
  });

  it('still takes the strings', () => {
    expect(checkSource(SPEC, 'a.mon').module?.maps.map((m) => m.name)).toEqual(['a']);
  });
});
