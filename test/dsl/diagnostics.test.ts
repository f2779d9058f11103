import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderDiagnostic } from '../../src/dsl/diagnostics.js';
import { checkSource, Code } from '../../src/dsl/index.js';
import { diagnosticCases } from './diagnostic-cases.js';

describe('one test per diagnostic code', () => {
  it.each(diagnosticCases)('$code', (c) => {
    const { module, diagnostics } = checkSource(c.source, 'spec.mon', c.options);
    expect(diagnostics.map((d) => d.code)).toEqual([c.code]);
    const d = diagnostics[0];
    expect(`${d.span.start.line}:${d.span.start.column}`).toBe(c.at);
    expect(d.message).toBe(c.message);
    const lines = renderDiagnostic(d, c.source).split('\n');
    const severity = c.code.startsWith('W') ? 'warning' : 'error';
    expect(lines[0]).toBe(`spec.mon:${c.at}: ${severity}: ${c.message} [${c.code}]`);
    const line = Number(c.at.split(':')[0]);
    expect(lines[1].startsWith(`${String(line).padStart(4)} | `)).toBe(true);
    expect(lines[2]).toBe(c.caret);
    // Errors withhold the module; a warning alone does not.
    expect(module === undefined).toBe(severity === 'error');
  });

  it('covers every code exactly once, and docs/language.md documents each', () => {
    const codes = Object.values(Code);
    expect(diagnosticCases.map((c) => c.code).sort()).toEqual([...codes].sort());
    const docs = readFileSync(new URL('../../docs/language.md', import.meta.url), 'utf8');
    for (const code of codes) expect(docs, code).toContain(`\`${code}\``);
  });
});
