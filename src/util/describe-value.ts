/** A short text of a value a caller passed, for a message (JSON where it has one: `{"file":"a.mon"}`). */
export function describeValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value); // a cycle, a BigInt
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
