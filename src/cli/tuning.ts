/**
 * The tuning database a command reads (`build --tuning`, `bench`) or writes (`tune`): a file the
 * user names (`--tuning FILE`, `--db FILE`, or $MONC_TUNING_DB), else monc's default database
 * (monc/tuning.json in the user's cache directory).
 *
 * A database the user named that cannot be used is a user error before any work, and is never
 * moved. The default one, when unusable, is ignored with a note by readers (they never move or
 * change anything) and set aside by `monc tune` when it is a regular file (a user error when it
 * is a directory or anything else: monc never moves what it did not write).
 */
import { FileError } from '../node/files/file-error.js';
import { loadNote, loadTuningDb, readBuildTuning, setAsideUnusable, tuningDbLocation, type LoadResult, type TuningDbLocation } from '../node/tuning-db.js';
import type { TuningDb } from '../tuner/db.js';
import { assertNever } from '../util/assert.js';
import { note, type CommandContext } from './context.js';

/** `--tuning`: a database file, or `true` for the user's database. */
export type TuningChoice = string | true;

/** The user's database, or the `explicit` path. */
export function userTuningDbPath(ctx: CommandContext, explicit?: string): string {
  return userTuningDb(ctx, explicit).path;
}

/** Where the database is and whether the user named it (`explicit`, else $MONC_TUNING_DB). */
export function userTuningDb(ctx: CommandContext, explicit?: string): TuningDbLocation {
  // `--tuning ''` / `--db ''` name no file (resolved, '' is the current directory).
  if (explicit === '') throw new FileError('the tuning database path is empty: name a file (or leave the path out for the default database)');
  return tuningDbLocation(explicit, ctx.io.env);
}

export interface LoadedTuning {
  readonly path: string;
  readonly db: TuningDb;
}

/**
 * The database `choice` names, for a command that only reads it. A file named on the command line
 * must exist; one named by $MONC_TUNING_DB, or the default one, may not exist yet (undefined, with
 * a note). A named one that cannot be used is a user error; the default one is ignored with a note
 * (and left where it is). Entries of other monc versions are not used, with a note (the file keeps them).
 */
export async function readTuning(ctx: CommandContext, choice: TuningChoice): Promise<LoadedTuning | undefined> {
  const location = userTuningDb(ctx, choice === true ? undefined : choice);
  const { path } = location;
  const read = readBuildTuning(path, location.namedBy === 'option');
  switch (read.kind) {
    case 'none':
      note(ctx, `no tuning database at ${path} yet (monc tune writes it): using the default schedules`);
      return undefined;
    case 'loaded':
      if (read.note !== undefined) note(ctx, read.note);
      return { path, db: read.db };
    case 'unusable':
      if (location.namedBy !== undefined) throw namedError(location, read.error);
      note(ctx, `tuning database ${path} could not be used (${read.error.reason}): ignored, using the default schedules (monc tune sets it aside)`);
      return undefined;
    default:
      return assertNever(read, 'tuning database read');
  }
}

/**
 * The database at `location` for a command that will write it (`monc tune`), before any work, with
 * a note on what loading found. One the user named that cannot be used is a user error; the
 * default one is set aside with a note when it is a regular file, and a user error otherwise.
 */
export function loadUserDb(ctx: CommandContext, location: TuningDbLocation): LoadResult | undefined {
  const { path } = location;
  try {
    const loaded = loadTuningDb(path);
    noteLoad(ctx, path, loaded);
    return loaded;
  } catch (e) {
    if (!(e instanceof FileError) || location.namedBy !== undefined) throw namedError(location, e);
    const movedTo = setAsideUnusable(path);
    if (movedTo === undefined) throw e; // not a file monc wrote, or cannot be moved: the user must look at it
    note(ctx, `tuning database ${path} could not be used (${e.reason}); moved to ${movedTo}, starting afresh`);
    return undefined;
  }
}

/** A database the user named cannot be used: says so, and where the name came from. */
function namedError(location: TuningDbLocation, e: unknown): unknown {
  if (!(e instanceof FileError) || location.namedBy !== 'env') return e;
  return new FileError(`${e.message} (named by $MONC_TUNING_DB)`, e.reason);
}

function noteLoad(ctx: CommandContext, path: string, loaded: LoadResult): void {
  const text = loadNote(path, loaded, false);
  if (text !== undefined) note(ctx, text);
}
