import { describe, expect, it } from 'vitest';
import { denseOf, gaussianMatrix, monarch, project, randomParams, residualConfirmed } from './structures.js';

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
});
