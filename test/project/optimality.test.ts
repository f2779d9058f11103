/**
 * For the closed forms, the reported error must equal the optimum computed here independently:
 * which cells each structure can reach and with what rank, written from SPEC §3 in the test, and
 * singular values by cyclic Jacobi (not the projector's Lanczos/bisection path).
 */
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { paramsOf } from '../../src/model/build.js';
import type { Structure } from '../../src/dsl/structure.js';
import { tailEnergy } from './jacobi.js';
import {
  band, blockdiag, dense, denseOf, flatButterfly, gaussianMatrix, ks, lowrank, monarch, project, randomPattern, relativeDistance, sparse,
} from './structures.js';

const energy = (w: ArrayLike<number>) => Array.from(w).reduce((s, v) => s + v * v, 0);

/**
 * monarch(nblocks: k) = K(1,s,r,k)[blkdiag2] · K(k,q,p,1)[blkdiag1]. Output row β·k + δ reads
 * intermediate t = γ·k + δ (γ < r); t lies in input block α = ⌊t/q⌋. So sub-block (δ, α) — rows
 * {β·k + δ}, columns {α·p + j} — is a sum over t ≡ δ (mod k) in [α·q, (α+1)·q) of rank-1 terms,
 * each t used by one sub-block only: its best fit is the truncated SVD at that rank.
 */
function monarchOptimum(w: Float64Array, out: number, inp: number, k: number): number {
  const p = inp / k;
  const s = out / k;
  const q = inp <= out ? p : s;
  let missed = 0;
  for (let delta = 0; delta < k; delta++)
    for (let alpha = 0; alpha < k; alpha++) {
      let rank = 0;
      for (let t = alpha * q; t < (alpha + 1) * q; t++) if (t % k === delta) rank++;
      const block = new Float64Array(s * p);
      for (let beta = 0; beta < s; beta++) for (let j = 0; j < p; j++) block[beta * p + j] = w[(beta * k + delta) * inp + alpha * p + j];
      missed += tailEnergy(block, s, p, rank);
    }
  return Math.sqrt(missed / energy(w));
}

/** A structure with one factor reaches exactly the cells of its support: the rest is missed. */
function maskedOptimum(s: Structure, w: Float64Array): number {
  const ones = new Map(paramsOf(s).map((p) => [p.name, new Float64Array(p.shape.reduce((a, b) => a * b, 1)).fill(1)]));
  const reach = denseOf(s, ones);
  let missed = 0;
  for (let i = 0; i < w.length; i++) if (reach[i] === 0) missed += w[i] * w[i];
  return Math.sqrt(missed / energy(w));
}

describe('closed forms are optimal on Gaussian matrices', () => {
  for (const [out, inp, k] of [
    [64, 64, 8],
    [36, 36, 4],
    [30, 20, 5],
    [96, 48, 4],
    [48, 96, 4],
    [24, 72, 6],
  ] as const)
    it(`monarch ${inp} -> ${out}, nblocks ${k}`, () => {
      const s = monarch(out, inp, k);
      const w = gaussianMatrix(out, inp, out * 7 + inp);
      const result = project(s, w);
      expect(result.optimal).toBe(true);
      expect(Math.abs(result.relativeError - monarchOptimum(w, out, inp, k))).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(relativeDistance(denseOf(s, result.params), w) - result.relativeError)).toBeLessThanOrEqual(1e-9);
    });

  for (const [out, inp, r] of [
    [40, 30, 5],
    [17, 50, 3],
    [64, 64, 20],
  ] as const)
    it(`lowrank ${inp} -> ${out}, rank ${r}: the singular value tail (Eckart–Young)`, () => {
      const s = lowrank(out, inp, r);
      const w = gaussianMatrix(out, inp, r);
      const result = project(s, w);
      expect(result.optimal).toBe(true);
      expect(Math.abs(result.relativeError - Math.sqrt(tailEnergy(w, out, inp, r) / energy(w)))).toBeLessThanOrEqual(1e-6);
    });

  const masked: [string, Structure][] = [
    ['dense', dense(9, 7)],
    ['ks(3,2,4,2)', ks(3, 2, 4, 2)],
    ['blockdiag', blockdiag(12, 30, 3)],
    ['sparse flat_butterfly', sparse(32, 32, 4, 4, flatButterfly(2), 'flat_butterfly(factors: 2)')],
    ['sparse band', sparse(30, 24, 5, 4, band(2), 'band(width: 2)')],
    ['sparse random', sparse(24, 24, 3, 3, randomPattern(0.3, 3), 'random(density: 0.3, seed: 3)')],
  ];
  for (const [name, s] of masked)
    it(`${name}: the energy off the support`, () => {
      const w = gaussianMatrix(s.out, s.in, 5);
      const result = project(s, w);
      expect(result.optimal).toBe(true);
      expect(Math.abs(result.relativeError - maskedOptimum(s, w))).toBeLessThanOrEqual(1e-6);
    });

  fcTest.prop([fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 1000 })], { numRuns: 25 })(
    'monarch of random rectangular shapes is optimal',
    (k, pb, sb, seed) => {
      const s = monarch(k * sb, k * pb, k);
      const w = gaussianMatrix(s.out, s.in, seed);
      const result = project(s, w);
      expect(Math.abs(result.relativeError - monarchOptimum(w, s.out, s.in, k))).toBeLessThanOrEqual(1e-6);
    },
  );
});
