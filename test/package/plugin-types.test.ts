/**
 * The declarations of `monc/vite`, `monc/rollup` and `monc/esbuild` as published (emitted by
 * tsc from the sources) type-check in a strict project with `skipLibCheck: false` that has only
 * its bundler installed: they refer to the plugin's options and the bundler's own types, not to
 * unplugin's declarations (which import every bundler unplugin supports).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { formatDiagnostics, scratchDir } from '../support/typescript.js';

const repo = join(import.meta.dirname, '../..');
// Inside the repository, so that `vite`, `rollup` and `esbuild` resolve as in a user's project.
const dir = scratchDir('plugin-types');
const BUNDLERS = ['vite', 'rollup', 'esbuild'] as const;

function emitDeclarations(outDir: string): void {
  const entries = BUNDLERS.map((b) => join(repo, `src/plugin/${b}.ts`));
  const program = ts.createProgram(entries, {
    declaration: true,
    emitDeclarationOnly: true,
    // Declarations only, without checking the whole compiler they import (the typecheck does that).
    noCheck: true,
    outDir,
    rootDir: repo,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    types: ['node', '@webgpu/types'],
    typeRoots: [join(repo, 'node_modules/@types'), join(repo, 'node_modules')],
  });
  // Every declaration, as the package publishes them (the options refer to manifest/build-kernel-sets.ts since the
  // kernelSets option): were an entry's declaration to refer to the unplugin instance (index.ts), the user's check below
  // would load unplugin's declarations, which import every bundler it supports, and fail.
  expect(program.emit().emitSkipped).toBe(false);
}

describe('the bundler entries’ declarations', () => {
  it('type-check with skipLibCheck: false, given only the bundler', () => {
    const outDir = join(dir, 'dist');
    emitDeclarations(outDir);
    const user = join(dir, 'user');
    mkdirSync(user, { recursive: true });
    const files = BUNDLERS.map((b) => {
      const file = join(user, `${b}.ts`);
      const pluginType = b === 'esbuild' ? `import('esbuild').Plugin` : `import('${b}').Plugin`;
      writeFileSync(file, `import monc from '${join(outDir, `src/plugin/${b}.js`)}';\nexport const plugin: ${pluginType} = monc({ runtime: 'monc/runtime', tuning: false, dts: false });\n`);
      return file;
    });
    const program = ts.createProgram(files, {
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: [],
    });
    // Each entry's declaration names its bundler's own plugin type (QA2 s17 R62: a clean install's build emitted esbuild's
    // as unplugin's alias, `import("unplugin").EsbuildPlugin`; it does not here, where inference names esbuild's).
    for (const b of BUNDLERS) expect(readFileSync(join(outDir, `src/plugin/${b}.d.ts`), 'utf8'), b).toMatch(new RegExp(`\\bimport\\("${b}"\\)|from '${b}'`));
    for (const b of BUNDLERS) expect(readFileSync(join(outDir, `src/plugin/${b}.d.ts`), 'utf8'), b).not.toMatch(/import\("unplugin"\)|from 'unplugin'/);
    const diagnostics = ts.getPreEmitDiagnostics(program);
    expect(diagnostics.length, formatDiagnostics(diagnostics)).toBe(0);
    // The check is real: unplugin's declarations, once in the program, do not pass it.
    const loaded = program.getSourceFiles().map((f) => f.fileName);
    expect(loaded.some((f) => f.includes('/node_modules/unplugin/'))).toBe(false);
    expect(loaded.some((f) => f.includes('/node_modules/vite/'))).toBe(true);
  });
});
