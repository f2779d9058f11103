/**
 * The docs ship in the package, so they must stand on their own: no citation of the project's
 * contract file (users do not have it), and code samples import monc through its package
 * entries (`monc`, `monc/runtime`, …) or the user's own files, never from monc's source tree.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const docsDir = join(import.meta.dirname, '../../docs');
const docs = readdirSync(docsDir)
  .filter((f) => f.endsWith('.md'))
  .map((name) => ({ name, text: readFileSync(join(docsDir, name), 'utf8') }));

/** Module specifiers of `import … from '…'`, `import '…'` and `import('…')` in ts/js code blocks. */
function sampleImports(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```(?:ts|js|typescript|javascript|mjs)\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((code) => [...code.matchAll(/(?:\bfrom\s+|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]));
}

/** A specifier into monc's own sources or build output (what only a checkout has). */
const MONC_INTERNALS = /(^|\/)(src\/(dsl|ir|codegen|runtime|project|model|cli|plugin|util)|dist|runtime\/project)(\/|$)|^\.\.?\/(src|dist|runtime)\//;

describe('docs/*.md', () => {
  it('are there', () => {
    expect(docs.map((d) => d.name)).toContain('install.md');
  });

  it.each(docs.map((d) => [d.name, d.text]))('%s cites no SPEC.md', (_, text) => {
    expect(text.match(/.*\bSPEC\b.*/g) ?? []).toEqual([]);
  });

  it.each(docs.map((d) => [d.name, d.text]))("%s's code samples import monc by its package entries", (_, text) => {
    expect(sampleImports(text).filter((s) => MONC_INTERNALS.test(s))).toEqual([]);
  });

  it('the import scan finds what it must reject', () => {
    const sample = "```ts\nimport { parse } from './src/dsl/index.js';\nimport 'monc/runtime/node';\nconst m = await import('../dist/src/index.js');\nimport { Up } from './gen/ffn.js';\n```\n";
    expect(sampleImports(sample)).toEqual(['./src/dsl/index.js', 'monc/runtime/node', '../dist/src/index.js', './gen/ffn.js']);
    expect(sampleImports(sample).filter((s) => MONC_INTERNALS.test(s))).toEqual(['./src/dsl/index.js', '../dist/src/index.js']);
  });
});
