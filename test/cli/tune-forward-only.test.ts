/**
 * `monc tune --forward-only`: on the test adapter (SwiftShader; a small map, one candidate per
 * kernel) it tunes and stores the forward kernels only, never the backward ones that a module
 * built with `--forward-only` lacks (a full `monc tune` reports the map's backward kernels too:
 * tune-bench.test.ts), and `monc build --forward-only --tuning` then uses what it stored.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTuningDb } from '../../src/node/tuning-db.js';
import { cli, cliJson, scratchDir } from './helpers.js';

describe('monc tune --forward-only', () => {
  const scratch = scratchDir();
  afterAll(() => scratch.remove());

  it('tunes and stores the forward kernels only, which a forward-only build then uses', async () => {
    const spec = scratch.path('low.mon');
    writeFileSync(spec, 'module low\nmap low : 20 -> 12 = lowrank(rank: 3) + bias()\n');
    const db = scratch.path('tuning.json');
    const tuned = await cliJson(['tune', spec, '--batch', '5', '--max-candidates', '1', '--db', db, '--forward-only']);
    expect(tuned.maps.map((m: { map: string }) => m.map)).toEqual(['low']);
    const kernels: { ops: number[]; schedule: unknown; usedByBuild: boolean }[] = tuned.maps[0].kernels;
    expect(kernels.length).toBeGreaterThan(0);
    expect(kernels.every((k) => k.usedByBuild)).toBe(true);
    // Every stored entry is a forward kernel's: as many as the map's tuned kernels, none of its backward program.
    expect(loadTuningDb(db).db.entries.length).toBe(kernels.length);
    expect(tuned.entries).toBe(kernels.length);

    const out = scratch.path('gen');
    const built = await cli(['build', spec, '--out', out, '--forward-only', '--tuning', db]);
    expect(built.code, built.stderr).toBe(0);
    const map = JSON.parse(readFileSync(`${out}/low.json`, 'utf8')).maps[0];
    expect(map.forwardOnly).toBe(true);
    expect(map.kernels.map((k: { ops: number[]; schedule: unknown }) => [k.ops, k.schedule])).toEqual(kernels.map((k) => [k.ops, k.schedule]));
  });
});
