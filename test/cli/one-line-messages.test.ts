/**
 * The CLI's own messages stay one line, in order, however a name or path from the command line is
 * spelled: its controls (a newline, ESC of a colour sequence) and bidirectional formatting
 * characters are printed as \u{…} escapes, on stderr and in the --json message, as diagnostics
 * already print them. Printed raw, `--map $'a\nb'` split the error over two lines and
 * `\x1b[31m` turned the terminal red.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { cli, scratchDir } from './helpers.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());
const spec = scratch.path('s.mon');
writeFileSync(spec, 'map a : 8 -> 8 = monarch(nblocks: 2)\n');
const params = scratch.path('p.safetensors');

/** Controls and bidirectional formatting characters: what a terminal does not show as itself. */
const HIDDEN = ['\n', '\r', '\t', '\x1b', '\x00', '\x7f', '\x85', '\u061c', '\u200e', '\u200f', '\u202a', '\u202e', '\u2066', '\u2069'];

/** `stderr` is one line of printable text that mentions `shown`. */
function expectOneLine(stderr: string, shown: string): void {
  expect(stderr.endsWith('\n')).toBe(true);
  const line = stderr.slice(0, -1);
  expect(line).toContain(shown);
  for (const ch of HIDDEN) expect(line.includes(ch), `U+${ch.codePointAt(0)!.toString(16)} printed raw`).toBe(false);
}

describe('one-line CLI messages', () => {
  it('a map name with a newline and a colour sequence: one line, escaped, in the text and the --json message', async () => {
    expect((await cli(['init', spec, '--map', 'a', '--out', params])).code).toBe(0);
    const args = ['dense', spec, '--map', 'zz\nqq\x1b[31mRED', '--params', params, '--out', scratch.path('d.npy')];
    const text = await cli(args);
    expect(text.code).toBe(1);
    expectOneLine(text.stderr, "no map named 'zz\\u{a}qq\\u{1b}[31mRED'");
    const json = await cli([...args, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).error.message).toContain("no map named 'zz\\u{a}qq\\u{1b}[31mRED'");
  });

  it('a spec path with a newline and a right-to-left override: one line, in order', async () => {
    const r = await cli(['check', scratch.path('no\nsuch\u202e.mon')]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, 'no\\u{a}such\\u{202e}.mon');
  });

  it('a note naming a tuning database path with a newline: one line', async () => {
    const r = await cli(['build', spec, '--out', scratch.path('out'), '--tuning'], { MONC_TUNING_DB: scratch.path('db\n.json') });
    expect(r.code).toBe(0);
    expectOneLine(r.stderr, 'no tuning database at');
    expect(r.stderr).toContain('db\\u{a}.json');
  });

  // QA1 s21 Q01: a spec's diagnostic header (`file:line:col:`) printed its file name raw; so did the commands' own lines
  // naming the spec, the module named after it and the files written.
  it("a spec named with a newline and a right-to-left override: its diagnostics' header and the commands' lines, one line each", async () => {
    const bad = scratch.path('bad\nname\u202e.mon');
    writeFileSync(bad, 'map f : 4 -> 4 = dense(\n');
    const failed = await cli(['check', bad]);
    expect(failed.code).toBe(1);
    expect(failed.stderr.split('\n')[0]).toMatch(/bad\\u\{a\}name\\u\{202e\}\.mon:1:24: error: expected '\)'/);
    const good = scratch.path('ok\nname\u202e.mon');
    writeFileSync(good, 'map f : 4 -> 4 = dense()\n');
    const checked = await cli(['check', good]);
    expect(checked.stdout.split('\n')[0]).toMatch(/ok\\u\{a\}name\\u\{202e\}\.mon: module ok\\u\{a\}name\\u\{202e\}, dtype f32, 1 map$/);
    const out = scratch.path('o\nut');
    const built = await cli(['build', good, '--out', out]);
    expect(built.code).toBe(0);
    expectOneLine(built.stdout, 'o\\u{a}ut');
    const initialized = await cli(['init', good, '--map', 'f', '--out', scratch.path('p\u202e.safetensors')]);
    expect(initialized.stdout.split('\n')[0]).toMatch(/^wrote .*p\\u\{202e\}\.safetensors: 1 tensor/);
  });

  test.prop([fc.array(fc.oneof(fc.constantFrom(...HIDDEN), fc.string({ minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 6 })], { numRuns: 25 })(
    'any map name: the error is one line and names it with each hidden character escaped',
    async (pieces) => {
      const name = `m${pieces.join('')}`;
      const r = await cli(['dense', spec, '--map', name, '--params', params, '--out', scratch.path('d.npy')]);
      expect(r.code).toBe(1);
      const escaped = [...name].map((ch) => (HIDDEN.includes(ch) ? `\\u{${ch.codePointAt(0)!.toString(16)}}` : ch)).join('');
      expectOneLine(r.stderr, `no map named '${escaped}'`);
    },
  );
});
