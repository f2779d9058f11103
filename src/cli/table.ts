import { exactInteger } from '../util/json.js';

/** One exact-integer printer for the CLI and the compiler's messages (it lives in util/json.ts). */
export { exactInteger };

/** Plain-text tables for terminal output: columns padded to their widest cell. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: readonly number[] = []): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (rightAligned.includes(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * 1234567 -> "1,234,567", the same on every locale. Integers past 2^53 print as the exact value
 * the double holds (2^58 -> 288,230,376,151,711,744), not String()'s shortest round-trip text
 * (…740).
 */
export function formatCount(n: number): string {
  return exactInteger(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

