import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { checkSource, formatDiagnostics } from '../../src/dsl/index.js';

const locatedCodes = (source: string) => {
  const { module, diagnostics } = checkSource(source, 'spec.mon');
  for (const d of diagnostics) {
    expect(d.span.start.line).toBeGreaterThanOrEqual(1);
    expect(d.span.start.column).toBeGreaterThanOrEqual(1);
  }
  expect(() => formatDiagnostics(diagnostics, source)).not.toThrow();
  return { module, codes: diagnostics.map((d) => d.code) };
};

describe('malformed input gives located errors, never an exception', () => {
  it('empty file: no map declared at 1:1', () => {
    const { diagnostics } = checkSource('', 'empty.mon');
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: 'E0105', span: { start: { line: 1, column: 1 } } });
    expect(diagnostics[0].message).toContain('no map declared');
  });

  it('comments only: no map declared', () => {
    expect(locatedCodes('# nothing\n// here\n').codes).toEqual(['E0105']);
  });

  it('10,000 nested parentheses', () => {
    const src = `map f : 4 -> 4 = ${'('.repeat(10_000)}dense()${')'.repeat(10_000)}`;
    expect(locatedCodes(src).codes).toEqual(['E0104']);
    const consts = `const a = ${'('.repeat(10_000)}1${')'.repeat(10_000)}\nmap f : 4 -> 4 = dense()`;
    expect(locatedCodes(consts).codes).toEqual(['E0104']);
  });

  it('long flat operator runs (no nesting) check without deep recursion', () => {
    const sum = `const a = ${Array(20_000).fill('1').join(' + ')}\nmap f : a -> a = dense()`;
    expect(locatedCodes(sum).module?.maps[0].in).toBe(20_000);
    const pow = `const a = ${Array(5_000).fill('1').join(' ^ ')}\nmap f : a -> a = dense()`;
    expect(locatedCodes(pow).module?.maps[0].in).toBe(1);
    const chain = `map f : 4 -> 4 = ${Array(1_000).fill('dense(in: 4)').join(' @ ')}`;
    expect(locatedCodes(chain).module?.maps[0].structure.kind).toBe('chain');
    // Past the step limit: refused where the map is declared, not a stack overflow or a slow build.
    const long = `map f : 4 -> 4 = ${Array(5_000).fill('dense(in: 4)').join(' @ ')}`;
    expect(locatedCodes(long).codes).toEqual(['E0514']);
  });

  it('a long chain of references between maps', () => {
    const lines = ['map m0 : 4 -> 4 = dense()'];
    for (let i = 1; i < 150; i++) lines.push(`map m${i} : 4 -> 4 = m${i - 1}`);
    expect(locatedCodes(lines.join('\n')).module?.maps).toHaveLength(150);
    // 3,000 maps each expanding to the one before: 4.5 million nodes, over the expansion limit.
    for (let i = 150; i < 3_000; i++) lines.push(`map m${i} : 4 -> 4 = m${i - 1}`);
    expect(locatedCodes(lines.join('\n')).codes).toEqual(['E0512']);
    lines[0] = 'map m0 : 4 -> 4 = m2999';
    expect(locatedCodes(lines.join('\n')).codes).toEqual(['E0304']);
  });

  it('huge numbers', () => {
    expect(locatedCodes('map f : 99999999999999999999999 -> 4 = dense()').codes).toEqual(['E0103']);
    expect(locatedCodes('const a = 2 ^ 31\nmap f : 4 -> 4 = dense()').codes).toEqual(['E0204']);
    expect(locatedCodes('const a = 2 ^ 30 * 2 - 1\nmap f : 4 -> 4 = dense()').codes).toEqual(['E0204']);
    expect(locatedCodes('const a = 1 ^ 2147483647\nmap f : a -> a = dense()').module?.maps[0].in).toBe(1);
    expect(locatedCodes('map f : 65536 -> 65536 = transpose(65536, 65536) @ dense()').codes).toEqual(['E0204']);
    // More factors than could ever fit the size limit: refused from the argument (2^30 factors would take gigabytes).
    expect(locatedCodes('map f : 4 -> 4 = monarch(order: 40, radix: 2)').codes).toEqual(['E0406']);
    expect(locatedCodes('map f : 4 -> 4 = monarch(order: 2 ^ 30, radix: 4)').codes).toEqual(['E0406']);
    expect(locatedCodes(`map f : 4 -> 4 = monarch(radices: [${Array(31).fill(2).join(', ')}])`).codes).toEqual(['E0406']);
    expect(locatedCodes('map f : 1073741824 -> 1073741824 = monarch(order: 30, radix: 2)').codes).toEqual(['E0509']);
  });

  it('binary garbage', () => {
    const bytes = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256);
    const src = new TextDecoder('latin1').decode(bytes);
    const { codes } = locatedCodes(src);
    expect(codes.length).toBeGreaterThan(0);
    expect(codes.length).toBeLessThan(200);
  });

  test.prop([fc.string({ maxLength: 300 })], { numRuns: 300 })('random text', (src) => {
    locatedCodes(src);
  });

  const tokens = ['map', 'const', 'module', 'dtype', 'f', 'g', 'd', '=', ':', '->', '@', '+', '-', '*', '/', '^', '(', ')', '[', ']', ',', '4', '16', '0.5', '"m.npy"', 'dense', 'monarch', 'nblocks', 'bias', 'sparse', 'block', 'pattern', 'band', 'width', '\n', '#c\n'];
  test.prop([fc.array(fc.constantFrom(...tokens), { maxLength: 60 })], { numRuns: 500 })('random token soup', (parts) => {
    locatedCodes(parts.join(' '));
  });
});

describe('several errors in one file are all reported', () => {
  it('syntax errors in several statements, and semantic errors beside them', () => {
    const src = [
      'const a = 3 +', // syntax
      'map f : 4 -> 4 = dense(', // syntax
      'map g : 4 -> 4 = dense() dense()', // syntax: missing operator
      'map h : 4 -> 8 = butterfly()', // shape
      'map i : 4 -> 4 = lowrank(rank: 0)', // argument value
      'map j : 4 -> 4 = nothing', // unknown map
    ].join('\n');
    const { codes } = locatedCodes(src);
    expect(codes).toEqual(['E0102', 'E0102', 'E0102', 'E0505', 'E0406', 'E0302']);
  });

  it('every bad argument of one call', () => {
    expect(locatedCodes('map f : 4 -> 4 = sparse(block: "x", pattern: 3, foo: 1)').codes).toEqual(['E0404', 'E0404', 'E0401']);
  });
});
