/**
 * Type declarations for `.mon` imports, written beside the spec in the form the project's module
 * resolution reads for `import … from './ffn.mon'`:
 *  - `ffn.mon.d.ts` (the default): `moduleResolution: bundler` appends `.d.ts` to the specifier,
 *    with no compiler option;
 *  - `ffn.d.mon.ts` (option `dts: 'arbitrary-extension'`): in an ECMAScript-module project under
 *    node16/nodenext TypeScript never appends to a specifier that has an extension; it reads the
 *    declaration file of an arbitrary extension, and only with `allowArbitraryExtensions` (else
 *    error TS6263). Only one form is written: where `ffn.d.mon.ts` exists, bundler resolution
 *    reads it too, and without that option fails on it.
 * So the editor sees the real per-map classes, parameter names and sizes of that very file.
 *
 * The declarations are the generated bindings with bodies stripped (TypeScript's isolated
 * declaration emit), so they cannot drift from what the bundle contains.
 */
import { readFileSync, statSync } from 'node:fs';
import { writeOutput } from '../node/files/write-outputs.js';
import ts from 'typescript';
import type { DeclarationForm } from './options.js';

/** The declaration file of `monFile` (`…/ffn.mon`): `ffn.mon.d.ts`, or with the arbitrary-extension form `ffn.d.mon.ts`. */
export function declarationPath(monFile: string, form: DeclarationForm | undefined): string {
  return form === 'arbitrary-extension' ? `${monFile.replace(/\.mon$/, '')}.d.mon.ts` : `${monFile}.d.ts`;
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
 * mtime, so watchers (the editor's, the bundler's) are not woken for nothing. Returns whether it
 * wrote; a path that cannot be written is a FileError (writeOutput's).
 */
export function writeIfChanged(path: string, text: string): boolean {
  if (holds(path, text)) return false;
  writeOutput(path, text);
  return true;
}

/**
 * Whether `path` is a regular file of exactly `text`. Only a file of the right size is read (never
 * a FIFO or device, which could block or never end); anything unreadable is not it, and the write
 * that follows says why.
 */
function holds(path: string, text: string): boolean {
  try {
    const stats = statSync(path);
    return stats.isFile() && stats.size === Buffer.byteLength(text) && readFileSync(path, 'utf8') === text;
  } catch {
    return false;
  }
}
