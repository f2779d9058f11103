/**
 * The docs state the runtime pages' sizes once (R9, QA2 s12: four pages gave four figures for one
 * entry): install.md's "Page sizes" table has the bytes; other pages link there, and where they
 * name an entry's "about N kB more" it is the table's.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const docsDir = join(import.meta.dirname, '../../docs');
const read = (name: string) => readFileSync(join(docsDir, name), 'utf8');
const ENTRIES = ['training', 'cpu', 'host-io', 'sparse'];

/**
 * Each entry's "about N kB" on a line naming `monc/runtime/<entry>` (quoted or not: QA2 s23 Q254, training.md's "about
 * 31 kB" had drifted from the table's 32.2 unseen), the line's first figure.
 */
function entryFigures(text: string): Map<string, string> {
  const figures = new Map<string, string>();
  for (const line of text.split('\n')) {
    const entry = ENTRIES.find((e) => new RegExp(`monc/runtime/${e}\\b(?!-)`).test(line));
    const kb = /about (\d+(?:\.\d+)?) kB/.exec(line);
    if (entry && kb) figures.set(entry, kb[1]);
  }
  return figures;
}

it("install.md's table: each entry's kB figure is its bytes, rounded to 0.1 kB", () => {
  const rows = read('install.md').split('\n').filter((line) => line.startsWith('|') && line.includes('kB more (') && ENTRIES.some((e) => line.includes(`'monc/runtime/${e}'`)));
  expect(rows.length).toBe(ENTRIES.length);
  for (const row of rows) {
    const [, kb, bytes] = /about (\d+\.\d) kB more \(([\d,]+) bytes\)/.exec(row) ?? [];
    expect(kb, row).toBe((Math.round(Number(bytes.replaceAll(',', '')) / 100) / 10).toFixed(1));
  }
});

it("the runtime pages' sizes: bytes only in install.md's table, every other page's kB figures the same as it", () => {
  const table = entryFigures(read('install.md'));
  expect([...table.keys()].sort()).toEqual([...ENTRIES].sort());
  for (const name of readdirSync(docsDir).filter((f) => f.endsWith('.md') && f !== 'install.md' && f !== 'performance.md')) {
    const text = read(name);
    // A page total (27,827; 29,985) restated elsewhere drifts from the table.
    expect(text.match(/\b2[6-9],\d{3} bytes/g) ?? [], name).toEqual([]);
    for (const [entry, kb] of entryFigures(text)) expect(kb, `${name}: monc/runtime/${entry}`).toBe(table.get(entry));
  }
});
