/**
 * docs/projection.md's condition for a chain with a free part ("Which forms are exact"): the
 * factors left of the part can have rank `out` and those right of it rank `in` (`coversClass`,
 * from the supports by `genericRank`). Where it holds, every W of the class comes back and a W
 * outside it is no heuristic (W0801 stays silent); where it fails, W of the class can be missed
 * and the fit is flagged. Two adjacent dense() factors are such a part: `down @ up @ monarch`
 * through a bottleneck of 4 (session 17's W0801 over-warning) reaches every W of rank ≤ 4 and,
 * for a Gaussian W, the Eckart–Young rank-4 error.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { Structure } from '../../src/dsl/structure.js';
import { modelOfStructure } from '../../src/model/build.js';
import type { Factor } from '../../src/project/factors.js';
import { factorChain } from '../../src/project/factors.js';
import { coversClass } from '../../src/project/free-factor.js';
import { genericRank } from '../../src/project/generic-rank.js';
import { Rng } from '../../src/project/linalg/rng.js';
import { tailEnergy } from './jacobi.js';
import { chain, dense, denseOf, gaussianMatrix, lowrank, monarch, project, randomParams, ref, relativeDistance } from './structures.js';

/** Rank of a dense rows×cols matrix by Gaussian elimination with partial pivoting (the test's own). */
function numericRank(a: Float64Array, rows: number, cols: number): number {
  const m = Float64Array.from(a);
  const scale = Math.max(1e-300, ...m.map(Math.abs));
  let rank = 0;
  for (let c = 0; c < cols && rank < rows; c++) {
    let pivot = rank;
    for (let r = rank + 1; r < rows; r++) if (Math.abs(m[r * cols + c]) > Math.abs(m[pivot * cols + c])) pivot = r;
    if (Math.abs(m[pivot * cols + c]) <= 1e-9 * scale) continue;
    for (let j = 0; j < cols; j++) [m[rank * cols + j], m[pivot * cols + j]] = [m[pivot * cols + j], m[rank * cols + j]];
    for (let r = rank + 1; r < rows; r++) {
      const f = m[r * cols + c] / m[rank * cols + c];
      for (let j = c; j < cols; j++) m[r * cols + j] -= f * m[rank * cols + j];
    }
    rank++;
  }
  return rank;
}

/** The product of the factors with Gaussian values, dense. */
function randomProduct(factors: readonly Factor[], rng: Rng): Float64Array {
  let acc: Float64Array | undefined;
  const rows = factors[0].rows;
  for (const f of factors) {
    const dense = new Float64Array(f.rows * f.cols);
    f.row.forEach((r, e) => (dense[r * f.cols + f.col[e]] = rng.gaussian()));
    if (!acc) acc = dense;
    else {
      const next = new Float64Array(rows * f.cols);
      const inner = f.rows;
      for (let i = 0; i < rows; i++) for (let t = 0; t < inner; t++) for (let j = 0; j < f.cols; j++) next[i * f.cols + j] += acc[i * inner + t] * dense[t * f.cols + j];
      acc = next;
    }
  }
  return acc!;
}

const factorsOf = (s: Structure) => factorChain(modelOfStructure(s).body).factors;

describe('genericRank: the rank of the product for random values', () => {
  test.prop([fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 5 }), fc.double({ min: 0.1, max: 0.9, noNaN: true }), fc.nat()], { numRuns: 60 })(
    'equals the numeric rank of a Gaussian product, on random supports',
    (widths, density, seed) => {
      const rng = new Rng(seed);
      const factors: Factor[] = widths.slice(1).map((cols, j) => {
        const rows = widths[j];
        const cells = [...Array(rows * cols).keys()].filter(() => rng.uniform() < density);
        return { rows, cols, row: Int32Array.from(cells, (c) => Math.floor(c / cols)), col: Int32Array.from(cells, (c) => c % cols), tensor: `f${j}`, offset: 0 };
      });
      const product = randomProduct(factors, rng);
      expect(genericRank(factors, 0)).toBe(numericRank(product, widths[0], widths[widths.length - 1]));
    },
  );

  it('no factors: the identity of the given size; monarch and a bottleneck', () => {
    expect(genericRank([], 7)).toBe(7);
    expect(genericRank(factorsOf(monarch(16, 16, 4)), 0)).toBe(16);
    expect(genericRank(factorsOf(chain([dense(16, 4, 'a'), dense(4, 16, 'b')])), 0)).toBe(4);
  });
});

const down = dense(16, 4, 'down');
const up = dense(4, 16, 'up');
const c3 = chain([ref(down), ref(up), monarch(16, 16, 4, 'mo')]);
/** monarch(nblocks: 4) @ dense() @ monarch(nblocks: 2, out: 4): the factor right of the dense one narrows to 4. */
const narrowed = chain([monarch(16, 16, 4, 'a'), dense(16, 4, 'd'), monarch(4, 16, 2, 'b')]);

describe('coversClass decides exactness; W0801 follows it', () => {
  it('holds for square or widening sides (c3, monarch @ down @ up, dense @ monarch), fails through a narrowing side or without a free part', () => {
    for (const s of [c3, chain([monarch(16, 16, 4, 'mo'), ref(down), ref(up)]), chain([dense(16, 16), monarch(16, 16, 4)]), chain([dense(8, 16, 'd'), monarch(16, 8, 2)])]) expect(coversClass(factorsOf(s))).toBe(true);
    for (const s of [narrowed, chain([monarch(16, 8, 2, 'a'), dense(8, 8, 'd')]), chain([monarch(16, 16, 4, 'a'), monarch(16, 16, 4, 'b')])]) expect(coversClass(factorsOf(s))).toBe(false);
  });

  it('down @ up @ monarch through 4: W of the class back exactly, a Gaussian W at the rank-4 optimum, optimal, no heuristic', () => {
    for (const seed of [3, 4, 5]) {
      const w = denseOf(c3, randomParams(c3, seed));
      const result = project(c3, w, { storage: 'f32' });
      expect(relativeDistance(denseOf(c3, result.params), w)).toBeLessThan(1e-5);
      expect(result.heuristic).toBe(false);
    }
    const g = gaussianMatrix(16, 16, 0);
    const result = project(c3, g);
    const optimum = Math.sqrt(tailEnergy(g, 16, 16, 4) / g.reduce((s, v) => s + v * v, 0));
    expect(result.relativeError).toBeCloseTo(optimum, 9);
    // QA s20 Q94: at the floor of the chain's rank 4 it is the optimum, as lowrank @ monarch @ lowrank at its rank-3 floor is.
    expect(result.method).toContain("the Eckart–Young error at the chain's rank 4, optimal");
    expect([result.optimal, result.heuristic]).toEqual([true, false]);
  });

  // QA2 s18 R72: three full factors in a row (dense, then lowrank's U, V) pair as U·V, which the dense factor's rank covers.
  it('dense @ lowrank(rank: 4) as lowrank @ dense: W of the class back, a Gaussian W at the rank-4 optimum, no heuristic', () => {
    for (const s of [chain([dense(16, 16, 'd'), lowrank(16, 16, 4, 'l')]), chain([lowrank(16, 16, 4, 'l'), dense(16, 16, 'd')])]) {
      expect(coversClass(factorsOf(s))).toBe(true);
      const w = denseOf(s, randomParams(s, 3));
      expect(project(s, w).relativeError).toBeLessThan(1e-9);
      const g = gaussianMatrix(16, 16, 1);
      const result = project(s, g);
      expect(result.relativeError).toBeCloseTo(Math.sqrt(tailEnergy(g, 16, 16, 4) / g.reduce((t, v) => t + v * v, 0)), 9);
      expect(result.heuristic).toBe(false);
    }
  });

  // QA2 s18 leftover: lowrank(rank: 3) @ lowrank(rank: 5) is four full factors, one part of rank ≤ 3 (the narrowest width between
  // them) that is the whole chain: its truncated SVD is the optimum, where the pairs alone left a bottleneck beside each and warned.
  it('lowrank @ lowrank, either order and through a narrower middle: the Eckart–Young optimum of the smaller rank, optimal, no heuristic', () => {
    for (const s of [
      chain([lowrank(16, 16, 3, 'a'), lowrank(16, 16, 5, 'b')]),
      chain([lowrank(16, 16, 5, 'a'), lowrank(16, 16, 3, 'b')]),
      chain([lowrank(16, 8, 3, 'a'), lowrank(8, 16, 5, 'b')]),
      chain([lowrank(12, 16, 4, 'a'), lowrank(16, 10, 6, 'b'), dense(10, 14, 'c')]),
    ]) {
      const rank = Math.min(...s.factors.map((f) => (f.kind === 'lowrank' ? f.rank : Math.min(f.in, f.out))));
      expect(coversClass(factorsOf(s))).toBe(true);
      for (const seed of [3, 4]) {
        const result = project(s, denseOf(s, randomParams(s, seed)));
        expect(result.relativeError).toBeLessThan(1e-9);
        expect(result.heuristic).toBe(false);
      }
      const g = gaussianMatrix(s.out, s.in, 1);
      const result = project(s, g);
      expect(result.relativeError).toBeCloseTo(Math.sqrt(tailEnergy(g, s.out, s.in, rank) / g.reduce((t, v) => t + v * v, 0)), 9);
      expect(result.optimal).toBe(true);
      expect(result.heuristic).toBe(false);
      expect(result.method).toContain(`(rank ≤ ${rank})`);
    }
  });

  // No free part covers `lowrank(rank: 3) @ monarch(nblocks: 4) @ lowrank(rank: 5)`, yet its class is every matrix of rank ≤ 3 and
  // the hierarchical fit reaches the Eckart–Young error: meeting the floor of the chain's generic rank makes it optimal, not a heuristic.
  it('lowrank @ monarch @ lowrank: a Gaussian W at the rank-3 floor is optimal, no heuristic', () => {
    const s = chain([lowrank(16, 16, 3, 'a'), monarch(16, 16, 4, 'm'), lowrank(16, 16, 5, 'b')]);
    expect(coversClass(factorsOf(s))).toBe(false);
    for (const seed of [0, 1]) {
      const g = gaussianMatrix(16, 16, seed);
      const result = project(s, g);
      expect(result.relativeError).toBeCloseTo(Math.sqrt(tailEnergy(g, 16, 16, 3) / g.reduce((t, v) => t + v * v, 0)), 9);
      expect(result.method).toContain("the Eckart–Young error at the chain's rank 3, optimal");
      expect([result.optimal, result.heuristic]).toEqual([true, false]);
    }
  });

  it('a narrowing side: W of the class is missed and flagged, with a low-rank part too; a Gaussian W above the rank floor too', () => {
    const narrowedLowrank = chain([monarch(16, 16, 4, 'a'), lowrank(16, 4, 3, 'l'), monarch(4, 16, 2, 'b')]);
    // With the low-rank part the refinement (alternating least squares since session 24) reaches some W of the class
    // (seeds 1, 3, 5; seed 3 was left at 0.031 before) and misses others, such as seed 6.
    for (const [s, rank, seed] of [[narrowed, 4, 3], [narrowedLowrank, 3, 6]] as const) {
      expect(coversClass(factorsOf(s))).toBe(false);
      const result = project(s, denseOf(s, randomParams(s, seed)));
      expect(result.relativeError).toBeGreaterThan(0.01);
      expect(result.heuristic).toBe(true);
      const g = gaussianMatrix(16, 16, 0);
      const gaussian = project(s, g);
      expect(gaussian.relativeError).toBeGreaterThan(Math.sqrt(tailEnergy(g, 16, 16, rank) / g.reduce((t, v) => t + v * v, 0)) + 1e-3);
      expect([gaussian.optimal, gaussian.heuristic]).toEqual([false, true]);
    }
    const reached = project(narrowedLowrank, denseOf(narrowedLowrank, randomParams(narrowedLowrank, 3)));
    expect(reached.relativeError).toBeLessThan(1e-5);
    expect([reached.optimal, reached.heuristic]).toEqual([false, false]);
  });
});
