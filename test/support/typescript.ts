/**
 * Test support: type-checks generated bindings the way a user's strict project would, with
 * `monc/runtime` and `monc/project` mapped to their sources, and gives scratch directories inside the repo
 * (so that node_modules resolves from them), removed after the test file.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A fresh directory under test/.tmp (git-ignored). Call it at the top level of a test file or describe block. */
export function scratchDir(prefix: string): string {
  const base = `${repoRoot}test/.tmp`;
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(`${base}/${prefix}-`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Diagnostics of `rootNames` (and of the options) under the strictest flags a user may set. Files
 * they import (the runtime's sources) are checked by the project's own tsconfig, not here: a user
 * sees them only through their declarations.
 */
export function typeCheck(rootNames: readonly string[]): readonly ts.Diagnostic[] {
  const program = ts.createProgram(rootNames, {
    strict: true,
    noUnusedParameters: true,
    noUncheckedIndexedAccess: true,
    noPropertyAccessFromIndexSignature: true,
    noImplicitOverride: true,
    noImplicitReturns: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: ['@webgpu/types'],
    typeRoots: [`${repoRoot}node_modules/@types`, `${repoRoot}node_modules`],
    skipLibCheck: true,
    noUnusedLocals: true,
    exactOptionalPropertyTypes: true,
    paths: { 'monc/runtime': [`${repoRoot}src/runtime/index.ts`], 'monc/project': [`${repoRoot}src/project/index.ts`] },
  });
  return [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(), ...rootNames.flatMap((f) => ts.getPreEmitDiagnostics(program, program.getSourceFile(f)))];
}

export function formatDiagnostics(diagnostics: readonly ts.Diagnostic[]): string {
  return ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => repoRoot, getNewLine: () => '\n' });
}
