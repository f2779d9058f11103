/**
 * Marks, inside JSON text, a value JSON has no spelling for, written as JavaScript writes it: JSON.stringify made NaN
 * and ±Infinity `null` and threw on a BigInt (QA1 s26 Q502: denseCost(NaN, 1) said 'not (null, 1)', 16n '[object BigInt]').
 * JSON writes it as the escape \u0000 inside the string it quotes.
 */
const MARK = '\u0000';
const MARKED = /"\\u0000([^"]*)\\u0000"/g;

/**
 * A short text of a value a caller passed, for a message: JSON where it has one (`{"file":"a.mon"}`), with what JSON
 * cannot write as JavaScript writes it (`NaN`, `Infinity`, `3n`, also inside objects and arrays), else String() of it
 * (`undefined`, a function, a Symbol).
 */
export function describeValue(value: unknown): string {
  // Whether every mark in the text is one written here (a caller's string or key may hold the character too: then none
  // is taken out, and those values show as quoted escapes rather than as another value).
  let onlyOurs = true;
  const javascriptOnly = (key: string, v: unknown): unknown => {
    if (key.includes(MARK) || (typeof v === 'string' && v.includes(MARK))) onlyOurs = false;
    if (typeof v === 'bigint') return `${MARK}${v}n${MARK}`;
    if (typeof v === 'number' && !Number.isFinite(v)) return `${MARK}${v}${MARK}`;
    return v;
  };
  let text: string;
  try {
    const json = JSON.stringify(value, javascriptOnly);
    text = json === undefined ? String(value) : onlyOurs ? json.replace(MARKED, '$1') : json;
  } catch {
    text = Object.prototype.toString.call(value); // a cycle
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
