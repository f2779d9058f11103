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

/**
 * Paths into monc's own tree, which the npm package does not ship (it ships dist/src, bin and
 * docs): its sources, tests, benchmarks and examples. A user's own `src/main.ts` is not one.
 */
const REPOSITORY_PATH = /\b(src\/(dsl|ir|codegen|runtime|project|model|cli|plugin|util|tuner|export|interop|node|tools|manifest)\/|test\/|bench\/|examples\/|dist\/bench\/)/;
const SAYS_SOURCE_REPOSITORY = /monc's\s+source\s+repository|monc\s+source\s+repository|the\s+monc\s+repository|monc's\s+sources/;
/** Pages for contributors, about the repository itself (performance.md in part: its figures' commands). */
const CONTRIBUTOR_PAGES = ['architecture.md', 'performance.md'];

/** The sections (from one heading to the next) of a page that cite a repository path. */
function sectionsCitingRepository(markdown: string): string[] {
  return markdown.split(/\n(?=#{1,6} )/).filter((section) => REPOSITORY_PATH.test(section));
}

/**
 * Code fences that do not render as meant: in CommonMark a closing fence takes nothing after it,
 * so "``` text" inside a block is one more line of code and the block runs on to the next fence.
 */
function fenceProblems(markdown: string): string[] {
  const problems: string[] = [];
  let open = false;
  markdown.split('\n').forEach((line, i) => {
    const fence = /^\s*```(.*)$/.exec(line);
    if (!fence) return;
    if (!open) open = true;
    else if (fence[1].trim() === '') open = false;
    else problems.push(`line ${i + 1}: text after a closing fence`);
  });
  if (open) problems.push('a code block is never closed');
  return problems;
}

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

  it.each(docs.filter((d) => !CONTRIBUTOR_PAGES.includes(d.name)).map((d) => [d.name, d.text]))(
    '%s cites a file of monc\'s repository (not in the package) only where its section says it is in the source repository',
    (_, text) => {
      expect(sectionsCitingRepository(text).filter((section) => !SAYS_SOURCE_REPOSITORY.test(section)).map((section) => section.split('\n')[0])).toEqual([]);
    },
  );

  it.each(docs.filter((d) => CONTRIBUTOR_PAGES.includes(d.name)).map((d) => [d.name, d.text]))(
    '%s says before its first section that it is a page for contributors about the source repository',
    (_, text) => {
      const opening = text.split(/\n(?=## )/)[0];
      expect(opening).toMatch(/contributors/);
    },
  );

  it.each(docs.map((d) => [d.name, d.text]))('%s closes each code block with a fence alone on its line', (_, text) => {
    expect(fenceProblems(text)).toEqual([]);
  });

  it('the fence scan finds what it must reject', () => {
    expect(fenceProblems('- a\n\n  ```\n  code\n  ``` text after the fence\n- b\n')).toEqual(['line 5: text after a closing fence', 'a code block is never closed']);
    expect(fenceProblems('```ts\nx\n```\n\n  ```\n  y\n  ```\n')).toEqual([]);
  });

  it('the repository scan finds what it must reject', () => {
    const page = '# A\n\nSee `src/project/refine.ts`.\n\n## B\n\nIn monc\'s source repository, `npx vitest run test/project/`.\n\n## C\n\nYour `src/main.ts` imports `monc/runtime`.\n';
    expect(sectionsCitingRepository(page).map((section) => section.split('\n')[0])).toEqual(['# A', '## B']);
    expect(sectionsCitingRepository(page).filter((section) => !SAYS_SOURCE_REPOSITORY.test(section))).toHaveLength(1);
  });

  it('the import scan finds what it must reject', () => {
    const sample = "```ts\nimport { parse } from './src/dsl/index.js';\nimport 'monc/runtime/node';\nconst m = await import('../dist/src/index.js');\nimport { Up } from './gen/ffn.js';\n```\n";
    expect(sampleImports(sample)).toEqual(['./src/dsl/index.js', 'monc/runtime/node', '../dist/src/index.js', './gen/ffn.js']);
    expect(sampleImports(sample).filter((s) => MONC_INTERNALS.test(s))).toEqual(['./src/dsl/index.js', '../dist/src/index.js']);
  });
});
