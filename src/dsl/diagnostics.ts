import { CODES, type Code, type CodeOf, type Severity } from './codes.js';
import type { Span } from './span.js';
import { escapeHidden, isHiddenChar } from '../util/hidden-chars.js';
import { argumentError, isRecord } from '../util/library-arguments.js';

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

/**
 * A diagnostic of `code` with the severity the registry gives it. Its message and notes have the
 * characters the source excerpt shows as '?' written as `\u{…}` escapes (escapeHidden): text quoted
 * from the spec or a file name (`cannot read mask "…"`) stays one line, and in order on a terminal.
 */
export function diagnostic(code: Code, message: string, span: Span, notes: readonly DiagnosticNote[] = []): Diagnostic {
  return { code, severity: CODES[code].severity, message: escapeHidden(message), span, notes: notes.map((n) => ({ ...n, message: escapeHidden(n.message) })) };
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

/** A library entry's diagnostics and source (renderDiagnostic, formatDiagnostics): what JavaScript may pass, checked by name. */
export function checkDiagnosticArguments(fn: string, diagnostics: readonly unknown[], source: unknown): void {
  if (!diagnostics.every((d) => isRecord(d) && typeof d.message === 'string' && isRecord(d.span))) throw argumentError(fn, "diagnostics must be checkSource(...)'s diagnostics", diagnostics.length === 1 ? diagnostics[0] : diagnostics);
  if (typeof source !== 'string') throw argumentError(fn, 'source must be the spec text the diagnostics are of', source);
}

/**
 * Renders `file:line:col: severity: message [code]`, the source line and a caret under the span,
 * then each note. `source` is the text of `d.span.file`.
 */
export function renderDiagnostic(d: Diagnostic, source: string): string {
  checkDiagnosticArguments('renderDiagnostic', [d], source);
  const out = [`${location(d.span)}: ${d.severity}: ${d.message} [${d.code}]`];
  out.push(...sourceExcerpt(d.span, source));
  for (const note of d.notes) {
    if (note.span) {
      out.push(`${location(note.span)}: note: ${note.message}`);
      if (note.span.file === d.span.file) out.push(...sourceExcerpt(note.span, source));
    } else {
      out.push(`  note: ${note.message}`);
    }
  }
  return out.join('\n');
}

/**
 * `file:line:col`, the file name with its hidden characters escaped as messages quote paths (QA1 s21 Q01: a newline in
 * the name split the header over two lines, a U+202E reordered it).
 */
function location(span: Span): string {
  return `${escapeHidden(span.file)}:${span.start.line}:${span.start.column}`;
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
  const { shown, columnAt } = displayLine(text.slice(0, SHOWN_LINE));
  const printable = shown + (clipped ? '…' : '');
  // Columns are UTF-16 units of the line; the caret is placed by display columns (tabs, wide characters).
  const start = columnAt(span.start.column - 1);
  const end = span.end.line === span.start.line ? columnAt(span.end.column - 1) : columnAt(text.length);
  // Within the line as shown (its display width, and the '…' of a clipped line), plus one cell past its end.
  const shownWidth = columnAt(Math.min(text.length, SHOWN_LINE)) + (clipped ? 1 : 0);
  const caretStart = Math.min(start, shownWidth);
  const caret = ' '.repeat(caretStart) + '^' + '~'.repeat(Math.max(0, Math.min(Math.max(1, end - start), shownWidth - caretStart + 1) - 1));
  const gutter = String(span.start.line).padStart(4);
  return [`${gutter} | ${printable}`, `${' '.repeat(gutter.length)} | ${caret}`];
}

/** Spaces a tab is shown as (as rustc does): the caret line below counts the same. */
const TAB = '    ';

/**
 * A source line as shown under a diagnostic: as written, but each tab as spaces and each control
 * or bidirectional formatting character as '?' (isHiddenChar), so that the excerpt and the caret line below it line up on a terminal; and
 * the display column of each UTF-16 unit of the line (wide East Asian characters and emoji take
 * two columns, combining marks none). Past the end: the line's width.
 */
function displayLine(text: string): { shown: string; columnAt: (unit: number) => number } {
  const columns: number[] = [];
  let shown = '';
  let column = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    const piece = ch === '\t' ? TAB : isHiddenChar(code) ? '?' : ch;
    for (let u = 0; u < ch.length; u++) columns.push(column);
    shown += piece;
    column += ch === '\t' ? TAB.length : piece === '?' ? 1 : displayWidth(code);
  }
  return { shown, columnAt: (unit) => (unit < columns.length ? columns[unit] : column + (unit - columns.length)) };
}

/** Terminal columns of a printable code point: 2 for wide East Asian characters and emoji, 0 for combining marks, else 1. */
function displayWidth(code: number): number {
  if ((code >= 0x300 && code < 0x370) || (code >= 0x200b && code <= 0x200f) || (code >= 0xfe00 && code <= 0xfe0f)) return 0;
  const wide =
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf && code !== 0x303f) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd);
  return wide ? 2 : 1;
}
