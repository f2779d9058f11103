/**
 * The tuning database: schema validation, corruption recovery (reported, set aside, rebuilt),
 * concurrent writers from separate processes (atomic rename: never a torn file), entries of
 * another adapter ignored, and the cache-directory rules.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { batchBucket, emptyDb, kernelSignature, lookup, merge, parseDb, type TuningEntry } from '../../src/runtime/tuner/db.js';
import { defaultCacheDir, loadTuningDb, saveTuningEntries, tuningDbPath } from '../../src/runtime/tuner/db-file.js';
import { scheduleLookup } from '../../src/runtime/tuner/lookup.js';
import type { AdapterIdentity } from '../../src/runtime/tuner/adapter-identity.js';
import { monarchCase } from '../../bench/cases.js';

const H100: AdapterIdentity = {
  vendor: 'nvidia', architecture: '', device: 'nvidia-h100-80gb-hbm3', description: 'NVIDIA: 580.159.04',
  features: ['shader-f16', 'subgroups', 'timestamp-query'], limits: { maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupStorageSize: 49152 },
};
const OTHER: AdapterIdentity = { ...H100, device: 'nvidia-a100', description: 'NVIDIA: 535' };
const [op0] = monarchCase(256, 256, 16).ops;
const SIG = kernelSignature([op0], 'f32');

function entry(adapter: AdapterIdentity, ms: number, rows = 64): TuningEntry {
  return { adapter, compiler: '0.1.0', kernel: SIG, batchBucket: batchBucket(1000), schedule: { family: 'ks-tiled', rows, cols: 16, dtile: 1, tk: 8, rr: 8, rb: 4, vec4: true }, ms, spread: 0.01, timed: 5, date: new Date(0).toISOString() };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'monc-tuning-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('tuning database', () => {
  it('round-trips and keys entries by adapter, compiler, kernel and batch bucket', () => {
    const path = join(dir, 'db.json');
    saveTuningEntries(path, [entry(H100, 0.5)]);
    saveTuningEntries(path, [entry(H100, 0.4, 32), entry(OTHER, 0.9, 16)]);
    const { db } = loadTuningDb(path);
    expect(db.entries).toHaveLength(2);
    expect(lookup(db, H100, '0.1.0', SIG, 1000)?.schedule.rows).toBe(32);
    expect(lookup(db, H100, '0.1.0', SIG, 5000)).toBeUndefined();
    expect(lookup(db, H100, '0.2.0', SIG, 1000)).toBeUndefined();
    expect(batchBucket(1000)).toBe(1024);
    expect(batchBucket(1)).toBe(1);
  });

  it('drops retired entries (runs a newer tune timed but did not keep) unless they are also new', () => {
    const path = join(dir, 'db.json');
    saveTuningEntries(path, [entry(H100, 0.5), entry(OTHER, 0.9, 16)]);
    const { adapter, compiler, kernel, batchBucket: bucket } = entry(H100, 0);
    saveTuningEntries(path, [], [{ adapter, compiler, kernel, batchBucket: bucket }]);
    expect(loadTuningDb(path).db.entries.map((e) => e.adapter.device)).toEqual(['nvidia-a100']);
    const again = merge(emptyDb(), [entry(H100, 0.4, 32)], [{ adapter, compiler, kernel, batchBucket: bucket }]);
    expect(lookup(again, H100, '0.1.0', SIG, 1000)?.schedule.rows).toBe(32);
  });

  it('ignores entries of another adapter', () => {
    const db = merge(emptyDb(), [entry(OTHER, 0.3, 16)]);
    expect(lookup(db, H100, '0.1.0', SIG, 1000)).toBeUndefined();
    expect(scheduleLookup(db, { adapter: H100 })([op0], 'f32')).toBeUndefined();
    expect(scheduleLookup(db, { adapter: OTHER })([op0], 'f32')?.schedule.rows).toBe(16);
  });

  it('rejects malformed databases with a reason', () => {
    expect(parseDb('{')).toHaveProperty('error');
    expect(parseDb('{"format":"monc-tuning","version":2,"entries":[]}')).toMatchObject({ error: expect.stringContaining('version') });
    expect(parseDb(JSON.stringify({ format: 'monc-tuning', version: 1, entries: [{ ...entry(H100, 1), ms: 'fast' }] }))).toMatchObject({ error: expect.stringContaining('entries[0]') });
    expect(parseDb(JSON.stringify({ format: 'monc-tuning', version: 1, entries: [entry(H100, 1)] }))).toHaveProperty('db');
  });

  it('survives corruption: reports it, sets the file aside and rebuilds', () => {
    const path = join(dir, 'db.json');
    writeFileSync(path, '{"format":"monc-tuning","version":1,"entries":[{"adapter":');
    const loaded = loadTuningDb(path);
    expect(loaded.db.entries).toEqual([]);
    expect(loaded.recovered?.reason).toMatch(/not JSON/);
    expect(readdirSync(dir).some((f) => f.startsWith('db.json.corrupt-'))).toBe(true);
    saveTuningEntries(path, [entry(H100, 0.5)]);
    expect(loadTuningDb(path).db.entries).toHaveLength(1);
    expect(loadTuningDb(path).recovered).toBeUndefined();
  });

  it('keeps a valid file under concurrent writers in separate processes', async () => {
    // Transpile the real modules so plain Node child processes can run them.
    const lib = join(dir, 'lib');
    mkdirSync(lib);
    for (const f of ['db.ts', 'db-file.ts', 'adapter-identity.ts']) {
      const src = readFileSync(join('src/runtime/tuner', f), 'utf8');
      const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
      writeFileSync(join(lib, f.replace(/\.ts$/, '.mjs')), js.replace(/from '\.\/([\w-]+)\.js'/g, "from './$1.mjs'"));
    }
    writeFileSync(
      join(lib, 'writer.mjs'),
      `import { saveTuningEntries, loadTuningDb } from './db-file.mjs';
       const [path, id, entryJson] = process.argv.slice(2);
       const base = JSON.parse(entryJson);
       for (let i = 0; i < 40; i++) {
         saveTuningEntries(path, [{ ...base, kernel: 'k' + id + '-' + i }]);
         if (loadTuningDb(path).recovered) { console.error('torn file seen'); process.exit(3); }
       }`,
    );
    const path = join(dir, 'shared.json');
    const codes = await Promise.all(
      [0, 1, 2, 3].map(
        (id) => new Promise<number | null>((resolve) => fork(join(lib, 'writer.mjs'), [path, String(id), JSON.stringify(entry(H100, 0.5))], { stdio: 'inherit' }).on('exit', resolve)),
      ),
    );
    expect(codes).toEqual([0, 0, 0, 0]);
    const final = loadTuningDb(path);
    expect(final.recovered).toBeUndefined();
    // Each writer's last entry survives (later writes re-read and merge); racing merges may drop some earlier ones.
    expect(final.db.entries.length).toBeGreaterThanOrEqual(4);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);

  it('lives in the user cache directory unless overridden', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' }, 'linux', '/home/u')).toBe('/x/cache/monc');
    expect(defaultCacheDir({}, 'linux', '/home/u')).toBe('/home/u/.cache/monc');
    expect(defaultCacheDir({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Caches/monc');
    expect(tuningDbPath(undefined, { MONC_TUNING_DB: '/tmp/t.json' })).toBe('/tmp/t.json');
    expect(tuningDbPath('/explicit.json', { MONC_TUNING_DB: '/tmp/t.json' })).toBe('/explicit.json');
  });
});
