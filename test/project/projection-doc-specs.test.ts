/**
 * The structures docs/projection.md quotes with their sizes ("`dense() @ monarch(nblocks: 4, out:
 * 16)` on 16 -> 16", "... at 24 → 24") compile as written (R5, QA2 s12: two of them were E0501,
 * a rectangular-capable monarch beside dense() without its `out:`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { checkSource } from '../../src/dsl/index.js';

const page = readFileSync(join(import.meta.dirname, '../../docs/projection.md'), 'utf8');
/** A code span holding a constructor call, then "on N", "on N -> M" or "at N → M". */
const QUOTED = /`([^`\n]*\([^`\n]*)` (?:on|at) (\d+)(?: (?:->|→) (\d+))?/g;
const quoted = [...page.matchAll(QUOTED)].map(([, expr, n, m]) => ({ expr, n, m: m ?? n }));

it('every structure docs/projection.md quotes with its sizes compiles as written', () => {
  expect(quoted.length, 'quoted structures found').toBeGreaterThanOrEqual(4);
  for (const { expr, n, m } of quoted) {
    const { diagnostics } = checkSource(`map a : ${n} -> ${m} = ${expr}\n`, 'doc.mon');
    expect(diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), `${expr} on ${n} -> ${m}`).toEqual([]);
  }
});
