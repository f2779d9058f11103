/**
 * Node only: the tuning database on disk. Location: an explicit path, else $MONC_TUNING_DB,
 * else the user's cache directory (XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on
 * macOS, %LOCALAPPDATA% on Windows) + monc/tuning.json.
 *
 * Reads are bounded and kind-checked (a directory, FIFO, device or a file over 64 MiB is a
 * FileError, never a hang). Entries of other compiler versions are dropped on load (and from the
 * file on the next save), and the load says how many. Writers take a lock file (`<db>.lock`,
 * created exclusively) with a bounded wait, then re-read, merge and write atomically, so six
 * processes saving at once keep every entry; a lock whose process is gone, or older than a
 * minute, is taken over.
 *
 * Loading never moves or changes anything: a corrupt or unreadable database is a FileError. Only
 * a writer of monc's own default database (not one the user named: an explicit path or
 * $MONC_TUNING_DB) may set it aside, as <file>.unusable-<time>, and only when it is a regular
 * file (setAsideUnusable): never a directory or anything else the user put there.
 */
import { closeSync, existsSync, lstatSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { MONC_VERSION } from '../version.js';
import { UNUSABLE_TUNING_CAUSES } from '../util/tuning-causes.js';
import { TUNING_DB_FILE } from './files/bounds.js';
import { FileError, ioReason } from './files/file-error.js';
import { bytesText, readTextBounded } from './files/read-bounded.js';
import { checkOutputs, ensureDirectory, writeOutput } from './files/write-outputs.js';
import { emptyDb, fitDb, merge, parseDb, serializeDb, type DroppedEntries, type TuningDb, type TuningEntry, type TuningKey } from '../tuner/db.js';

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'monc');
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'monc', 'Cache');
  return join(env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(home, '.cache'), 'monc');
}

export function tuningDbPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return tuningDbLocation(explicit, env).path;
}

/**
 * Where the database is, and who chose it: the user (`'option'`: a path on the command line;
 * `'env'`: $MONC_TUNING_DB) or monc (undefined: the default file in the cache directory). A
 * database the user named is never moved aside, whatever it is.
 */
export interface TuningDbLocation {
  readonly path: string;
  readonly namedBy?: 'option' | 'env';
}

export function tuningDbLocation(explicit?: string, env: NodeJS.ProcessEnv = process.env): TuningDbLocation {
  if (explicit !== undefined) return { path: explicit, namedBy: 'option' };
  // Set but empty is unset, as for $XDG_CACHE_HOME (an empty path names no file: `MONC_TUNING_DB= monc tune` would tune, then fail to write).
  if (env.MONC_TUNING_DB !== undefined && env.MONC_TUNING_DB !== '') return { path: env.MONC_TUNING_DB, namedBy: 'env' };
  return { path: join(defaultCacheDir(env), 'tuning.json') };
}

export interface LoadResult {
  readonly db: TuningDb;
  /** Set when a save found the default database unusable: why, and where it was moved. */
  readonly recovered?: { readonly reason: string; readonly movedTo: string };
  /** Entries of other compiler versions, dropped: how many, and which versions. */
  readonly dropped?: DroppedEntries;
  /** Set by a save: how many of the oldest entries were left out to keep the file within what monc reads (TUNING_DB_FILE). */
  readonly evicted?: number;
  /** Set by a save: how many entries were dropped because their schedule is not valid for the kernel they name. */
  readonly unusable?: number;
}

/**
 * Loads the database (empty when no file exists, unless `mustExist`). Throws a FileError when the
 * path cannot be read as a database file (a directory, a FIFO, too large, no permission) or the
 * file is not a tuning database; never moves or changes anything.
 */
export function loadTuningDb(path: string, compiler: string = MONC_VERSION, mustExist = false): LoadResult {
  if (!mustExist && !existsSync(path)) return { db: emptyDb() };
  const parsed = parseDb(readTextBounded(path, TUNING_DB_FILE), compiler);
  if ('db' in parsed) return parsed.dropped ? { db: parsed.db, dropped: parsed.dropped } : { db: parsed.db };
  throw new FileError(`${path}: ${parsed.error}`, parsed.error);
}

/** What a build finds where its database should be. */
export type BuildTuning =
  /** No file there (and none was required). */
  | { readonly kind: 'none' }
  /** The database, and what loading found worth a note (entries of other versions dropped). */
  | { readonly kind: 'loaded'; readonly db: TuningDb; readonly note?: string }
  /** The file cannot be used (a directory, a FIFO, too large, corrupt…): the caller decides whether that stops it. */
  | { readonly kind: 'unusable'; readonly error: FileError };

/**
 * The database at `path` for a build that only reads it (`monc build --tuning`, `monc bench`,
 * the bundler plugins): never moves or changes anything, and returns rather than throws what the
 * file is. `mustExist`: a missing file is `unusable` (a path the user typed) rather than `none`.
 */
export function readBuildTuning(path: string, mustExist = false, compiler: string = MONC_VERSION): BuildTuning {
  if (!mustExist && !existsSync(path)) return { kind: 'none' };
  let loaded: LoadResult;
  try {
    loaded = loadTuningDb(path, compiler, true);
  } catch (e) {
    if (e instanceof FileError) return { kind: 'unusable', error: e };
    throw e;
  }
  const note = loadNote(path, loaded, false);
  return { kind: 'loaded', db: loaded.db, ...(note !== undefined ? { note } : {}) };
}

/**
 * Moves an unusable database out of the way (to `<path>.unusable-<time>-<pid>`) and returns where,
 * or returns undefined and moves nothing unless `path` itself is a regular file (a directory, a
 * FIFO, a device or a symbolic link stays where it is). For monc's default database only.
 */
export function setAsideUnusable(path: string): string | undefined {
  let regular: boolean;
  try {
    regular = lstatSync(path).isFile();
  } catch {
    return undefined;
  }
  if (!regular) return undefined;
  const movedTo = `${path}.unusable-${Date.now()}-${process.pid}`;
  try {
    renameSync(path, movedTo);
  } catch {
    return undefined;
  }
  return movedTo;
}

/**
 * A note for the user about what loading or a save found, or undefined when there is nothing to say.
 * `saved`: `loaded` is a save's outcome (monc tune), which dropped the entries of other monc
 * versions from the file; a load leaves them in it, unused (QA1 s29 Q801: `monc build --tuning`
 * said 'dropped' of entries still there afterwards; REV29-3: so did a tune that then failed).
 */
export function loadNote(path: string, loaded: LoadResult, saved: boolean): string | undefined {
  const parts: string[] = [];
  if (loaded.recovered) parts.push(`could not be used (${loaded.recovered.reason}); moved to ${loaded.recovered.movedTo}, starting afresh`);
  if (loaded.dropped) {
    const n = loaded.dropped.count;
    parts.push(`${n} entr${n === 1 ? 'y' : 'ies'} of other monc versions (${loaded.dropped.compilers.join(', ')}) ${saved ? 'dropped' : 'not used'}: tuned schedules are valid for the compiler that measured them (re-run monc tune)`);
  }
  if (loaded.unusable) {
    const n = loaded.unusable;
    parts.push(`${n} entr${n === 1 ? 'y' : 'ies'} dropped whose schedule${n === 1 ? ' is' : 's are'} not valid for the kernel${n === 1 ? '' : 's'} ${n === 1 ? 'it names' : 'they name'} (${UNUSABLE_TUNING_CAUSES}: a build would not use ${n === 1 ? 'it' : 'them'})`);
  }
  if (loaded.evicted) {
    const n = loaded.evicted;
    parts.push(`its ${n} oldest entr${n === 1 ? 'y' : 'ies'} dropped to keep it within ${bytesText(TUNING_DB_FILE.maxBytes)}, what monc reads (use another database, --db or $MONC_TUNING_DB, to keep them)`);
  }
  return parts.length === 0 ? undefined : `tuning database ${path}: ${parts.join('; ')}`;
}

/**
 * Throws a FileError unless `path` can be read as a database and written: checked before
 * `monc tune` does any work, so that hours of tuning never end in a write error. Leaves nothing
 * behind, as every command's output check (QA1 s25 Q403: the missing directories were made here,
 * and stayed when tuning failed or was stopped); the save makes them.
 */
export function checkTuningDbWritable(path: string): void {
  loadTuningDb(path);
  if (existsSync(path) && (statSync(path).mode & 0o222) === 0) throw new FileError(`cannot write tuning database '${path}': it is read-only`);
  // What the save's write would refuse, refused now (a path that names a directory once resolved, '' or 'dir/.', a
  // directory that cannot be made): a missing directory is made and removed again.
  checkOutputs([{ path }]);
  // Where the directory is there, a probe that it takes the lock file every save begins with (and that no save holds
  // it for good).
  if (existsSync(dirname(path))) withDbLock(path, () => undefined);
}

/** Writes `db` to `path` atomically. */
export function writeTuningDb(path: string, db: TuningDb): void {
  writeOutput(path, serializeDb(db));
}

/**
 * Adds entries to the database at `path` (and drops the `retired` ones): under the database's
 * lock, re-reads the file, merges, writes atomically; over `maxBytes` (what loads accept), the
 * oldest entries are left out. A file that became unusable meanwhile is a
 * FileError, unless `setAside` (monc's default database only): then a regular file is set aside
 * and the save starts afresh (`recovered` says so). The file's entries for which `unusable` holds
 * (tuner/unusable-entries.ts: a schedule its kernel cannot run) are dropped (`unusable` counts them).
 */
export function saveTuningEntries(
  path: string,
  entries: readonly TuningEntry[],
  retired: readonly TuningKey[] = [],
  setAside = false,
  maxBytes = TUNING_DB_FILE.maxBytes,
  unusable: (entry: TuningEntry) => boolean = () => false,
): LoadResult {
  return withDbLock(path, () => {
    const current = loadOrSetAside(path, setAside);
    const kept = current.db.entries.filter((e) => !unusable(e));
    const dropped = current.db.entries.length - kept.length;
    // Never a file the next load refuses: the oldest entries go first (`evicted` says how many).
    const { db, evicted } = fitDb(merge({ ...current.db, entries: kept }, entries, retired), maxBytes);
    writeTuningDb(path, db);
    return { ...current, db, ...(evicted > 0 ? { evicted } : {}), ...(dropped > 0 ? { unusable: dropped } : {}) };
  });
}

function loadOrSetAside(path: string, setAside: boolean): LoadResult {
  try {
    return loadTuningDb(path);
  } catch (e) {
    if (!(e instanceof FileError) || !setAside) throw e;
    const movedTo = setAsideUnusable(path);
    if (movedTo === undefined) throw e;
    return { db: emptyDb(), recovered: { reason: e.reason, movedTo } };
  }
}

/** How long a writer waits for another one's lock before giving up with an error. */
export const LOCK_WAIT_MS = 15_000;
/** A lock older than this is left over from a crashed writer (a save takes milliseconds). */
const STALE_LOCK_MS = 60_000;

/** Runs `action` holding `<path>.lock`, created exclusively; waits at most `waitMs` for it. */
export function withDbLock<T>(path: string, action: () => T, waitMs: number = LOCK_WAIT_MS): T {
  const lock = `${path}.lock`;
  ensureDirectory(dirname(path), path);
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new FileError(`cannot write tuning database '${path}': cannot create its lock file ${lock}: ${ioReason(e)}`);
      if (takeOverStale(lock)) continue;
      if (Date.now() > deadline) {
        throw new FileError(`tuning database '${path}' is locked by another monc (${lock}, ${waitMs / 1000} s waited): try again, or delete the lock file if no monc is running`);
      }
      sleep(5 + Math.min(50, attempt * 2) * Math.random());
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n${hostname()}\n`);
    } finally {
      closeSync(fd);
    }
    try {
      return action();
    } finally {
      rmSync(lock, { force: true });
    }
  }
}

/**
 * Removes the lock when its writer is gone (a pid of this host that does not exist) or it is older
 * than a minute. (Two processes taking over the same stale lock at the same instant could both
 * proceed; that needs a crashed writer first.)
 */
function takeOverStale(lock: string): boolean {
  let pid: number;
  let host: string | undefined;
  let age: number;
  try {
    const [pidText, hostText] = readFileSync(lock, 'utf8').split('\n');
    pid = Number(pidText);
    host = hostText;
    age = Date.now() - statSync(lock).mtimeMs;
  } catch {
    return true; // released meanwhile: try again at once
  }
  // A pid means nothing on another host (a database on a shared file system): age alone decides there.
  const gone = host === hostname() && Number.isSafeInteger(pid) && pid > 0 && !processExists(pid);
  if (!gone && age < STALE_LOCK_MS) return false;
  rmSync(lock, { force: true });
  return true;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
