/**
 * The tuning database a command reads (`build --tuning`, `bench`) or writes (`tune`): a file the
 * user names, or the user's database (what `monc tune` writes by default: $MONC_TUNING_DB, else
 * monc/tuning.json in the user's cache directory).
 */
import { existsSync, renameSync } from 'node:fs';
import { FileError } from '../runtime/files/file-error.js';
import { loadNote, loadTuningDb, tuningDbPath, type LoadResult } from '../runtime/tuner/db-file.js';
import { parseDb, type TuningDb } from '../runtime/tuner/db.js';
import { MONC_VERSION } from '../version.js';
import { note, type CommandContext } from './context.js';
import { readText, TUNING_DB_FILE } from './files.js';
import { UserError } from './user-error.js';

/** `--tuning`: a database file, or `true` for the user's database. */
export type TuningChoice = string | true;

/** The user's database, or the `explicit` path. */
export function userTuningDbPath(ctx: CommandContext, explicit?: string): string {
  return tuningDbPath(explicit, ctx.io.env);
}

export interface LoadedTuning {
  readonly path: string;
  readonly db: TuningDb;
}

/**
 * The database `choice` names. A named file must exist and be a tuning database (a user error
 * otherwise); the user's database may not exist yet (undefined, with a note), and when corrupt,
 * too large or not a readable file it is set aside (as every writer of it does) with a note, and
 * reads as empty. Entries of other monc versions are dropped with a note.
 */
export async function readTuning(ctx: CommandContext, choice: TuningChoice): Promise<LoadedTuning | undefined> {
  if (choice !== true) {
    const parsed = parseDb(await readText(choice, TUNING_DB_FILE));
    if ('error' in parsed) throw new UserError(`${choice}: ${parsed.error}`);
    const kept = parsed.db.entries.filter((e) => e.compiler === MONC_VERSION);
    const dropped = parsed.db.entries.length - kept.length;
    const loaded: LoadResult = { db: { ...parsed.db, entries: kept }, ...(dropped > 0 ? { dropped: { count: dropped, compilers: [...new Set(parsed.db.entries.map((e) => e.compiler))].filter((c) => c !== MONC_VERSION).sort() } } : {}) };
    noteLoad(ctx, choice, loaded);
    return { path: choice, db: loaded.db };
  }
  const path = userTuningDbPath(ctx);
  if (!existsSync(path)) {
    note(ctx, `no tuning database at ${path} yet (monc tune writes it): using the default schedules`);
    return undefined;
  }
  const loaded = loadUserDb(ctx, path);
  return loaded && { path, db: loaded.db };
}

/**
 * The database at `path` for a command that will write it (`monc tune`), with a note on what
 * loading found (entries of other versions dropped, a corrupt file set aside). One that cannot be
 * used at all is a user error when the user `named` it; the default one is set aside with a note.
 */
export function loadUserDb(ctx: CommandContext, path: string, named = false): LoadResult | undefined {
  try {
    const loaded = loadTuningDb(path);
    noteLoad(ctx, path, loaded);
    return loaded;
  } catch (e) {
    if (!(e instanceof FileError) || named) throw e;
    const movedTo = `${path}.unusable-${Date.now()}-${process.pid}`;
    try {
      renameSync(path, movedTo);
    } catch {
      throw e; // cannot even set it aside: the user must look at it
    }
    note(ctx, `tuning database ${path} could not be used (${e.reason}); moved to ${movedTo}, starting afresh`);
    return undefined;
  }
}

function noteLoad(ctx: CommandContext, path: string, loaded: LoadResult): void {
  const text = loadNote(path, loaded);
  if (text !== undefined) note(ctx, text);
}
