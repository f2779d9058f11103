/**
 * The examples say what they contain; these tests hold them to it (the full GPU run of every
 * example is `npm run examples`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSource, paramsOf } from '../../src/dsl/index.js';
import type { CheckedModule } from '../../src/dsl/structure.js';
import { initParams } from '../../src/runtime/init.js';
import { relativeError } from '../../src/tuner/op-reference.js';
import { referenceApply } from '../support/reference.js';

const dir = join(import.meta.dirname, '../../examples');
const load = (name: string): CheckedModule => {
  const file = join(dir, name);
  const { module, diagnostics } = checkSource(readFileSync(file, 'utf8'), file);
  expect(diagnostics).toEqual([]);
  return module!;
};
const map = (m: CheckedModule, name: string) => m.maps.find((x) => x.name === name)!;

describe('examples', () => {
  it.each(readdirSync(dir).filter((f) => f.endsWith('.mon')))('%s checks without diagnostics', (name) => {
    expect(load(name).maps.length).toBeGreaterThan(0);
  });

  it('monarch-explicit: raw = P L Pᵀ R equals monarch(nblocks: 32) with blkdiag1 = raw.3.weight, blkdiag2 = raw.1.weight', () => {
    const m = load('monarch-explicit.mon');
    const raw = map(m, 'raw');
    const params = initParams(paramsOf(raw.structure), 11);
    const tied = new Map([...params, ['builtin.blkdiag1', params.get('raw.3.weight')!], ['builtin.blkdiag2', params.get('raw.1.weight')!]]);
    const x = Float64Array.from({ length: 2 * 1024 }, (_, i) => Math.cos(i));
    const want = referenceApply(raw.structure, params, x, 2);
    expect(relativeError(referenceApply(map(m, 'builtin').structure, tied, x, 2), want)).toBeLessThan(1e-12);
  });

  it('the parameter tensors are the ones the comments list', () => {
    const shapes = (file: string, name: string) => Object.fromEntries(paramsOf(map(load(file), name).structure).map((p) => [p.name, p.shape]));
    expect(shapes('ffn.mon', 'up')).toEqual({ 'up.0.blkdiag1': [4, 256, 256], 'up.0.blkdiag2': [4, 1024, 256], 'up.1.bias': [4096] });
    expect(shapes('ffn.mon', 'down')).toEqual({ 'down.0.blkdiag1': [4, 256, 1024], 'down.0.blkdiag2': [4, 256, 256], 'down.1.bias': [1024] });
    expect(Object.keys(shapes('ffn.mon', 'ffn'))).toEqual(['down.0.blkdiag1', 'down.0.blkdiag2', 'down.1.bias', 'up.0.blkdiag1', 'up.0.blkdiag2', 'up.1.bias']);
    expect(shapes('butterfly-mixer.mon', 'mix2')).toEqual({ 'mix2.twiddle': [10, 512, 2, 2] });
    expect(shapes('butterfly-mixer.mon', 'mix4')).toEqual({ 'mix4.twiddle': [4, 64, 4, 4] });
    expect(shapes('monarch-order3.mon', 'deep')).toEqual({ 'deep.factor0': [256, 16, 16], 'deep.factor1': [256, 16, 16], 'deep.factor2': [256, 16, 16] });
    expect(shapes('monarch-order3.mon', 'mixed')).toEqual({ 'mixed.factor0': [512, 8, 8], 'mixed.factor1': [256, 16, 16], 'mixed.factor2': [128, 32, 32] });
    expect(shapes('pixelfly.mon', 'pf')).toEqual({ 'pf.0.values': [96, 32, 32], 'pf.1.U': [1024, 32], 'pf.1.V': [32, 1024] });
  });
});
