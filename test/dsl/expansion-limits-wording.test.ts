/**
 * The expansion limits' messages (check-limits.ts) count in words that fit the count, and speak of
 * expanded references only for a map that has some (QA1 s29 Q804: a module of 1025 `dense()` maps
 * said "map 'm1024' has 1 block matmuls and bias adds once its references are expanded").
 */
import { expect, it } from 'vitest';
import { checkSource } from '../../src/dsl/index.js';

const messages = (source: string) => checkSource(source, 'spec.mon').diagnostics.map((d) => `${d.code} ${d.message}`);

it('a map without references: its own count, singular where it is one', () => {
  const many = Array.from({ length: 1025 }, (_, i) => `map m${i} : 2 -> 2 = dense()\n`).join('');
  expect(messages(many)).toEqual(["E0514 map 'm1024' has 1 block matmul or bias add, which brings the module to 1025, more than the limit 1024"]);
});

it('a map with references: counted once they are expanded, as before', () => {
  const doubling = `map m0 : 8 -> 8 = dense()\n${Array.from({ length: 12 }, (_, i) => `map m${i + 1} : 8 -> 8 = m${i} @ m${i}\n`).join('')}`;
  expect(messages(doubling)).toEqual(["E0514 map 'm10' has 1024 block matmuls and bias adds once its references are expanded, which brings the module to 2047, more than the limit 1024"]);
});
