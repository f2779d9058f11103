/**
 * E0204 in constant expressions (QA1 s24 Q302): the message names the bound crossed, above
 * 2147483647 or below -2147483647, and a partial result's span takes a parenthesized operand
 * whole, parentheses included (it started inside them and ended outside).
 */
import { describe, expect, it } from 'vitest';
import { checkSource, formatDiagnostics } from '../../src/dsl/index.js';

const overflow = (constant: string) => {
  const source = `const a = ${constant}\nmap f : 4 -> 4 = dense()\n`;
  const { diagnostics } = checkSource(source, 'spec.mon');
  expect(diagnostics.map((d) => d.code)).toEqual(['E0204']);
  const [d] = diagnostics;
  // The caret line of the rendering: what the user sees under `const a = …`.
  const caret = formatDiagnostics(diagnostics, source).split('\n')[2];
  return { message: d.message, from: d.span.start.column, caret: caret.slice(caret.indexOf('|') + 2) };
};

describe('E0204 says which bound a constant crossed', () => {
  it('above 2147483647', () => {
    expect(overflow('65536 * 65536').message).toBe('integer overflow: the value exceeds 2147483647');
  });

  it('below -2147483647, by a sum, a product and a power', () => {
    for (const constant of ['0 - 2147483647 - 2', '(0 - 2147483647) - 1', '(0 - 65536) * 65536', '(0 - 2) ^ 31']) {
      expect(overflow(constant).message, constant).toBe('integer overflow: the value is below -2147483647');
    }
  });
});

describe("a partial result's span takes parenthesized operands whole", () => {
  it('(0 - 2) ^ 31: from the parenthesis to the exponent', () => {
    expect(overflow('(0 - 2) ^ 31')).toMatchObject({ from: 11, caret: '          ^~~~~~~~~~~~' });
  });

  it('65536 * (2 * 32768): to the closing parenthesis', () => {
    expect(overflow('65536 * (2 * 32768)')).toMatchObject({ from: 11, caret: '          ^~~~~~~~~~~~~~~~~~~' });
  });
});
