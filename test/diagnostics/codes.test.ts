/**
 * The code registry (src/dsl/codes.ts) against the users' documents and against the compiler: every
 * registered code is listed in its document's table with the registry's title and has a section
 * there; every code the documents mention is registered; and every code has one way to produce
 * it (a `.mon` spec, or a library call for the codes no spec reaches) that yields exactly it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CODES, Code, type Code as CodeT } from '../../src/dsl/codes.js';
import { diagnostic, DiagnosticBag, type Diagnostic } from '../../src/dsl/diagnostics.js';
import { syntheticSpan } from '../../src/dsl/span.js';
import { checkSource } from '../../src/dsl/index.js';
import { diagnosticCases } from '../dsl/diagnostic-cases.js';
import { irDiagnosticCases } from './ir-cases.js';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const registered = Object.keys(CODES) as CodeT[];

describe('the code registry and the documents', () => {
  it('every registered code is a row of its document’s code table, with the registry’s title, and has a section', () => {
    for (const code of registered) {
      const { title, doc } = CODES[code];
      const text = read(doc);
      expect(text, code).toContain(`| \`${code}\` | ${title} |`);
      expect(text, code).toContain(`### \`${code}\`: ${title}\n`);
    }
  });

  // QA2 s17 R61: language.md calls CODES the registry of its table, which lacked W0801 (projection.md's).
  it("language.md's table, whose registry CODES is, has a row for every registered code, the registry's title first", () => {
    const text = read('docs/language.md');
    for (const code of registered) expect(text, code).toContain(`| \`${code}\` | ${CODES[code].title}`);
  });

  it('every code a document lists or mentions is registered', () => {
    const docs = readdirSync(new URL('docs/', root)).filter((f) => f.endsWith('.md'));
    for (const file of docs) {
      const mentioned = new Set(read(`docs/${file}`).match(/\b[EW]\d{4}\b/g) ?? []);
      for (const code of mentioned) expect(registered, `${code} in docs/${file}`).toContain(code);
    }
  });

  it('an unknown code, or a code of the other severity, does not type-check (tsc over test/ checks the expectations)', () => {
    const span = syntheticSpan();
    // Never called: what it holds is for the type checker, which must refuse each line.
    const misuses = (bag: DiagnosticBag) => {
      // @ts-expect-error: not a registered code
      bag.error('E0999', 'no such code', span);
      // @ts-expect-error: W0501 is a warning
      bag.error('W0501', 'a warning reported as an error', span);
      // @ts-expect-error: E0502 is an error
      bag.warning(Code.ShapeMismatch, 'an error reported as a warning', span);
    };
    void misuses;
    const bag = new DiagnosticBag();
    bag.warning(Code.RankNotSmaller, 'w', span);
    bag.error(Code.ShapeMismatch, 'e', span);
    expect(bag.all.map((d) => [d.code, d.severity])).toEqual([['W0501', 'warning'], ['E0502', 'error']]);
    // The registry gives the severity of a diagnostic made from its code alone.
    expect(diagnostic(Code.RankNotSmaller, 'm', span).severity).toBe('warning');
    expect(diagnostic('E0701', 'm', span).severity).toBe('error');
  });

  it('names and codes agree: one name per code, the severity its letter says', () => {
    expect(Object.values(Code).sort()).toEqual([...registered].sort());
    for (const code of registered) expect(CODES[code].severity, code).toBe(code.startsWith('W') ? 'warning' : 'error');
  });
});

/**
 * One producer per code. Spec cases live in test/dsl/diagnostic-cases.ts (test/dsl/diagnostics.test.ts
 * also checks their location, message and rendering); the IR's, which no spec reaches, in ./ir-cases.ts.
 */
const producers = new Map<CodeT, () => readonly Diagnostic[]>([
  ...diagnosticCases.map((c) => [c.code, () => checkSource(c.source, 'spec.mon', c.options).diagnostics] as const),
  ...irDiagnosticCases.map((c) => [c.code, c.diagnostics] as const),
]);

describe('one producer per code', () => {
  it('covers every registered code exactly once', () => {
    const cases = [...diagnosticCases, ...irDiagnosticCases].map((c) => c.code);
    expect(cases.length).toBe(new Set(cases).size);
    expect([...cases].sort()).toEqual([...registered].sort());
  });

  it.each(registered)('%s', (code) => {
    const produce = producers.get(code);
    expect(produce, code).toBeDefined();
    const diagnostics = produce!();
    expect(diagnostics.map((d) => d.code)).toEqual([code]);
    expect(diagnostics[0].severity).toBe(CODES[code].severity);
  });
});
