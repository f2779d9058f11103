/**
 * Node only: whether two output paths of one command name the same file, as the file system
 * compares names. Comparing the strings is not enough: on the case-insensitive file systems of
 * macOS and Windows `gen/Ffn.ts` and `gen/ffn.ts` are one file, and the second rename would
 * replace the first output. So each path is split into its deepest existing directory (compared
 * by device and inode: spelled any way, through any link) and the names below it; two names
 * that differ but fold to the same lower case are asked of the directory itself
 * (`treatsAsOne`): a probe file is made under the first name and looked up under the second.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, lstatSync, openSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Whether the directory `dir` (which exists) resolves names `a` and `b` to the same entry. */
export type NameComparison = (dir: string, a: string, b: string) => boolean;

/** Where a path lands: its deepest existing directory and the names from there down. */
interface Landing {
  readonly dir: string;
  readonly id: string;
  readonly names: readonly string[];
}

function landing(path: string): Landing {
  const names: string[] = [basename(path)];
  for (let at = dirname(path); ; at = dirname(at)) {
    try {
      const s = statSync(at);
      if (s.isDirectory()) return { dir: at, id: `${s.dev}:${s.ino}`, names };
    } catch {
      // Missing (or unreadable): its parent decides.
    }
    if (dirname(at) === at) return { dir: at, id: at, names };
    names.unshift(basename(at));
  }
}

/** Case and Unicode normalization folded away: names equal under it may be one file. */
function fold(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

/**
 * The first pair `[i, j]` (i < j) of `paths` (absolute, links at the last component already
 * followed) that are the same file, or undefined. `sameName` is asked only about names that
 * differ and fold alike (default: the file system is asked, `probeSameName`).
 */
export function sameTarget(paths: readonly string[], sameName: NameComparison = probeSameName): [number, number] | undefined {
  const landed = paths.map(landing);
  const asked = new Map<string, boolean>();
  const same = (dir: string, a: string, b: string) => {
    const key = `${dir}\u0000${a}\u0000${b}`;
    if (!asked.has(key)) asked.set(key, sameName(dir, a, b));
    return asked.get(key)!;
  };
  const alike = (p: Landing, q: Landing) =>
    p.id === q.id && p.names.length === q.names.length && p.names.every((n, k) => n === q.names[k] || (fold(n) === fold(q.names[k]) && same(p.dir, n, q.names[k])));
  for (let j = 1; j < landed.length; j++) for (let i = 0; i < j; i++) if (alike(landed[i], landed[j])) return [i, j];
  return undefined;
}

/** Room for the probe's prefix within a file name's 255 bytes. */
const PROBE_PREFIX_BYTES = 24;

/**
 * Asks `dir`: a probe file named `a` (behind a random prefix) is created, then looked up as `b`.
 * A directory names below it behave alike (a missing directory is made by its parent's file
 * system). Where no probe can be made (no write permission: the write fails there anyway) the
 * names count as two; where the names are too long for the prefix, as one (refusing is the
 * safe side).
 */
export function probeSameName(dir: string, a: string, b: string): boolean {
  if (Buffer.byteLength(a) + PROBE_PREFIX_BYTES > 255 || Buffer.byteLength(b) + PROBE_PREFIX_BYTES > 255) return true;
  const prefix = `.monc-${randomBytes(6).toString('hex')}.`;
  const probe = join(dir, prefix + a);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch {
    return false;
  }
  try {
    const made = lstatSync(probe);
    const found = lstatSync(join(dir, prefix + b), { throwIfNoEntry: false });
    return found !== undefined && found.dev === made.dev && found.ino === made.ino;
  } finally {
    try {
      rmSync(probe, { force: true });
    } catch {
      // A probe left behind is harmless; the answer is what matters.
    }
  }
}
