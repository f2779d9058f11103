import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { exactInteger, formatJson, formatJsonLine, oneLine } from '../../src/util/json.js';

describe('formatJson', () => {
  test.prop([fc.jsonValue()])('is JSON that parses back to the value', (value) => {
    expect(JSON.parse(formatJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
  });

  it('keeps arrays of primitives on one line and indents the rest by two spaces', () => {
    expect(formatJson({ name: 'up', shape: [4, 8, 4], steps: [{ perm: [1, 0] }], empty: [], none: {} })).toBe(
      ['{', '  "name": "up",', '  "shape": [4, 8, 4],', '  "steps": [', '    {', '      "perm": [1, 0]', '    }', '  ],', '  "empty": [],', '  "none": {}', '}'].join('\n'),
    );
  });

  it('packs arrays of short primitive arrays (a sparse pattern’s blocks) into lines of at most 100 characters', () => {
    const blocks = Array.from({ length: 30 }, (_, z) => [Math.floor(z / 4), z % 4]);
    const text = formatJson({ blocks });
    const lines = text.split('\n');
    expect(lines.slice(0, 2)).toEqual(['{', '  "blocks": [']);
    expect(lines[2]).toBe(`    ${blocks.slice(0, 12).map(([i, j]) => `[${i}, ${j}]`).join(', ')},`);
    expect(lines.every((l) => l.length <= 100)).toBe(true);
    expect(lines.length).toBe(2 + Math.ceil(30 / 12) + 2);
    expect(JSON.parse(text)).toEqual({ blocks });
  });
});

describe('formatJsonLine', () => {
  test.prop([fc.jsonValue()])('is JSON on one line that parses back to the value', (value) => {
    const text = formatJsonLine(value);
    expect(text).not.toContain('\n');
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
  });

  it('escapes newlines in strings and writes integers past 2^53 exactly', () => {
    expect(formatJsonLine({ message: 'a\nb', n: 2 ** 58, shape: [4, 8], nested: { empty: [], none: {} } })).toBe(
      '{"message": "a\\nb", "n": 288230376151711744, "shape": [4, 8], "nested": {"empty": [], "none": {}}}',
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

describe('oneLine', () => {
  const parseError = (text: string): unknown => {
    try {
      JSON.parse(text);
    } catch (e) {
      return e;
    }
    throw new Error('expected a SyntaxError');
  };

  test.prop([fc.string()])("is one line for any text JSON.parse rejects (V8 quotes the text's start)", (text) => {
    let parsed = true;
    try {
      JSON.parse(text);
    } catch {
      parsed = false;
    }
    fc.pre(!parsed);
    expect(oneLine(parseError(text))).not.toMatch(/[\r\n]/);
  });

  it('writes the quoted line breaks as \\n and \\r', () => {
    expect(oneLine(parseError('xx\nyy\r\nzz'))).toBe(String.raw`Unexpected token 'x', "xx\nyy\r\nzz" is not valid JSON`);
  });
});
