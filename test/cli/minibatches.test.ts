/**
 * monc train's mini-batch schedule: every epoch visits every row exactly once in batches of the
 * asked size (the last one holds the rest), epochs are reshuffled, and the schedule is a pure
 * function of (rows, batch, seed).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { gatherRows, miniBatches } from '../../src/cli/minibatches.js';

describe('miniBatches', () => {
  test.prop([fc.integer({ min: 2, max: 60 }), fc.integer({ min: 1, max: 60 }), fc.nat()], { numRuns: 100 })(
    'each epoch is a permutation of the rows cut into batches; same seed, same schedule',
    (rows, size, seed) => {
      fc.pre(size < rows);
      const next = miniBatches(rows, size, seed);
      const again = miniBatches(rows, size, seed);
      const perEpoch = Math.ceil(rows / size);
      const epochs: number[][] = [];
      for (let e = 0; e < 3; e++) {
        const seen: number[] = [];
        for (let b = 0; b < perEpoch; b++) {
          const picked = next()!;
          expect([...picked]).toEqual([...again()!]);
          expect(picked.length).toBe(b < perEpoch - 1 ? size : rows - size * (perEpoch - 1));
          seen.push(...picked);
        }
        expect([...seen].sort((a, b) => a - b)).toEqual([...Array(rows).keys()]);
        epochs.push(seen);
      }
      // Reshuffled every epoch (rows >= 8 makes an identical order vanishingly unlikely).
      if (rows >= 8) expect(epochs[1]).not.toEqual(epochs[0]);
    },
  );

  it('uses all rows in file order when the batch covers them', () => {
    expect(miniBatches(5, 5, 1)()).toBeUndefined();
    expect(miniBatches(5, 9, 1)()).toBeUndefined();
    expect(() => miniBatches(5, 0, 1)).toThrow(RangeError);
  });

  it('gathers the picked rows', () => {
    const data = Float32Array.from({ length: 12 }, (_, i) => i);
    expect([...gatherRows(data, 3, Uint32Array.from([3, 0]))]).toEqual([9, 10, 11, 0, 1, 2]);
  });
});
