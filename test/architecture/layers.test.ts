/**
 * The layering of src/ (and of bench/ over it), checked on its import graph (rules in layering.ts). Violations that
 * existed when the rules were written are listed in allowed-violations.ts; that list may only
 * shrink: a new violation fails here, and so does an entry that no longer occurs (remove it, so
 * that it cannot come back unnoticed). The test prints what is left on the list.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ALLOWED_VIOLATIONS } from './allowed-violations.js';
import { importGraphOf, packageImportsOf, readSources } from './import-graph.js';
import { againstAllowList, checkLayers, nodeBuiltinViolations, RULES } from './layering.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const sources = readSources(root, ['src', 'bench']);
const graph = importGraphOf(sources);
const packages = packageImportsOf(sources);
const violations = [...checkLayers(graph, RULES, importGraphOf(sources, { values: true })), ...nodeBuiltinViolations(packages)].sort((a, b) => (a.edge < b.edge ? -1 : 1));

describe('the layers of src/', () => {
  it('reads the import graph of src/ and bench/ (static, dynamic and type imports)', () => {
    expect(graph.size).toBeGreaterThan(100);
    // One edge of each kind the scanner must see: a static import, a dynamic import, a type-only import.
    expect(graph.get('src/cli/main.ts')).toContain('src/cli/program.ts');
    expect(graph.get('src/cli/program.ts')).toContain('src/cli/commands/build.ts');
    expect(graph.get('src/cli/program.ts')).toContain('src/cli/context.ts');
    expect(graph.get('bench/sweep.ts')).toContain('src/tools/measure-map.ts');
    expect(packages.get('src/node/files/write-outputs.ts')).toContain('node:fs');
  });

  it('has no violation outside the allow-list, and no allow-list entry that is fixed', () => {
    const { added, fixed } = againstAllowList(violations, ALLOWED_VIOLATIONS);
    const remaining = violations.filter((v) => !added.includes(v));
    console.log(
      `layering: ${remaining.length} allowed violation(s) left\n` +
        remaining.map((v) => `  ${v.edge}\n      (${v.rules.join('; ')})`).join('\n'),
    );
    expect(added.map((v) => `${v.edge}  (${v.rules.join('; ')})`), 'new layering violations: fix the import, do not extend the allow-list').toEqual([]);
    expect(fixed, 'fixed: remove these entries from test/architecture/allowed-violations.ts').toEqual([]);
  });
});
