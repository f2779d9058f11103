/**
 * Characters a terminal does not show as themselves: controls (a newline splits a one-line
 * message, ESC starts a colour or cursor sequence) and bidirectional formatting (marks,
 * embeddings, overrides, isolates), which make a terminal reorder the rest of the line (the
 * "Trojan Source" display trick). Diagnostics show them as '?' in a source excerpt and as escapes
 * in messages; the CLI's own messages (a path or a map name from the command line) as escapes.
 */

/** Whether the code point is a control or a bidirectional formatting character. */
export function isHiddenChar(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code < 0xa0) || code === 0x61c || code === 0x200e || code === 0x200f || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
}

/** `text` with each hidden character written as a `\u{…}` escape: one line, in order, on any terminal. */
export function escapeHidden(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    out += isHiddenChar(code) ? `\\u{${code.toString(16)}}` : ch;
  }
  return out;
}
