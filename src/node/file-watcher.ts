/**
 * Watches a set of files for non-bundler watch mode (`monc build --watch`). It watches the
 * files' directories, not the files: editors often save by writing a new file and renaming it
 * over the old one, which a watch on the old file would miss. Changes within `debounceMs` of
 * each other are reported once.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

export interface FileWatcher {
  /** Replaces the watched set (a build may read other files than the last one did). */
  update(files: Iterable<string>): void;
  close(): void;
}

export function watchFiles(onChange: (files: readonly string[]) => void, debounceMs = 100): FileWatcher {
  const byDir = new Map<string, { readonly watcher: FSWatcher; names: Set<string> }>();
  let changed = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const report = () => {
    const files = [...changed].sort();
    changed = new Set();
    onChange(files);
  };
  return {
    update(files) {
      const wanted = new Map<string, Set<string>>();
      for (const file of files) {
        const path = resolve(file);
        const names = wanted.get(dirname(path)) ?? new Set();
        names.add(basename(path));
        wanted.set(dirname(path), names);
      }
      for (const [dir, entry] of byDir) {
        if (!wanted.has(dir)) {
          entry.watcher.close();
          byDir.delete(dir);
        }
      }
      for (const [dir, names] of wanted) {
        const existing = byDir.get(dir);
        if (existing) {
          existing.names = names;
          continue;
        }
        const entry = {
          names,
          watcher: watch(dir, (_event, name) => {
            if (name === null || !entry.names.has(name)) return;
            changed.add(resolve(dir, name));
            clearTimeout(timer);
            timer = setTimeout(report, debounceMs);
          }),
        };
        byDir.set(dir, entry);
      }
    },
    close() {
      clearTimeout(timer);
      for (const entry of byDir.values()) entry.watcher.close();
      byDir.clear();
    },
  };
}
