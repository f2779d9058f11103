/**
 * A map may be named after anything the generated bindings file itself refers to (a global such as
 * JSON, Promise or Float32Array, a runtime import, the file's WGSL and MANIFEST constants): its class
 * and params type then take another name, and the file still type-checks and runs. `map JSON`
 * declared `class JSON`, which shadowed the global in `JSON.parse(…)`: the file neither type-checked
 * nor loaded.
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { mapNames } from '../../src/codegen/ts/names.js';
import { compileModule } from '../../src/compile.js';
import { paramsOf } from '../../src/dsl/params.js';
// The maps run on the CPU backend, an opt-in entry of the runtime.
import '../../src/runtime/cpu.js';
import { initParams } from '../../src/runtime/init.js';
import type { TypedMap } from '../../src/runtime/typed-map.js';
import { relativeError } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';
import { formatDiagnostics, scratchDir, typeCheck } from '../support/typescript.js';
import { TINY_SOURCE } from './tiny-module.js';

/**
 * The identifiers `text` (a generated bindings file) refers to without declaring them: globals and
 * imports, and the file's own constants (their declarations are counted as references too, since
 * a class of that name would clash). Member names, the parameter of `create`, the classes and
 * params types of the maps, and export aliases are left out.
 */
function referencedIdentifiers(text: string): Set<string> {
  const declared = new Set<string>();
  const referenced = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) {
      const parent = node.parent;
      const member =
        (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
        ((ts.isPropertyDeclaration(parent) || ts.isMethodDeclaration(parent) || ts.isParameter(parent)) && parent.name === node) ||
        (ts.isExportSpecifier(parent) && parent.name === node && parent.propertyName !== undefined);
      if ((ts.isClassDeclaration(parent) || ts.isTypeAliasDeclaration(parent)) && parent.name === node) declared.add(node.text);
      else if (!member) referenced.add(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile('bindings.ts', text, ts.ScriptTarget.ES2022, true));
  return new Set([...referenced].filter((name) => !declared.has(name)));
}

const lowerFirst = (name: string) => name[0]!.toLowerCase() + name.slice(1);

describe('map names that the generated file refers to', () => {
  const tiny = compileModule(TINY_SOURCE, 'tiny.mon').outputs!.ts;
  const referenced = referencedIdentifiers(tiny);

  it('the file refers to the globals and constants it uses (the scan sees them)', () => {
    for (const name of ['JSON', 'Promise', 'Float32Array', 'MapRunner', 'TypedMap', 'decodeModuleManifest', 'blockSparse', 'WGSL', 'MANIFEST', 'Manifest']) {
      expect(referenced, name).toContain(name);
    }
  });

  it('are never given to a class or params type, however the map spells them', () => {
    for (const name of referenced) {
      for (const { className, paramsType } of mapNames([name, lowerFirst(name)])) {
        expect(referenced, `map '${name}': class ${className}`).not.toContain(className);
        expect(referenced, `map '${name}': params type ${paramsType}`).not.toContain(paramsType);
      }
    }
  });

  const dir = scratchDir('global-names');
  // Every such name a map may have (a module-level name the checker refuses is left out), some in lower case.
  const names = ['JSON', 'Promise', 'Object', 'Float32Array', 'MapRunner', 'TypedMap', 'WGSL', 'MANIFEST', 'Manifest', 'jSON', 'promise'];
  const source = `module globals\n${names.map((n, i) => `map ${n} : 4 -> ${4 + i} = dense()${i % 2 === 0 ? ' + bias()' : ''}`).join('\n')}\nmap sp : 8 -> 8 = sparse(block: 2, pattern: band(width: 1))\n`;

  it('a module of maps so named type-checks under strict settings and runs each map like the float64 reference', async () => {
    const runtime = fileURLToPath(new URL('../../src/runtime/index.js', import.meta.url));
    const result = compileModule(source, 'globals.mon', { runtimeImport: relative(dir, runtime) });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const file = `${dir}/globals.ts`;
    writeFileSync(file, result.outputs!.ts);
    // Type-checked with the runtime mapped as a user's project maps `monc/runtime`.
    writeFileSync(`${dir}/checked.ts`, compileModule(source, 'globals.mon').outputs!.ts);
    expect(formatDiagnostics(typeCheck([`${dir}/checked.ts`]))).toBe('');

    const exports = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as Record<string, { create(o: { backend: 'cpu' }): Promise<TypedMap<Record<string, Float32Array>>> }>;
    for (const checked of result.module!.maps) {
      const Bound = exports[checked.name];
      expect(Bound, checked.name).toBeDefined();
      const instance = await Bound!.create({ backend: 'cpu' });
      try {
        const tensors = initParams(paramsOf(checked.structure), 5);
        instance.loadParams(Object.fromEntries(tensors));
        const x = Float32Array.from({ length: 3 * checked.in }, (_, i) => Math.sin(i + 1));
        expect(relativeError(await instance.forward(x, 3), referenceApply(checked.structure, tensors, x, 3)), checked.name).toBeLessThanOrEqual(1e-5);
      } finally {
        instance.destroy();
      }
    }
  });
});
