/**
 * REV s25 7: a sum with a term that has no parameters (a transpose; only from code: the DSL's sums refuse such a term,
 * E0507) has that term's M in every result, the zero parameters of 0 rounds included. The alternation started its M at
 * 0, so with `maxRounds: 0` it reported relative error 1 for parameters whose M is the permutation (0.04 from W here).
 */
import { describe, expect, it } from 'vitest';
import { chain, denseOf, gaussianMatrix, monarch, project, ref, relativeDistance, sum, transpose } from './structures.js';

describe('a sum with a term without parameters', () => {
  const up = monarch(16, 16, 4, 'up');
  const s = sum([transpose(4, 4, 't'), chain([ref(up), ref(up)], 'uu')], 's');
  const zero = new Map([...project(s, new Float64Array(256), { maxRounds: 0 }).params].map(([name, v]) => [name, new Float64Array(v.length)]));
  const noise = gaussianMatrix(16, 16, 1);
  const w = denseOf(s, zero).map((v, i) => v + 0.01 * noise[i]);

  it.each([0, 1, 3])('reports the error of the parameters it returns, with maxRounds %i', (maxRounds) => {
    const r = project(s, w, { maxRounds });
    expect(r.relativeError).toBeCloseTo(relativeDistance(denseOf(s, r.params), w), 9);
    expect(r.relativeError).toBeLessThan(0.05);
  });

  it('names the fixed term in the method', () => {
    expect(project(s, w, { maxRounds: 0 }).method).toMatch(/alternating projection, 0 rounds \[fixed permutation/);
  });
});
