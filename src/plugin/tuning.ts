/**
 * The tuning database a build compiles with: the one `monc tune` writes (or a given path, or
 * none). Re-read whenever its modification time changes, so that watch mode and `vite dev`
 * pick up new tuning results; a build without a GPU takes the entries of the adapter tuned most
 * recently (see src/tuner/lookup.ts). A database that cannot be read (a directory, too
 * large) or that is corrupt gives an untuned build and a warning, never a failed build, and is
 * left as it is (a build only reads it). So does a database the `tuning` option names that does
 * not exist (yet: a dev server picks it up when `monc tune` writes it): a typo in the path must
 * not ship an untuned bundle silently. The default database not existing yet is no news.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TuningLookup } from '../compile-kernels.js';
import { readBuildTuning, tuningDbPath } from '../node/tuning-db.js';
import { scheduleLookup } from '../tuner/lookup.js';
import { assertNever } from '../util/assert.js';

export interface TuningSource {
  /** The database file (watched), or undefined for untuned builds. */
  readonly path?: string;
  /** The current lookup and, when the database cannot be used, why. */
  current(): { readonly lookup?: TuningLookup; readonly warning?: string };
}

/** `option`: a path relative to `root`, false for none, undefined for the default database. */
export function tuningSource(root: string, option: string | false | undefined): TuningSource {
  if (option === false) return { current: () => ({}) };
  const path = option === undefined ? tuningDbPath() : resolve(root, option);
  // null: never read (a missing file's mtime is undefined, which must still be read once).
  let loadedAt: number | undefined | null = null;
  let state: { lookup?: TuningLookup; warning?: string } = {};
  return {
    path,
    current() {
      const mtime = modified(path);
      if (mtime === loadedAt) return state;
      loadedAt = mtime;
      if (mtime === undefined) return (state = option === undefined ? {} : { warning: `tuning database '${path}' (the tuning option) does not exist: building untuned` });
      const read = readBuildTuning(path);
      switch (read.kind) {
        case 'none':
          return (state = {});
        case 'loaded':
          return (state = { lookup: scheduleLookup(read.db), ...(read.note !== undefined ? { warning: read.note } : {}) });
        case 'unusable':
          return (state = { warning: `${read.error.message}; building untuned` });
        default:
          return assertNever(read, 'tuning database read');
      }
    },
  };
}

function modified(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}
