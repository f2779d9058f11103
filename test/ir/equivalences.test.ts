/**
 * Structures that the SPEC says are equal, checked through the reference and through compiled
 * programs, plus fixed larger and rectangular shapes. Tolerance: 1e-9 relative (float64 paths).
 *
 * Parameter correspondences:
 *  - monarch(order: 2, radix: b) on b² == monarch(nblocks: b): factor0 = blkdiag1, factor1 = blkdiag2
 *    (both are K(b,b,b,1) then K(1,b,b,b)).
 *  - butterfly(radix: r) on r^L (stride increasing) == monarch(order: L, radix: r): factor{t} = twiddle[t]
 *    (level t of both is K(r^(L-1-t), r, r, r^t)).
 *  - raw = transpose(k,k) @ blockdiag(k) @ transpose(k,k) @ blockdiag(k) == monarch(nblocks: k) on k²:
 *    raw.3.weight = blkdiag1, raw.1.weight = blkdiag2 (SPEC §3).
 */
import { describe, expect, it } from 'vitest';
import type { CheckedMap } from '../../src/dsl/structure.js';
import { compileMap } from '../../src/ir/pipeline.js';
import { executeProgram } from '../../src/runtime/cpu-executor.js';
import { packParams } from '../../src/runtime/params.js';
import { type ParamValues } from '../../src/runtime/reference.js';
import {
  bias,
  blockdiag,
  butterfly,
  chain,
  checkedMap,
  dense,
  lowrank,
  matmulCount,
  monarch,
  monarchOrder,
  randomParams,
  randomValues,
  relativeError,
  rng,
  sparse,
  sum,
  transpose,
  type Build,
} from './structures.js';
import { referenceApply } from '../support/reference.js';

function programApply(map: CheckedMap, params: ParamValues, x: Float64Array, batch: number): Float64Array {
  const program = compileMap(map, 'f32');
  return executeProgram(program, packParams(program.params, program.paramSize, params), x, batch);
}

/** Asserts a == b through the reference and through programs, with b's params derived from a's. */
function expectSameMap(a: CheckedMap, b: CheckedMap, bParams: (aParams: Map<string, Float64Array>) => ParamValues, seed: number) {
  const random = rng(seed);
  // Values exact in float32 so that packing does not round them.
  const aParams = new Map([...randomParams(a.structure, random)].map(([k, v]) => [k, Float64Array.from(v, Math.fround)]));
  const pb = bParams(aParams);
  for (const batch of [1, 3]) {
    const x = randomValues(random, batch * a.in);
    const want = referenceApply(a.structure, aParams, x, batch);
    expect(relativeError(referenceApply(b.structure, pb, x, batch), want)).toBeLessThan(1e-9);
    expect(relativeError(programApply(a, aParams, x, batch), want)).toBeLessThan(1e-9);
    expect(relativeError(programApply(b, pb, x, batch), want)).toBeLessThan(1e-9);
  }
}

describe('equivalent structures', () => {
  it.each([2, 3, 5, 6])('monarch(order: 2, radix: %i) == monarch(nblocks: %i)', (b) => {
    const byOrder = checkedMap('o', monarchOrder([b, b]));
    const byBlocks = checkedMap('m', monarch(b * b, b * b, b));
    expectSameMap(byOrder, byBlocks, (p) => new Map([['m.blkdiag1', p.get('o.factor0')!], ['m.blkdiag2', p.get('o.factor1')!]]), b);
    expect(compileMap(byOrder, 'f32').ops.map((op) => op.kind === 'ks' && [op.a, op.b, op.c, op.d])).toEqual(
      compileMap(byBlocks, 'f32').ops.map((op) => op.kind === 'ks' && [op.a, op.b, op.c, op.d]),
    );
  });

  it.each([
    [2, 4],
    [3, 3],
    [4, 2],
    [5, 2],
  ])('butterfly(radix: %i) over %i levels == monarch(order: L, radix: r) with factor{t} = twiddle[t]', (r, levels) => {
    const n = r ** levels;
    const bf = checkedMap('bf', butterfly(r, levels));
    const mo = checkedMap('mo', monarchOrder(Array(levels).fill(r)));
    const slab = n * r;
    expectSameMap(bf, mo, (p) => new Map(Array.from({ length: levels }, (_, t) => [`mo.factor${t}`, p.get('bf.twiddle')!.slice(t * slab, (t + 1) * slab)])), r * 10 + levels);
  });

  it.each([32, 6])('raw with k = %i: transpose(k,k) @ blockdiag @ transpose @ blockdiag == monarch(nblocks: k), two ops each', (k) => {
    const n = k * k;
    const raw = checkedMap('raw', chain(transpose(k, k), blockdiag(n, n, k), transpose(k, k), blockdiag(n, n, k)));
    const mon = checkedMap('mon', monarch(n, n, k));
    expectSameMap(raw, mon, (p) => new Map([['mon.blkdiag1', p.get('raw.3.weight')!], ['mon.blkdiag2', p.get('raw.1.weight')!]]), k);
    expect(compileMap(raw, 'f32').ops).toHaveLength(2);
    expect(compileMap(mon, 'f32').ops).toHaveLength(2);
  });
});

describe('larger and rectangular shapes', () => {
  const cases: [string, Build][] = [
    ['monarch 768 -> 384', monarch(768, 384, 4)],
    ['monarch 384 -> 768 + bias', sum(monarch(384, 768, 12), bias(768, 384))],
    ['dense 96 -> 48 + lowrank', sum(dense(96, 48), lowrank(96, 48, 5))],
    ['blockdiag 48 -> 96 @ transpose', chain(transpose(8, 12), blockdiag(48, 96, 12), transpose(6, 8))],
    ['sparse 96 -> 48 + monarch(order: 3)', chain(sum(sparse(48, 48, 12, 8, [[0, 0], [1, 5], [3, 2], [3, 3]]), monarchOrder([4, 3, 4]), bias(48)), dense(96, 48))],
  ];
  it.each(cases)('%s', (_name, build) => {
    const map = checkedMap('big', build);
    const random = rng(7);
    const params = new Map([...randomParams(map.structure, random)].map(([k, v]) => [k, Float64Array.from(v, Math.fround)]));
    for (const batch of [1, 5]) {
      const x = randomValues(random, batch * map.in);
      expect(relativeError(programApply(map, params, x, batch), referenceApply(map.structure, params, x, batch))).toBeLessThan(1e-9);
    }
    expect(compileMap(map, 'f32').ops.filter((op) => op.kind !== 'bias')).toHaveLength(matmulCount(map.structure));
  });
});
