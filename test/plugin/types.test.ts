/**
 * The declarations the plugin writes make a `.mon` import fully typed: a TS file that uses the
 * maps correctly type-checks; a wrong parameter name or a wrong size is a type error at the
 * line of the misuse. Checked with the TypeScript compiler under bundler resolution and under
 * node16 in an ECMAScript-module project (`allowArbitraryExtensions`, which reads
 * `ffn.d.mon.ts`), with `monc/runtime` mapped to the runtime's source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rollup } from 'rollup';
import { monc } from '../../src/plugin/index.js';
import { FFN_MON, REPO } from './fixtures.js';
import { typeErrors, type Resolution, type TypeError } from './type-check.js';

const GOOD = `import { up, Up, mixer, type UpParams } from './ffn.mon';

export async function main(): Promise<Float32Array> {
  const map = await up.create({ backend: 'cpu' });
  const params: UpParams = { 'up.blkdiag1': new Float32Array(64), 'up.blkdiag2': new Float32Array(128) };
  map.loadParams(params);
  const width: 32 = Up.out;
  const shape: readonly [4, 8, 4] = Up.paramShapes['up.blkdiag2'];
  const mix = await mixer.create();
  mix.loadParams({ 'mixer.twiddle': new Float32Array(128) });
  return map.forward(new Float32Array(3 * Up.in), width / shape[1]);
}
`;

/** Each misuse on its own line, with the line number the compiler must blame. */
const BAD: Record<string, { code: string; line: number }> = {
  'wrong parameter name': {
    code: `import { up } from './ffn.mon';
const map = await up.create();
map.loadParams({ 'up.blkdiag1': new Float32Array(64), 'up.blkdiag3': new Float32Array(128) });
`,
    line: 3,
  },
  'missing parameter': {
    code: `import { Up } from './ffn.mon';
const map = await Up.create();
map.loadParams({ 'up.blkdiag1': new Float32Array(64) });
`,
    line: 3,
  },
  'wrong output size': {
    code: `import { Up } from './ffn.mon';
const width: 16 = Up.out;
`,
    line: 2,
  },
  'wrong parameter shape': {
    code: `import { Up } from './ffn.mon';
const shape: readonly [4, 4, 4] = Up.paramShapes['up.blkdiag2'];
`,
    line: 2,
  },
};

/**
 * Each resolution in a project of its own, with the plugin's declarations for it: bundler reads
 * `ffn.mon.d.ts` (the default); node16 in an ESM project (the repository's package.json says
 * `"type": "module"`) reads `ffn.d.mon.ts` (`dts: 'arbitrary-extension'`).
 */
const PROJECTS = [
  { resolution: 'bundler', dts: true, file: 'ffn.mon.d.ts', other: 'ffn.d.mon.ts' },
  { resolution: 'node16', dts: 'arbitrary-extension', file: 'ffn.d.mon.ts', other: 'ffn.mon.d.ts' },
] as const;
const RESOLUTIONS: readonly Resolution[] = PROJECTS.map((p) => p.resolution);
const dirs = new Map<Resolution, string>();
/** Type errors per resolution, per checked file name. */
const errorsByFile = new Map<Resolution, Map<string, TypeError[]>>();

beforeAll(async () => {
  // Inside the repository (.tmp/ is ignored) so that node_modules/@webgpu/types resolves.
  mkdirSync(join(REPO, '.tmp'), { recursive: true });
  for (const { resolution, dts } of PROJECTS) {
    const dir = mkdtempSync(join(REPO, '.tmp', 'types-'));
    dirs.set(resolution, dir);
    writeFileSync(join(dir, 'ffn.mon'), FFN_MON);
    writeFileSync(join(dir, 'entry.js'), `export * from './ffn.mon';\n`);
    // A build writes the declarations beside the spec, as in a user's project.
    const bundle = await rollup({ input: join(dir, 'entry.js'), plugins: [monc.rollup({ dts })], external: ['monc/runtime'] });
    await bundle.close();

    // One program for every case, each in its own module.
    const cases: Record<string, string> = { good: GOOD, ...Object.fromEntries(Object.entries(BAD).map(([name, c]) => [name, c.code])) };
    const files = Object.keys(cases).map((name, i) => {
      const file = join(dir, `use${i}.ts`);
      writeFileSync(file, cases[name]);
      return [name, file] as const;
    });
    const errors = typeErrors(files.map(([, file]) => file), resolution);
    errorsByFile.set(resolution, new Map(files.map(([name, file]) => [name, errors.get(file)!])));
  }
});

afterAll(() => {
  for (const dir of dirs.values()) rmSync(dir, { recursive: true, force: true });
});

it.each(PROJECTS)('writes one declaration file for $resolution resolution: $file', ({ resolution, file, other }) => {
  expect(existsSync(join(dirs.get(resolution)!, file))).toBe(true);
  // Both would break bundler resolution without allowArbitraryExtensions: it reads ffn.d.mon.ts first.
  expect(existsSync(join(dirs.get(resolution)!, other))).toBe(false);
});

describe.each(RESOLUTIONS)('moduleResolution %s', (resolution) => {
  it('type-checks correct use of the imported maps', () => {
    expect(errorsByFile.get(resolution)!.get('good')).toEqual([]);
  });

  it.each(Object.entries(BAD))('rejects a %s at the line of the misuse', (name, { line }) => {
    const errors = errorsByFile.get(resolution)!.get(name)!;
    expect(errors.length, JSON.stringify(errors)).toBeGreaterThan(0);
    expect(errors.every((e) => e.line === line), JSON.stringify(errors)).toBe(true);
  });
});
