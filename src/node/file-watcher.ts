/**
 * Watches a set of files for non-bundler watch mode (`monc build --watch`). It watches the
 * files' directories, not the files: editors often save by writing a new file and renaming it
 * over the old one, which a watch on the old file would miss. Changes within `debounceMs` of
 * each other are reported once.
 *
 * A file may be in a directory that does not exist yet (a spec names "masks/m.npy" before
 * masks/ is made): its nearest existing ancestor is watched for the next directory on the way,
 * and when that appears the watch moves down and reports a change. A watched directory that is
 * deleted (and perhaps made again: a new directory, which the old watch does not see) is found
 * out by its watch's next event or error, and watched afresh the same way; a directory whose
 * watch fails otherwise is watched again at the next update. Watching never
 * throws: a directory that cannot be watched (no permission, no inotify watches left) is left
 * unwatched.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export interface FileWatcher {
  /** Replaces the watched set (a build may read other files than the last one did). */
  update(files: Iterable<string>): void;
  close(): void;
}

interface WatchedDir {
  readonly watcher: FSWatcher;
  /** The directory's inode when the watch began: another one there is a new directory. */
  readonly ino: number;
  /** The entries that matter: a watched file's name, or the next directory on the way to one. */
  names: Set<string>;
}

export function watchFiles(onChange: (files: readonly string[]) => void, debounceMs = 100): FileWatcher {
  const byDir = new Map<string, WatchedDir>();
  let files: readonly string[] = [];
  let closed = false;
  let changed = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const report = () => {
    const list = [...changed].sort();
    changed = new Set();
    onChange(list);
  };
  const noteChange = (path: string) => {
    changed.add(path);
    clearTimeout(timer);
    timer = setTimeout(report, debounceMs);
  };
  /** Re-reads where the files are (a directory appeared or went away), and reports `path` changed. */
  const retarget = (path: string) => {
    if (closed) return;
    update(files);
    noteChange(path);
  };

  const open = (dir: string, names: Set<string>, ino: number): void => {
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, name) => {
        if (inode(dir) !== ino) return retarget(dir);
        if (name !== null && entry.names.has(name)) (isDirectory(join(dir, name)) ? retarget : noteChange)(resolve(dir, name));
      });
    } catch {
      return; // gone since it was looked at (the next update finds its ancestor), or not watchable
    }
    // A watch that fails is closed; a directory gone or replaced is looked for again at once, one
    // still there is watched again by the next update (not now: an error that repeats would loop).
    watcher.on('error', () => {
      watcher.close();
      if (byDir.get(dir) === entry) byDir.delete(dir);
      if (inode(dir) !== ino) retarget(dir);
    });
    const entry: WatchedDir = { watcher, ino, names };
    byDir.set(dir, entry);
  };

  const update = (given: Iterable<string>): void => {
    files = [...given].map((file) => resolve(file));
    const wanted = new Map<string, Set<string>>();
    for (const file of files) {
      let [dir, name] = [dirname(file), basename(file)];
      while (inode(dir) === undefined && dirname(dir) !== dir) [dir, name] = [dirname(dir), basename(dir)];
      wanted.set(dir, (wanted.get(dir) ?? new Set()).add(name));
    }
    for (const [dir, entry] of byDir) {
      if (wanted.has(dir) && inode(dir) === entry.ino) continue;
      entry.watcher.close();
      byDir.delete(dir);
    }
    for (const [dir, names] of wanted) {
      const existing = byDir.get(dir);
      const ino = inode(dir);
      if (existing) existing.names = names;
      else if (ino !== undefined) open(dir, names, ino);
    }
  };

  return {
    update,
    close() {
      closed = true;
      clearTimeout(timer);
      for (const entry of byDir.values()) entry.watcher.close();
      byDir.clear();
    },
  };
}

/** The inode of a directory at `path`, or undefined when there is none (missing, a file, unreadable). */
function inode(path: string): number | undefined {
  try {
    const stats = statSync(path);
    return stats.isDirectory() ? stats.ino : undefined;
  } catch {
    return undefined;
  }
}

const isDirectory = (path: string) => inode(path) !== undefined;
