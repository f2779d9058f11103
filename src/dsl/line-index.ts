import type { Position, Span } from './span.js';

/** Offsets to 1-based line/column positions in one source text (line breaks: \n, \r\n, \r). */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(
    readonly file: string,
    private readonly source: string,
  ) {
    for (let i = 0; i < source.length; i++) {
      const ch = source.charCodeAt(i);
      if (ch === 10 || (ch === 13 && source.charCodeAt(i + 1) !== 10)) this.starts.push(i + 1);
    }
  }

  position(offset: number): Position {
    const at = Math.max(0, Math.min(offset, this.source.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= at) lo = mid;
      else hi = mid - 1;
    }
    return { offset: at, line: lo + 1, column: at - this.starts[lo] + 1 };
  }

  /** The span of [start, end) offsets. */
  span(start: number, end: number): Span {
    return { file: this.file, start: this.position(start), end: this.position(Math.max(start, end)) };
  }

  /** An empty span just after the last character (for "unexpected end of file"). */
  endSpan(): Span {
    return this.span(this.source.length, this.source.length);
  }
}
