/**
 * Type declarations for `.mon` imports. For `ffn.mon` the plugin writes `ffn.mon.d.ts` beside
 * it: TypeScript resolves `import … from './ffn.mon'` to that file under every module
 * resolution mode (bundler, node16/nodenext) with no extra compiler option, so the editor sees
 * the real per-map classes, parameter names and sizes of that very file.
 *
 * The declarations are the generated bindings with bodies stripped (TypeScript's isolated
 * declaration emit), so they cannot drift from what the bundle contains.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeOutput } from '../node/files/write-outputs.js';
import ts from 'typescript';

export function declarationPath(monFile: string): string {
  return `${monFile}.d.ts`;
}

export function declarationsFor(generatedTs: string, moduleName: string): string {
  const result = ts.transpileDeclaration(generatedTs, {
    fileName: `${moduleName}.ts`,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  });
  return result.outputText;
}

/**
 * Writes `text` to `path` unless it already holds exactly that: an unchanged file keeps its
 * mtime, so watchers (the editor's, the bundler's) are not woken for nothing. Returns whether it wrote.
 */
export function writeIfChanged(path: string, text: string): boolean {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return false;
  writeOutput(path, text);
  return true;
}
