/**
 * Golden files: every example compiles to exactly the committed test/golden/<module>.{wgsl,ts,json}.
 * After an intended change, regenerate them with `UPDATE_GOLDEN=1 npx vitest run test/codegen/golden.test.ts`
 * and review the diff.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';

const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));
const goldenDir = fileURLToPath(new URL('../golden/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';
const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.mon')).sort();

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
        [`${moduleName}.ts`, ts],
        [`${moduleName}.json`, manifestJson],
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
