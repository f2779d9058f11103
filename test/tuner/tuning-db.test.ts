/**
 * The tuning database: schema validation, corruption (an error; only the default database's
 * writer sets a regular file aside, never a directory or anything else),
 * concurrent writers from separate processes (a lock and a merge: no entry lost, never a torn
 * file), entries of another adapter or compiler version not used, bad paths refused, and the
 * cache-directory rules.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync, fork } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchBucket, emptyDb, kernelSignature, lookup, merge, parseDb, serializeDb, type TuningEntry } from '../../src/tuner/db.js';
import { checkTuningDbWritable, defaultCacheDir, loadNote, loadTuningDb, readBuildTuning, saveTuningEntries, setAsideUnusable, tuningDbLocation, tuningDbPath, withDbLock } from '../../src/node/tuning-db.js';
import { FileError } from '../../src/node/files/file-error.js';
import { transpileForNode } from '../support/transpile-for-node.js';
import { scheduleLookup } from '../../src/tuner/lookup.js';
import type { AdapterIdentity } from '../../src/tuner/adapter-identity.js';
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
    // V8 quotes the unparsable text, line breaks included: the reason stays one line.
    expect(parseDb('xx\nyy\nzz')).toEqual({ error: String.raw`not JSON (Unexpected token 'x', "xx\nyy\nzz" is not valid JSON)` });
    expect(parseDb('{"format":"monc-tuning","version":2,"entries":[]}')).toMatchObject({ error: expect.stringContaining('version') });
    expect(parseDb(JSON.stringify({ format: 'monc-tuning', version: 1, entries: [{ ...entry(H100, 1), ms: 'fast' }] }))).toMatchObject({ error: expect.stringContaining('entries[0]') });
    expect(parseDb(JSON.stringify({ format: 'monc-tuning', version: 1, entries: [entry(H100, 1)] }))).toHaveProperty('db');
  });

  it('a corrupt database is a FileError and stays as it is; only a save told to (the default database) sets it aside', () => {
    const path = join(dir, 'db.json');
    const torn = '{"format":"monc-tuning","version":1,"entries":[{"adapter":';
    writeFileSync(path, torn);
    expect(() => loadTuningDb(path)).toThrow(/db\.json: not JSON/);
    expect(() => saveTuningEntries(path, [entry(H100, 0.5)])).toThrow(FileError);
    expect(readFileSync(path, 'utf8')).toBe(torn);
    expect(readdirSync(dir)).toEqual(['db.json']);
    const saved = saveTuningEntries(path, [entry(H100, 0.5)], [], true);
    expect(saved.recovered?.reason).toMatch(/^not JSON/);
    expect(readFileSync(saved.recovered!.movedTo, 'utf8')).toBe(torn);
    expect(loadTuningDb(path).db.entries).toHaveLength(1);
  });

  it('setAsideUnusable moves only a regular file: never a directory (with its files), a FIFO or a symbolic link', () => {
    const asDir = join(dir, 'dir.json');
    mkdirSync(asDir);
    writeFileSync(join(asDir, 'precious'), 'keep');
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    const link = join(dir, 'link.json');
    writeFileSync(join(dir, 'target'), 'x');
    symlinkSync(join(dir, 'target'), link);
    for (const path of [asDir, fifo, link, join(dir, 'missing.json')]) expect(setAsideUnusable(path)).toBeUndefined();
    expect(readdirSync(dir).sort()).toEqual(['dir.json', 'fifo.json', 'link.json', 'target']);
    expect(readFileSync(join(asDir, 'precious'), 'utf8')).toBe('keep');
    expect(() => saveTuningEntries(asDir, [entry(H100, 0.5)], [], true)).toThrow(/is a directory/);
    expect(readdirSync(dir).sort()).toEqual(['dir.json', 'fifo.json', 'link.json', 'target']);
  });

  it('six processes saving at once for 20 rounds keep all 120 entries (merge under a lock)', async () => {
    const lib = transpileForNode(join(dir, 'lib'), 'src/node/tuning-db.ts');
    writeFileSync(
      join(lib, 'writer.mjs'),
      `import { saveTuningEntries, loadTuningDb } from './src/node/tuning-db.js';
       const [path, id, entryJson] = process.argv.slice(2);
       const base = JSON.parse(entryJson);
       for (let i = 0; i < 20; i++) {
         saveTuningEntries(path, [{ ...base, kernel: 'k' + id + '-' + i }]);
         try { loadTuningDb(path); } catch (e) { console.error('torn file seen: ' + e.message); process.exit(3); }
       }`,
    );
    const path = join(dir, 'shared.json');
    const writers = [0, 1, 2, 3, 4, 5];
    const codes = await Promise.all(
      writers.map((id) => new Promise<number | null>((resolve) => fork(join(lib, 'writer.mjs'), [path, String(id), JSON.stringify(entry(H100, 0.5))], { stdio: 'inherit' }).on('exit', resolve))),
    );
    expect(codes).toEqual(writers.map(() => 0));
    const final = loadTuningDb(path);
    expect(final.recovered).toBeUndefined();
    expect(new Set(final.db.entries.map((e) => e.kernel)).size).toBe(120);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock'))).toEqual([]);
  });

  it('a lock left by a process that is gone is taken over; a live one is waited for, boundedly', () => {
    const path = join(dir, 'db.json');
    writeFileSync(`${path}.lock`, `999999999\n${hostname()}\n`); // no such process on this host
    saveTuningEntries(path, [entry(H100, 0.5)]);
    expect(loadTuningDb(path).db.entries).toHaveLength(1);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('a fresh lock of a live process (or of another host) is waited for, not taken over', async () => {
    const path = join(dir, 'db.json');
    const lib = transpileForNode(join(dir, 'lib'), 'src/node/tuning-db.ts');
    writeFileSync(join(lib, 'save.mjs'), `import { saveTuningEntries } from './src/node/tuning-db.js';\nsaveTuningEntries(process.argv[2], [JSON.parse(process.argv[3])]);`);
    writeFileSync(`${path}.lock`, `${process.pid}\n${hostname()}\n`);
    // The holder (this process, alive) releases it after a moment; the writer must wait for that.
    let released = Infinity;
    setTimeout(() => {
      rmSync(`${path}.lock`, { force: true });
      released = Date.now();
    }, 500);
    const code = await new Promise<number | null>((resolve) => fork(join(lib, 'save.mjs'), [path, JSON.stringify(entry(H100, 0.5))], { stdio: 'inherit' }).on('exit', resolve));
    expect(code).toBe(0);
    expect(Date.now()).toBeGreaterThanOrEqual(released);
    expect(loadTuningDb(path).db.entries).toHaveLength(1);
    writeFileSync(`${path}.lock`, '999999999\nanother-host\n'); // a pid of another host proves nothing
    expect(() => withDbLock(path, () => undefined, 200)).toThrow(/is locked by another monc \(.*db\.json\.lock, 0\.2 s waited\)/);
  });

  it('drops entries of another compiler version, and says so', () => {
    const path = join(dir, 'db.json');
    writeFileSync(path, serializeDb(merge(emptyDb(), [entry(H100, 0.5), { ...entry(H100, 0.4, 32), compiler: '0.0.9', kernel: 'old' }])));
    const loaded = loadTuningDb(path, '0.1.0');
    expect(loaded.db.entries.map((e) => e.compiler)).toEqual(['0.1.0']);
    expect(loaded.dropped).toEqual({ count: 1, compilers: ['0.0.9'] });
    expect(loadNote(path, loaded, true)).toMatch(/1 entry of other monc versions \(0\.0\.9\) dropped/);
    // A command that only reads the file leaves them in it (QA1 s29 Q801).
    expect(loadNote(path, loaded, false)).toMatch(/1 entry of other monc versions \(0\.0\.9\) not used: /);
  });

  it('leaves another version\'s entries unvalidated: a shape this version does not know drops them, not the file', () => {
    const path = join(dir, 'db.json');
    const future = { ...entry(H100, 0.4, 32), compiler: '0.2.0', kernel: 'new', schedule: { family: 'ks-future', tiles: [2, 4] }, adapter: { vendor: 'nvidia', more: { x: 1 } } };
    const text = JSON.stringify({ format: 'monc-tuning', version: 1, entries: [entry(H100, 0.5), future, { compiler: '0.3.0' }] });
    expect(parseDb(text, '0.1.0')).toEqual({ db: { format: 'monc-tuning', version: 1, entries: [entry(H100, 0.5)] }, dropped: { count: 2, compilers: ['0.2.0', '0.3.0'] } });
    writeFileSync(path, text);
    const build = readBuildTuning(path, true, '0.1.0');
    expect(build).toMatchObject({ kind: 'loaded', db: { entries: [entry(H100, 0.5)] }, note: expect.stringMatching(/2 entries of other monc versions \(0\.2\.0, 0\.3\.0\) not used/) });
    // A tune's save keeps this version's entry and adds its own; the file is not set aside.
    saveTuningEntries(path, [entry(OTHER, 0.7)], [], true);
    expect(readdirSync(dir).filter((f) => f.includes('unusable'))).toEqual([]);
    expect(loadTuningDb(path, '0.1.0').db.entries.map((e) => e.ms).sort()).toEqual([0.5, 0.7]);
    // This version's own malformed entry is still an error.
    expect(parseDb(JSON.stringify({ format: 'monc-tuning', version: 1, entries: [{ ...entry(H100, 1), schedule: { family: 'x', tiles: [2] } }] }), '0.1.0')).toEqual({ error: 'entries[0].schedule is malformed' });
  });

  it('a build reads the database without ever throwing for the file: none, loaded with its note, or unusable with the reason', () => {
    const path = join(dir, 'db.json');
    expect(readBuildTuning(path)).toEqual({ kind: 'none' });
    const missing = readBuildTuning(path, true);
    expect(missing.kind === 'unusable' && missing.error.reason).toBe('no such file or directory');
    writeFileSync(path, serializeDb(merge(emptyDb(), [entry(H100, 0.5), { ...entry(H100, 0.4, 32), compiler: '0.0.9', kernel: 'old' }])));
    const read = readBuildTuning(path, false, '0.1.0');
    expect(read.kind === 'loaded' && read.db.entries.map((e) => e.ms)).toEqual([0.5]);
    // Read, not written: the entry stays in the file, and the note says it is not used (QA1 s29 Q801: 'dropped').
    expect(read.kind === 'loaded' && read.note).toMatch(/1 entry of other monc versions \(0\.0\.9\) not used/);
    expect(readFileSync(path, 'utf8')).toContain('"0.0.9"');
    expect(readBuildTuning(path, false, '0.0.9')).toEqual({ kind: 'loaded', db: expect.objectContaining({ entries: [expect.objectContaining({ kernel: 'old' })] }), note: expect.any(String) });
    writeFileSync(path, '{"version": 1, "entries": [');
    const corrupt = readBuildTuning(path);
    expect(corrupt.kind === 'unusable' && corrupt.error).toBeInstanceOf(FileError);
    expect(readFileSync(path, 'utf8')).toBe('{"version": 1, "entries": ['); // a reader never moves or changes it
    const asDir = join(dir, 'dir.json');
    mkdirSync(asDir);
    const directory = readBuildTuning(asDir);
    expect(directory.kind === 'unusable' && directory.error.reason).toMatch(/directory/);
  });

  it('a build without a GPU takes one adapter\'s entries (the one tuned last), never another adapter\'s for a kernel it lacks', () => {
    const older = { ...entry(OTHER, 0.3, 16), date: new Date(1000).toISOString() };
    const newer = { ...entry(H100, 0.5, 32), kernel: 'other-kernel', date: new Date(2000).toISOString() };
    const db = merge(emptyDb(), [older, newer]);
    // H100 was tuned last and has no entry for SIG: the A100's entry is not borrowed.
    expect(scheduleLookup(db, { compiler: '0.1.0' })([op0], 'f32')).toBeUndefined();
    expect(scheduleLookup(merge(emptyDb(), [older]), { compiler: '0.1.0' })([op0], 'f32')?.schedule.rows).toBe(16);
  });

  it('a database path that is a directory, a FIFO, too large or read-only is a FileError, checked before writing', () => {
    const asDir = join(dir, 'dir.json');
    mkdirSync(asDir);
    expect(() => loadTuningDb(asDir)).toThrow(FileError);
    expect(() => checkTuningDbWritable(asDir)).toThrow(/is a directory/);
    const huge = join(dir, 'huge.json');
    writeFileSync(huge, '');
    truncateSync(huge, 100 * 1024 * 1024);
    expect(() => checkTuningDbWritable(huge)).toThrow(/100 MiB is over the limit of 64 MiB/);
    const readOnly = join(dir, 'ro.json');
    writeFileSync(readOnly, serializeDb(emptyDb()));
    chmodSync(readOnly, 0o444);
    expect(() => checkTuningDbWritable(readOnly)).toThrow(/read-only/);
    writeFileSync(join(dir, 'file'), 'x');
    expect(() => checkTuningDbWritable(join(dir, 'file', 'db.json'))).toThrow(/is not a directory/);
  });

  // QA1 s25 Q403: the check made the missing directories, which a tune that then failed (no adapter, a refused --batch)
  // or was stopped left behind; the save makes them.
  it('the check of a database in directories not made yet leaves none behind; the save makes them', () => {
    const path = join(dir, 'new', 'deeper', 'db.json');
    checkTuningDbWritable(path);
    expect(existsSync(join(dir, 'new'))).toBe(false);
    saveTuningEntries(path, [entry(H100, 0.5, 32)]);
    expect(loadTuningDb(path).db.entries).toHaveLength(1);
  });

  it('lives in the user cache directory unless overridden', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' }, 'linux', '/home/u')).toBe('/x/cache/monc');
    expect(defaultCacheDir({}, 'linux', '/home/u')).toBe('/home/u/.cache/monc');
    expect(defaultCacheDir({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Caches/monc');
    expect(tuningDbPath(undefined, { MONC_TUNING_DB: '/tmp/t.json' })).toBe('/tmp/t.json');
    expect(tuningDbPath('/explicit.json', { MONC_TUNING_DB: '/tmp/t.json' })).toBe('/explicit.json');
    expect(tuningDbLocation(undefined, { XDG_CACHE_HOME: '/x/cache' })).toEqual({ path: '/x/cache/monc/tuning.json' });
    expect(tuningDbLocation(undefined, { MONC_TUNING_DB: '/tmp/t.json' })).toEqual({ path: '/tmp/t.json', namedBy: 'env' });
    expect(tuningDbLocation('/explicit.json', { MONC_TUNING_DB: '/tmp/t.json' })).toEqual({ path: '/explicit.json', namedBy: 'option' });
  });
});
