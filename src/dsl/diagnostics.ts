import { CODES, type Code, type CodeOf, type Severity } from './codes.js';
import type { Span } from './span.js';

export type { Code, Severity } from './codes.js';

export interface DiagnosticNote {
  readonly message: string;
  readonly span?: Span;
}

/**
 * A problem found in a spec, by the front end or the IR. Collected, never thrown; `code` is stable,
 * registered in codes.ts and documented in docs/language.md.
 */
export interface Diagnostic {
  readonly code: Code;
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span;
  readonly notes: readonly DiagnosticNote[];
}

/** A diagnostic of `code` with the severity the registry gives it. */
export function diagnostic(code: Code, message: string, span: Span, notes: readonly DiagnosticNote[] = []): Diagnostic {
  return { code, severity: CODES[code].severity, message, span, notes };
}

/**
 * What a phase that may find problems in its input gives back instead of throwing: every
 * diagnostic it found, and its result when none of them is an error.
 */
export interface Reported<T> {
  readonly result?: T;
  readonly diagnostics: readonly Diagnostic[];
}

/** `result` with `diagnostics`, withheld when one of them is an error. */
export function reported<T>(result: T, diagnostics: readonly Diagnostic[]): Reported<T> {
  return diagnostics.some((d) => d.severity === 'error') ? { diagnostics } : { result, diagnostics };
}

/** Collects diagnostics across the phases of one compilation. */
export class DiagnosticBag {
  private readonly items: Diagnostic[] = [];

  error(code: CodeOf<'error'>, message: string, span: Span, notes: readonly DiagnosticNote[] = []): void {
    this.items.push(diagnostic(code, message, span, notes));
  }

  warning(code: CodeOf<'warning'>, message: string, span: Span, notes: readonly DiagnosticNote[] = []): void {
    this.items.push(diagnostic(code, message, span, notes));
  }

  add(d: Diagnostic): void {
    this.items.push(d);
  }

  get all(): readonly Diagnostic[] {
    return [...this.items].sort((a, b) => a.span.start.offset - b.span.start.offset);
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}

/**
 * Renders `file:line:col: severity: message [code]`, the source line and a caret under the span,
 * then each note. `source` is the text of `d.span.file`.
 */
export function renderDiagnostic(d: Diagnostic, source: string): string {
  const out = [`${d.span.file}:${d.span.start.line}:${d.span.start.column}: ${d.severity}: ${d.message} [${d.code}]`];
  out.push(...sourceExcerpt(d.span, source));
  for (const note of d.notes) {
    if (note.span) {
      out.push(`${note.span.file}:${note.span.start.line}:${note.span.start.column}: note: ${note.message}`);
      if (note.span.file === d.span.file) out.push(...sourceExcerpt(note.span, source));
    } else {
      out.push(`  note: ${note.message}`);
    }
  }
  return out.join('\n');
}

/** Characters of a source line shown under a diagnostic; longer lines are clipped. */
const SHOWN_LINE = 200;

function sourceExcerpt(span: Span, source: string): string[] {
  // The line is found from the span's offset, and only its first characters are read: rendering
  // one diagnostic costs the same in a huge or single-line file (no split of the whole source).
  const lineStart = span.start.offset - (span.start.column - 1);
  if (lineStart < 0 || lineStart > source.length) return [];
  const window = source.slice(lineStart, lineStart + SHOWN_LINE + 1);
  const lineBreak = window.search(/[\r\n]/);
  const text = lineBreak < 0 ? window : window.slice(0, lineBreak);
  const clipped = text.length > SHOWN_LINE;
  const printable = text.slice(0, SHOWN_LINE).replace(/[^\x20-\x7e\t]/g, '?') + (clipped ? '…' : '');
  const width = span.end.line === span.start.line ? Math.max(1, span.end.column - span.start.column) : Math.max(1, text.length - span.start.column + 1);
  const caretStart = Math.min(span.start.column - 1, printable.length);
  const caret = ' '.repeat(caretStart) + '^' + '~'.repeat(Math.max(0, Math.min(width, printable.length - caretStart + 1) - 1));
  const gutter = String(span.start.line).padStart(4);
  return [`${gutter} | ${printable}`, `${' '.repeat(gutter.length)} | ${caret}`];
}
