/**
 * Spec errors come first and whole: `monc bench` checks the spec (and its map) before opening an
 * adapter or reading the tuning database, so a bad spec prints only its diagnostics; `monc build`
 * of several files with errors reports every file's, and writes nothing.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, scratchDir } from './helpers.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());

describe('spec errors first', () => {
  it('monc bench of a bad spec or an unknown map prints only that (no adapter line, no database note)', async () => {
    const bad = scratch.path('bad.mon');
    writeFileSync(bad, 'map f : 16 -> 16 = monarh(nblocks: 4)\n');
    const r = await cli(['bench', bad, '--map', 'f', '--batch', '8', '--repeats', '2', '--tuning', scratch.path('no-db.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bad\.mon|^[^\n]*bad\.mon:1:\d+: error: /);
    expect(r.stderr).not.toMatch(/adapter|tuning database/);
    const good = scratch.path('good.mon');
    writeFileSync(good, 'map f : 16 -> 16 = monarch(nblocks: 4)\n');
    const m = await cli(['bench', good, '--map', 'g', '--batch', '8', '--repeats', '2']);
    expect(m.code).toBe(1);
    expect(m.stderr).toBe(`monc: error: ${good}: no map named 'g' (maps: f)\n`);
  });

  it('monc build of two files with errors reports both, with --json too, and writes nothing', async () => {
    const [a, b] = [scratch.path('a.mon'), scratch.path('b.mon')];
    writeFileSync(a, 'module a\nmap f : 16 -> 16 = monarh(nblocks: 4)\n');
    writeFileSync(b, 'module b\nmap g : 16 -> 16 = lowrank(rank: q)\n');
    const out = scratch.path('out');
    const r = await cli(['build', a, b, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/a\.mon:2:\d+: error: [^\n]*monarh/);
    expect(r.stderr).toMatch(/b\.mon:2:\d+: error: /);
    expect(r.stderr.indexOf('a.mon:2')).toBeLessThan(r.stderr.indexOf('b.mon:2'));
    const j = await cli(['build', a, b, '--out', out, '--json']);
    const files = (JSON.parse(j.stdout).error.diagnostics as { file: string }[]).map((d) => d.file);
    expect(new Set(files)).toEqual(new Set([a, b]));
    expect(existsSync(out)).toBe(false);
  });
});
