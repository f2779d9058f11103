/**
 * The declarations the plugin writes make a `.mon` import fully typed: a TS file that uses the
 * maps correctly type-checks; a wrong parameter name or a wrong size is a type error at the
 * line of the misuse. Checked with the TypeScript compiler under bundler resolution, with
 * `monc/runtime` mapped to the runtime's source.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rollup } from 'rollup';
import { monc } from '../../src/plugin/index.js';
import { FFN_MON, REPO } from './fixtures.js';
import { typeErrors, type TypeError } from './type-check.js';

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

let dir: string;
/** Type errors per checked file name. */
let errorsByFile: Map<string, TypeError[]>;

beforeAll(async () => {
  // Inside the repository (.tmp/ is ignored) so that node_modules/@webgpu/types resolves.
  mkdirSync(join(REPO, '.tmp'), { recursive: true });
  dir = mkdtempSync(join(REPO, '.tmp', 'types-'));
  writeFileSync(join(dir, 'ffn.mon'), FFN_MON);
  writeFileSync(join(dir, 'entry.js'), `export * from './ffn.mon';\n`);
  // A build writes ffn.mon.d.ts beside the spec, as in a user's project.
  const bundle = await rollup({ input: join(dir, 'entry.js'), plugins: [monc.rollup()], external: ['monc/runtime'] });
  await bundle.close();

  // One program for every case, each in its own module.
  const cases: Record<string, string> = { good: GOOD, ...Object.fromEntries(Object.entries(BAD).map(([name, c]) => [name, c.code])) };
  const files = Object.keys(cases).map((name, i) => {
    const file = join(dir, `use${i}.ts`);
    writeFileSync(file, cases[name]);
    return [name, file] as const;
  });
  const errors = typeErrors(files.map(([, file]) => file));
  errorsByFile = new Map(files.map(([name, file]) => [name, errors.get(file)!]));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('type-checks correct use of the imported maps', () => {
  expect(errorsByFile.get('good')).toEqual([]);
});

it.each(Object.entries(BAD))('rejects a %s at the line of the misuse', (name, { line }) => {
  const errors = errorsByFile.get(name)!;
  expect(errors.length, JSON.stringify(errors)).toBeGreaterThan(0);
  expect(errors.every((e) => e.line === line), JSON.stringify(errors)).toBe(true);
});
