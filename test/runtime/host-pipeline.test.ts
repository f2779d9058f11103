/**
 * When `forward` pipelines a batch (src/runtime/pipelined-forward.ts, chunkRowsFor): by default
 * from 8 MiB on (the larger of input and result decides) in chunks of at least 4 MiB, at most 4
 * (more past 16 MiB a chunk);
 * one piece below; a caller's chunkRows over the default, never above the device's rows; a batch
 * over those always in chunks.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { chunkRowsFor, HOST_PIPELINE } from '../../src/runtime/pipelined-forward.js';

const MONARCH = { in: 4096, out: 4096 };
const BIG = 1 << 30;

describe('chunkRowsFor', () => {
  it('runs n = 4096 in one piece below 512 rows (8 MiB), from there in 4 MiB chunks up to 4 of them, then in 4', () => {
    for (const batch of [1, 64, 256, 511]) expect(chunkRowsFor(MONARCH, batch, BIG, undefined), `batch ${batch}`).toBeUndefined();
    // 512 rows of 16 KiB = 8 MiB: two chunks of 4 MiB = 256 rows (H100, s17 call 3: 1.851 ms against 2.054-2.273 in one piece).
    expect(chunkRowsFor(MONARCH, 512, BIG, undefined)).toBe(256);
    expect(chunkRowsFor(MONARCH, 1024, BIG, undefined)).toBe(256);
    expect(chunkRowsFor(MONARCH, 2048, BIG, undefined)).toBe(512);
    // 4096 rows: 4 chunks of 1024 (s27, H100: 16.98 and 16.10 ms against 20.11 and 21.95 in 8 of 512).
    expect(chunkRowsFor(MONARCH, 4096, BIG, undefined)).toBe(1024);
    // Past 4096 rows, chunks of at most 16 MiB (the chunks timed): more of them.
    expect(chunkRowsFor(MONARCH, 4097, BIG, undefined)).toBe(1024);
    expect(chunkRowsFor(MONARCH, 16384, BIG, undefined)).toBe(1024);
    // Never more than callChunks (16) by default, so that every chunk goes out at the call (REV27-13): larger chunks past that.
    expect(chunkRowsFor(MONARCH, 32768, BIG, undefined)).toBe(2048);
    // The larger side decides: 1024 -> 4096 is 16 KiB of result per row.
    expect(chunkRowsFor({ in: 1024, out: 4096 }, 4096, BIG, undefined)).toBe(1024);
    expect(chunkRowsFor({ in: 4096, out: 1024 }, 512, BIG, undefined)).toBe(256);
    expect(chunkRowsFor({ in: 1024, out: 1024 }, 1024, BIG, undefined)).toBeUndefined();
  });

  it('takes a caller chunkRows, Infinity as one piece, and caps at the device rows', () => {
    expect(chunkRowsFor(MONARCH, 512, BIG, 100)).toBe(100);
    expect(chunkRowsFor(MONARCH, 512, BIG, 512)).toBeUndefined();
    expect(chunkRowsFor(MONARCH, 8192, BIG, Infinity)).toBeUndefined();
    expect(chunkRowsFor(MONARCH, 8192, 300, undefined)).toBe(300);
    expect(chunkRowsFor(MONARCH, 8192, 300, 1000)).toBe(300);
    // A batch over the device rows is always chunked, Infinity and the default plan included (GpuExecutor.run leaves it to this entry).
    expect(chunkRowsFor(MONARCH, 8192, 300, Infinity)).toBe(300);
    // A narrow map whose batches stay one piece by default: chunked only past the device rows.
    expect(chunkRowsFor({ in: 16, out: 16 }, 301, 300, undefined)).toBe(300);
    expect(chunkRowsFor({ in: 16, out: 16 }, 300, 300, undefined)).toBeUndefined();
  });

  test.prop([fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 1 << 16 }), fc.integer({ min: 1, max: 1 << 16 }), fc.integer({ min: 1, max: 1 << 20 })])(
    'one piece exactly below the threshold; chunks of at least the chunk bytes, at most maxChunks of them, within the device rows',
    (n, m, batch, maxRows) => {
      const rowBytes = Math.max(n, m) * 4;
      const chunk = chunkRowsFor({ in: n, out: m }, batch, maxRows, undefined);
      if (batch * rowBytes < HOST_PIPELINE.minBytes && batch <= maxRows) expect(chunk).toBeUndefined();
      else {
        expect(chunk).toBeDefined();
        expect(chunk!).toBeGreaterThanOrEqual(1);
        expect(chunk!).toBeLessThan(batch);
        expect(chunk!).toBeLessThanOrEqual(maxRows);
        if (chunk! < maxRows) {
          // At most maxChunks chunks, unless they would be over maxChunkBytes; each at least chunkBytes, or a maxChunks-th of the batch.
          const capped = Math.floor(HOST_PIPELINE.maxChunkBytes / rowBytes);
          if (chunk! < capped) expect(Math.ceil(batch / chunk!)).toBeLessThanOrEqual(HOST_PIPELINE.maxChunks);
          expect(Math.ceil(batch / chunk!)).toBeLessThanOrEqual(HOST_PIPELINE.callChunks);
          expect(chunk!).toBeLessThanOrEqual(Math.max(1, capped, Math.floor(HOST_PIPELINE.chunkBytes / rowBytes), Math.ceil(batch / HOST_PIPELINE.callChunks)));
          expect(chunk! * rowBytes >= HOST_PIPELINE.chunkBytes || chunk! >= batch / HOST_PIPELINE.maxChunks).toBe(true);
        }
      }
    },
  );
});
