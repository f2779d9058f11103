import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { exactInteger, formatJson } from '../../src/util/json.js';

describe('formatJson', () => {
  test.prop([fc.jsonValue()])('is JSON that parses back to the value', (value) => {
    expect(JSON.parse(formatJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
  });

  it('keeps arrays of primitives on one line and indents the rest by two spaces', () => {
    expect(formatJson({ name: 'up', shape: [4, 8, 4], steps: [{ perm: [1, 0] }], empty: [], none: {} })).toBe(
      ['{', '  "name": "up",', '  "shape": [4, 8, 4],', '  "steps": [', '    {', '      "perm": [1, 0]', '    }', '  ],', '  "empty": [],', '  "none": {}', '}'].join('\n'),
    );
  });
});

describe('exactInteger', () => {
  test.prop([fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n })])('a bigint prints its digits; the double nearest it prints the integer that double holds', (n) => {
    expect(exactInteger(n)).toBe(n.toString());
    const d = Number(n);
    expect(BigInt(exactInteger(d))).toBe(BigInt(d));
  });

  it('2^58 is …744 (String() writes …740); non-integers as String() writes them', () => {
    expect(exactInteger(2 ** 58)).toBe('288230376151711744');
    expect(formatJson([2 ** 58, 0.5])).toBe('[288230376151711744, 0.5]');
    expect(exactInteger(0.1)).toBe('0.1');
  });
});
