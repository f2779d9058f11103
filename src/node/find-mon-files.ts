/** Every `.mon` file under a project root, skipping dependencies, build outputs and hidden folders. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const SKIPPED = new Set(['node_modules', 'dist', 'build', 'out', 'coverage']);

export function findMonFiles(root: string): string[] {
  const found: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory() && !SKIPPED.has(entry.name)) visit(path);
      else if (entry.isFile() && entry.name.endsWith('.mon')) found.push(path);
    }
  };
  visit(root);
  return found.sort();
}
