/**
 * An edit made while the plugin compiles a spec (a large spec's compile takes a while): the spec and the mask files it
 * read are the inputs, and the bundler takes the result as theirs. esbuild records a watched file as it is once onLoad
 * returns, and Rollup (and `vite build --watch`) arm their watchers after the first build: an edit of the spec or of a
 * mask made during the compile left the old map in the bundle with no rebuild to come (as QA1 s27 Q601 for `monc build
 * --watch`). compileMonFile compiles again while a file it read holds other bytes than the compile read.
 */
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { TuningLookup } from '../../src/compile-kernels.js';
import { compileMonFile } from '../../src/plugin/compile-mon.js';
import { writeNpy } from '../../src/runtime/formats/npy.js';
import { tempProject, type TempProject } from './fixtures.js';

let project: TempProject | undefined;
afterEach(() => {
  project?.remove();
  project = undefined;
});

const spec = (rank: number) => `module sp\nmap s : 16 -> 16 = sparse(block: 8, pattern: "mask.npy") + lowrank(rank: ${rank})\n`;
const paramCount = (code: string) => Number(/"paramCount": ?(\d+)/.exec(code)![1]);

/** A tuning lookup that makes `edit` on its first call: the compile asks it once the spec and its masks were read. */
function editingOnce(edit: () => void): TuningLookup {
  let done = false;
  return () => {
    if (!done) (done = true), edit();
    return undefined;
  };
}

/**
 * `file` rewritten with `content` in place, and its modification time put back: a write in the same clock tick as the
 * one before it, on a kernel whose file times are coarse (REV28-2: Linux before 6.13 takes them from a 1-10 ms tick),
 * and of the same size, leaves nothing but the bytes to tell it by.
 */
function sameTickEdit(file: string, content: string | Uint8Array): void {
  writeFileSync(file, content);
  utimesSync(file, TICK, TICK);
}
const TICK = new Date(1_700_000_000_000);

it.each([
  ['the spec', (root: string) => sameTickEdit(join(root, 'sp.mon'), spec(3)), 2 * 64 + 2 * 48],
  ['its mask file', (root: string) => sameTickEdit(join(root, 'mask.npy'), writeNpy([1, 1, 0, 1], [2, 2])), 3 * 64 + 2 * 32],
])('an edit of %s made while it compiles is compiled too, even one of the same size in the same clock tick', (_what, edit, expected) => {
  project = tempProject({ 'sp.mon': spec(2) });
  writeFileSync(join(project.root, 'mask.npy'), writeNpy([1, 0, 0, 1], [2, 2]));
  const { root } = project;
  for (const file of ['sp.mon', 'mask.npy']) utimesSync(join(root, file), TICK, TICK);
  const result = compileMonFile(join(root, 'sp.mon'), { runtimeImport: 'monc/runtime', tuning: editingOnce(() => edit(root)) });
  expect(result.ok).toBe(true);
  expect(paramCount(result.ok ? result.code : '')).toBe(expected);
  // Unedited, one compile as before.
  expect(paramCount((compileMonFile(join(root, 'sp.mon'), { runtimeImport: 'monc/runtime' }) as { code: string }).code)).toBe(expected);
});
