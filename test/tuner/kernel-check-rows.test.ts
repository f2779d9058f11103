/**
 * The tuner's check compares rows across the whole batch, not only its first and last rows: a
 * candidate that is wrong in one middle row tile (rows 96-127 of 256 here) is rejected. Before, the
 * 16 checked rows were 0-7 and 248-255, so such a kernel passed, was timed, and could win.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { checkedRows, KernelCheck } from '../../src/tuner/kernel-check.js';
import { denseKernel, denseLayout, denseOp } from '../support/dense-kernel.js';
import { getTestDevice } from '../support/gpu.js';

describe('checkedRows', () => {
  test.prop([fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 2, max: 128 })])('ascending rows of the batch, first and last included, evenly spread', (batch, count) => {
    const rows = checkedRows(batch, count);
    expect(rows).toHaveLength(Math.min(batch, count));
    rows.forEach((r, i) => {
      expect(Number.isInteger(r) && r >= 0 && r < batch).toBe(true);
      if (i > 0) expect(r).toBeGreaterThan(rows[i - 1]!);
    });
    expect(rows[0]).toBe(0);
    expect(rows.at(-1)).toBe(batch - 1);
    // No stretch of the batch longer than its share of the spread rows goes unchecked.
    const edge = Math.max(1, Math.floor(count / 4));
    const spread = count - 2 * edge;
    if (batch > count && spread > 0) {
      const gaps = rows.slice(1).map((r, i) => r - rows[i]!);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(Math.ceil((batch - 2 * edge) / spread) + 1);
    }
  });
});

describe('KernelCheck of a kernel wrong in one middle row tile', () => {
  const [n, m, batch] = [6, 5, 256];

  it('the tuner\'s 16 rows find it; the correct kernel passes', async () => {
    const check = KernelCheck.create(await getTestDevice(), { ops: [denseOp(n, m)], layout: denseLayout(n, m), paramSize: m * n, storage: 'f32', batch, checkRows: 16 });
    try {
      expect(await check.check(denseKernel(n, m))).toBeLessThan(1e-6);
      expect(await check.check(denseKernel(n, m, { from: 96, to: 128 }))).toBeGreaterThan(0.1);
    } finally {
      check.destroy();
    }
  });
});
