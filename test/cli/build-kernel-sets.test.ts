/**
 * `monc build --kernel-sets`: names checked as a usage error (exit 2); the manifest's maps list the
 * sets named; a note on stderr (and `kernelSetNotes` in --json) where no kept set runs on every adapter.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliJson, scratchDir } from './helpers.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());
const spec = scratch.path('up.mon');
writeFileSync(spec, 'map up : 64 -> 256 = monarch(nblocks: 4)\n');

describe('monc build --kernel-sets', () => {
  it('refuses an unknown set name (usage, exit 2) naming the sets', async () => {
    const r = await cli(['build', spec, '--out', scratch.path('bad'), '--kernel-sets', 'portable,tensorcore', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toEqual({
      kind: 'usage',
      message: "option '--kernel-sets <names>' argument 'portable,tensorcore' is invalid. must be a list of kernel set names, and \"tensorcore\" is none (the sets are tuned, tensor-core, large, portable, f32-storage).",
    });
  });

  it('refuses a map left with none of its sets (exit 1), in words for the command line', async () => {
    const r = await cli(['build', spec, '--out', scratch.path('none'), '--kernel-sets', 'tensor-core']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`monc: error: ${spec}: map 'up': its kernel sets are large, portable, and none of them is among the sets kept (tensor-core); keep one of its sets\n`);
  });

  it('writes the sets named, and says what happens where none of them runs', async () => {
    const portable = await cliJson(['build', spec, '--out', scratch.path('p'), '--forward-only', '--kernel-sets', 'portable']);
    expect(portable.kernelSets).toEqual(['portable']);
    expect(portable.modules[0].kernelSetNotes).toBeUndefined();
    const sets = (dir: string) => JSON.parse(readFileSync(scratch.path(`${dir}/up.json`), 'utf8')).maps[0].kernelSets.map((s: { name: string }) => s.name);
    expect(sets('p')).toEqual(['portable']);

    const large = await cli(['build', spec, '--out', scratch.path('l'), '--forward-only', '--kernel-sets', 'large']);
    expect(large.code).toBe(0);
    expect(sets('l')).toEqual(['large']);
    expect(large.stderr).toBe(
      `monc: ${spec}: map 'up': no kernel set kept runs on every adapter (large needs 512 invocations, 32768 bytes of workgroup storage): on an adapter without that, creating the map fails with a device error ('no kernel set of the build runs on this adapter'); keep portable too for those\n`,
    );
  });
});
