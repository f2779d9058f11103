/**
 * Golden files: every example compiles to exactly the committed test/golden/<module>.{wgsl,json}
 * and to the committed <module>.ts *skeleton*. The bindings embed the whole WGSL and manifest;
 * storing them a second time inside the .ts golden doubled every kernel change, so the .ts golden
 * holds a marker in their place, and this test checks that the embedded texts are exactly the
 * .wgsl and .json goldens. After an intended change, regenerate them with
 * `UPDATE_GOLDEN=1 npx vitest run test/codegen/golden.test.ts` and review the diff.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';

const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));
const goldenDir = fileURLToPath(new URL('../golden/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';
const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.mon')).sort();

const WGSL_OPEN = 'const WGSL = `';
const WGSL_CLOSE = '`;\n';
const MANIFEST_OPEN = "const MANIFEST: Manifest = decodeModuleManifest(JSON.parse('";
/** How the manifest's line ends: a module with block-sparse maps passes the runtime's support for them too. */
const MANIFEST_CLOSES = ["'));", "'), blockSparse);"];

/** Undoes the escapes a template literal needs (`\\`, `` \` ``, `\${`). */
function templateText(literalBody: string): string {
  return literalBody.replace(/\\([\\`$])/g, '$1');
}

/**
 * The bindings with the embedded WGSL and manifest replaced by markers naming their goldens;
 * fails unless the embedded texts are exactly `wgsl` and `manifestJson`.
 */
function bindingsSkeleton(ts: string, wgsl: string, manifestJson: string, moduleName: string): string {
  const wgslStart = ts.indexOf(WGSL_OPEN);
  expect(wgslStart, 'bindings embed the WGSL').toBeGreaterThanOrEqual(0);
  const bodyStart = wgslStart + WGSL_OPEN.length;
  const bodyEnd = ts.indexOf(WGSL_CLOSE, bodyStart);
  expect(templateText(ts.slice(bodyStart, bodyEnd)), 'the WGSL embedded in the bindings is the module WGSL').toBe(wgsl);
  const withoutWgsl = `${ts.slice(0, bodyStart)}/* test/golden/${moduleName}.wgsl */${ts.slice(bodyEnd)}`;
  expect(withoutWgsl.split(MANIFEST_OPEN).length - 1, 'the bindings embed the manifest exactly once').toBe(1);
  const jsonStart = withoutWgsl.indexOf(MANIFEST_OPEN) + MANIFEST_OPEN.length;
  const lineEnd = withoutWgsl.indexOf('\n', jsonStart);
  const close = MANIFEST_CLOSES.find((c) => withoutWgsl.slice(0, lineEnd).endsWith(c));
  expect(close, 'the manifest line ends with one of ' + MANIFEST_CLOSES.join(' ')).toBeDefined();
  const jsonEnd = lineEnd - close!.length;
  // The manifest is one line of JSON in a single-quoted string (`\\` and `\'` escaped).
  const embedded = withoutWgsl.slice(jsonStart, jsonEnd).replace(/\\([\\'])/g, '$1');
  expect(embedded, 'the manifest is embedded on one line').not.toContain('\n');
  expect(JSON.parse(embedded), 'the manifest embedded in the bindings is the .json').toEqual(JSON.parse(manifestJson));
  return `${withoutWgsl.slice(0, jsonStart)}{} /* test/golden/${moduleName}.json */${withoutWgsl.slice(jsonEnd)}`;
}

describe('golden outputs', () => {
  it('exist for at least one example', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  for (const example of examples) {
    it(`match for ${example}`, () => {
      const result = compileModule(readFileSync(examplesDir + example, 'utf8'), `examples/${example}`);
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const { moduleName, wgsl, ts, manifestJson } = result.outputs!;
      const files: [string, string][] = [
        [`${moduleName}.wgsl`, wgsl],
        [`${moduleName}.json`, manifestJson],
        [`${moduleName}.ts`, bindingsSkeleton(ts, wgsl, manifestJson, moduleName)],
      ];
      if (update) mkdirSync(goldenDir, { recursive: true });
      for (const [name, text] of files) {
        if (update) writeFileSync(goldenDir + name, text);
        expect(existsSync(goldenDir + name), `missing golden file test/golden/${name} (UPDATE_GOLDEN=1 writes it)`).toBe(true);
        expect(text, `test/golden/${name} differs (UPDATE_GOLDEN=1 rewrites it)`).toBe(readFileSync(goldenDir + name, 'utf8'));
      }
    });
  }
});
