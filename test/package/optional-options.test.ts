/**
 * Every option of the public API takes `undefined` as absent at run time (the checks read
 * `options.x !== undefined`), so its type must say so: under `exactOptionalPropertyTypes` a field
 * `seed?: number` refuses `{ seed: maybeSeed }` with `maybeSeed: number | undefined`, and
 * projection.md's own example (`maxRounds: undefined`) did not compile (QA2 s16 R50). Walks the
 * package entries' exports with the TypeScript checker: each exported type named `…Options`, and
 * the `…Options` types its fields hold, must declare every optional field `?: T | undefined`.
 */
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';
import { checkSource, modelOf } from '../../src/index.js';
import { project } from '../../src/project/index.js';

const root = join(import.meta.dirname, '../..');
/** The package entries (package.json exports) whose option types are the compiler's, the projection's and the plugins'. */
const ENTRIES = ['src/index.ts', 'src/compiler.ts', 'src/project/index.ts', 'src/plugin/index.ts', 'src/plugin/vite.ts', 'src/plugin/rollup.ts', 'src/plugin/esbuild.ts'];

/** `name.field` for each optional field, reachable from an exported `…Options` type, whose declared type lacks `undefined`. */
function fieldsRefusingUndefined(): string[] {
  const program = ts.createProgram(
    ENTRIES.map((e) => join(root, e)),
    { strict: true, exactOptionalPropertyTypes: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, types: ['@webgpu/types', 'node'], skipLibCheck: true },
  );
  const checker = program.getTypeChecker();
  const found = new Set<string>();
  const seen = new Set<ts.Type>();
  const visit = (type: ts.Type, name: string): void => {
    if (seen.has(type)) return;
    seen.add(type);
    for (const part of type.isUnionOrIntersection() ? type.types : [type]) {
      for (const prop of checker.getPropertiesOfType(part)) {
        const decl = prop.declarations?.[0];
        if (!decl || !(ts.isPropertySignature(decl) || ts.isMethodSignature(decl))) continue;
        const where = `${name}.${prop.name}`;
        if (decl.questionToken && !admitsUndefined(decl)) found.add(where);
        // Options within options (a field whose type is itself an `…Options`).
        const fieldType = checker.getNonNullableType(checker.getTypeOfSymbol(prop));
        if (/Options$/.test(fieldType.aliasSymbol?.name ?? fieldType.getSymbol()?.name ?? '')) visit(fieldType, where);
      }
    }
  };
  for (const entry of ENTRIES) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(join(root, entry))!)!;
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (!/Options$/.test(exported.name) || !(symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias))) continue;
      visit(checker.getDeclaredTypeOfSymbol(symbol), exported.name);
    }
  }
  return [...found].sort();
}

/** Whether an optional field's declared type includes `undefined` (or is `any`/`unknown`). */
function admitsUndefined(decl: ts.PropertySignature | ts.MethodSignature): boolean {
  if (ts.isMethodSignature(decl)) return false;
  const type = decl.type;
  if (!type) return true;
  const parts = ts.isUnionTypeNode(type) ? type.types : [type];
  return parts.some((t) => t.kind === ts.SyntaxKind.UndefinedKeyword || t.kind === ts.SyntaxKind.AnyKeyword || t.kind === ts.SyntaxKind.UnknownKeyword);
}

describe('the public option types', () => {
  it('declare every optional field as taking undefined (`?: T | undefined`), as the calls take it', () => {
    expect(fieldsRefusingUndefined()).toEqual([]);
  });

  it('as the calls take it: every option undefined gives what no options give', () => {
    const source = 'map m : 16 -> 16 = monarch(nblocks: 4)\n';
    const none = { resolveMask: undefined, tuning: undefined, forwardOnly: undefined, kernelSets: undefined, runtimeImport: undefined };
    expect(compileModule(source, 'm.mon', none).outputs).toEqual(compileModule(source, 'm.mon').outputs);
    // projection.md's example passes maxRounds: undefined.
    const model = modelOf(checkSource(source, 'm.mon').module!.maps[0]);
    const w = Float64Array.from({ length: 256 }, (_, i) => Math.sin(i));
    const options = { seed: undefined, maxRounds: undefined, powerIterations: undefined, storage: undefined };
    expect(project(model, w, options)).toEqual(project(model, w));
  });
});
