import type { Diagnostic } from '../dsl/diagnostics.js';
import { MoncError } from '../util/error.js';

/** A spec with errors (kind `spec`): `message` is the rendered diagnostics (file:line:col, source line, caret). */
export class SpecError extends MoncError {
  override readonly name = 'SpecError';
  constructor(
    rendered: string,
    readonly diagnostics: readonly Diagnostic[],
  ) {
    super('spec', rendered, {
      diagnostics: diagnostics.map((d) => ({
        code: d.code,
        severity: d.severity,
        message: d.message,
        file: d.span.file,
        line: d.span.start.line,
        column: d.span.start.column,
      })),
    });
  }
}
