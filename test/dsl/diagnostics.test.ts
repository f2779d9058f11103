import { describe, expect, it } from 'vitest';
import { renderDiagnostic } from '../../src/dsl/diagnostics.js';
import { checkSource } from '../../src/dsl/index.js';
import { diagnosticCases } from './diagnostic-cases.js';

// Which codes these cover, and the codes no spec reaches, is checked in test/diagnostics/codes.test.ts.
describe('one test per diagnostic code of the front end', () => {
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

});

describe('counts in messages are exact past 2^53', () => {
  const messages = (source: string) => checkSource(source, 'spec.mon').diagnostics.map((d) => `${d.code} ${d.message}`);

  it('a tensor of 2^58 elements prints as 288230376151711744, not the double text …740', () => {
    expect(messages('map d : 2^29 -> 2^29 = lowrank(rank: 2^29)')).toContain(
      "E0509 parameter tensor 'd.U' of lowrank(…) would have 288230376151711744 elements, more than the limit 2147483647",
    );
    // 3^38 is odd and past 2^53: its double is a different (even) integer.
    expect(messages('map d : 3^19 -> 3^19 = dense()')).toEqual([
      `E0509 parameter tensor 'd.weight' of dense() would have ${3n ** 38n} elements, more than the limit 2147483647`,
    ]);
  });

  it("a map's parameters together: the exact count, and the alignment named only when it passes the limit", () => {
    expect(messages('map d : 2^29 -> 2^29 = monarch(order: 29, radix: 2)')).toEqual([
      `E0511 the parameters of map 'd' have ${29n * 2n ** 30n} elements together, more than the limit 2147483647 (kernels address them with 32-bit offsets)`,
    ]);
    // 2147483643 + 1 elements in two tensors: within the limit, but not with 3 elements of alignment each.
    expect(messages('map f : 2147483643 -> 1 = dense() + bias()')).toEqual([
      "E0511 the parameters of map 'f' have 2147483644 elements together (up to 2147483658 with the alignment of each tensor), more than the limit 2147483647 (kernels address them with 32-bit offsets)",
    ]);
  });
});
