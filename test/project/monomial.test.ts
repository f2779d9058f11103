/**
 * A `diag()` (any factor with one entry per row and column) beside another factor is folded into
 * it and set to 1 (src/project/monomial.ts): the chain's class is its neighbour's, so
 * `diag() @ monarch(nblocks: 4)`, language.md's `scaled`, gets Monarch's block SVD, the optimum,
 * where the three-factor fit warned W0801 and missed it by 3e-5 (QA2 s19 R81).
 */
import { describe, expect, it } from 'vitest';
import type { DiagNode, Structure } from '../../src/dsl/structure.js';
import { tailEnergy } from './jacobi.js';
import { chain, dense, denseOf, gaussianMatrix, lowrank, monarch, project, randomParams, relativeDistance, transpose } from './structures.js';

const diag = (n: number, path = 'm'): DiagNode => ({ kind: 'diag', in: n, out: n, path });
const energy = (w: Float64Array) => w.reduce((s, v) => s + v * v, 0);

describe('a diag() beside a factor is folded into it', () => {
  const g = gaussianMatrix(16, 16, 1);
  const mo = () => monarch(16, 16, 4, 'mo');

  it.each<[string, Structure, Structure]>([
    ['diag @ monarch', chain([diag(16, 's'), mo()]), mo()],
    ['monarch @ diag', chain([mo(), diag(16, 's')]), mo()],
    ['diag @ monarch @ diag', chain([diag(16, 's'), mo(), diag(16, 't')]), mo()],
    ['diag @ transpose @ monarch', chain([diag(16, 's'), transpose(4, 4, 't'), mo()]), chain([transpose(4, 4, 't'), mo()])],
  ])('%s: the optimum of the chain without it, optimal, no heuristic; W of its class back; the scales are 1', (_, s, without) => {
    const result = project(s, g);
    const optimum = project(without, g);
    expect(optimum.optimal).toBe(true);
    expect(result.relativeError).toBeCloseTo(optimum.relativeError, 12);
    expect([result.optimal, result.heuristic]).toEqual([true, false]);
    expect(result.method).toMatch(/folded into (its|their) neighbours?: 1$/);
    for (const [name, values] of result.params) if (name.endsWith('.d')) expect([...values].every((v) => v === 1)).toBe(true);
    expect(relativeDistance(denseOf(s, result.params), g)).toBeCloseTo(result.relativeError, 9);
    const w = denseOf(s, randomParams(s, 3));
    expect(project(s, w).relativeError).toBeLessThan(1e-9);
  });

  it('lowrank @ diag: the Eckart–Young optimum, optimal; diag @ diag: the diagonal of W, optimal', () => {
    const low = project(chain([lowrank(16, 16, 2, 'l'), diag(16, 's')]), g);
    expect(low.relativeError).toBeCloseTo(Math.sqrt(tailEnergy(g, 16, 16, 2) / energy(g)), 9);
    expect([low.optimal, low.heuristic]).toEqual([true, false]);
    const twice = project(chain([diag(16, 's'), diag(16, 't')]), g);
    const offDiagonal = energy(g) - Array.from({ length: 16 }, (_, i) => g[i * 17] ** 2).reduce((a, b) => a + b, 0);
    expect(twice.relativeError).toBeCloseTo(Math.sqrt(offDiagonal / energy(g)), 12);
    expect(twice.optimal).toBe(true);
  });

  it('a diag beside a dense() changes nothing: the masked copy of W', () => {
    const result = project(chain([diag(16, 's'), dense(16, 16, 'd')]), g);
    expect(result.relativeError).toBeLessThan(1e-12);
  });
});
