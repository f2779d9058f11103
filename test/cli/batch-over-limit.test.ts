/**
 * A `--batch` whose buffers pass the adapter's one-buffer limit (maxStorageBufferBindingSize,
 * maxBufferSize) is refused by `monc bench` and `monc tune` before anything is allocated or timed:
 * one line naming the limit and the rows that fit, exit 1 (JSON error under --json). Before, WebGPU
 * refused the buffers, every dispatch did nothing, bench reported 0 ms and Infinity GFLOP/s with
 * exit 0, tune timed backward candidates at 0 ms (and an even larger batch was an internal error).
 */
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { paddedBytes } from '../../src/runtime/buffer.js';
import { backwardRowsLimitOf, forwardRowsLimit, rowsLimit } from '../../src/manifest/rows-limit.js';
import { cli, scratchDir } from './helpers.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());
const spec = scratch.path('a.mon');
writeFileSync(spec, 'map up : 16 -> 24 = monarch(nblocks: 4) + bias()\n');
const env = { MONC_TUNING_DB: scratch.path('tuning.json') };
const LINE = /^monc: error: map 'up'( \(backward\))? at batch ([\d,]+) needs a buffer over this adapter's limit of ([\d,]+) bytes for one buffer \(maxStorageBufferBindingSize, maxBufferSize\): at most ([\d,]+) rows fit$/;
/** The last line of stderr (an adapter note may come before it); the only error line. */
function errorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '');
  expect(lines.filter((l) => l.startsWith('monc: error'))).toHaveLength(1);
  return lines.at(-1)!;
}
const num = (s: string) => Number(s.replaceAll(',', ''));

describe('a batch over the adapter buffer limit', () => {
  for (const batch of ['20000000', '2147483647']) {
    it(`monc bench --batch ${batch}: one line, exit 1, nothing timed`, async () => {
      const r = await cli(['bench', spec, '--map', 'up', '--batch', batch, '--no-tuning', '--repeats', '1'], env);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const m = LINE.exec(errorLine(r.stderr));
      expect(m, r.stderr).not.toBeNull();
      expect(num(m![2])).toBe(Number(batch));
      // The widest buffer is y (24 values of 4 bytes a row): the rows stated are the ones that fit.
      expect(num(m![4])).toBe(Math.floor((num(m![3]) - (num(m![3]) % 16)) / (24 * 4)));
      expect(num(m![4])).toBeLessThan(Number(batch));
    });
  }

  it('monc bench --json: the error as one JSON object', async () => {
    const r = await cli(['bench', spec, '--map', 'up', '--batch', '20000000', '--no-tuning', '--repeats', '1', '--json'], env);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.error.kind).toBe('user');
    expect(out.error.message).toMatch(/^map 'up' at batch 20,000,000 needs a buffer over this adapter's limit/);
  });

  it('monc tune: refused before any tuning, nothing stored', async () => {
    const r = await cli(['tune', spec, '--map', 'up', '--batch', '20000000', '--max-candidates', '1'], env);
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toMatch(LINE);
    expect(r.stderr).not.toContain('ms ±');
  });
});

describe('rowsLimit', () => {
  test.prop([
    fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 4 }),
    fc.constantFrom(2, 4),
    fc.integer({ min: 1 << 16, max: 2 ** 31 }),
    fc.integer({ min: 1 << 16, max: 2 ** 31 }),
  ])('the rows it allows fit every buffer, padded; one more row does not fit the widest', (widths, e, binding, buffer) => {
    const limits = { maxStorageBufferBindingSize: binding, maxBufferSize: buffer };
    const { rows, bytes } = rowsLimit(widths, e, limits);
    expect(bytes).toBe(Math.min(binding, buffer));
    for (const w of widths) expect(paddedBytes(rows * w, e)).toBeLessThanOrEqual(bytes);
    expect(paddedBytes((rows + 1) * Math.max(...widths), e)).toBeGreaterThan(bytes);
  });

  // QA s20 Q90: 16 bytes were counted per row, not per buffer: a 1-wide f32 map was allowed a fifth of its rows.
  it('a narrow map: the padding counts once per buffer', () => {
    const limits = { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 31 };
    expect(rowsLimit([1], 4, limits).rows).toBe(2 ** 28);
    expect(rowsLimit([1, 1], 2, { ...limits, maxStorageBufferBindingSize: 2 ** 27 + 15 }).rows).toBe(2 ** 26);
  });

  it('a backward pass is also bounded by its f32 partials, one per rowsPerSplit rows', () => {
    const limits = { maxStorageBufferBindingSize: 1 << 20, maxBufferSize: 1 << 30 };
    const program = { in: 16, out: 24, buffers: [], partials: [{ size: 4096 }], rowsPerSplit: 8 };
    // Rows: ⌊2^20 / (24·4)⌋ = 10922; partials: ⌊2^20 / (4096·4)⌋ = 64 splits of 8 rows = 512.
    expect(forwardRowsLimit(program, 'f32', limits).rows).toBe(10922);
    expect(backwardRowsLimitOf(program, 'f32', limits).rows).toBe(512);
    expect(backwardRowsLimitOf({ ...program, partials: [] }, 'f16', limits).rows).toBe(Math.floor((1 << 20) / (24 * 2)));
  });
});
