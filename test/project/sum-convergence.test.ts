/**
 * A sum projected from its own dense matrix comes back (issue 3's idempotence: ≤ 1e-5) with the
 * default rounds: `sparse + lowrank` made of random parameters, where plain alternating projection
 * was still at 6e-4 .. 6e-2 after its 30 rounds. The over-relaxed fits must keep what the plain
 * ones promise: the error never increases from one round to the next.
 */
import { describe, expect, it } from 'vitest';
import type { Structure } from '../../src/dsl/structure.js';
import { defaultSumRounds } from '../../src/project/sum.js';
import { band, butterfly, denseOf, flatButterfly, gaussianMatrix, lowrank, monarch, project, randomParams, relativeDistance, sparse, sum } from './structures.js';

const roundsRan = (method: string) => Number(/alternating projection, (\d+) round/.exec(method)![1]);

describe('sums from their own dense matrix', () => {
  const cases: [string, Structure][] = [
    ['64 <- 96, 8x8 blocks, band(width: 3) + rank 4', sum([sparse(64, 96, 8, 8, band(3), 'band(width: 3)'), lowrank(64, 96, 4)])],
    ['24 <- 16, 3x4 blocks, band(width: 2) + rank 3', sum([sparse(24, 16, 3, 4, band(2), 'band(width: 2)'), lowrank(24, 16, 3)])],
    ['64 <- 64, flat butterfly + rank 3', sum([sparse(64, 64, 4, 4, flatButterfly(1), 'flat_butterfly(factors: 1)'), lowrank(64, 64, 3)])],
  ];
  for (const [name, s] of cases) {
    it(`${name}: project(dense(P)) ≈ dense(P) to 1e-5 with the default rounds`, () => {
      for (const seed of [1, 2, 3]) {
        const w = denseOf(s, randomParams(s, seed));
        const result = project(s, w);
        expect(result.relativeError, `seed ${seed}: ${result.method}`).toBeLessThanOrEqual(1e-5);
        // The reported error is the parameters' own.
        expect(Math.abs(relativeDistance(denseOf(s, result.params), w) - result.relativeError)).toBeLessThanOrEqual(1e-9);
      }
    });
  }

  // Two non-convex terms: from a start where the first term took all of W these seeds stopped at 0.05–0.12
  // (monarch) and 0.05 (butterfly), which the reverse order reached.
  const nonConvex: [string, Structure, number[]][] = [
    ['24 <- 24, monarch(nblocks: 4) + rank 2', sum([monarch(24, 24, 4), lowrank(24, 24, 2)]), [1, 2, 4]],
    ['27 <- 27, butterfly(radix: 3) + rank 1', sum([butterfly(27, 3), lowrank(27, 27, 1)]), [2, 3]],
  ];
  for (const [name, s, seeds] of nonConvex) {
    it(`${name}: project(dense(P)) ≈ dense(P) to 1e-5 (seeds that stalled from a zero start)`, () => {
      for (const seed of seeds) {
        const w = denseOf(s, randomParams(s, seed));
        const result = project(s, w);
        expect(result.relativeError, `seed ${seed}: ${result.method}`).toBeLessThanOrEqual(1e-5);
      }
    });
  }

  // A zero start fitted the sparse term to all of W: the low-rank term then saw W with the pattern's blocks zeroed, whose
  // pieces share no row or column here, and the exact rounds stayed on the saddle that leads to (QA2 s22 Q152: 0.41–0.47 and
  // 0.39–0.43 on these W, where the rounds from the half-share start reach 0.27–0.32 and 0.12–0.18).
  const splitComplement: [string, Structure, number][] = [
    ['16 <- 16, 4x4 blocks, band(width: 2) + rank 2', sum([sparse(16, 16, 4, 4, band(2), 'band(width: 2)'), lowrank(16, 16, 2)]), 0.35],
    ['16 <- 16, 4x4 blocks, flat_butterfly(factors: 2) + rank 2', sum([sparse(16, 16, 4, 4, flatButterfly(2), 'flat_butterfly(factors: 2)'), lowrank(16, 16, 2)]), 0.25],
  ];
  for (const [name, s, bound] of splitComplement) {
    it(`${name}: a Gaussian W gets past the saddle of a zero start, below ${bound}`, () => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const result = project(s, gaussianMatrix(16, 16, seed));
        expect(result.relativeError, `seed ${seed}: ${result.method}`).toBeLessThanOrEqual(bound);
      }
    });
  }

  // QA1 s23 Q201: fitted to half their residual first, two low-rank (or Monarch) terms took the same leading directions and
  // the rounds stopped there, gaining nothing: 0.13–0.28 from W of their class, 0.34 on a Gaussian 8x8 where the rank-4
  // SVD leaves 0.22. Terms of one family are fitted one after the other, each to all of its residual: the SVD at their
  // summed rank, claimed optimal.
  const oneFamily: [string, Structure, Structure][] = [
    ['8 <- 8, rank 2 + rank 2', sum([lowrank(8, 8, 2), lowrank(8, 8, 2)]), lowrank(8, 8, 4)],
    ['16 <- 16, rank 3 + rank 5', sum([lowrank(16, 16, 3), lowrank(16, 16, 5)]), lowrank(16, 16, 8)],
    ['16 <- 16, monarch(nblocks: 4) twice', sum([monarch(16, 16, 4), monarch(16, 16, 4)]), monarch(16, 16, 4)],
  ];
  for (const [name, s, single] of oneFamily) {
    it(`${name}: terms of one family reach W of their class, and the optimum for any W, claimed`, () => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const own = project(s, denseOf(s, randomParams(s, seed)));
        expect(own.relativeError, `seed ${seed}: ${own.method}`).toBeLessThanOrEqual(1e-12);
        expect(own.optimal, own.method).toBe(true);
        const w = gaussianMatrix(s.out, s.in, seed);
        const result = project(s, w);
        expect(result.optimal, result.method).toBe(true);
        expect(Math.abs(relativeDistance(denseOf(s, result.params), w) - result.relativeError)).toBeLessThanOrEqual(1e-12);
        // The low-rank sums' class is one rank-(r1 + r2) term's: its SVD is the optimum they must meet.
        if (single.kind === 'lowrank') expect(result.relativeError, `seed ${seed}: ${result.method}`).toBeCloseTo(project(single, w).relativeError, 12);
        else expect(result.relativeError).toBeLessThan(project(single, w).relativeError);
        // QA1 s23 Q205: no rounds fit nothing, and zero is no optimum.
        const none = project(s, w, { maxRounds: 0 });
        expect([none.relativeError, none.optimal, none.method]).toEqual([1, false, expect.not.stringContaining('one family')]);
      }
    });
  }

  // REV s23 1: whole first shares given to any term with a later one of its family also changed mixed sums, worse on 10 of
  // 14 Gaussian W (these two: 0.2254 and 0.2078); they are for sums all of one family only.
  it('a mixed sum with a repeated family keeps the half-share start', () => {
    const s = sum([lowrank(16, 16, 2), monarch(16, 16, 4), lowrank(16, 16, 1)]);
    for (const [seed, bound] of [[7, 0.21], [11, 0.2]]) {
      const result = project(s, gaussianMatrix(16, 16, seed));
      expect(result.relativeError, `seed ${seed}: ${result.method}`).toBeLessThan(bound);
      expect(result.optimal).toBe(false);
    }
  });

  it('a W outside the class stops once the error settles: no worse than 30 rounds, not the thousand rounds a W of the class may take, and no rerun', () => {
    const s = sum([monarch(96, 96, 4), lowrank(96, 96, 8)]);
    const w = gaussianMatrix(96, 96, 1);
    const result = project(s, w);
    expect(result.relativeError).toBeLessThanOrEqual(project(s, w, { maxRounds: 30 }).relativeError);
    expect(roundsRan(result.method)).toBeLessThan(200);
    expect(result.method).not.toContain('reverse order');
  });

  it('stops once the error is below what stored parameters can show, long before the cap', () => {
    const [, s] = cases[0];
    const result = project(s, denseOf(s, randomParams(s, 1)));
    expect(roundsRan(result.method)).toBeLessThan(100);
    expect(defaultSumRounds(64 * 96)).toBe(1000);
  });

  it('the default rounds grow only where rounds are cheap', () => {
    expect(defaultSumRounds(4096 * 4096)).toBe(30);
    expect(defaultSumRounds(1024 * 1024)).toBe(30);
    expect(defaultSumRounds(256 * 256)).toBeGreaterThan(100);
    expect(defaultSumRounds(1)).toBe(1000);
  });

  it('more rounds never raise the error (the over-relaxed fits included), on W in and out of the class', () => {
    const [, s] = cases[1];
    for (const w of [denseOf(s, randomParams(s, 5)), gaussianMatrix(24, 16, 5)]) {
      // Below 1e-9 (EXACT: finer than stored parameters) the rounds and the completion after them (a sum of lowrank and
      // masked terms) stop, each from where it got: 8 rounds then 7.6e-10, 13 rounds 8.8e-10 for W in the class here.
      const errors = [1, 2, 3, 5, 8, 13, 21, 34].map((maxRounds) => Math.max(1e-9, project(s, w, { maxRounds }).relativeError));
      for (let k = 1; k < errors.length; k++) expect(errors[k], `rounds ${k}`).toBeLessThanOrEqual(errors[k - 1] * (1 + 1e-12));
    }
  });
});
