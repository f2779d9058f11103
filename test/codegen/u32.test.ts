/** The typed u32 builder (src/codegen/wgsl/u32.ts): constants fold by value, text stays text. */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { div, mod, mul, sum, u, U32Const } from '../../src/codegen/wgsl/u32.js';

const small = fc.integer({ min: 0, max: 1000 });
const positive = fc.integer({ min: 1, max: 64 });

describe('u32 builder', () => {
  test.prop([small, positive], { numRuns: 50 })('constants fold to constants with the value of the arithmetic', (a, k) => {
    expect(mul(u(a), k)).toEqual(u(a * k));
    expect(div(u(a), k)).toEqual(u(Math.floor(a / k)));
    expect(mod(u(a), k)).toEqual(u(a % k));
    // Constant terms fold into the first one's place; a zero total is left out.
    expect(sum(u(a), 'x', u(k))).toBe(`${a + k}u + x`);
    expect(sum('x', u(a), u(0))).toBe(a === 0 ? 'x' : `x + ${a}u`);
    expect(sum(u(a), u(k))).toEqual(u(a + k));
  });

  it('writes constants as WGSL literals and leaves identities out', () => {
    expect(`${u(12)}`).toBe('12u');
    expect(sum()).toEqual(u(0));
    expect(sum('x', u(0), undefined)).toBe('x');
    expect(mul('x', 1)).toBe('x');
    expect(mul('x', 0)).toEqual(u(0));
    expect(mod('x', 1)).toEqual(u(0));
    expect(div('x', 1)).toBe('x');
  });

  it('parenthesises a compound left operand, not a term', () => {
    expect(mul('a + b', 4)).toBe('(a + b) * 4u');
    expect(mul('min(a + b, c)', 4)).toBe('min(a + b, c) * 4u');
    expect(div(sum('a', 'b'), 2)).toBe('(a + b) / 2u');
    expect(mod(mul('i', 3), 5)).toBe('(i * 3u) % 5u');
  });

  it('a literal written as text is text: only U32Const folds', () => {
    expect(sum('3u', u(4))).toBe('3u + 4u');
    expect(u(7)).toBeInstanceOf(U32Const);
    expect(() => u(-1)).toThrow(/does not fit u32/);
    expect(() => u(2 ** 32)).toThrow(/does not fit u32/);
  });
});
