/**
 * JSON text for files people read and diff (manifests, golden files): two-space indentation, but
 * an array of numbers, strings or booleans on one line (`"shape": [4, 8, 4]`), and an array of
 * such arrays packed into lines of up to 100 characters (a sparse pattern's `blocks`: one per
 * line would make a manifest of many blocks two and a half times as large). Keys keep their
 * insertion order, so output is as deterministic as the value's construction.
 */
export function formatJson(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return `[${value.map((v) => scalar(v)).join(', ')}]`;
    const inner = indent + '  ';
    if (value.every((v) => Array.isArray(v) && v.every((w) => w === null || typeof w !== 'object'))) return `[\n${wrapped(value.map((v) => formatJson(v)), inner)}\n${indent}]`;
    return `[\n${value.map((v) => inner + formatJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const inner = indent + '  ';
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return scalar(value);
}

/** Items joined by ", " into lines of at most WRAP characters (an item longer than that alone on its line), each line indented. */
function wrapped(items: readonly string[], indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    // The line, the separator, the item and a closing comma.
    if (line && indent.length + line.length + 2 + item.length + 1 > WRAP) {
      lines.push(`${indent}${line},`);
      line = item;
    } else line = line ? `${line}, ${item}` : item;
  }
  lines.push(indent + line);
  return lines.join('\n');
}

/** The width of lines of short arrays packed together (a sparse pattern's blocks). */
const WRAP = 100;

/**
 * The same JSON on one line, as a stream of objects needs it (JSON Lines: `monc build --watch
 * --json` prints one per build): no newline can occur, strings' own being escaped.
 */
export function formatJsonLine(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => formatJsonLine(v)).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${formatJsonLine(v)}`).join(', ')}}`;
  }
  return scalar(value);
}

/** JSON text of a scalar; an integer past 2^53 as the exact value its double holds (2^58 ends in …744, not …740). */
function scalar(value: unknown): string {
  if (typeof value === 'number' && Number.isInteger(value)) return exactInteger(value);
  return JSON.stringify(value);
}

/**
 * The exact decimal text of an integer: a bigint's digits, and for a double past 2^53 the value it
 * holds (2^58 -> 288230376151711744), not String()'s shortest round-trip text (…740). Any other
 * number as String() writes it. Messages and JSON that print counts use this.
 */
export function exactInteger(n: number | bigint): string {
  if (typeof n === 'bigint') return n.toString();
  return Number.isInteger(n) && !Number.isSafeInteger(n) ? BigInt(n).toString() : String(n);
}

/**
 * Text for a one-line message, line breaks written as \n and \r: an error by its message (a JSON.parse error's quotes
 * the start of the text it could not parse, newlines included: "Unexpected token 'x', "xx\nyy" is not valid JSON"),
 * anything else by String() (a caller's string in a runtime refusal: a newline in it made the message two lines).
 */
export function oneLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/** What JSON calls an object: not null, not an array (a parsed manifest, a safetensors header and its entries). */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
