import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';
import { TINY_SOURCE, UP_SHAPES } from './tiny-module.js';
import { formatDiagnostics, scratchDir, typeCheck } from '../support/typescript.js';

const examplesDir = new URL('../../examples/', import.meta.url);

function generatedTs(source: string, file: string): { name: string; ts: string } {
  const result = compileModule(source, file);
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return { name: result.outputs!.moduleName, ts: result.outputs!.ts };
}

describe('generated bindings', () => {
  const dir = scratchDir('types');

  it('type-check under the strictest options, for the test module and every example', () => {
    const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.mon'));
    expect(examples.length).toBeGreaterThan(0);
    const sources: [string, string][] = [['tiny.mon', TINY_SOURCE], ...examples.map((f): [string, string] => [f, readFileSync(new URL(f, examplesDir), 'utf8')])];
    const files = sources.map(([file, source]) => {
      const { name, ts: text } = generatedTs(source, file);
      writeFileSync(`${dir}/${name}.ts`, text);
      return `${dir}/${name}.ts`;
    });
    expect(formatDiagnostics(typeCheck(files))).toBe('');
  });

  it('carry every exported type explicitly, so declarations need no type checker', () => {
    const { ts: text } = generatedTs(TINY_SOURCE, 'tiny.mon');
    const result = ts.transpileDeclaration(text, { fileName: 'tiny.ts', compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } });
    expect(formatDiagnostics(result.diagnostics ?? [])).toBe('');
    expect(result.outputText).toContain('static readonly in = 16;');
    expect(result.outputText).toContain(`readonly 'up.blkdiag2': readonly [4, 8, 4];`);
  });
});

describe('generated bindings reject misuse', () => {
  // Each line marked `// error` must produce a type error, and no other line may.
  const misuse = `import { projectInto } from 'monc/project';
import { Up, up, type UpParams } from './tiny.js';

const inSize: 16 = Up.in;
const outSize: 32 = up.out;
const shape: readonly [${UP_SHAPES['up.blkdiag2'].join(', ')}] = Up.paramShapes['up.blkdiag2'];
export const sizes = [inSize, outSize, shape];

export async function fine(params: UpParams): Promise<Float32Array> {
  const m = await up.create({ backend: 'cpu' });
  m.loadParams(params);
  m.loadParams(new Uint8Array(8));
  return m.forward(new Float32Array(Up.in), 1);
}

export function projected(m: Up): [UpParams, number, boolean] {
  const fit = projectInto(m, new Float64Array(Up.out * Up.in));
  return [fit.params, fit.relativeError, projectInto(m, new Float32Array(Up.out * Up.in), { seed: 1 }).optimal];
}

export const wrongIn: 17 = Up.in; // error
export const wrongShape: readonly [4, 4, 4] = Up.paramShapes['up.blkdiag2']; // error
export const noSuchTensor = Up.paramShapes['up.blkdiag3']; // error

export async function misuse(params: UpParams): Promise<void> {
  const m = await Up.create();
  m.loadParams({ ...params, 'up.blkdiag3': new Float32Array(16) }); // error
  m.loadParams({ 'up.blkdiag1': new Float32Array(64) }); // error
  m.loadParams({ 'up.blkdiag1': [1, 2], 'up.blkdiag2': new Float32Array(128) }); // error
  await m.forward([1, 2, 3]); // error
  projectInto(m, [1, 2, 3]); // error
  projectInto(m, new Float32Array(512)).params['up.blkdiag3']; // error
  await Up.create({ backend: 'cuda' }); // error
}
`;

  const dir = scratchDir('misuse');

  it('with a type error on each misused line', () => {
    const { ts: text } = generatedTs(TINY_SOURCE, 'tiny.mon');
    writeFileSync(`${dir}/tiny.ts`, text);
    writeFileSync(`${dir}/misuse.ts`, misuse);
    const diagnostics = typeCheck([`${dir}/misuse.ts`]);
    const lines = misuse.split('\n');
    const expected = lines.flatMap((line, i) => (line.endsWith('// error') ? [i + 1] : []));
    const actual = diagnostics.map((d) => {
      expect(d.file && basename(d.file.fileName), formatDiagnostics([d])).toBe('misuse.ts');
      return d.file!.getLineAndCharacterOfPosition(d.start!).line + 1;
    });
    expect([...new Set(actual)].sort((a, b) => a - b), formatDiagnostics(diagnostics)).toEqual(expected);
  });
});
