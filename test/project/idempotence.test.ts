import { describe, expect, it } from 'vitest';
import type { Structure } from '../../src/dsl/structure.js';
import {
  band, blockdiag, butterfly, chain, dense, denseOf, flatButterfly, ks, lowrank, monarch, monarchOrder, project, randomParams, randomPattern, ref, relativeDistance, sparse, transpose,
} from './structures.js';

/** project(dense(P)) must give back dense(P): SPEC §6, relative error ≤ 1e-5. */
const cases: [string, Structure][] = [
  ['dense 5x7', dense(5, 7)],
  ['ks(2,3,4,5)', ks(2, 3, 4, 5)],
  ['blockdiag 12x18 nblocks 3', blockdiag(12, 18, 3)],
  ['monarch square 64 (nblocks 8)', monarch(64, 64, 8)],
  ['monarch square 36 nblocks 4 (rank 2 blocks... q/k)', monarch(36, 36, 4)],
  ['monarch 48 -> 96 nblocks 4 (in < out)', monarch(96, 48, 4)],
  ['monarch 96 -> 48 nblocks 4 (in > out)', monarch(48, 96, 4)],
  ['monarch 20 -> 30 nblocks 5', monarch(30, 20, 5)],
  ['monarch order 3 radix 3', monarchOrder([3, 3, 3])],
  ['monarch order 3 radices 2,3,4', monarchOrder([2, 3, 4])],
  ['butterfly radix 2 n 32 increasing', butterfly(32, 2)],
  ['butterfly radix 2 n 32 decreasing', butterfly(32, 2, 'decreasing')],
  ['butterfly radix 4 n 64 increasing', butterfly(64, 4)],
  ['butterfly radix 4 n 64 decreasing', butterfly(64, 4, 'decreasing')],
  ['lowrank 30x20 rank 4', lowrank(30, 20, 4)],
  ['sparse flat_butterfly', sparse(32, 32, 4, 4, flatButterfly(2), 'flat_butterfly(factors: 2)')],
  ['sparse band', sparse(24, 36, 4, 6, band(2), 'band(width: 2)')],
  ['sparse random', sparse(32, 24, 4, 3, randomPattern(0.4, 7), 'random(density: 0.4, seed: 7)')],
  ['chain transpose @ blockdiag @ transpose @ blockdiag (the raw monarch)', chain([transpose(6, 6), blockdiag(36, 36, 6), transpose(6, 6), blockdiag(36, 36, 6)])],
  ['chain with a trailing transpose', chain([blockdiag(24, 24, 4), transpose(4, 6)])],
  ['a reference to another map', ref(monarch(24, 24, 4, 'up'))],
  ['chain of refs with a transpose between', chain([ref(blockdiag(20, 20, 4, 'left')), transpose(4, 5), ref(blockdiag(20, 20, 5, 'right'))])],
];

describe('projection reproduces structures it is given', () => {
  for (const [name, s] of cases)
    it(name, () => {
      const params = randomParams(s, 11);
      const w = denseOf(s, params);
      const result = project(s, w);
      expect(result.relativeError).toBeLessThanOrEqual(1e-5);
      // The reported error is the real one: rebuild M from the returned parameters independently.
      expect(relativeDistance(denseOf(s, result.params), w)).toBeLessThanOrEqual(1e-5);
    });
});
