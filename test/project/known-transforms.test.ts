import { describe, expect, it } from 'vitest';
import { hadamard } from './hadamard.js';
import { butterfly, denseOf, monarch, project, randomParams, relativeDistance } from './structures.js';

describe('known transforms project exactly', () => {
  for (const k of [4, 6, 8]) {
    const n = 2 ** k;
    it(`Hadamard ${n} onto monarch(nblocks: ${2 ** (k / 2)})`, () => {
      const s = monarch(n, n, 2 ** (k / 2));
      const w = hadamard(n);
      const result = project(s, w);
      expect(result.optimal).toBe(true);
      expect(result.relativeError).toBeLessThanOrEqual(1e-5);
      expect(relativeDistance(denseOf(s, result.params), w)).toBeLessThanOrEqual(1e-5);
    });
    it(`Hadamard ${n} onto butterfly(radix: 2), both strides`, () => {
      for (const stride of ['increasing', 'decreasing'] as const) {
        const s = butterfly(n, 2, stride);
        const w = hadamard(n);
        const result = project(s, w, { maxRounds: 0 });
        expect(result.relativeError).toBeLessThanOrEqual(1e-5);
        expect(relativeDistance(denseOf(s, result.params), w)).toBeLessThanOrEqual(1e-5);
        // Refinement stops at once where the factorization is already exact to 1e-9 (QA2 s15 R41: it ran all 10 rounds).
        const refined = project(s, w);
        expect(refined.method).toMatch(/\+ 0 refinement rounds$/);
        expect(refined.relativeError).toBeLessThanOrEqual(1e-9);
      }
    });
  }

  for (const [n, radix] of [[64, 2], [256, 4], [16, 2]] as const)
    it(`a random increasing butterfly (n ${n}, radix ${radix}) is a monarch with nblocks √n`, () => {
      const b = butterfly(n, radix);
      const w = denseOf(b, randomParams(b, n + radix));
      const s = monarch(n, n, Math.sqrt(n));
      const result = project(s, w);
      expect(result.relativeError).toBeLessThanOrEqual(1e-5);
      expect(relativeDistance(denseOf(s, result.params), w)).toBeLessThanOrEqual(1e-5);
    });
});
