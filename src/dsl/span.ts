import type { Span } from '../util/span.js';

export type { Position, Span } from '../util/span.js';

export function spanUnion(a: Span, b: Span): Span {
  return { file: a.file, start: a.start.offset <= b.start.offset ? a.start : b.start, end: a.end.offset >= b.end.offset ? a.end : b.end };
}

/** Span for things that have no source (built-in defaults, programmatic construction). */
export function syntheticSpan(file = '<builtin>'): Span {
  const p = { offset: 0, line: 1, column: 1 };
  return { file, start: p, end: p };
}
