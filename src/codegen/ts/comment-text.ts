/**
 * Text that goes into a comment of generated TypeScript: a file name or a map name. Printable
 * ASCII without a comment terminator goes in as it is; anything else is written as a JSON string
 * with line terminators, `*` + `/` and non-ASCII characters escaped, so that no input (a spec
 * file named with a newline, say) can end the comment and inject code.
 */
export function commentText(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text) && !text.includes('*/')) return text;
  return JSON.stringify(text).replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).replace(/\*\//g, '*\\/');
}
