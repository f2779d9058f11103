/**
 * How the runtime's refusals show a caller's value (REV s25 1): shown() for the opt-in entries, mustBe (every page) with
 * the same rule written out. A string quoted and said to be one (an Array ['cpu'] said 'cpu' under String(), as if the
 * valid value were refused), an object by its class ('[object Object]' under String()), an error by its text; each on
 * the message's one line (s26 F-1: a string's newline made it two), line breaks written as \n and \r.
 */
import { describe, expect, it } from 'vitest';
import { checkOptionNames, mustBe, shown } from '../../src/runtime/user-error.js';

const cases: [string, unknown, string][] = [
  ['a string', 'cpu', "'cpu' (a string)"],
  ['a string of lines', 'web\ngpu\r\n', String.raw`'web\ngpu\r\n' (a string)`],
  ['a BigInt', 2n, "'2' (a bigint)"],
  ['a number', 2.5, '2.5'],
  ['NaN', Number.NaN, 'NaN'],
  ['undefined', undefined, 'undefined'],
  ['null', null, 'null'],
  ['a boolean', false, 'false'],
  ['a Symbol', Symbol('s'), 'Symbol(s)'],
  ['a plain object', {}, 'object'],
  ['an object without a prototype', Object.create(null), 'object'],
  ['an array', ['cpu'], 'Array'],
  ['a typed array', new Float32Array(2), 'Float32Array'],
  ['a function', () => 1, 'Function'],
  ['a boxed number', new Number(2), 'Number'],
  ['an error (what a conversion threw)', new TypeError('Cannot convert a BigInt value to a number'), 'TypeError: Cannot convert a BigInt value to a number'],
  ['an error of lines (what a valueOf threw)', new Error('no\nnumber'), String.raw`Error: no\nnumber`],
];

describe('a value in a refusal', () => {
  it.each(cases)('%s', (_, value, text) => {
    expect(shown(value)).toBe(text);
    const refusal = mustBe('m', 'backend', "'webgpu' or 'cpu'", value);
    expect(refusal).toMatchObject({ name: 'MoncError', kind: 'user' });
    expect(refusal.message).toBe(`map 'm': backend must be 'webgpu' or 'cpu', got ${text}`);
  });
});

describe('an option name a call does not know', () => {
  it('is shown on the one line of its refusal', () => {
    expect(() => checkOptionNames("map 'm': create", { 'back\nend': 'cpu' }, ['backend'])).toThrow(
      expect.objectContaining({ kind: 'user', message: String.raw`map 'm': create has no option 'back\nend' (its options are backend)` }),
    );
  });
});
