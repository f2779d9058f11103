/**
 * MapRunner.backward on WebGPU (SwiftShader in CI) and on the CPU backend against the float64
 * reference VJP, for every constructor and combination, to SPEC §7's 1e-5 relative error (f32).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/runtime/map-runner.js';
import type { CheckedMap } from '../../src/dsl/structure.js';
import {
  bias,
  blockdiag,
  butterfly,
  chain,
  checkedMap,
  dense,
  ks,
  lowrank,
  monarch,
  monarchOrder,
  randomStructure,
  ref,
  rng,
  sparse,
  sum,
  transpose,
  SMALL_SIZES,
} from '../ir/structures.js';
import { frobeniusError, gradientCase } from './support.js';

/** Blocks of a flat_butterfly(factors: 2) pattern on an N×N grid: I xor J is 0 or a power of two below 4. */
function flatButterfly(nBlocks: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < nBlocks; i++) for (let j = 0; j < nBlocks; j++) if ([0, 1, 2].includes(i ^ j)) out.push([i, j]);
  return out;
}
/** Blocks of band(width: w): |I - J| < w. */
function band(nBlocks: number, width: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < nBlocks; i++) for (let j = 0; j < nBlocks; j++) if (Math.abs(i - j) < width) out.push([i, j]);
  return out;
}
function randomBlocks(rows: number, cols: number, seed: number): [number, number][] {
  const random = rng(seed);
  const out: [number, number][] = [];
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) if (random() < 0.4) out.push([i, j]);
  return out;
}

const tiedTarget = monarch(16, 16, 4)('t');

const CASES: [string, CheckedMap][] = [
  ['dense', checkedMap('m', dense(12, 20))],
  ['ks', checkedMap('m', ks(2, 3, 5, 2))],
  ['blockdiag', checkedMap('m', blockdiag(24, 12, 4))],
  ['monarch square', checkedMap('m', monarch(64, 64, 8))],
  ['monarch rectangular', checkedMap('m', monarch(24, 60, 6))],
  ['monarch order 3 radices 3,4,5', checkedMap('m', monarchOrder([3, 4, 5]))],
  ['butterfly radix 2 increasing', checkedMap('m', butterfly(2, 5))],
  ['butterfly radix 2 decreasing', checkedMap('m', butterfly(2, 4, 'decreasing'))],
  ['butterfly radix 3 increasing', checkedMap('m', butterfly(3, 2))],
  ['butterfly radix 3 decreasing', checkedMap('m', butterfly(3, 3, 'decreasing'))],
  ['lowrank', checkedMap('m', lowrank(20, 12, 3))],
  ['sparse flat_butterfly', checkedMap('m', sparse(32, 32, 4, 4, flatButterfly(8)))],
  ['sparse band', checkedMap('m', sparse(30, 30, 3, 3, band(10, 2)))],
  ['sparse random rectangular', checkedMap('m', sparse(24, 18, 3, 4, randomBlocks(6, 6, 7)))],
  ['monarch + bias', checkedMap('m', sum(monarch(16, 16, 4), bias(16)))],
  ['sum of three with bias', checkedMap('m', sum(lowrank(12, 18, 2), bias(18, 12), sparse(12, 18, 3, 2, randomBlocks(6, 6, 3)), dense(12, 18)))],
  ['chain with transposes', checkedMap('m', chain(transpose(3, 8), blockdiag(24, 24, 3), transpose(8, 3), monarch(24, 24, 4)))],
  ['weight tying', checkedMap('m', chain(ref('t', tiedTarget), sum(ref('t', tiedTarget), blockdiag(16, 16, 2))))],
  ['bias only', checkedMap('m', bias(10))],
  ['sparse without blocks + bias', checkedMap('m', sum(sparse(8, 6, 2, 2, []), bias(6, 8)))],
];

async function expectGradients(map: CheckedMap, backend: Backend, seed: number, batch: number, rowsPerSplit?: number, tolerance = 1e-5) {
  const c = await gradientCase(map, backend, seed, batch, { rowsPerSplit });
  try {
    const got = await c.runner.backward(c.x, c.dy, batch);
    expect(frobeniusError(got.dx, c.want.dx), 'dx').toBeLessThan(tolerance);
    expect([...got.grads.keys()].sort()).toEqual([...c.want.grads.keys()].sort());
    for (const [name, g] of c.want.grads) expect(frobeniusError(got.grads.get(name)!, g), name).toBeLessThan(tolerance);
  } finally {
    c.runner.destroy();
  }
}

describe.each(['webgpu', 'cpu'] as const)('backward on %s matches the float64 reference', (backend) => {
  it.each(CASES)('%s', async (_name, map) => {
    await expectGradients(map, backend, 11, 5, 2);
  });

  it('batch 1 and a batch over several splits of the default size', async () => {
    await expectGradients(checkedMap('m', monarch(16, 16, 4)), backend, 3, 1);
    await expectGradients(checkedMap('m', sum(butterfly(2, 3), bias(8))), backend, 4, 300);
  });
});

describe('random structures on webgpu', () => {
  const sizes = fc.constantFrom(...SMALL_SIZES);
  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), sizes, sizes, fc.integer({ min: 0, max: 2 }), fc.constantFrom(1, 3, 7), fc.constantFrom(1, 4, 256)], { numRuns: 3 })(
    'gradients within 1e-5',
    async (seed, n, m, depth, batch, rowsPerSplit) => {
      await expectGradients(checkedMap('m', randomStructure(rng(seed ^ 0x5eed), n, m, depth)), 'webgpu', seed, batch, rowsPerSplit);
    },
  );
});
