/**
 * Reading and checking a `.mon` file for a command: spec errors become a SpecError
 * (rendered diagnostics), warnings go to stderr (and into the `--json` object), and `sparse(pattern: "mask.npy")` reads the
 * mask relative to the spec (the same resolver the bundler plugins use).
 */
import type { Diagnostic } from '../dsl/diagnostics.js';
import { checkSource, formatDiagnostics } from '../dsl/index.js';
import type { CheckedMap, CheckedModule } from '../dsl/structure.js';
import { recordingMaskResolver } from '../node/mask-files.js';
import { MoncError } from '../util/error.js';
import type { CommandContext } from './context.js';
import { checkOutputPath, readText, SPEC_FILE, type WriteOptions } from './files.js';
import { diagnosticJson, SpecError } from './spec-error.js';

export interface LoadedSpec {
  /** The path as given on the command line: diagnostics show it. */
  readonly file: string;
  readonly source: string;
  readonly module: CheckedModule;
  /** The mask files its `sparse(pattern: "mask.npy")` name (absolute paths): inputs of the command too. */
  readonly maskFiles: readonly string[];
}

export async function loadSpec(ctx: CommandContext, file: string): Promise<LoadedSpec> {
  const source = await readText(file, SPEC_FILE);
  const masks = recordingMaskResolver();
  const { module, diagnostics } = checkSource(source, file, { resolveMask: masks.resolve });
  failOnErrors(ctx, source, diagnostics);
  if (!module) throw new Error(`internal error: checking '${file}' gave no module and no error`);
  return { file, source, module, maskFiles: [...masks.files] };
}

/**
 * The spec of a command that writes `out`, reading the spec, `otherInputs` (--params, --input…) and the spec's mask files
 * (files.md: a command never writes over one of its inputs). `out` is checked against the files the command names
 * before the spec is read (`load`: loadSpec, or a compile that also loads kernels), so a bad --out fails before that
 * work; then against the mask files as soon as the spec names them (QA1 s22 Q101: `--out mask.npy` replaced the mask).
 * `outInputs`: all of the inputs, for the write.
 */
export async function loadSpecWriting<S extends LoadedSpec>(
  ctx: CommandContext,
  file: string,
  out: string,
  otherInputs: readonly string[],
  load: (ctx: CommandContext, file: string) => Promise<S>,
): Promise<{ readonly spec: S; readonly outInputs: WriteOptions }> {
  const named = [file, ...otherInputs];
  checkOutputPath(out, { inputs: named });
  const spec = await load(ctx, file);
  const outInputs = { inputs: [...named, ...spec.maskFiles] };
  checkOutputPath(out, outInputs);
  return { spec, outInputs };
}

/** Throws a SpecError when `diagnostics` hold an error; prints the warnings otherwise, and keeps them for the `--json` object. */
export function failOnErrors(ctx: CommandContext, source: string, diagnostics: readonly Diagnostic[]): void {
  throwOnErrors(source, diagnostics);
  if (diagnostics.length === 0) return;
  ctx.io.stderr(`${formatDiagnostics(diagnostics, source)}\n`);
  ctx.warnings?.push(...diagnostics.map(diagnosticJson));
}

function throwOnErrors(source: string, diagnostics: readonly Diagnostic[]): void {
  if (diagnostics.some((d) => d.severity === 'error')) throw new SpecError(formatDiagnostics(diagnostics, source), diagnostics);
}

/**
 * For a command that opens a GPU or reads a tuning database before it compiles (`bench`): a spec
 * with errors, or without the map, fails first, before that work and its notes. Its warnings are
 * left to the compile that follows, which prints them once.
 */
export async function checkSpecFirst(file: string, map: string): Promise<void> {
  const source = await readText(file, SPEC_FILE);
  const { module, diagnostics } = checkSource(source, file, { resolveMask: recordingMaskResolver().resolve });
  throwOnErrors(source, diagnostics);
  if (!module) throw new Error(`internal error: checking '${file}' gave no module and no error`);
  findMap({ file, module }, map);
}

/**
 * One SpecError for the spec errors of several files (`monc build a.mon b.mon`): every file's
 * rendered diagnostics, in the order given, and all of their diagnostics.
 */
export function combinedSpecError(errors: readonly SpecError[]): SpecError {
  return errors.length === 1 ? errors[0]! : new SpecError(errors.map((e) => e.message).join('\n\n'), errors.flatMap((e) => e.diagnostics));
}

export function findMap(spec: Pick<LoadedSpec, 'file' | 'module'>, name: string): CheckedMap {
  const map = spec.module.maps.find((m) => m.name === name);
  if (map) return map;
  const names = spec.module.maps.map((m) => m.name);
  throw new MoncError('user', `${spec.file}: no map named '${name}' (maps: ${names.length > 0 ? names.join(', ') : 'none'})`);
}
