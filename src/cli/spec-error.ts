import type { Diagnostic } from '../dsl/diagnostics.js';
import { MoncError } from '../util/error.js';

/** A diagnostic as `--json` prints it: in a failure's `error.diagnostics`, and a success's warnings in `diagnostics`. */
export interface DiagnosticJson {
  readonly code: string;
  readonly severity: Diagnostic['severity'];
  readonly message: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export function diagnosticJson(d: Diagnostic): DiagnosticJson {
  return { code: d.code, severity: d.severity, message: d.message, file: d.span.file, line: d.span.start.line, column: d.span.start.column };
}

/** A spec with errors (kind `spec`): `message` is the rendered diagnostics (file:line:col, source line, caret). */
export class SpecError extends MoncError {
  override readonly name = 'SpecError';
  constructor(
    rendered: string,
    readonly diagnostics: readonly Diagnostic[],
  ) {
    super('spec', rendered, { diagnostics: diagnostics.map(diagnosticJson) });
  }
}
