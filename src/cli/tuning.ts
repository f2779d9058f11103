/**
 * The tuning database a command reads (`build --tuning`, `bench`) or writes (`tune`): a file the
 * user names, or the user's database (what `monc tune` writes by default: $MONC_TUNING_DB, else
 * monc/tuning.json in the user's cache directory).
 */
import { existsSync } from 'node:fs';
import { loadTuningDb, tuningDbPath } from '../runtime/tuner/db-file.js';
import { parseDb, type TuningDb } from '../runtime/tuner/db.js';
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
 * otherwise); the user's database may not exist yet (undefined, with a note), and when corrupt
 * it is set aside (as every writer of it does) with a note, and reads as empty.
 */
export async function readTuning(ctx: CommandContext, choice: TuningChoice): Promise<LoadedTuning | undefined> {
  if (choice !== true) {
    const parsed = parseDb(await readText(choice, TUNING_DB_FILE));
    if ('error' in parsed) throw new UserError(`${choice}: ${parsed.error}`);
    return { path: choice, db: parsed.db };
  }
  const path = userTuningDbPath(ctx);
  if (!existsSync(path)) {
    note(ctx, `no tuning database at ${path} yet (monc tune writes it): using the default schedules`);
    return undefined;
  }
  const { db, recovered } = loadTuningDb(path);
  if (recovered) note(ctx, `tuning database ${path} was unreadable (${recovered.reason}); moved to ${recovered.movedTo}, using the default schedules`);
  return { path, db };
}
