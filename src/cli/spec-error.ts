import type { Diagnostic } from '../dsl/diagnostics.js';
import { UserError } from './user-error.js';

/** A spec with errors: `message` is the rendered diagnostics (file:line:col, source line, caret). */
export class SpecError extends UserError {
  constructor(
    rendered: string,
    readonly diagnostics: readonly Diagnostic[],
  ) {
    super(rendered, {
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
