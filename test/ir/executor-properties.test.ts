/**
 * The compiled program, run by the CPU executor, equals the float64 reference (SPEC §3) for
 * random structures of every constructor, sums with bias, chains with transposes and weight
 * tying, at non-power-of-two and rectangular sizes and odd batches; and the program has exactly
 * one op per block matmul (none for a permutation).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { compileMap } from '../../src/ir/pipeline.js';
import { executeProgram } from '../../src/runtime/cpu-executor.js';
import { packParams } from '../../src/runtime/params.js';
import type { CheckedMap } from '../../src/dsl/structure.js';
import { checkedMap, countKind, matmulCount, randomParams, randomStructure, randomValues, relativeError, rng, SMALL_SIZES } from './structures.js';
import { referenceApply } from '../support/reference.js';

function runBoth(map: CheckedMap, seed: number, batch: number) {
  const random = rng(seed);
  const params = randomParams(map.structure, random);
  const x = randomValues(random, batch * map.in);
  const program = compileMap(map, 'f32');
  // Pack through float32 and compare against a reference that sees the same rounded values.
  const packed = packParams(program.params, program.paramSize, params);
  const rounded = new Map([...params].map(([k, v]) => [k, Float64Array.from(v, Math.fround)]));
  return { program, got: executeProgram(program, packed, x, batch), want: referenceApply(map.structure, rounded, x, batch) };
}

describe('compiled programs match the reference', () => {
  const sizes = fc.constantFrom(...SMALL_SIZES);
  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), sizes, sizes, fc.integer({ min: 0, max: 3 }), fc.constantFrom(1, 2, 3, 5)], { numRuns: 300 })(
    'random structures',
    (seed, n, m, depth, batch) => {
      const map = checkedMap('m', randomStructure(rng(seed ^ 0x5eed), n, m, depth));
      const { program, got, want } = runBoth(map, seed, batch);
      expect(relativeError(got, want)).toBeLessThan(1e-9);
      const matmulOps = program.ops.filter((op) => op.kind !== 'bias').length;
      expect(matmulOps).toBe(matmulCount(map.structure));
      expect(program.ops.length - matmulOps).toBeLessThanOrEqual(countKind(map.structure, 'bias'));
    },
  );
});
