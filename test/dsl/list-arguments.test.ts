/**
 * A list argument of the wrong form (QA E3) gets E0404 with a message that says what is wrong
 * with the list: empty, its length, or an item that is not an integer, never "must be a list …,
 * found a list".
 */
import { describe, expect, it } from 'vitest';
import { checkSource } from '../../src/dsl/index.js';

function onlyError(source: string): { code: string; message: string } {
  const errors = checkSource(source, 'spec.mon').diagnostics.filter((d) => d.severity === 'error');
  expect(errors, source).toHaveLength(1);
  return { code: errors[0].code, message: errors[0].message };
}

describe('E0404 on list arguments names what is wrong with the list', () => {
  it.each([
    ['map f : 8 -> 8 = monarch(radices: [])', "'radices' must be a non-empty list of integers, found an empty list"],
    ['map f : 8 -> 8 = monarch(radices: [2, "x"])', "'radices' must be a non-empty list of integers, found a list holding a string"],
    ['map f : 4 -> 4 = sparse(block: [2], pattern: band(width: 1))', "'block' must be an integer or a list of two integers [bh, bw], found a list of 1 integer"],
    ['map f : 4 -> 4 = sparse(block: [2, 2, 2], pattern: band(width: 1))', "'block' must be an integer or a list of two integers [bh, bw], found a list of 3 integers"],
    ['map f : 4 -> 4 = sparse(block: [], pattern: band(width: 1))', "'block' must be an integer or a list of two integers [bh, bw], found an empty list"],
    ['map f : 4 -> 4 = sparse(block: [1.5, 2], pattern: band(width: 1))', "'block' must be an integer or a list of two integers [bh, bw], found a list holding the decimal 1.5"],
  ])('%s', (source, message) => {
    expect(onlyError(source)).toEqual({ code: 'E0404', message });
  });
});
