/** A position in a source file: 0-based offset, 1-based line and column. */
export interface Position {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** A source range [start, end) in one file. Every AST, structure and IR node carries one. */
export interface Span {
  readonly file: string;
  readonly start: Position;
  readonly end: Position;
}

export function spanUnion(a: Span, b: Span): Span {
  return { file: a.file, start: a.start.offset <= b.start.offset ? a.start : b.start, end: a.end.offset >= b.end.offset ? a.end : b.end };
}

/** Span for things that have no source (built-in defaults, programmatic construction). */
export function syntheticSpan(file = '<builtin>'): Span {
  const p = { offset: 0, line: 1, column: 1 };
  return { file, start: p, end: p };
}
