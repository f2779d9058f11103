import { describe, expect, it } from 'vitest';
import { bias, chain, denseOf, gaussianMatrix, monarch, project, randomParams, residualConfirmed, sum } from './structures.js';

describe('the independent residual check behind optimal: true', () => {
  const s = monarch(96, 48, 4);
  const w = gaussianMatrix(96, 48, 3);
  const norm2 = w.reduce((a, v) => a + v * v, 0);
  const result = project(s, w);
  const residual2 = result.relativeError ** 2 * norm2;

  it('confirms the residual the projector reports', () => {
    expect(result.optimal).toBe(true);
    expect(residualConfirmed(s, result.params, w, residual2, norm2)).toBe(true);
  });

  it('rejects a report that the parameters do not bear out, either way', () => {
    expect(residualConfirmed(s, result.params, w, residual2 / 20, norm2)).toBe(false);
    expect(residualConfirmed(s, result.params, w, residual2 * 20, norm2)).toBe(false);
    // A target in the class reported as exact, but with other parameters: not confirmed.
    const exact = denseOf(s, randomParams(s, 5));
    const exactNorm2 = exact.reduce((a, v) => a + v * v, 0);
    expect(residualConfirmed(s, randomParams(s, 6), exact, 0, exactNorm2)).toBe(false);
    expect(residualConfirmed(s, project(s, exact).params, exact, 0, exactNorm2)).toBe(true);
  });

  // M is the linear part: beside a bias of 1e20 the image of 0 took every digit of f(x) - f(0) (QA2 s26 Q555's mechanism).
  it('confirms an exact fit beside a large bias', () => {
    const s2 = chain([sum([monarch(16, 16, 4, 'a'), bias(16, 'b')], 's'), monarch(16, 16, 4, 'c')], 'm');
    const params = randomParams(s2, 7);
    for (const [name, v] of params) if (name.includes('bias')) v.fill(1e20);
    const exact = denseOf(s2, params);
    const exactNorm2 = exact.reduce((a, v) => a + v * v, 0);
    expect(residualConfirmed(s2, params, exact, 0, exactNorm2)).toBe(true);
  });
});
