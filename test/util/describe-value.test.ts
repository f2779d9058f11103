/** describeValue: how the compiler's and projection's refusals show a value a caller passed (QA1 s26 Q502). */
import { expect, it } from 'vitest';
import { denseCost } from '../../src/model/cost.js';
import { describeValue } from '../../src/util/describe-value.js';

it.each([
  ['NaN', Number.NaN, 'NaN'],
  ['Infinity', Number.POSITIVE_INFINITY, 'Infinity'],
  ['-Infinity', Number.NEGATIVE_INFINITY, '-Infinity'],
  ['a BigInt', 16n, '16n'],
  ['a number', 2.5, '2.5'],
  ['a string', 'f64', '"f64"'],
  ['an object', { file: 'a.mon', seed: 3n, w: [1, Number.NaN] }, '{"file":"a.mon","seed":3n,"w":[1,NaN]}'],
  ['a string that looks like a mark', '\u0000NaN\u0000', '"\\u0000NaN\\u0000"'],
  ['a boxed string, number and boolean (as JSON writes them)', [new String('abc'), new Number(2), new Boolean(true)], '["abc",2,true]'],
  ['undefined', undefined, 'undefined'],
  ['a Symbol', Symbol('s'), 'Symbol(s)'],
] as [string, unknown, string][])('%s is shown as JavaScript writes it', (_, value, text) => {
  expect(describeValue(value)).toBe(text);
});

it('a typed array is shown by its class and length, inside an object too', () => {
  expect(describeValue(new Float32Array(1_000_000))).toBe('Float32Array(1000000)');
  // Not through a Buffer's toJSON, which lists every byte.
  expect(describeValue(Buffer.alloc(1_000_000))).toBe('Buffer(1000000)');
  expect(describeValue({ shape: [1000, 1000], data: new Float32Array(1_000_000) })).toBe('{"shape":[1000,1000],"data":Float32Array(1000000)}');
});

// REV s26 3: the whole value was stringified (a state dict's 1e8 floats: minutes) to show 60 characters of it. Counted,
// not timed: the elements read of an array of a million.
it('reads a large value only as far as it shows it', () => {
  let reads = 0;
  const big = new Proxy(Array.from({ length: 1_000_000 }, (_, i) => i), {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
      return Reflect.get(target, key, receiver);
    },
  });
  expect(describeValue({ weights: big })).toBe('{"weights":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,1...');
  expect(reads).toBeLessThan(40);
});

it('a cycle is shown by its class', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  expect(describeValue(cyclic)).toBe('[object Object]');
});

it('denseCost names NaN, Infinity and a BigInt as they were passed, not as null or [object BigInt]', () => {
  const refusal = (a: unknown, b: unknown) => `denseCost() takes a map's two sizes (inSize, outSize: whole numbers of at least 1), not (${a}, ${b})`;
  expect(() => denseCost(Number.NaN, 1)).toThrow(refusal('NaN', 1));
  expect(() => denseCost(Number.POSITIVE_INFINITY, 1)).toThrow(refusal('Infinity', 1));
  expect(() => denseCost(16n as never, 8n as never)).toThrow(refusal('16n', '8n'));
});
