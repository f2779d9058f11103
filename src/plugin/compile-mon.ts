/**
 * One `.mon` file to the JavaScript module a bundler loads: `compileModule` (the same call, so
 * the same WGSL, manifest and bindings as `monc build`), the bindings with their types erased,
 * the `.mon.d.ts` declarations, and the files the result depends on (for watch mode).
 */
import ts from 'typescript';
import { compileModule, type TuningLookup } from '../compile.js';
import { unusableTuningNote } from '../compile-kernels.js';
import { buildError, buildWarnings, optionsError, type BuildError } from './build-error.js';
import { MoncError } from '../util/error.js';
import { declarationsFor } from './declarations.js';
import { readMaskFile, recordingMaskResolver, type RecordingMaskResolver } from '../node/mask-files.js';
import { FileError } from '../node/files/file-error.js';
import { SPEC_FILE } from '../node/files/bounds.js';
import { readFileBounded } from '../node/files/read-bounded.js';
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
 * The module of `file` as it and the mask files it reads are when this returns: compiled again where one of them holds
 * other bytes than the compile read (an edit while it compiled: a large spec takes a while), as the bundler takes the
 * result for theirs. esbuild records a watched file as it is once onLoad returns, and Rollup (and `vite build --watch`)
 * watch only after the first build, so such an edit was never built (as QA1 s27 Q601 for `monc build --watch`). What
 * was read is compared, not modification times, which a write in the same clock tick leaves as they were (REV28-2).
 */
export function compileMonFile(file: string, options: MonCompileOptions): MonCompileResult {
  for (let compile = 1; ; compile++) {
    const bytes = readFileBounded(file, SPEC_FILE);
    const masks = recordingMaskResolver();
    const result = compileSource(file, new TextDecoder().decode(bytes), masks, options);
    const inputs = [
      { was: bytes, now: () => readable(() => readFileBounded(file, SPEC_FILE)) },
      ...[...masks.contents].map(([mask, was]) => ({ was, now: () => readable(() => readMaskFile(mask)) })),
    ];
    if (compile === COMPILES || inputs.every(({ was, now }) => sameBytes(was, now()))) return result;
  }
}

/** `read`'s bytes, or undefined where the file cannot be read (a FileError). */
function readable(read: () => Uint8Array): Uint8Array | undefined {
  try {
    return read();
  } catch (e) {
    if (e instanceof FileError) return undefined;
    throw e;
  }
}

/** Whether two reads of a file gave the same bytes (undefined: it could not be read). */
function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The module of spec text `source` (of `file`), its masks read through `masks`. */
function compileSource(file: string, source: string, masks: RecordingMaskResolver, options: MonCompileOptions): MonCompileResult {
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
