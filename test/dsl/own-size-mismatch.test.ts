/**
 * A constructor's `in:`/`out:` that contradicts the size it fixes by itself is one E0502, at the
 * `in:`/`out:` (QA1 s29 Q803: a declaration agreeing with the constructor was a second E0502 for
 * the same size, at the expression); a declaration that disagrees with the constructor too is its
 * own error.
 */
import { expect, it } from 'vitest';
import { checkSource } from '../../src/dsl/index.js';

const errors = (line: string) =>
  checkSource(`${line}\n`, 'spec.mon').diagnostics.map((d) => `${d.code} ${d.span.start.line}:${d.span.start.column} ${d.message}`);

it.each([
  ['map l : 12 -> 16 = ks(a: 1, b: 16, c: 12, d: 1, in: 24)', "E0502 1:53 'in: 24' does not match ks(a: 1, b: 16, c: 12, d: 1), which takes 12"],
  ['map l : 16 -> 16 = monarch(radices: [4, 4], out: 8)', "E0502 1:50 'out: 8' does not match monarch(radices: [4, 4]), which produces 16"],
  ['map l : 16 -> 16 = monarch(order: 2, radix: 4, in: 32)', "E0502 1:52 'in: 32' does not match monarch(order: 2, radix: 4), which takes 16"],
  ['map l : 16 -> 16 = transpose(4, 4, in: 32) @ dense()', "E0502 1:40 'in: 32' does not match transpose(4, 4), which takes 16"],
])('%s: one E0502, at the in:/out:', (line, error) => {
  expect(errors(line)).toEqual([error]);
});

it('a declaration that disagrees with the constructor as well: its own E0502', () => {
  expect(errors('map l : 10 -> 16 = ks(a: 1, b: 16, c: 12, d: 1, in: 24)').map((e) => e.split(' ').slice(0, 2).join(' '))).toEqual(['E0502 1:20', 'E0502 1:53']);
});
