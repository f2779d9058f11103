/**
 * The spec editor: a plain textarea over a backdrop that underlines each diagnostic's span where
 * it is in the text, a gutter of line numbers marking the lines with problems, and the list of
 * diagnostics as `monc` prints them (a click selects the span).
 */
import type { Diagnostic } from '../../../src/dsl/diagnostics.js';

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export class SpecEditor {
  private diagnostics: readonly Diagnostic[] = [];

  constructor(
    private readonly textarea: HTMLTextAreaElement,
    private readonly backdrop: HTMLElement,
    private readonly gutter: HTMLElement,
    private readonly list: HTMLElement,
    private readonly file: string,
  ) {
    textarea.addEventListener('scroll', () => this.syncScroll());
    textarea.addEventListener('input', () => this.render());
  }

  get text(): string {
    return this.textarea.value;
  }

  set text(value: string) {
    this.textarea.value = value;
    this.diagnostics = [];
    this.render();
  }

  /** Shows the diagnostics of the current text (spans in other files are listed, not underlined). */
  show(diagnostics: readonly Diagnostic[]): void {
    this.diagnostics = diagnostics;
    this.render();
    this.list.replaceChildren(
      ...diagnostics.map((d) => {
        const item = document.createElement('li');
        item.className = d.severity;
        const where = document.createElement('a');
        where.href = '#';
        where.textContent = `${d.span.file}:${d.span.start.line}:${d.span.start.column}`;
        where.addEventListener('click', (event) => {
          event.preventDefault();
          this.select(d);
        });
        const notes = d.notes.map((n) => `\n  note: ${n.message}`).join('');
        item.append(where, `: ${d.severity}: ${d.message} [${d.code}]${notes}`);
        return item;
      }),
    );
  }

  private own(d: Diagnostic): boolean {
    return d.span.file === this.file;
  }

  private select(d: Diagnostic): void {
    this.textarea.focus();
    if (this.own(d)) this.textarea.setSelectionRange(d.span.start.offset, Math.max(d.span.end.offset, d.span.start.offset + 1));
  }

  private render(): void {
    const text = this.textarea.value;
    // Marks stay in text order and never overlap: a later span starting inside an earlier one is dropped.
    const spans = this.diagnostics
      .filter((d) => this.own(d) && d.span.start.offset <= text.length)
      .map((d) => ({ from: d.span.start.offset, to: Math.min(text.length, Math.max(d.span.end.offset, d.span.start.offset + 1)), severity: d.severity }))
      .sort((a, b) => a.from - b.from);
    let html = '';
    let at = 0;
    for (const s of spans) {
      if (s.from < at) continue;
      const marked = text.slice(s.from, s.to);
      // A span at a line end or at the end of the text still shows: mark a space in its place.
      const shown = marked.length === 0 || marked === '\n' ? ' ' + marked : marked;
      html += escapeHtml(text.slice(at, s.from)) + `<mark class="${s.severity}">${escapeHtml(shown)}</mark>`;
      at = s.to;
    }
    // A trailing newline needs a character after it, or the backdrop is one line short of the textarea.
    this.backdrop.innerHTML = html + escapeHtml(text.slice(at)) + ' ';
    const flagged = new Map<number, string>();
    for (const d of this.diagnostics) if (this.own(d) && !flagged.has(d.span.start.line)) flagged.set(d.span.start.line, d.severity);
    const lines = text.split('\n').length;
    this.gutter.innerHTML = Array.from({ length: lines }, (_, i) => {
      const severity = flagged.get(i + 1);
      return severity ? `<span class="${severity}" title="${severity}">${i + 1}</span>` : String(i + 1);
    }).join('\n');
    this.syncScroll();
  }

  private syncScroll(): void {
    this.backdrop.scrollTop = this.textarea.scrollTop;
    this.backdrop.scrollLeft = this.textarea.scrollLeft;
    this.gutter.scrollTop = this.textarea.scrollTop;
  }
}
