/**
 * Two outputs of one command that are one file, as the file system compares names
 * (same-target.ts, used by writeOutputs): spelled differently through `..` or a directory link,
 * or differing only in case on a case-insensitive file system (macOS, Windows), where the second
 * rename would replace the first output. This machine's file system is case-sensitive, so the
 * case-insensitive one is the directory oracle `sameName` answering as APFS/NTFS do; the real
 * oracle (a probe file) is checked against what this file system does.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probeSameName, sameTarget, type NameComparison } from '../../src/node/files/same-target.js';
import { writeOutputs } from '../../src/node/files/write-outputs.js';
import { FileError } from '../../src/node/files/file-error.js';

/** A case-insensitive directory: names equal once lower-cased are one entry. */
const insensitive: NameComparison = (_dir, a, b) => a.toLowerCase() === b.toLowerCase();
/** A case-sensitive one: only equal names are. */
const sensitive: NameComparison = (_dir, a, b) => a === b;

const made: string[] = [];
function scratch(): string {
  made.push(mkdtempSync(join(tmpdir(), 'monc-same-target-')));
  return made[made.length - 1];
}
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('sameTarget', () => {
  it('finds outputs that differ only in case on a case-insensitive file system, in existing and missing directories', () => {
    const dir = scratch();
    mkdirSync(join(dir, 'gen'));
    writeFileSync(join(dir, 'gen', 'Ffn.ts'), 'old');
    const asked: string[][] = [];
    const spy: NameComparison = (d, a, b) => (asked.push([d, a, b]), insensitive(d, a, b));
    expect(sameTarget([join(dir, 'gen/Ffn.ts'), join(dir, 'gen/x.ts'), join(dir, 'gen/ffn.ts')], spy)).toEqual([0, 2]);
    // The directory asked is the one holding the names: an existing parent, asked once.
    expect(asked).toEqual([[join(dir, 'gen'), 'Ffn.ts', 'ffn.ts']]);
    // Below a directory that does not exist yet, the names below the deepest existing one are compared.
    expect(sameTarget([join(dir, 'new/Out/a.ts'), join(dir, 'new/out/a.ts')], insensitive)).toEqual([0, 1]);
    expect(sameTarget([join(dir, 'new/Out/a.ts'), join(dir, 'new/out/a.ts')], sensitive)).toBeUndefined();
    expect(sameTarget([join(dir, 'gen/Ffn.ts'), join(dir, 'gen/ffn.ts')], sensitive)).toBeUndefined();
    // Names that do not fold alike are two files whatever the file system; the oracle is not asked.
    expect(sameTarget([join(dir, 'gen/a.ts'), join(dir, 'gen/b.ts'), join(dir, 'new/a.ts')], () => expect.unreachable())).toBeUndefined();
  });

  it('finds one file spelled two ways (a directory link, ..) whatever the case rule', () => {
    const dir = scratch();
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    expect(sameTarget([join(dir, 'real/a.ts'), join(dir, 'link/a.ts')], sensitive)).toEqual([0, 1]);
    expect(sameTarget([join(dir, 'real/a.ts'), join(dir, 'real/../real/a.ts')], sensitive)).toEqual([0, 1]);
  });

  it("asks this file system as it is: one name is one entry, and this machine's file system tells case apart", () => {
    const dir = scratch();
    expect(probeSameName(dir, 'Ffn.ts', 'Ffn.ts')).toBe(true);
    expect(probeSameName(dir, 'Ffn.ts', 'ffn.ts')).toBe(false); // ext4/tmpfs without casefold
    expect(readdirSync(dir)).toEqual([]); // no probe left behind
  });
});

describe('writeOutputs', () => {
  it('refuses two outputs that are one file, naming both, and writes nothing', () => {
    const dir = scratch();
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    const files = [
      { path: join(dir, 'real/m.json'), data: 'a', shownAs: 'real/m.json' },
      { path: join(dir, 'link/m.json'), data: 'b', shownAs: 'link/m.json' },
    ];
    expect(() => writeOutputs(files)).toThrow(new FileError("cannot write 'link/m.json': it is the same file as 'real/m.json', also written by this command"));
    expect(readdirSync(join(dir, 'real'))).toEqual([]);
  });

  it('writes two outputs that differ only in case where the file system tells them apart', () => {
    const dir = scratch();
    writeOutputs([
      { path: join(dir, 'gen/Ffn.ts'), data: 'upper' },
      { path: join(dir, 'gen/ffn.ts'), data: 'lower' },
    ]);
    expect(readFileSync(join(dir, 'gen/Ffn.ts'), 'utf8')).toBe('upper');
    expect(readFileSync(join(dir, 'gen/ffn.ts'), 'utf8')).toBe('lower');
    expect(readdirSync(join(dir, 'gen')).sort()).toEqual(['Ffn.ts', 'ffn.ts']);
  });
});
