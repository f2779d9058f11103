/**
 * Spec diagnostics as a bundler error: one error whose message holds every rendered diagnostic
 * (`file:line:col: error: … [code]`, source line, caret) and whose `loc` points at the first,
 * so Vite's overlay, Rollup's log and esbuild's message all show where the spec is wrong. No
 * separate `frame`: the rendered diagnostics already carry the source lines, and bundlers
 * print a frame beside the message. Rollup-style `loc` columns are 0-based; monc's are 1-based.
 */
import { renderDiagnostic, type Code, type Diagnostic } from '../dsl/diagnostics.js';

export interface BuildError {
  readonly message: string;
  readonly id: string;
  readonly loc: { readonly file: string; readonly line: number; readonly column: number };
  /** The source line `loc` is on, for a bundler that frames it itself (esbuild reads no file). */
  readonly lineText: string;
  /** `loc.column` as esbuild counts it: UTF-8 bytes of `lineText` before the error (loc's are UTF-16 units). */
  readonly byteColumn: number;
  /** The first diagnostic's code; absent for a refusal of the build options (kernelSets) rather than of the spec. */
  readonly code?: Code;
}

export function buildError(file: string, source: string, diagnostics: readonly Diagnostic[]): BuildError | undefined {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const first = errors[0];
  if (first === undefined) return undefined;
  const rendered = errors.map((d) => renderDiagnostic(d, source));
  const count = errors.length === 1 ? '1 error' : `${errors.length} errors`;
  // The line from the span's own offset, ended as the language ends lines (\n, \r\n or a lone \r).
  const lineStart = first.span.start.offset - (first.span.start.column - 1);
  const lineText = source.slice(lineStart).split(/\r\n|\r|\n/, 1)[0] ?? '';
  return {
    message: `monc: ${count} in ${file}\n${rendered.join('\n')}`,
    id: file,
    loc: { file: first.span.file, line: first.span.start.line, column: first.span.start.column - 1 },
    lineText,
    byteColumn: new TextEncoder().encode(lineText.slice(0, first.span.start.column - 1)).length,
    code: first.code,
  };
}

/**
 * A build the options refuse for this spec (a kernelSets that leaves a map no set), as the spec's
 * error: the bundlers name the plugin and the module, not the stack of a throw in the hook (QA s14 Q32).
 */
export function optionsError(file: string, source: string, message: string): BuildError {
  const lineText = source.split(/\r\n|\r|\n/, 1)[0] ?? '';
  return { message: `monc: ${message}`, id: file, loc: { file, line: 1, column: 0 }, lineText, byteColumn: 0 };
}

/** Warnings, one message each (rendered), for `this.warn`. */
export function buildWarnings(source: string, diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.filter((d) => d.severity === 'warning').map((d) => renderDiagnostic(d, source));
}
