/**
 * Type-checks TS files the way a Vite project does (bundler resolution, strict, DOM and WebGPU
 * types), or a Node ESM project does (node16), with `monc/runtime` mapped to the runtime's source. One program for all files, so the
 * DOM and WebGPU declarations are parsed once; only the given files' own errors are reported.
 */
import ts from 'typescript';
import { RUNTIME_SOURCE } from './fixtures.js';

export interface TypeError {
  readonly line: number;
  readonly message: string;
}

/**
 * How the project resolves modules: `bundler` (a Vite project's), or `node16` in an ECMAScript
 * module project (the repository's package.json says `"type": "module"`) with
 * `allowArbitraryExtensions`, which that mode needs to read `<file>.d.mon.ts`.
 */
export type Resolution = 'bundler' | 'node16';

/** Type errors per file. Files must lie inside the repository, so that node_modules/@webgpu/types resolves. */
export function typeErrors(files: readonly string[], resolution: Resolution = 'bundler'): Map<string, TypeError[]> {
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    ...(resolution === 'bundler'
      ? { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler }
      : { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, allowArbitraryExtensions: true }),
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: ['@webgpu/types'],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    paths: { 'monc/runtime': [RUNTIME_SOURCE] },
  });
  return new Map(
    files.map((file) => {
      const source = program.getSourceFile(file);
      if (!source) throw new Error(`${file}: not in the program`);
      const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
      return [file, diagnostics.map((d) => ({ line: source.getLineAndCharacterOfPosition(d.start ?? 0).line + 1, message: ts.flattenDiagnosticMessageText(d.messageText, '\n') }))];
    }),
  );
}
