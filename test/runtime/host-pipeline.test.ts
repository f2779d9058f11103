/**
 * When `forward` pipelines a batch (src/runtime/pipelined-forward.ts, chunkRowsFor): by default
 * never (until the H200 settles it); with a byte threshold, one piece below it and chunks of the
 * plan's chunk bytes from there on (the larger of input and result decides); a caller's
 * chunkRows over the default, never above the device's rows; a batch over those always in chunks.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { chunkRowsFor, HOST_PIPELINE, PIPELINE_FROM_BYTES } from '../../src/runtime/pipelined-forward.js';

const MONARCH = { in: 4096, out: 4096 };
const BIG = 1 << 30;
/** The candidate default: pipelined from 64 MiB on. */
const FROM_64 = { ...HOST_PIPELINE, minBytes: PIPELINE_FROM_BYTES };

describe('chunkRowsFor', () => {
  it('by default runs every batch in one piece (the measured path), unless asked', () => {
    for (const batch of [1, 512, 4096, 1 << 16]) expect(chunkRowsFor(MONARCH, batch, BIG, undefined)).toBeUndefined();
  });

  it('with a threshold, keeps the measured one-piece batches of n = 4096 and chunks from 64 MiB on', () => {
    expect(chunkRowsFor(MONARCH, 1, BIG, undefined, FROM_64)).toBeUndefined();
    expect(chunkRowsFor(MONARCH, 512, BIG, undefined, FROM_64)).toBeUndefined();
    expect(chunkRowsFor(MONARCH, 4095, BIG, undefined, FROM_64)).toBeUndefined();
    // 4096 rows of 16 KiB = 64 MiB: chunks of 8 MiB = 512 rows.
    expect(chunkRowsFor(MONARCH, 4096, BIG, undefined, FROM_64)).toBe(512);
    // The larger side decides: 1024 -> 4096 is 16 KiB of result per row.
    expect(chunkRowsFor({ in: 1024, out: 4096 }, 4096, BIG, undefined, FROM_64)).toBe(512);
    expect(chunkRowsFor({ in: 4096, out: 1024 }, 4096, BIG, undefined, FROM_64)).toBe(512);
  });

  it('takes a caller chunkRows, Infinity as one piece, and caps at the device rows', () => {
    expect(chunkRowsFor(MONARCH, 512, BIG, 100)).toBe(100);
    expect(chunkRowsFor(MONARCH, 512, BIG, 512)).toBeUndefined();
    expect(chunkRowsFor(MONARCH, 8192, BIG, Infinity, FROM_64)).toBeUndefined();
    expect(chunkRowsFor(MONARCH, 8192, 300, undefined, FROM_64)).toBe(300);
    expect(chunkRowsFor(MONARCH, 8192, 300, 1000)).toBe(300);
    // A batch over the device rows is always chunked, Infinity and the default plan included (GpuExecutor.run leaves it to this entry).
    expect(chunkRowsFor(MONARCH, 8192, 300, Infinity)).toBe(300);
    expect(chunkRowsFor(MONARCH, 301, 300, undefined)).toBe(300);
    expect(chunkRowsFor(MONARCH, 300, 300, undefined)).toBeUndefined();
  });

  test.prop([fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 1 << 16 }), fc.integer({ min: 1, max: 1 << 16 }), fc.integer({ min: 1, max: 1 << 20 })])(
    'one piece exactly below the threshold; chunks within the chunk bytes and the device rows',
    (n, m, batch, maxRows) => {
      const rowBytes = Math.max(n, m) * 4;
      const chunk = chunkRowsFor({ in: n, out: m }, batch, maxRows, undefined, FROM_64);
      if (batch * rowBytes < FROM_64.minBytes && batch <= maxRows) expect(chunk).toBeUndefined();
      else {
        expect(chunk).toBeDefined();
        expect(chunk!).toBeGreaterThanOrEqual(1);
        expect(chunk!).toBeLessThan(batch);
        expect(chunk!).toBeLessThanOrEqual(maxRows);
        expect(chunk === 1 || chunk! * rowBytes <= FROM_64.chunkBytes).toBe(true);
      }
    },
  );
});
