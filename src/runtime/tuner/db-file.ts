/**
 * Node only: the tuning database on disk. Location: an explicit path, else $MONC_TUNING_DB,
 * else the user's cache directory (XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on
 * macOS, %LOCALAPPDATA% on Windows) + monc/tuning.json. Writes are atomic (a temporary file in
 * the same directory, then rename), and every save re-reads and merges, so concurrent writers
 * never leave a torn file. A corrupt file is reported, set aside as <file>.corrupt-<time>, and
 * the database starts empty.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { emptyDb, merge, parseDb, serializeDb, type TuningDb, type TuningEntry, type TuningKey } from './db.js';

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'monc');
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'monc', 'Cache');
  return join(env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(home, '.cache'), 'monc');
}

export function tuningDbPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return explicit ?? env.MONC_TUNING_DB ?? join(defaultCacheDir(env), 'tuning.json');
}

export interface LoadResult {
  readonly db: TuningDb;
  /** Set when the file was corrupt: why, and where it was moved. */
  readonly recovered?: { readonly reason: string; readonly movedTo: string };
}

/** Loads the database (empty when the file does not exist). */
export function loadTuningDb(path: string): LoadResult {
  if (!existsSync(path)) return { db: emptyDb() };
  const parsed = parseDb(readFileSync(path, 'utf8'));
  if ('db' in parsed) return { db: parsed.db };
  const movedTo = `${path}.corrupt-${Date.now()}-${process.pid}`;
  try {
    renameSync(path, movedTo);
  } catch {
    // Another process set it aside (or replaced it) first: nothing left to move.
  }
  return { db: emptyDb(), recovered: { reason: parsed.error, movedTo } };
}

/** Writes `db` to `path` atomically. */
export function writeTuningDb(path: string, db: TuningDb): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(tmp, serializeDb(db));
    renameSync(tmp, path);
  } finally {
    if (existsSync(tmp)) rmSync(tmp, { force: true });
  }
}

/** Adds entries to the database at `path` (and drops the `retired` ones): re-reads the file, merges, writes atomically. */
export function saveTuningEntries(path: string, entries: readonly TuningEntry[], retired: readonly TuningKey[] = []): LoadResult {
  const current = loadTuningDb(path);
  const db = merge(current.db, entries, retired);
  writeTuningDb(path, db);
  return { db, ...(current.recovered ? { recovered: current.recovered } : {}) };
}
