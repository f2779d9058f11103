/**
 * The import graph of a TypeScript source tree, read statically from each file's syntax tree
 * (TypeScript's parser, so an import written in a comment or inside a string, as generators
 * emit code, is not one): every relative specifier of `import … from '…'`, `export … from '…'`,
 * `import '…'`, `import('…')` and `typeof import('…')`, resolved to the `.ts` file it names.
 * Each edge knows whether it is type-only (`import type`, `export type`, `import { type A }` with
 * every name a type, `typeof import(…)`): such an import is erased from the JavaScript, so it
 * couples layers (the layer rules count it) but cannot make a cycle of modules at run time.
 * Specifiers that name no file of the tree (packages such as `webgpu`) are not edges.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import ts from 'typescript';

/** File -> the files it imports; paths relative to the root, with `/` (`src/runtime/index.ts`). */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

export interface ImportSpecifier {
  readonly specifier: string;
  /** Erased from the JavaScript: only types are imported. */
  readonly typeOnly: boolean;
}

/** Every module specifier `source` imports, in source order. */
export function importsOf(source: string): ImportSpecifier[] {
  const file = ts.createSourceFile('x.ts', source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: ImportSpecifier[] = [];
  const add = (node: ts.Expression | ts.TypeNode | undefined, typeOnly: boolean) => {
    if (node !== undefined && ts.isStringLiteral(node)) found.push({ specifier: node.text, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const onlyTypeNames = clause !== undefined && clause.name === undefined && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier, clause !== undefined && (clause.isTypeOnly || onlyTypeNames));
    } else if (ts.isExportDeclaration(node)) {
      const named = node.exportClause;
      const onlyTypeNames = named !== undefined && ts.isNamedExports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier, node.isTypeOnly || onlyTypeNames);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** The module specifiers `source` imports (static, re-exports, side-effect, dynamic and type imports). */
export function importSpecifiers(source: string): string[] {
  return importsOf(source).map((i) => i.specifier);
}

/** The `.ts` files under `dir` (recursively), as paths relative to `root`. */
function tsFiles(dir: string, root: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path, root);
    return e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [relative(root, path).split('\\').join('/')] : [];
  });
}

const isRelative = (s: string) => s.startsWith('./') || s.startsWith('../');

/**
 * The graph of `files` (path -> source text): relative specifiers resolved, `.js` read as the
 * `.ts` it is compiled from. `values`: only the imports that remain in the JavaScript (what a
 * cycle of modules is made of).
 */
export function importGraphOf(files: ReadonlyMap<string, string>, options: { readonly values?: boolean } = {}): ImportGraph {
  const graph = new Map<string, string[]>();
  for (const [file, source] of files) {
    const targets = importsOf(source)
      .filter((i) => isRelative(i.specifier) && !(options.values && i.typeOnly))
      .map((i) => posix.normalize(posix.join(posix.dirname(file), i.specifier)).replace(/\.js$/, '.ts'))
      .filter((t) => files.has(t));
    graph.set(file, [...new Set(targets)].sort());
  }
  return graph;
}

/** File -> the packages it imports (`node:fs`, `webgpu`, `commander`): every specifier that is not a relative path. */
export function packageImportsOf(files: ReadonlyMap<string, string>): ImportGraph {
  return new Map([...files].map(([file, source]) => [file, [...new Set(importSpecifiers(source).filter((s) => !isRelative(s)))].sort()]));
}

/** Path -> source text of the `.ts` files under the folders `dirs` of `root` (['src', 'bench']). */
export function readSources(root: string, dirs: readonly string[]): ReadonlyMap<string, string> {
  return new Map(dirs.flatMap((dir) => tsFiles(join(root, dir), root)).map((f) => [f, readFileSync(join(root, f), 'utf8')]));
}

/** The graph of the `.ts` files under the folders `dirs` of `root`. */
export function readImportGraph(root: string, dirs: readonly string[]): ImportGraph {
  return importGraphOf(readSources(root, dirs));
}
