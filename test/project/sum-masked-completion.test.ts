/**
 * PROJ s26: a sum of low-rank terms and masked terms (sparse here) is a low-rank completion off the masks' supports.
 * The alternation fills the supports with L's own values and takes an SVD, linear and slow where the pattern leaves few
 * entries to pin L: these W of the class (the runtime's initParams, which `monc init` writes) ended at 3.3e-4, 5.2e-4
 * and 1.8e-5 (the first two after 1000 rounds). Alternating least squares on L's factors off the supports, from the
 * alternation's result, brings them back.
 */
import { describe, expect, it } from 'vitest';
import type { Structure } from '../../src/dsl/structure.js';
import { paramsOf } from '../../src/model/build.js';
import { initParams } from '../../src/runtime/init.js';
import { band, denseOf, lowrank, project, relativeDistance, sparse, sum } from './structures.js';

describe('low-rank terms beside a sparse term', () => {
  const cases: [string, number, Structure][] = [
    ['10 -> 10: lowrank(rank: 1) + sparse(block: 2, band(width: 2)) + lowrank(rank: 2)', 1, sum([lowrank(10, 10, 1), sparse(10, 10, 2, 2, band(2), 'band(width: 2)'), lowrank(10, 10, 2)])],
    ['20 -> 12: lowrank(rank: 2) + sparse(block: [3, 4], band(width: 2)) + lowrank(rank: 1)', 5, sum([lowrank(12, 20, 2), sparse(12, 20, 3, 4, band(2), 'band(width: 2)'), lowrank(12, 20, 1)])],
    ['16 -> 24: sparse(block: [3, 4], band(width: 2)) + lowrank(rank: 3)', 4, sum([sparse(24, 16, 3, 4, band(2), 'band(width: 2)'), lowrank(24, 16, 3)])],
    // The completion converges linearly too: with as many iterations as the sum's rounds (1000 here) these stopped at
    // 1.3e-4, 1.5e-4 and 1.7e-4; ten per round reach them.
    ['10 -> 10: lowrank(rank: 1) + sparse(block: 2, band(width: 2)) + lowrank(rank: 2)', 4, sum([lowrank(10, 10, 1), sparse(10, 10, 2, 2, band(2), 'band(width: 2)'), lowrank(10, 10, 2)])],
    ['20 -> 12: lowrank(rank: 2) + sparse(block: [3, 4], band(width: 2)) + lowrank(rank: 1)', 3, sum([lowrank(12, 20, 2), sparse(12, 20, 3, 4, band(2), 'band(width: 2)'), lowrank(12, 20, 1)])],
    ['21 -> 24: sparse(block: 3, band(width: 3)) + lowrank(rank: 6)', 1, sum([sparse(24, 21, 3, 3, band(3), 'band(width: 3)'), lowrank(24, 21, 6)])],
  ];
  it.each(cases)('%s: W of initParams seed %i comes back to 1e-5', (_name, seed, s) => {
    const w = Float32Array.from(denseOf(s, initParams(paramsOf(s), seed)));
    const r = project(s, w);
    expect(r.relativeError, r.method).toBeLessThanOrEqual(1e-5);
    // Where the completion stopped short of 1e-7, the joint Levenberg–Marquardt steps follow it (levenberg.ts).
    expect(r.method).toMatch(/ \+ \d+ rounds? of alternating least squares on the low-rank part off the masked terms' supports( \+ \d+ Levenberg–Marquardt steps? on all terms' parameters together)?$/);
    expect(Math.abs(relativeDistance(denseOf(s, r.params), w) - r.relativeError)).toBeLessThanOrEqual(1e-6);
  });
});
