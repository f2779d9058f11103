/**
 * `monc tune` tunes a kernel once per command, whichever maps have it: two identical layers, or two
 * ops of one program with the same kernel, cost one search (the later ones are reported as reused,
 * with the first one's winner, nothing timed), their backward kernels likewise (every backward op listed), and the database and the report's entry count hold one
 * entry per kernel. Before, every map searched its kernels again and the report showed each map's
 * own winner and counted an entry per map, while the database kept the last one.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTuningDb } from '../../src/node/tuning-db.js';
import { cli, scratchDir } from './helpers.js';

const scratch = scratchDir();
const spec = scratch.path('twin.mon');
const db = scratch.path('twin-db.json');

interface Row {
  readonly ops: number[];
  readonly schedule?: Record<string, unknown>;
  readonly ms?: number;
  readonly timed: number;
  readonly reused?: boolean;
}

let run: { code: number; stdout: string; stderr: string };
let report: { entries: number; maps: { map: string; kernels: Row[] }[] };

beforeAll(async () => {
  // c: two ops of one kernel in one program.
  writeFileSync(spec, 'module twin\nmap a : 16 -> 16 = dense()\nmap b : 16 -> 16 = dense()\nmap c : 12 -> 12 = dense(in: 12) @ dense()\n');
  run = await cli(['tune', spec, '--batch', '4', '--max-candidates', '2', '--db', db, '--json'], { MONC_TUNING_DB: scratch.path('unused.json') });
  if (run.code === 0) report = JSON.parse(run.stdout);
});
afterAll(() => scratch.remove());

const kernelsOf = (map: string) => report.maps.find((m) => m.map === map)!.kernels;

describe('monc tune of two identical maps', () => {
  it('searches the first map\'s kernels only (progress names no candidate of b)', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/\ba ops \[0\] 1\/\d+ /);
    expect(run.stderr).not.toMatch(/\bb ops \[/);
  });

  it('reports b\'s forward kernel as reused, with a\'s winner, nothing timed', () => {
    const [a] = kernelsOf('a');
    const [b] = kernelsOf('b');
    expect(a!.timed).toBeGreaterThan(0);
    expect(a!.reused).toBeUndefined();
    expect(b).toMatchObject({ ops: [0], reused: true, timed: 0, schedule: a!.schedule, ms: a!.ms });
  });

  it('tunes the first of two ops of one kernel in a program, and reuses it for the second', () => {
    const [first, second] = kernelsOf('c').filter((k) => k.ops.length === 1);
    expect(first).toMatchObject({ ops: [0] });
    expect(first!.timed).toBeGreaterThan(0);
    expect(second).toMatchObject({ ops: [1], reused: true, timed: 0, schedule: first!.schedule, ms: first!.ms });
    expect(run.stderr).not.toMatch(/\bc ops \[1\] /);
  });

  // QA2 s17 R60: b (backward) was listed empty, and a backward op of a kernel tuned before (a forward one, an earlier reduce) left out.
  it('tunes the shared backward kernels once: b (backward) lists every op as reused, with a (backward)\'s winners', () => {
    const a = kernelsOf('a (backward)');
    const b = kernelsOf('b (backward)');
    expect(a.map((k) => k.ops)).toEqual(a.map((_, i) => [i]));
    expect(a.some((k) => k.timed > 0)).toBe(true);
    expect(b.map((k) => k.ops)).toEqual(a.map((k) => k.ops));
    b.forEach((k, i) => expect(k).toMatchObject({ reused: true, timed: 0, schedule: a[i]!.schedule, ms: a[i]!.ms }));
    expect(run.stderr).not.toMatch(/\bb backward op /);
  });

  it('counts and stores one entry per kernel', () => {
    const stored = loadTuningDb(db).db.entries;
    const kernels = new Set(stored.map((e) => e.kernel));
    expect(stored).toHaveLength(kernels.size);
    expect(report.entries).toBe(stored.length);
    // The stored entry is the search's: its winner and how many candidates it timed (not the reuse's 0).
    const forward = stored.find((e) => e.ms === kernelsOf('a')[0]!.ms);
    expect(forward?.schedule).toEqual(kernelsOf('a')[0]!.schedule);
    expect(forward?.timed).toBe(kernelsOf('a')[0]!.timed);
    expect(stored.every((e) => e.timed > 0)).toBe(true);
  });
});
