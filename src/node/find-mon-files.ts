/** Every `.mon` file under a project root, skipping dependencies, build outputs and hidden folders. */
import { readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { ioReason } from './files/file-error.js';

const SKIPPED = new Set(['node_modules', 'dist', 'build', 'out', 'coverage']);

/**
 * The `.mon` files under `root`, sorted. A directory that cannot be listed (no permission, gone
 * meanwhile) is passed to `unreadable` with the reason and skipped: the search never throws.
 */
export function findMonFiles(root: string, unreadable: (dir: string, reason: string) => void = () => {}): string[] {
  const found: string[] = [];
  const visit = (dir: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      unreadable(dir, ioReason(e));
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory() && !SKIPPED.has(entry.name)) visit(path);
      else if (entry.isFile() && entry.name.endsWith('.mon')) found.push(path);
    }
  };
  visit(root);
  return found.sort();
}
