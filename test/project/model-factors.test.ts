/**
 * Projection reads the model: its factors come from the model's nodes (K(a,b,c,d) and block-sparse
 * factors; transposes folded into a neighbour), and tied uses of one map are one term.
 */
import { describe, expect, it } from 'vitest';
import { modelOfStructure } from '../../src/model/build.js';
import { chainDense, factorChain } from '../../src/project/factors.js';
import { blockdiag, chain, denseOf, project, randomParams, ref, relativeDistance, sparse, sum, transpose } from './structures.js';

describe('factors of a model', () => {
  it('fold a transpose between two factors into one of them: two factors whose product is the reference M', () => {
    const s = chain([blockdiag(24, 24, 4, 'm.0'), transpose(4, 6, 'm.1'), sparse(24, 24, 6, 6, (i, j) => i !== j, 'offdiag', 'm.2')]);
    const model = modelOfStructure(s);
    const params = randomParams(s, 8);
    const { factors, fixed } = factorChain(model.body);
    expect(fixed).toBeUndefined();
    expect(factors.map((f) => f.tensor)).toEqual(['m.0.weight', 'm.2.values']);
    const values = factors.map((f) => params.get(f.tensor)!.slice(f.offset, f.offset + f.row.length));
    expect(relativeDistance(chainDense(factors, values), denseOf(s, params))).toBeLessThan(1e-12);
  });

  it('project a W in the class of blockdiag @ transpose @ blockdiag back exactly, by the two-factor closed form', () => {
    const s = chain([blockdiag(36, 36, 6, 'm.0'), transpose(6, 6, 'm.1'), blockdiag(36, 36, 6, 'm.2')]);
    const w = denseOf(s, randomParams(s, 9));
    const result = project(s, w);
    expect(result.relativeError).toBeLessThan(1e-9);
    expect(result.optimal).toBe(true);
    expect(result.method).toBe('two-factor block SVD');
  });

  it('fit a map used twice in a sum (a + a) as one term: W = 2·M_a gives M_a back', () => {
    const a = blockdiag(12, 12, 3, 'a');
    const params = randomParams(a, 10);
    const w = denseOf(a, params).map((v) => 2 * v);
    const result = project(sum([ref(a), ref(a)]), w);
    expect(result.relativeError).toBeLessThan(1e-12);
    expect([...result.params.keys()]).toEqual(['a.weight']);
    expect(relativeDistance(result.params.get('a.weight')!, params.get('a.weight')!)).toBeLessThan(1e-12);
  });
});
