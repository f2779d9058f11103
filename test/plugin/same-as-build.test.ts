/**
 * The plugin gives the same module as `monc build`: its output is the `<module>.ts` that the CLI
 * writes, with the types erased (the same WGSL, manifest and bindings, masks and the tuning
 * database read the same way).
 */
import { afterEach, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monc } from '../../src/plugin/index.js';
import { eraseTypes } from '../../src/plugin/compile-mon.js';
import { writeNpy } from '../../src/runtime/formats/npy.js';
import { cli } from '../cli/helpers.js';
import { tempProject, tunedDb, type TempProject } from './fixtures.js';

let project: TempProject | undefined;
afterEach(() => project?.remove());

it('loads a .mon file as the module monc build writes, types erased', async () => {
  project = tempProject({
    'specs/sp.mon': `module sp
map s   : 32 -> 32 = sparse(block: 8, pattern: "mask.npy") + lowrank(rank: 2)
map fly : 32 -> 32 = butterfly(radix: 2)
`,
  });
  writeFileSync(join(project.root, 'specs/mask.npy'), writeNpy([1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1], [4, 4]));
  const spec = join(project.root, 'specs/sp.mon');
  const tuning = project.write('tuning.json', tunedDb(spec).text);
  const built = await cli(['build', spec, '--out', join(project.root, 'out'), '--tuning', tuning]);
  expect(built.code, built.stderr).toBe(0);

  const plugin = monc.raw({ tuning }, { framework: 'rollup', versions: {} });
  const watched: string[] = [];
  const context = { addWatchFile: (f: string) => watched.push(f), warn: () => {}, error: (e: unknown) => { throw e; } };
  const load = plugin.load as unknown as (this: typeof context, id: string) => { code: string };
  const loaded = load.call(context, spec);

  expect(loaded.code).toBe(eraseTypes(readFileSync(join(project.root, 'out/sp.ts'), 'utf8'), 'sp'));
  expect(loaded.code).toContain("from 'monc/runtime'");
  // …with the tuned schedule, not the default.
  expect(JSON.parse(readFileSync(join(project.root, 'out/sp.json'), 'utf8')).maps[0].kernels[0].schedule).toEqual(tunedDb(spec).schedule);
  expect(watched).toEqual([spec, join(project.root, 'specs/mask.npy'), tuning]);
});

it('with kernelSets, loads what monc build --kernel-sets writes, and warns as it notes', async () => {
  project = tempProject({ 'up.mon': 'map up : 64 -> 256 = monarch(nblocks: 4)\n' });
  const spec = join(project.root, 'up.mon');
  const built = await cli(['build', spec, '--out', join(project.root, 'out'), '--forward-only', '--kernel-sets', 'large']);
  expect(built.code, built.stderr).toBe(0);
  const plugin = monc.raw({ tuning: false, dts: false, forwardOnly: true, kernelSets: ['large'] }, { framework: 'rollup', versions: {} });
  const warnings: string[] = [];
  const context = { addWatchFile: () => {}, warn: (w: string) => warnings.push(w), error: (e: unknown) => { throw e; } };
  const load = plugin.load as unknown as (this: typeof context, id: string) => { code: string };
  expect(load.call(context, spec).code).toBe(eraseTypes(readFileSync(join(project.root, 'out/up.ts'), 'utf8'), 'up'));
  expect(warnings).toEqual([built.stderr.slice('monc: '.length, -1)]);

  // QA s14 Q32: the refusal of a map left with no set was a throw in the hook: no plugin, no module, a bundler stack.
  const refused = monc.raw({ tuning: false, dts: false, kernelSets: ['tensor-core'] }, { framework: 'rollup', versions: {} });
  const errorOf = (): unknown => {
    try {
      (refused.load as unknown as (this: typeof context, id: string) => unknown).call(context, spec);
    } catch (e) {
      return e;
    }
    return undefined;
  };
  expect(errorOf()).toMatchObject({
    id: spec,
    loc: { file: spec, line: 1, column: 0 },
    message: `monc: ${spec}: map 'up': its kernel sets are large, portable, and none of them is among the sets kept (tensor-core); keep one of its sets`,
  });
});
