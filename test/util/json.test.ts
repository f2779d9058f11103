import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { formatJson } from '../../src/util/json.js';

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
