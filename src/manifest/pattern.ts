/**
 * Block-pattern tables: how a block-sparse kernel reads its op's pattern. The pattern itself is
 * the op's `blocks` (the one model of it, which the manifest carries in `ops`); a kernel that
 * walks it names a table layout (`pattern` in its manifest entry), and the runtime builds that
 * table from the op and binds it, once per runner, at PATTERN_BINDING as an array<u32>. So the
 * WGSL text does not grow with the pattern: only the table's offsets are constants in it.
 *
 * Layouts (u32 words):
 * - `csr`, of a `bsr` op over a grid of R block rows and its nnz blocks: `rowStart` (R + 1
 *   words: block row I's blocks are k in [rowStart[I], rowStart[I + 1])), then `col` (nnz: the
 *   block column of k), then `z` (nnz: the index of k in the op's `blocks`, the block's values
 *   in the weight tensor). A row's blocks keep the op's order. A forward op lists its blocks
 *   row-major, so there z = k; a transposed op (backward) lists the forward blocks swapped, so
 *   its rows come out sorted by column too.
 * - `coo`, of a `wgrad` op over a `bsr` forward op: 2·nnz words, block z's row at 2z and its
 *   column at 2z + 1.
 */
import type { BackwardOpData, BsrShape } from './program.js';
import { listedBlocks } from './manifest-file.js';
import { assertNever } from '../util/assert.js';

/** The binding of a kernel's pattern table (storage, read), in forward and gradient kernels alike. */
export const PATTERN_BINDING = 5;

export type PatternLayout = 'csr' | 'coo';

/** What a pattern table is built from: an op's blocks on its grid of block rows. */
export type PatternSource = Pick<BsrShape, 'blocks' | 'rows' | 'bh'>;

/** The pattern a kernel of `op` walks: a `bsr` op's, or that of the `bsr` op whose weight gradient a `wgrad` op computes. */
export function patternSource(op: BackwardOpData): PatternSource | undefined {
  if (op.kind === 'bsr') return op;
  if (op.kind === 'wgrad' && op.forward.kind === 'bsr') return op.forward;
  return undefined;
}

/**
 * The table a kernel of `op` reads its pattern from (the layouts above): a `bsr` op's kernels walk block rows (`csr`), a
 * `wgrad` op's the blocks one by one (`coo`); undefined for an op with no pattern.
 */
export function patternLayout(op: BackwardOpData): PatternLayout | undefined {
  if (!patternSource(op)) return undefined;
  return op.kind === 'bsr' ? 'csr' : 'coo';
}

/** Where the parts of a `csr` table start (words), for a grid of `blockRows` rows and `nnz` blocks. */
export function csrOffsets(blockRows: number, nnz: number): { readonly rowStart: number; readonly col: number; readonly z: number; readonly words: number } {
  return { rowStart: 0, col: blockRows + 1, z: blockRows + 1 + nnz, words: blockRows + 1 + 2 * nnz };
}

/** The table of `layout` for an op's pattern (docs/manifest.md, "Block patterns"). */
export function patternTable(source: PatternSource, layout: PatternLayout): Uint32Array {
  switch (layout) {
    case 'csr':
      return csrTable(source);
    case 'coo':
      return new Uint32Array(listedBlocks(source).flat());
    default:
      return assertNever(layout, 'pattern layout');
  }
}

function csrTable(source: PatternSource): Uint32Array {
  const { rows, bh } = source;
  const blocks = listedBlocks(source);
  const blockRows = rows / bh;
  const at = csrOffsets(blockRows, blocks.length);
  const table = new Uint32Array(at.words);
  for (const [i] of blocks) table[i + 1]++;
  for (let i = 0; i < blockRows; i++) table[i + 1] += table[i];
  // A counting sort by row, stable in z.
  const next = table.slice(0, blockRows);
  blocks.forEach(([i, j], z) => {
    const k = next[i]++;
    table[at.col + k] = j;
    table[at.z + k] = z;
  });
  return table;
}
