/** Temporary projects for the plugin tests: a folder with `.mon` files and an entry module. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The browser-safe runtime entry, from source: what `monc/runtime` is once the package is built. */
export const RUNTIME_SOURCE = join(REPO, 'src/runtime/index.ts');

export const FFN_MON = `module ffn
const d = 16
map up    : d -> 2 * d = monarch(nblocks: 4)
map mixer : d -> d = butterfly(radix: 2)
`;

/** A spec with one located error: `k` is not defined (line 3). */
export const BROKEN_MON = `module ffn
const d = 16
map up    : d -> 2 * d = monarch(nblocks: k)
`;

export interface TempProject {
  readonly root: string;
  write(path: string, text: string): string;
  remove(): void;
}

export function tempProject(files: Readonly<Record<string, string>>): TempProject {
  const root = mkdtempSync(join(tmpdir(), 'monc-plugin-'));
  const write = (path: string, text: string) => {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  };
  for (const [path, text] of Object.entries(files)) write(path, text);
  return { root, write, remove: () => rmSync(root, { recursive: true, force: true }) };
}
