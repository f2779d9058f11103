/**
 * Projection of a W whose entries are far from 1 (an `<f8` file may hold 1e160 or 1e-170): the
 * result is 2^k times that of W·2^-k, as it must be (the structures are closed under scaling), with
 * the same relative error and the same `optimal`. Before, ‖W‖² and the projectors' Gram matrices
 * overflowed (all-zero parameters, relative error NaN, `optimal: true`) or underflowed (relative
 * error 0 for M = 0). The scale is split over a chain's factors, so a balanced fit stays balanced
 * (and within f32) where one factor would take it all. Checked against the float64 reference.
 */
import { writeFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import type { Structure } from '../../src/dsl/structure.js';
import { cli, scratchDir } from '../cli/helpers.js';
import { npyF64 } from '../support/npy-f64.js';
import { bias, butterfly, chain, dense, denseOf, gaussianMatrix, lowrank, monarch, project, randomParams, ref, relativeDistance, sparse, sum, band } from './structures.js';

/** v · 2^e, exact for normal results (2^e itself may not be a float64). */
const times2 = (v: number, e: number) => v * 2 ** Math.trunc(e / 2) * 2 ** (e - Math.trunc(e / 2));
const scaled = (w: Float64Array, e: number) => w.map((v) => times2(v, e));

const STRUCTURES: [string, Structure][] = [
  ['diag-free chain dense', chain([dense(12, 10), dense(10, 10)])],
  ['monarch 12 -> 18', monarch(18, 12, 3)],
  ['lowrank 9 -> 7', lowrank(7, 9, 2)],
  ['butterfly 8', butterfly(8, 2)],
  ['sparse band + bias', sum([sparse(12, 12, 3, 3, band(2), 'band'), bias(12)])],
  ['monarch + lowrank', sum([monarch(16, 16, 4), lowrank(16, 16, 1)])],
];

/** Exponents where W's squares leave float64 (and a few inside, for contrast). */
const EXPONENTS = [530, 660, 1000, -565, -660, -1000, 0, 150, -150];

describe('projection of W far from 1', () => {
  test.prop([fc.constantFrom(...STRUCTURES), fc.constantFrom(...EXPONENTS), fc.integer({ min: 0, max: 1000 }), fc.boolean()], { numRuns: 60 })(
    'the result for W·2^k is 2^k times that for W, the error and optimality the same',
    ([, s], k, seed, inStructure) => {
      // W in the structure (recovered exactly where a closed form exists) or a Gaussian one (a fit).
      const w = inStructure ? denseOf(s, randomParams(s, seed)) : gaussianMatrix(s.out, s.in, seed);
      const base = project(s, w);
      const far = project(s, scaled(w, k));
      expect(Number.isFinite(far.relativeError)).toBe(true);
      expect(far.optimal).toBe(base.optimal);
      expect(Math.abs(far.relativeError - base.relativeError)).toBeLessThanOrEqual(1e-9 + 1e-6 * base.relativeError);
      // Its M, scaled back by 2^-k in float64, is the base projection's M (the reference's dense matrix: finite at these sizes).
      const m = denseOf(s, new Map([...far.params].map(([name, t]) => [name, t])));
      const back = m.every(Number.isFinite) ? scaled(m, -k) : undefined;
      if (back) expect(relativeDistance(back, denseOf(s, base.params))).toBeLessThanOrEqual(1e-9);
      // The relative error is measured, not assumed: against W itself (in the scaled frame).
      expect(Math.abs(relativeDistance(scaled(m, -k), w) - far.relativeError)).toBeLessThanOrEqual(1e-9 + 1e-6 * far.relativeError);
    },
  );

  it('1e160 and 1e-170 (the finding): M = W recovered, optimal, relative error about 0', () => {
    const s = chain([dense(24, 24), dense(24, 24)]);
    for (const magnitude of [1e160, 1e200, 1e-170, 1e-200]) {
      const w = gaussianMatrix(24, 24, 3).map((v) => v * magnitude);
      const r = project(s, w);
      expect(r.optimal, String(magnitude)).toBe(true);
      expect(r.relativeError).toBeLessThan(1e-12);
      expect([...r.params.values()].some((t) => t.some((v) => v !== 0))).toBe(true);
    }
  });

  it('a map used twice in a sum (a + a), or in a chain (a @ a), is projected at any scale', () => {
    const a = dense(6, 6, 'a');
    const twice = sum([ref(a), ref(a)], 't');
    const w = gaussianMatrix(6, 6, 1);
    const base = project(twice, w);
    const far = project(twice, scaled(w, 600));
    expect(far.optimal).toBe(base.optimal);
    expect(relativeDistance(scaled(far.params.get('a.weight')!, -600), base.params.get('a.weight')!)).toBeLessThanOrEqual(1e-12);
    // a @ a takes 2^(e/2) on a: the same fit as of W near 1, to rounding (the heuristic's steps are scale-free).
    const square = chain([ref(a), ref(a)], 't');
    const squareBase = project(square, w);
    const squareFar = project(square, scaled(w, 600));
    expect(squareFar.relativeError).toBeCloseTo(squareBase.relativeError, 6);
    expect(relativeDistance(scaled(denseOf(square, squareFar.params), -600), w)).toBeCloseTo(squareFar.relativeError, 9);
  });

  it('the scale is split over a chain\'s factors: lowrank and monarch at 2^±210 and 2^±240 stored as f32 keep the error and optimality of 2^0 (one factor took it all: refused or zeros)', () => {
    for (const s of [lowrank(24, 24, 3), monarch(24, 24, 4)]) {
      const w = denseOf(s, randomParams(s, 4));
      const base = project(s, w, { storage: 'f32' });
      expect(base.optimal).toBe(true);
      for (const k of [210, 240, -210, -240]) {
        const far = project(s, scaled(w, k), { storage: 'f32' });
        expect(far.optimal, `${s.kind} 2^${k}`).toBe(true);
        expect(far.relativeError, `${s.kind} 2^${k}`).toBeLessThan(1e-6);
        // Each factor carries its share: no tensor is 0 or beyond f32.
        for (const t of far.params.values()) expect(t.some((v) => v !== 0) && t.every((v) => Math.abs(v) < 3.4e38)).toBe(true);
      }
    }
  });
});

describe('monc project of an <f8 W near 1e160 and 1e-170', () => {
  const scratch = scratchDir();
  afterAll(() => scratch.remove());
  writeFileSync(scratch.path('r.mon'), 'map r : 24 -> 24 = dense(in: 24) @ dense()\n');

  it('near 1e160 an f32 module cannot hold the parameters: exit 1, one line (was exit 0, zeros, optimal, relative_error null)', async () => {
    writeFileSync(scratch.path('big.npy'), npyF64(gaussianMatrix(24, 24, 0).map((v) => v * 1e160), [24, 24]));
    const r = await cli(['project', scratch.path('r.mon'), '--map', 'r', '--dense', scratch.path('big.npy'), '--out', scratch.path('big.safetensors')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^monc: error: .*f32.*scale W down\n$/);
  });

  it('near 1e-170 the parameters round to zero in f32: relative error 1, not optimal (was 0, optimal)', async () => {
    writeFileSync(scratch.path('small.npy'), npyF64(gaussianMatrix(24, 24, 0).map((v) => v * 1e-170), [24, 24]));
    const r = await cli(['project', scratch.path('r.mon'), '--map', 'r', '--dense', scratch.path('small.npy'), '--out', scratch.path('small.safetensors'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.optimal).toBe(false);
    expect(json.relative_error).toBeCloseTo(1, 6);
  });
});
