/**
 * Block-pattern tables (src/manifest/pattern.ts): what a block-sparse kernel reads at binding 5
 * instead of constants in its WGSL. The `csr` table of any pattern, in any block order (a
 * transposed op lists the forward blocks swapped), holds exactly its blocks, each row's in the
 * op's order, with each block's index; the `coo` table lists them in order. And the sparse limit
 * (docs/language.md, E0607): 2^22 blocks in a pattern and in a module's patterns together,
 * refused beyond with a located error.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it, vi } from 'vitest';
import { compileKernels } from '../../src/compile-kernels.js';
import { MAX_SPARSE_BLOCKS } from '../../src/dsl/limits.js';
import { randomBlocks } from '../../src/dsl/patterns.js';
import { csrOffsets, patternTable } from '../../src/manifest/pattern.js';

// randomBlocks watched (a spy over the real one): whether a pattern's blocks were listed.
vi.mock('../../src/dsl/patterns.js', async (original) => {
  const actual = await original<typeof import('../../src/dsl/patterns.js')>();
  return { ...actual, randomBlocks: vi.fn(actual.randomBlocks) };
});

/** A grid of up to 9 x 9 blocks, a random set of them in a random order (empty rows included). */
const patterns = fc
  .record({ rows: fc.integer({ min: 1, max: 9 }), cols: fc.integer({ min: 1, max: 9 }), bh: fc.integer({ min: 1, max: 4 }) })
  .chain(({ rows, cols, bh }) =>
    fc
      .uniqueArray(fc.tuple(fc.nat(rows - 1), fc.nat(cols - 1)), { selector: ([i, j]) => i * cols + j, maxLength: rows * cols })
      .map((blocks) => ({ rows: rows * bh, bh, blockRows: rows, blocks: blocks as [number, number][] })),
  );

describe('pattern tables', () => {
  test.prop([patterns])('csr: row starts, then each row’s blocks in the op’s order with their column and index z', (p) => {
    const table = patternTable(p, 'csr');
    const at = csrOffsets(p.blockRows, p.blocks.length);
    expect(table.length).toBe(at.words);
    expect(table[0]).toBe(0);
    expect(table[p.blockRows]).toBe(p.blocks.length);
    const seen: [number, number, number][] = [];
    for (let i = 0; i < p.blockRows; i++) {
      expect(table[i + 1]).toBeGreaterThanOrEqual(table[i]);
      for (let k = table[i]; k < table[i + 1]; k++) {
        if (k > table[i]) expect(table[at.z + k]).toBeGreaterThan(table[at.z + k - 1]);
        seen.push([i, table[at.col + k], table[at.z + k]]);
      }
    }
    // Every block exactly once, under its own index.
    expect(seen.map(([, , z]) => z).sort((a, b) => a - b)).toEqual(p.blocks.map((_, z) => z));
    for (const [i, j, z] of seen) expect(p.blocks[z]).toEqual([i, j]);
  });

  test.prop([patterns])('coo: block z’s row and column at 2z and 2z + 1', (p) => {
    expect([...patternTable(p, 'coo')]).toEqual(p.blocks.flat());
  });

  it('a forward op’s row-major blocks are their own csr order (z = k); its transpose’s rows come out sorted by column', () => {
    const blocks: [number, number][] = [[0, 1], [0, 3], [2, 0], [2, 2], [3, 3]];
    expect([...patternTable({ rows: 8, bh: 2, blocks }, 'csr')]).toEqual([0, 2, 2, 4, 5, 1, 3, 0, 2, 3, 0, 1, 2, 3, 4]);
    const swapped = blocks.map(([i, j]): [number, number] => [j, i]);
    expect([...patternTable({ rows: 4, bh: 1, blocks: swapped }, 'csr')]).toEqual([0, 1, 2, 3, 5, 2, 0, 2, 0, 3, 2, 0, 3, 1, 4]);
  });
});

describe('the sparse limit (E0607)', () => {
  it('is 2^22 blocks; a pattern over it is refused at once with a located error naming the limit', () => {
    expect(MAX_SPARSE_BLOCKS).toBe(2 ** 22);
    // 2049 x 2048 blocks of a full random pattern: 2048 more than the limit, counted without listing them (a spy, not a
    // clock: s26 OPEN-b; listed, they are refused with the same message).
    vi.mocked(randomBlocks).mockClear();
    const { diagnostics } = compileKernels('map f : 2049 -> 2048 = sparse(block: 1, pattern: random(density: 1, seed: 1))', 'limit.mon');
    expect(randomBlocks).not.toHaveBeenCalled();
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      ['E0607', "the pattern selects 4196352 blocks, more than the limit 4194304 of a module's patterns together; use larger blocks or a sparser pattern"],
    ]);
  });

  it("counts a module's patterns together, each use of a map again", () => {
    const source = ['map a : 1024 -> 1024 = sparse(block: 1, pattern: random(density: 0.9, seed: 1))', 'map b : 1024 -> 1024 = a + a + a + a'].join('\n');
    const { diagnostics } = compileKernels(source, 'tied.mon');
    expect(diagnostics.map((d) => [d.code, d.message, d.span.start.line])).toEqual([
      ['E0607', "map 'b' has 3774872 sparse blocks once its references are expanded, which brings the module to 4718590, more than the limit 4194304 of a module's patterns together", 2],
    ]);
  });

  it('a grid of many block rows builds: the table has one row start per block row', () => {
    // 8191 block rows: twice the former 4095 limit on block rows.
    const { diagnostics, outputs } = compileKernels('map f : 1 -> 8191 = sparse(block: 1, pattern: band(width: 1))', 'rows.mon');
    expect(diagnostics).toEqual([]);
    expect(outputs!.manifest.maps[0].kernels[0].pattern).toBe('csr');
  });
});
