/**
 * One `.mon` file to the JavaScript module a bundler loads: `compileModule` (the same call, so
 * the same WGSL, manifest and bindings as `monc build`), the bindings with their types erased,
 * the `.mon.d.ts` declarations, and the files the result depends on (for watch mode).
 */
import { statSync } from 'node:fs';
import ts from 'typescript';
import { compileModule, type TuningLookup } from '../compile.js';
import { unusableTuningNote } from '../compile-kernels.js';
import { buildError, buildWarnings, optionsError, type BuildError } from './build-error.js';
import { MoncError } from '../util/error.js';
import { declarationsFor } from './declarations.js';
import { recordingMaskResolver } from '../node/mask-files.js';
import { SPEC_FILE } from '../node/files/bounds.js';
import { readTextBounded } from '../node/files/read-bounded.js';
import { invariant } from '../util/assert.js';
import type { BuildKernelSet } from '../manifest/build-kernel-sets.js';

export interface MonCompileOptions {
  /** Module specifier the generated code imports the runtime from. */
  readonly runtimeImport: string;
  readonly tuning?: TuningLookup;
  /** Forward kernels only (compileModule's `forwardOnly`). */
  readonly forwardOnly?: boolean;
  /** The kernel sets each map keeps (compileModule's `kernelSets`). */
  readonly kernelSets?: readonly BuildKernelSet[];
  /** The tuning database `tuning` reads, for the warning about schedules the build could not use. */
  readonly tuningPath?: string;
}

interface Common {
  /** Files besides the `.mon` itself whose change changes the result (mask files). */
  readonly dependencies: readonly string[];
  readonly warnings: readonly string[];
}

export type MonCompileResult =
  | (Common & { readonly ok: true; readonly moduleName: string; readonly code: string; readonly declarations: string })
  | (Common & { readonly ok: false; readonly error: BuildError });

/**
 * Compiles of one call at most: a file that keeps changing (written to throughout) gives the last one's result, which its
 * next change rebuilds once the bundler watches it.
 */
const COMPILES = 3;

/**
 * The module of `file` as it and the mask files it reads are when this returns: compiled again where one of them changed
 * while it compiled (a large spec takes a while), as the bundler takes the result for theirs. esbuild records a watched
 * file as it is once onLoad returns, and Rollup (and `vite build --watch`) watch only after the first build, so such an
 * edit was never built (as QA1 s27 Q601 for `monc build --watch`).
 */
export function compileMonFile(file: string, options: MonCompileOptions): MonCompileResult {
  for (let compile = 1; ; compile++) {
    const read = new Map<string, string>();
    const result = compileOnce(file, options, (input) => read.set(input, stampOf(input)));
    if (compile === COMPILES || [...read].every(([input, stamp]) => stampOf(input) === stamp)) return result;
  }
}

/** What tells a file's edits apart (taken before reading it: a change after that shows): its modification time, size and inode. */
function stampOf(file: string): string {
  const stats = statSync(file, { bigint: true, throwIfNoEntry: false });
  return stats ? `${stats.mtimeNs} ${stats.size} ${stats.ino}` : 'missing';
}

/** One compile of `file`; `beforeRead` is told the spec and each mask file before it is read. */
function compileOnce(file: string, options: MonCompileOptions, beforeRead: (file: string) => void): MonCompileResult {
  beforeRead(file);
  const source = readTextBounded(file, SPEC_FILE);
  const masks = recordingMaskResolver(beforeRead);
  let result;
  try {
    result = compileModule(source, file, { resolveMask: masks.resolve, tuning: options.tuning, runtimeImport: options.runtimeImport, forwardOnly: options.forwardOnly, kernelSets: options.kernelSets });
  } catch (e) {
    if (!(e instanceof MoncError && e.kind === 'user')) throw e;
    return { dependencies: [...masks.files], warnings: [], ok: false, error: optionsError(file, source, e.message) };
  }
  const common: { dependencies: string[]; warnings: string[] } = { dependencies: [...masks.files], warnings: buildWarnings(source, result.diagnostics) };
  const error = buildError(file, source, result.diagnostics);
  if (!result.outputs) {
    invariant(error, `compileModule gave neither outputs nor an error for ${file}`);
    return { ...common, ok: false, error };
  }
  const { moduleName, ts: bindings, unusableTuning, kernelSetNotes } = result.outputs;
  if (unusableTuning) common.warnings = [...common.warnings, unusableTuningNote(options.tuningPath ?? 'the tuning database', file, unusableTuning)];
  common.warnings = [...common.warnings, ...(kernelSetNotes ?? []).map((note) => `${file}: ${note}`)];
  return { ...common, ok: true, moduleName, code: eraseTypes(bindings, moduleName), declarations: declarationsFor(bindings, moduleName) };
}

/** The bindings as plain ES2022 JavaScript: no bundler needs a TypeScript loader for them. */
export function eraseTypes(bindings: string, moduleName: string): string {
  return ts.transpileModule(bindings, {
    fileName: `${moduleName}.ts`,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, useDefineForClassFields: true },
  }).outputText;
}
