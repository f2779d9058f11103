/**
 * R8 (QA2 s12): what docs/runtime.md says loadParams takes type-checks in a strict project: tensor
 * objects `{ shape, data }` by name, as readSafetensors(bytes).tensors holds them (a Map) or in an
 * object, on a generated class and on its MapRunner, beside the plain forms. A number where a
 * tensor belongs, and on the class an object missing one of the map's tensors, are still type
 * errors (test/codegen/bindings-types.test.ts holds the class's other misuses).
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';
import { TINY_SOURCE } from '../codegen/tiny-module.js';
import { formatDiagnostics, scratchDir, typeCheck } from '../support/typescript.js';

describe('loadParams types', () => {
  const dir = scratchDir('load-params');

  it('admit tensor objects by name (a Map or an object), the plain forms and bytes; refuse a number for a tensor', () => {
    const compiled = compileModule(TINY_SOURCE, 'tiny.mon');
    const name = compiled.outputs!.moduleName;
    writeFileSync(`${dir}/${name}.ts`, compiled.outputs!.ts);
    writeFileSync(
      `${dir}/user.ts`,
      `import { readSafetensors } from 'monc/runtime';
import { Up } from './${name}.js';
export async function load(bytes: Uint8Array, plain: { readonly 'up.blkdiag1': Float32Array; readonly 'up.blkdiag2': Float32Array }): Promise<void> {
  const up = await Up.create();
  const file = readSafetensors(bytes);
  up.loadParams(file.tensors);
  up.runner.loadParams(file.tensors);
  up.runner.loadParams(Object.fromEntries(file.tensors));
  up.loadParams({ 'up.blkdiag1': file.tensors.get('up.blkdiag1')!, 'up.blkdiag2': plain['up.blkdiag2'] });
  up.loadParams(plain);
  up.loadParams(new Map([['up.blkdiag1', [1, 2]]]));
  up.loadParams(bytes);
  up.loadParams(bytes.buffer as ArrayBuffer);
  // @ts-expect-error a number is no tensor
  up.runner.loadParams({ 'up.blkdiag1': 3 });
  // @ts-expect-error by name on the class: every tensor of the map (a Map is not checked by name)
  up.loadParams({ 'up.blkdiag1': file.tensors.get('up.blkdiag1')! });
  // @ts-expect-error a misspelt name, tensor objects too (R12)
  up.loadParams({ 'up.blkdiag1': file.tensors.get('up.blkdiag1')!, 'up.blkdiag2': file.tensors.get('up.blkdiag2')!, 'up.bias': plain['up.blkdiag1'] });
  // @ts-expect-error a misspelt name in place of a right one
  up.loadParams({ 'up.blkdiag1': plain['up.blkdiag1'], 'up.blkdiagg2': plain['up.blkdiag2'] });
}
`,
    );
    expect(formatDiagnostics(typeCheck([`${dir}/user.ts`]))).toBe('');
  });
});
