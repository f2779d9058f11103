/**
 * The import graph of a TypeScript source tree, read statically: every relative specifier of
 * `import … from '…'`, `export … from '…'`, `import '…'` and `import('…')` (type-only imports
 * included: a type import is still a dependency of its layer), resolved to the `.ts` file it
 * names. The specifiers come from TypeScript's own pre-processor (`ts.preProcessFile`), which
 * reads tokens, so an import written in a comment or inside a string (code a generator emits)
 * is not one. Specifiers that name no file of the tree (packages such as `webgpu`) are not edges.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import ts from 'typescript';

/** File -> the files it imports; paths relative to the root, with `/` (`src/runtime/index.ts`). */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** The module specifiers `source` imports (static, re-exports, side-effect and dynamic with a literal). */
export function importSpecifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** The `.ts` files under `dir` (recursively), as paths relative to `root`. */
function tsFiles(dir: string, root: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path, root);
    return e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [relative(root, path).split('\\').join('/')] : [];
  });
}

/** The graph of `files` (path -> source text): relative specifiers resolved, `.js` read as the `.ts` it is compiled from. */
export function importGraphOf(files: ReadonlyMap<string, string>): ImportGraph {
  const graph = new Map<string, string[]>();
  for (const [file, source] of files) {
    const targets = importSpecifiers(source)
      .filter((s) => s.startsWith('./') || s.startsWith('../'))
      .map((s) => posix.normalize(posix.join(posix.dirname(file), s)).replace(/\.js$/, '.ts'))
      .filter((t) => files.has(t));
    graph.set(file, [...new Set(targets)].sort());
  }
  return graph;
}

/** File -> the packages it imports (`node:fs`, `webgpu`, `commander`): every specifier that is not a relative path. */
export function packageImportsOf(files: ReadonlyMap<string, string>): ImportGraph {
  return new Map([...files].map(([file, source]) => [file, [...new Set(importSpecifiers(source).filter((s) => !s.startsWith('./') && !s.startsWith('../')))].sort()]));
}

/** Path -> source text of the `.ts` files under the folders `dirs` of `root` (['src', 'bench']). */
export function readSources(root: string, dirs: readonly string[]): ReadonlyMap<string, string> {
  return new Map(dirs.flatMap((dir) => tsFiles(join(root, dir), root)).map((f) => [f, readFileSync(join(root, f), 'utf8')]));
}

/** The graph of the `.ts` files under the folders `dirs` of `root`. */
export function readImportGraph(root: string, dirs: readonly string[]): ImportGraph {
  return importGraphOf(readSources(root, dirs));
}
