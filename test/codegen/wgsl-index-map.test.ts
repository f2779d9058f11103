/**
 * The field-sum index algebra against the IR's own index-map semantics (src/ir/index-map.ts):
 * applying a map to an index split into loop variables gives the permuted position for every
 * value of the variables, with and without opaque (misaligned) steps.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { affineCoefficient, applyIndexMap, evaluateIndex, renderIndex, rowMajor, splitByVar, substitute } from '../../src/codegen/wgsl/index-map.js';
import { applyIndexMap as applyMapDirectly } from '../../src/ir/index-map.js';
import type { IndexMap } from '../../src/ir/ir.js';
import { randomIndexMap, rng } from '../support/programs.js';

/** Every assignment of the variables (row-major), with the flat index it denotes. */
function* assignments(sizes: readonly number[]): Generator<[Record<string, number>, number]> {
  const total = sizes.reduce((p, s) => p * s, 1);
  for (let flat = 0; flat < total; flat++) {
    const values: Record<string, number> = {};
    let rest = flat;
    for (let k = sizes.length - 1; k >= 0; k--) {
      values[`v${k}`] = rest % sizes[k];
      rest = Math.floor(rest / sizes[k]);
    }
    yield [values, flat];
  }
}

function expectSameAsIr(map: IndexMap, sizes: readonly number[]): void {
  const e = applyIndexMap(map, rowMajor(sizes.map((size, k) => ({ name: `v${k}`, size }))));
  for (const [values, flat] of assignments(sizes)) expect(evaluateIndex(e, values)).toBe(applyMapDirectly(map, flat));
}

describe('index-map expressions', () => {
  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 })], { numRuns: 200 })(
    'match the IR semantics for random maps and variable splits',
    (seed, vars, steps) => {
      const random = rng(seed);
      const sizes = Array.from({ length: vars }, () => 1 + Math.floor(random() * 6));
      const total = sizes.reduce((p, s) => p * s, 1);
      expectSameAsIr(randomIndexMap(total, steps, random), sizes);
    },
  );

  it('the identity is the index itself', () => {
    const e = applyIndexMap({ size: 24, steps: [] }, rowMajor([{ name: 'i', size: 24 }]));
    expect(renderIndex(e)).toBe('i');
  });

  it('a transposed read is an affine stride in the reduction variable (Monarch)', () => {
    // K(1, b, c=4, d=5) reading through transpose(4, 5): logical γ·5 + δ comes from δ·4 + γ.
    const map: IndexMap = { size: 20, steps: [{ shape: [4, 5], perm: [1, 0] }] };
    const e = applyIndexMap(map, rowMajor([{ name: 'g', size: 4 }, { name: 'd', size: 5 }]));
    expectSameAsIr(map, [4, 5]);
    const split = splitByVar(e, 'g')!;
    expect(affineCoefficient(split.part, 'g')).toBe(1);
    expect(renderIndex(split.rest)).toBe('d * 4u');
    expect(substitute(e, { g: 3 }).constant).toBe(3);
  });

  it('misaligned steps fall back to an opaque inner expression and stay exact', () => {
    const map: IndexMap = { size: 12, steps: [{ shape: [2, 6], perm: [1, 0] }, { shape: [3, 4], perm: [1, 0] }] };
    const e = applyIndexMap(map, rowMajor([{ name: 'v0', size: 3 }, { name: 'v1', size: 4 }]));
    expect(e.inner).toBeDefined();
    expect(splitByVar(e, 'v0')).toBeUndefined();
    expectSameAsIr(map, [3, 4]);
    expectSameAsIr(map, [12]);
  });

  it('renders divisions and remainders only where a field needs them', () => {
    const map: IndexMap = { size: 24, steps: [{ shape: [2, 3, 4], perm: [2, 0, 1] }] };
    // Digits (d0, d1, d2) -> (d2, d0, d1): d0 and d1 stay adjacent, so they move as one field.
    expect(renderIndex(applyIndexMap(map, rowMajor([{ name: 'i', size: 24 }])))).toBe('((i % 4u) * 6u + i / 4u)');
    const twoVars = applyIndexMap(map, rowMajor([{ name: 'a', size: 6 }, { name: 'b', size: 4 }]));
    expect(renderIndex(twoVars)).toBe('(a + b * 6u)');
  });
});
