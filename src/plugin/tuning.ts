/**
 * The tuning database a build compiles with: the one `monc tune` writes (or a given path, or
 * none). Re-read whenever its modification time changes, so that watch mode and `vite dev`
 * pick up new tuning results; a build without a GPU takes the most recent entry of any adapter
 * (see src/runtime/tuner/lookup.ts).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TuningLookup } from '../compile-kernels.js';
import { loadTuningDb, tuningDbPath } from '../runtime/tuner/db-file.js';
import { scheduleLookup } from '../runtime/tuner/lookup.js';

export interface TuningSource {
  /** The database file (watched), or undefined for untuned builds. */
  readonly path?: string;
  /** The current lookup and, when the file was corrupt and set aside, why. */
  current(): { readonly lookup?: TuningLookup; readonly warning?: string };
}

/** `option`: a path relative to `root`, false for none, undefined for the default database. */
export function tuningSource(root: string, option: string | false | undefined): TuningSource {
  if (option === false) return { current: () => ({}) };
  const path = option === undefined ? tuningDbPath() : resolve(root, option);
  let loadedAt: number | undefined;
  let state: { lookup?: TuningLookup; warning?: string } = {};
  return {
    path,
    current() {
      const mtime = modified(path);
      if (mtime === loadedAt) return state;
      loadedAt = mtime;
      if (mtime === undefined) return (state = {});
      const { db, recovered } = loadTuningDb(path);
      state = {
        lookup: scheduleLookup(db),
        ...(recovered ? { warning: `tuning database ${path} was unreadable (${recovered.reason}); moved to ${recovered.movedTo}, building untuned` } : {}),
      };
      return state;
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
