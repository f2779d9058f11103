/**
 * The plugin's `forwardOnly` option: a `.mon` import compiles to what `monc build --forward-only`
 * writes (types erased), and the bundle's maps run forward against the float64 reference while
 * training them is refused with the error that names the option.
 */
import { afterEach, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { monc, type MoncPluginOptions } from '../../src/plugin/index.js';
import { eraseTypes } from '../../src/plugin/compile-mon.js';
import { cli } from '../cli/helpers.js';
import { randomArray, relativeError, rng } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';
import { userErrorOf } from '../support/user-error.js';
import { esbuildMain, FFN_MON, tempProject, type TempProject } from './fixtures.js';
// The bundle runs on the CPU backend, an opt-in entry of the runtime (monc/runtime/cpu). The
// forward-only refusal is the training entry's (since 9dc4d5e; without it a training call names
// that import first): loaded here, not left to whichever file ran before in the shared worker.
import '../../src/runtime/cpu.js';
import '../../src/runtime/training.js';

let project: TempProject | undefined;
afterEach(() => project?.remove());

/** The module the plugin loads for `spec` with `options` (the Rollup hook, called directly). */
function pluginLoad(spec: string, options: MoncPluginOptions): string {
  const plugin = monc.raw(options, { framework: 'rollup', versions: {} });
  const context = { addWatchFile: () => {}, warn: () => {}, error: (e: unknown) => { throw e; } };
  const load = plugin.load as unknown as (this: typeof context, id: string) => { code: string };
  return load.call(context, spec).code;
}

it('loads a .mon file as monc build --forward-only writes it, smaller than the full module', async () => {
  project = tempProject({ 'ffn.mon': FFN_MON });
  const spec = join(project.root, 'ffn.mon');
  const built = await cli(['build', spec, '--out', join(project.root, 'out'), '--forward-only']);
  expect(built.code, built.stderr).toBe(0);
  const forward = pluginLoad(spec, { tuning: false, dts: false, forwardOnly: true });
  expect(forward).toBe(eraseTypes(readFileSync(join(project.root, 'out/ffn.ts'), 'utf8'), 'ffn'));
  expect(forward.length * 2).toBeLessThan(pluginLoad(spec, { tuning: false, dts: false }).length);
  expect(pluginLoad(spec, { tuning: false, dts: false, forwardOnly: false })).toBe(pluginLoad(spec, { tuning: false, dts: false }));
});

it('bundles (esbuild) maps that run forward as the reference does and refuse training', async () => {
  project = tempProject({ 'ffn.mon': FFN_MON, 'main.js': `export { Up } from './ffn.mon';\n` });
  const out = await esbuildMain(project, { tuning: false, forwardOnly: true });
  const { Up } = await import(pathToFileURL(out).href);
  expect(Up.manifest.forwardOnly).toBe(true);
  const up = await Up.create({ backend: 'cpu' });
  const params = new Map<string, Float32Array>(Up.manifest.params.map((p: { name: string; shape: number[] }, i: number) => [p.name, randomArray(p.shape.reduce((a, b) => a * b, 1), rng(i))]));
  up.loadParams(Object.fromEntries(params));
  const x = randomArray(3 * Up.in, rng(9));
  expect(relativeError(await up.forward(x, 3), referenceApply(Up.manifest.model, params, x, 3))).toBeLessThan(1e-5);
  const refused = await userErrorOf(() => up.backward(x, randomArray(3 * Up.out, rng(10)), 3));
  expect(refused.message).toContain('rebuild it without --forward-only (monc build) or forwardOnly (bundler plugin');
  await userErrorOf(() => Up.create({ backend: 'cpu', training: true }));
});

it('refuses a forwardOnly that is not a boolean (a string from the environment, say) rather than building every kernel', () => {
  for (const value of ['1', 1, null]) {
    expect(() => monc.rollup({ forwardOnly: value as unknown as boolean }), String(value)).toThrow(`monc plugin: option forwardOnly must be true or false, not ${JSON.stringify(value)}`);
  }
});
