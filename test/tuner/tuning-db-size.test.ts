/**
 * A tuning database monc writes is one it can read back: its reader refuses files over 64 MiB
 * (TUNING_DB_FILE), so a save that would be larger leaves out the oldest entries (as few as it
 * takes) and says so, instead of writing a file that every later build ignores and the next
 * `monc tune` sets aside whole. Sizes here are small stand-ins for 64 MiB.
 */
import { fc, test } from '@fast-check/vitest';
import { mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyDb, fitDb, merge, serializeDb, type TuningEntry } from '../../src/tuner/db.js';
import { loadNote, loadTuningDb, saveTuningEntries } from '../../src/node/tuning-db.js';
import { TUNING_DB_FILE } from '../../src/node/files/bounds.js';
import type { AdapterIdentity } from '../../src/tuner/adapter-identity.js';
import { MONC_VERSION } from '../../src/version.js';

const GPU: AdapterIdentity = {
  vendor: 'nvidia', architecture: '', device: 'nvidia-h100', description: 'NVIDIA: 580',
  features: ['shader-f16'], limits: { maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupStorageSize: 49152 },
};

/** Entry `k`, measured on day `day` (kernels of different lengths: entries of different sizes, some text not ASCII). */
function entry(k: number, day: number): TuningEntry {
  const date = new Date(Date.UTC(2026, 0, 1 + day)).toISOString();
  return { adapter: GPU, compiler: MONC_VERSION, kernel: `k${k}·${'x'.repeat(k % 37)}`, batchBucket: 1024, schedule: { family: 'ks-tiled', rows: 32 }, ms: 0.1 + k, spread: 0.01, timed: 3, date };
}

const bytes = (text: string) => Buffer.byteLength(text);

describe('fitDb', () => {
  test.prop([fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 40 }), fc.double({ min: 0, max: 1, noNaN: true })])(
    'keeps the newest entries, within the bound, leaving out as few of the oldest as it takes',
    (days, fraction) => {
      const db = merge(emptyDb(), days.map((day, k) => entry(k, day)));
      const full = bytes(serializeDb(db));
      const empty = bytes(serializeDb(emptyDb()));
      const maxBytes = Math.round(empty + fraction * (full - empty));
      const { db: fitted, evicted } = fitDb(db, maxBytes);
      expect(bytes(serializeDb(fitted))).toBeLessThanOrEqual(maxBytes);
      expect(fitted.entries.length + evicted).toBe(db.entries.length);
      const kept = new Set(fitted.entries);
      const left = db.entries.filter((e) => !kept.has(e));
      // Every entry left out is no newer than every entry kept.
      for (const l of left) for (const k of fitted.entries) expect(l.date <= k.date).toBe(true);
      // Keeping the newest of those left out as well would not fit.
      if (left.length > 0) {
        const newestLeft = left.reduce((a, b) => (b.date >= a.date ? b : a));
        const oneMore = { ...db, entries: db.entries.filter((e) => kept.has(e) || e === newestLeft) };
        expect(bytes(serializeDb(oneMore))).toBeGreaterThan(maxBytes);
      }
      if (full <= maxBytes) expect(fitted).toBe(db);
    },
  );
});

describe('saving a tuning database', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'monc-db-size-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves out the oldest entries where the file would be over what loads accept, keeps the new ones, and says so', () => {
    const path = join(dir, 'db.json');
    const old = Array.from({ length: 30 }, (_, k) => entry(k, k));
    writeFileSync(path, serializeDb(merge(emptyDb(), old)));
    const maxBytes = statSync(path).size + 200;
    const fresh = [entry(100, 60), entry(101, 60)];
    const saved = saveTuningEntries(path, fresh, [], false, maxBytes);
    expect(statSync(path).size).toBeLessThanOrEqual(maxBytes);
    const back = loadTuningDb(path).db;
    expect(back.entries).toEqual(saved.db.entries);
    for (const e of fresh) expect(back.entries.map((b) => b.kernel)).toContain(e.kernel);
    expect(saved.evicted).toBeGreaterThan(0);
    expect(back.entries).toHaveLength(old.length + fresh.length - saved.evicted!);
    // The oldest went: the entries kept of the old ones are its newest.
    expect(back.entries.filter((e) => !fresh.some((f) => f.kernel === e.kernel)).map((e) => e.date).sort()).toEqual(old.slice(saved.evicted).map((e) => e.date));
    expect(loadNote(path, saved, true)).toBe(
      `tuning database ${path}: its ${saved.evicted} oldest entr${saved.evicted === 1 ? 'y' : 'ies'} dropped to keep it within 64 MiB, what monc reads (use another database, --db or $MONC_TUNING_DB, to keep them)`,
    );
  });

  it('writes everything, and says nothing, where the file fits', () => {
    const path = join(dir, 'db.json');
    const saved = saveTuningEntries(path, [entry(1, 1), entry(2, 2)]);
    expect(saved.evicted).toBeUndefined();
    expect(loadTuningDb(path).db.entries).toHaveLength(2);
    expect(loadNote(path, saved, true)).toBeUndefined();
  });

  it('a database over the limit made some other way is refused on load with what to do', () => {
    const path = join(dir, 'big.json');
    writeFileSync(path, '');
    truncateSync(path, TUNING_DB_FILE.maxBytes + 1);
    expect(() => loadTuningDb(path)).toThrow(/over the limit of 64 MiB for a tuning database; remove entries \(the oldest first, as monc tune does when it saves\) or use another database$/);
  });
});
