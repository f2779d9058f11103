/**
 * docs/language.md is the users' full reference: every constructor the checker accepts has a row
 * of §5's table naming each of its arguments (every constructor's `in:`/`out:` are said once, above
 * the table), and every sparsity pattern an entry of §7 naming each of its arguments, read from
 * the checker's own tables (src/dsl/signatures.ts), so a new constructor, pattern or argument
 * cannot ship undocumented. Diagnostic codes: test/diagnostics/codes.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../../src/dsl/index.js';
import { constructors, patterns } from '../../src/dsl/signatures.js';

const page = readFileSync(join(import.meta.dirname, '../../docs/language.md'), 'utf8');
const section = (heading: string) => page.split(/\n(?=## )/).find((s) => s.startsWith(`## ${heading}\n`)) ?? '';

describe('docs/language.md against the checker', () => {
  it('§5 has a table row for each constructor naming each of its arguments; in: and out: for all of them', () => {
    const text = section('5. Constructors');
    expect(text.replace(/\s+/g, ' ')).toContain('Every constructor also accepts `in: n` and `out: m`.');
    const rows = text.split('\n').filter((l) => l.startsWith('| `'));
    const missing: string[] = [];
    for (const [name, sig] of constructors) {
      const own = rows.filter((r) => r.startsWith(`| \`${name}(`));
      if (own.length === 0) missing.push(name);
      // A constructor taking positional arguments (transpose) shows them so in its row, and its named form in the notes.
      const named = (arg: string) => own.some((r) => r.includes(`${arg}:`)) || (sig.positional?.includes(arg) && own.some((r) => r.startsWith(`| \`${name}(${sig.positional!.join(', ')})\``)) && new RegExp(`${name}\\([^)]*\\b${arg}: `).test(text));
      for (const arg of sig.params.keys()) if (arg !== 'in' && arg !== 'out' && !named(arg)) missing.push(`${name}(${arg}:)`);
    }
    expect(missing).toEqual([]);
    expect(rows.map((r) => /^\| `(\w+)\(/.exec(r)?.[1]).filter((n) => !constructors.has(n!))).toEqual([]);
  });

  it('§7 has an entry for each sparsity pattern naming each of its arguments', () => {
    const entries = section('7. Sparsity patterns').split('\n').filter((l) => l.startsWith('- `'));
    const missing: string[] = [];
    for (const [name, sig] of patterns) {
      const entry = entries.find((e) => e.startsWith(`- \`${name}(`));
      if (!entry) missing.push(name);
      for (const arg of sig.params.keys()) if (!entry?.includes(`${arg}:`)) missing.push(`${name}(${arg}:)`);
    }
    expect(missing).toEqual([]);
  });

  // QA1 s22 Q103: E0604's and E0605's entries repeated E0603's "a data whose length is not rows × cols is this code too".
  it("a message a code's entry quotes as 'this code too' is that code's: no other entry claims it, and the checker agrees", () => {
    const entries = page.split(/\n(?=### )/).filter((e) => /^### `[EW]\d{4}`/.test(e));
    const claims = entries.flatMap((e) => [...e.matchAll(/this code too: `([^`]+)`/g)].map((m) => ({ code: e.slice(5, 10), message: m[1].replace(/\s+/g, ' ') })));
    expect(claims.length).toBeGreaterThan(0);
    const claimants = (message: string) => claims.filter((c) => c.message === message).map((c) => c.code);
    expect(claims.filter((c) => claimants(c.message).length > 1)).toEqual([]);
    const wrongLength = { resolveMask: () => ({ rows: 4, cols: 4, data: new Array(10).fill(1) }) };
    const [d] = checkSource('map f : 16 -> 16 = sparse(block: 4, pattern: "mask.npy")\n', 'spec.mon', wrongLength).diagnostics;
    expect(claimants(d.message)).toEqual([d.code]);
  });
});
