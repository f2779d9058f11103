/**
 * Sparsity patterns of `sparse` (SPEC §3): which blocks (I, J) of an R x C block grid are
 * present, always in row-major order. `random` is specified exactly in docs/language.md.
 */
import { mulberry32 } from '../util/random.js';

export type Block = readonly [number, number];

/** A decimal fraction num/den, kept exact. */
export interface Fraction {
  readonly num: bigint;
  readonly den: bigint;
}

export type PatternSpec =
  | { readonly kind: 'flat_butterfly'; readonly factors: number }
  | { readonly kind: 'band'; readonly width: number }
  | { readonly kind: 'random'; readonly density: Fraction; readonly densityText: string; readonly seed: number }
  | { readonly kind: 'mask'; readonly path: string };

/** The block grid limit: R·C blocks are enumerated, so it must stay reasonable. */
export const MAX_GRID_BLOCKS = 2 ** 24;

/**
 * flat_butterfly(factors: f) on an N x N grid (N a power of two): (I, J) present iff I xor J is 0 or 2^t with t < f.
 * On the grid I xor J is below N, so an f past log2 N (up to 2^31 - 1) selects what log2 N does (SPEC §3 bounds no f).
 */
export function flatButterflyBlocks(n: number, factors: number): Block[] {
  const out: Block[] = [];
  const strides = Math.min(factors, Math.log2(n));
  for (let i = 0; i < n; i++) {
    const cols = [i];
    for (let t = 0; t < strides; t++) cols.push(i ^ (1 << t));
    cols.sort((a, b) => a - b);
    for (const j of cols) out.push([i, j]);
  }
  return out;
}

/** The number of blocks band(width: w) selects, without listing them (O(rows)). */
export function bandBlockCount(rows: number, cols: number, width: number): number {
  let count = 0;
  for (let i = 0; i < rows; i++) count += Math.max(0, Math.min(cols - 1, i + width - 1) - Math.max(0, i - width + 1) + 1);
  return count;
}

/** band(width: w): (I, J) present iff |I - J| < w. */
export function bandBlocks(rows: number, cols: number, width: number): Block[] {
  const out: Block[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = Math.max(0, i - width + 1); j <= Math.min(cols - 1, i + width - 1); j++) out.push([i, j]);
  }
  return out;
}

/** The number of blocks random(density) picks: max(1, round-half-up(density · total)), exactly. */
export function randomBlockCount(density: Fraction, total: number): number {
  const t = BigInt(total);
  const rounded = (2n * density.num * t + density.den) / (2n * density.den);
  return Math.max(1, Number(rounded));
}

/**
 * random(density, seed): a partial Fisher–Yates shuffle of the row-major block indices
 * 0 … R·C-1 driven by mulberry32(seed): for i = 0 … k-1, j = i + (next() mod (total - i)),
 * swap positions i and j, take position i. The taken indices, sorted, are the blocks.
 */
export function randomBlocks(rows: number, cols: number, density: Fraction, seed: number): Block[] {
  const total = rows * cols;
  const k = randomBlockCount(density, total);
  const next = mulberry32(seed);
  const moved = new Map<number, number>(); // the shuffled array, stored sparsely
  const at = (i: number) => moved.get(i) ?? i;
  const taken: number[] = [];
  for (let i = 0; i < k; i++) {
    const j = i + (next() % (total - i));
    const vi = at(i);
    const vj = at(j);
    moved.set(i, vj);
    moved.set(j, vi);
    taken.push(vj);
  }
  taken.sort((a, b) => a - b);
  return taken.map((x) => [Math.floor(x / cols), x % cols]);
}

/** The present blocks of a 0/1 mask of shape (rows, cols), row-major. */
export function maskBlocks(rows: number, cols: number, data: ArrayLike<number>): Block[] {
  const out: Block[] = [];
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) if (data[i * cols + j] === 1) out.push([i, j]);
  return out;
}

/** How a pattern is written, for the structure's `pattern` field. */
export function patternText(p: PatternSpec): string {
  switch (p.kind) {
    case 'flat_butterfly':
      return `flat_butterfly(factors: ${p.factors})`;
    case 'band':
      return `band(width: ${p.width})`;
    case 'random':
      return `random(density: ${p.densityText}, seed: ${p.seed})`;
    case 'mask':
      return JSON.stringify(p.path);
  }
}
