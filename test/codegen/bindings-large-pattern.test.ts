/**
 * The bindings of a sparse module whose manifest lists many blocks: the manifest is embedded as
 * one string (JSON.parse of a string literal), so the TypeScript a user's tsc or bundler reads
 * has the same syntax tree whatever the pattern's size (as an object literal, every block was
 * a node tsc checked against `Manifest`: a million blocks did not type-check in 5 minutes), and it
 * type-checks under the strictest options.
 */
import { writeFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';
import { formatDiagnostics, scratchDir, typeCheck } from '../support/typescript.js';

/** The generated TypeScript and block count of a 256 -> 256 band pattern of 1 x 1 blocks. */
function bandModule(width: number): { readonly text: string; readonly blocks: number } {
  const r = compileModule(`module wide\nmap f : 256 -> 256 = sparse(block: 1, pattern: band(width: ${width}))\n`, 'band.mon');
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const op = r.outputs!.manifest.maps[0].ops[0];
  expect(op.kind).toBe('bsr');
  return { text: r.outputs!.ts, blocks: op.kind === 'bsr' ? op.blocks.length : 0 };
}

/** Nodes of the file's syntax tree. */
function nodeCount(text: string): number {
  let count = 0;
  const visit = (node: ts.Node): void => {
    count++;
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile('band.ts', text, ts.ScriptTarget.ES2022));
  return count;
}

describe('bindings of a large sparse pattern', () => {
  const dir = scratchDir('large-pattern');

  it('have the same syntax tree size for 256 and 28,480 blocks (n·(2w − 1) − w·(w − 1)), and type-check', () => {
    const small = bandModule(1);
    const large = bandModule(64);
    expect([small.blocks, large.blocks]).toEqual([256, 28480]);
    // The pattern is there (once, as a flat list: 28,480 blocks in 260 kB, 13 times the 256-block module).
    expect(large.text.length).toBeGreaterThan(10 * small.text.length);
    expect(nodeCount(large.text)).toBe(nodeCount(small.text));
    writeFileSync(`${dir}/band.ts`, large.text);
    expect(formatDiagnostics(typeCheck([`${dir}/band.ts`]))).toBe('');
  });
});
