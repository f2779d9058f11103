/**
 * Source positions and ranges. They live here, below every layer, so that data shipped to the
 * runtime (the structure model, the manifest) can name the type without importing the front end.
 */

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
