/**
 * The source line under a diagnostic (QA E11) is shown as written, non-ASCII text included, with
 * tabs as four spaces and control characters as '?', and the caret sits under the span on a
 * terminal: counted in display columns (a tab four, a wide character two), not UTF-16 units.
 */
import { describe, expect, it } from 'vitest';
import { checkSource, formatDiagnostics } from '../../src/dsl/index.js';

/** The excerpt's two lines (source, caret) after their gutters, of the first diagnostic (whose message has `about`, if given). */
function excerpt(source: string, about = ''): [string, string] {
  const { diagnostics } = checkSource(source, 'spec.mon');
  const d = diagnostics.find((x) => x.message.includes(about));
  expect(d, source).toBeDefined();
  const lines = formatDiagnostics([d!], source).split('\n');
  return [lines[1].replace(/^ *\d+ \| /, ''), lines[2].replace(/^ +\| /, '')];
}

/** The display column (terminal cells) where `needle` starts in `line`, counting wide characters as two. */
function cellOf(line: string, needle: string): number {
  const before = line.slice(0, line.indexOf(needle));
  return Array.from(before).reduce((n, ch) => n + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uff00-\uff60]/u.test(ch) ? 2 : 1), 0);
}

describe('the source excerpt of a diagnostic', () => {
  it('keeps non-ASCII text as written', () => {
    const [line, caret] = excerpt('map f : 4 -> 4 = densee() # ça marche, 日本\n');
    expect(line).toBe('map f : 4 -> 4 = densee() # ça marche, 日本');
    expect(caret).toBe(`${' '.repeat(17)}^~~~~~`);
  });

  it('shows a tab as four spaces and puts the caret under the column after it', () => {
    const [line, caret] = excerpt('map f : 4 -> 4 = dense()\tx\n');
    expect(line).toBe('map f : 4 -> 4 = dense()    x');
    expect(caret.indexOf('^')).toBe(line.indexOf('x'));
  });

  it('counts wide characters before the span as two columns', () => {
    const [line, caret] = excerpt('map f : 4 -> 4 = lowrank(rank: "日本") @ q\n', "'q'");
    expect(line).toBe('map f : 4 -> 4 = lowrank(rank: "日本") @ q');
    expect(caret.indexOf('^')).toBe(cellOf(line, 'q'));
  });

  it('shows a control character as ? and an accented identifier as written', () => {
    expect(excerpt('map f : 4 -> 4 = dense() \u0007 x\n')[0]).toBe('map f : 4 -> 4 = dense() ? x');
    const [line, caret] = excerpt('map f : 4 -> 4 = dénse()\n');
    expect(line).toBe('map f : 4 -> 4 = dénse()');
    expect(caret.indexOf('^')).toBe(line.indexOf('é'));
  });

  // QA A4: U+202E printed as is made the terminal show ") $" reversed, away from the caret.
  it.each([0x202e, 0x202a, 0x202b, 0x202c, 0x202d, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x61c].map((code) => [code.toString(16).toUpperCase().padStart(4, '0'), code] as const))(
    'shows the bidirectional formatting character U+%s as ?, so the rest of the line stays in order under its caret',
    (_hex, code) => {
      const ch = String.fromCodePoint(code);
      const [line, caret] = excerpt(`map f : 4 -> 4 =\tdense(${ch}) $\n`);
      expect(line).toBe('map f : 4 -> 4 =    dense(?) $');
      expect(caret.indexOf('^')).toBe(line.indexOf('?'));
    },
  );

  // QA1 s21 Q01: the `file:line:col` header printed the spec's name raw, so a newline split it and U+202E reordered it.
  it("escapes such characters in the spec's file name of the header: one line, in order", () => {
    for (const [file, shown] of [['bad\nname.mon', 'bad\\u{a}name.mon'], ['x\u202egnp.mon', 'x\\u{202e}gnp.mon'], ['a\u001b[31m.mon', 'a\\u{1b}[31m.mon']]) {
      const source = 'map f : 4 -> 4 = dense(\n';
      const text = formatDiagnostics(checkSource(source, file).diagnostics, source);
      expect(text.split('\n')[0]).toBe(`${shown}:1:24: error: expected ')', found the end of the statement [E0102]`);
      expect([...text].filter((ch) => ch === '\n')).toHaveLength(2);
    }
  });

  // QA1 s21 Q02: E0102 quoted the token with every non-ASCII character as '?' ("???" for "日本語").
  it("quotes an unexpected token as written in E0102, its hidden characters escaped, cut after 20 code points", () => {
    const message = (source: string) => checkSource(source, 'spec.mon').diagnostics.find((d) => d.code === 'E0102')?.message;
    expect(message('map f : 4 -> 4 = "日本語"\n')).toMatch(/found '"日本語"'$/);
    expect(message('map f : 4 -> 4 = "a\u202eb"\n')).toMatch(/found '"a\\u\{202e\}b"'$/);
    expect(message(`map f : 4 -> 4 = "${'😀'.repeat(25)}"\n`)).toMatch(new RegExp(`found '"${'😀'.repeat(19)}…'$`, 'u'));
  });

  it('escapes such characters in messages, where the spec\'s text is quoted (a mask file name): one line, in order', () => {
    const { diagnostics } = checkSource('map f : 16 -> 16 = sparse(block: 4, pattern: "a\u202eb\tc.npy")\n', 'spec.mon');
    expect(diagnostics.map((d) => d.message)).toContainEqual(expect.stringContaining('cannot read mask "a\\u{202e}b\\u{9}c.npy"'));
  });
});
