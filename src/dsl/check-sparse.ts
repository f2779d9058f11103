/** `sparse(block:, pattern:)`: block sizes, the block grid and the pattern's blocks (SPEC §3). */
import type { Args } from './check-args.js';
import { Code, MAX_INT } from './codes.js';
import type { DiagnosticBag } from './diagnostics.js';
import { MAX_SPARSE_BLOCKS } from './limits.js';
import { bandBlockCount, bandBlocks, flatButterflyBlocks, maskBlocks, MAX_GRID_BLOCKS, patternText, randomBlockCount, randomBlocks, type Block, type PatternSpec } from './patterns.js';
import type { SparseNode } from './structure.js';
import { describeValue } from '../util/describe-value.js';
import type { Span } from './span.js';
import { tensorElements } from './params.js';
import { exactInteger } from '../util/json.js';
import { shapeText } from '../util/shape-text.js';
import { shown } from '../util/shown.js';

/**
 * A 2-D 0/1 array read from a mask file, or the shape of an array read that is not 2-D (a mask of the wrong shape, E0603),
 * or why it could not be read.
 */
export type MaskResult = { readonly rows: number; readonly cols: number; readonly data: ArrayLike<number> } | { readonly shape: readonly number[] } | { readonly error: string };
/** Reads a mask file; `path` is as written in the spec, `fromFile` the .mon file it is relative to. */
export type MaskResolver = (path: string, fromFile: string) => MaskResult;

export interface SparseContext {
  readonly bag: DiagnosticBag;
  readonly resolveMask?: MaskResolver;
}

export function buildSparse(args: Args, n: number, m: number, path: string, span: Span, ctx: SparseContext): SparseNode | undefined {
  const { bag } = ctx;
  const [bh, bw] = args.ints('block')!;
  let ok = true;
  if (m % bh !== 0) {
    bag.error(Code.NotDivisible, `the block height ${bh} does not divide the number of outputs ${m}`, args.span('block'));
    ok = false;
  }
  if (n % bw !== 0) {
    bag.error(Code.NotDivisible, `the block width ${bw} does not divide the number of inputs ${n}`, args.span('block'));
    ok = false;
  }
  if (!ok) return undefined;
  const rows = m / bh;
  const cols = n / bw;
  if (rows * cols > MAX_GRID_BLOCKS) {
    bag.error(Code.GridTooLarge, `the block grid has ${rows} x ${cols} blocks, more than the limit ${MAX_GRID_BLOCKS}; use larger blocks`, args.span('block'));
    return undefined;
  }
  const pattern = args.pattern('pattern')!;
  const patternSpan = args.span('pattern');
  // Counted before the blocks are listed, so that a huge pattern is refused at once.
  const count = blockCount(pattern, rows, cols);
  if (count !== undefined && count > MAX_SPARSE_BLOCKS) {
    bag.error(Code.TooManyBlocks, tooManyBlocks(count), patternSpan);
    return undefined;
  }
  let blocks: Block[] | undefined;
  switch (pattern.kind) {
    case 'flat_butterfly':
      blocks = flatButterfly(rows, cols, pattern.factors, patternSpan, bag);
      break;
    case 'band':
      blocks = bandBlocks(rows, cols, pattern.width);
      break;
    case 'random':
      blocks = randomBlocks(rows, cols, pattern.density, pattern.seed);
      break;
    case 'mask':
      blocks = mask(pattern.path, rows, cols, patternSpan, ctx);
      break;
  }
  if (!blocks) return undefined;
  if (blocks.length > MAX_SPARSE_BLOCKS) {
    bag.error(Code.TooManyBlocks, tooManyBlocks(blocks.length), patternSpan);
    return undefined;
  }
  if (blocks.length === 0) {
    bag.error(Code.EmptyPattern, 'the pattern selects no block: the map would be zero', patternSpan);
    return undefined;
  }
  const elements = tensorElements([blocks.length, bh, bw]);
  if (elements > BigInt(MAX_INT)) {
    bag.error(Code.TensorTooLarge, `parameter tensor '${path}.values' would have ${exactInteger(elements)} elements, more than the limit ${MAX_INT}`, span);
    return undefined;
  }
  return { kind: 'sparse', in: n, out: m, path, span, bh, bw, blocks, pattern: patternText(pattern) };
}

function tooManyBlocks(count: number): string {
  return `the pattern selects ${count} blocks, more than the limit ${MAX_SPARSE_BLOCKS} of a module's patterns together; use larger blocks or a sparser pattern`;
}

/** The number of blocks a pattern selects, when it is known without listing them (not for masks, nor invalid flat_butterfly grids). */
function blockCount(p: PatternSpec, rows: number, cols: number): number | undefined {
  switch (p.kind) {
    case 'band':
      return bandBlockCount(rows, cols, p.width);
    case 'random':
      return randomBlockCount(p.density, rows * cols);
    case 'flat_butterfly':
    case 'mask':
      return undefined;
  }
}

function flatButterfly(rows: number, cols: number, factors: number, span: Span, bag: DiagnosticBag): Block[] | undefined {
  if (rows !== cols) {
    bag.error(Code.FlatButterflyGrid, `flat_butterfly needs a square block grid, but it is ${rows} x ${cols} blocks`, span);
    return undefined;
  }
  if ((rows & (rows - 1)) !== 0) {
    bag.error(Code.FlatButterflyGrid, `flat_butterfly needs a power of two blocks per side, but there are ${rows}`, span);
    return undefined;
  }
  return flatButterflyBlocks(rows, factors);
}

/**
 * What is wrong with a resolveMask result that is none of `{ error }`, `{ rows, cols, data }` and `{ shape }` of an array
 * that is not 2-D (a callback that forgot its `return`, an async one, a 2-D shape without its values), as words for the
 * diagnostic; undefined when fine.
 */
function maskResultProblem(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null) return describeValue(result);
  const r = result as Record<string, unknown>;
  if (typeof r.then === 'function') return 'a Promise (it is called synchronously: read the file before checking)';
  if ('error' in r) return undefined;
  const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const data = r.data as { length?: unknown } | null | undefined;
  if (count(r.rows) && count(r.cols) && typeof data === 'object' && data !== null && count(data.length)) return undefined;
  if (Array.isArray(r.shape) && r.shape.every(count)) return r.shape.length === 2 ? `${describeValue(result)}, a 2-D shape without its values` : undefined;
  return describeValue(result);
}

function mask(path: string, rows: number, cols: number, span: Span, ctx: SparseContext): Block[] | undefined {
  const { bag } = ctx;
  if (!ctx.resolveMask) {
    bag.error(Code.MaskUnreadable, `cannot read mask "${path}": mask files are not available here`, span);
    return undefined;
  }
  let result: MaskResult;
  try {
    result = ctx.resolveMask(path, span.file);
  } catch (e) {
    result = { error: e instanceof Error ? e.message : String(e) };
  }
  const malformed = maskResultProblem(result);
  if (malformed) {
    bag.error(Code.MaskUnreadable, `cannot read mask "${path}": resolveMask returned ${malformed}; it must return { rows, cols, data } (a 2-D mask), { shape } (an array read that is not 2-D) or { error }`, span);
    return undefined;
  }
  if ('error' in result) {
    bag.error(Code.MaskUnreadable, `cannot read mask "${path}": ${result.error}`, span);
    return undefined;
  }
  // Read, but not 2-D (QA1 s21 Q05: reported as unreadable, E0602, with a 1-D shape written `(4)`).
  if ('shape' in result) {
    const { shape } = result;
    bag.error(Code.MaskShape, `mask "${path}" has shape ${shapeText(shape)}, but a mask is 2-D: the block grid is (${rows}, ${cols}) = (m/bh, n/bw)`, span);
    return undefined;
  }
  if (result.data.length !== result.rows * result.cols) {
    bag.error(Code.MaskShape, `mask "${path}" has shape (${result.rows}, ${result.cols}) but ${result.data.length} values (${result.rows} x ${result.cols} = ${result.rows * result.cols})`, span);
    return undefined;
  }
  if (result.rows !== rows || result.cols !== cols) {
    bag.error(Code.MaskShape, `mask "${path}" has shape (${result.rows}, ${result.cols}), but the block grid is (${rows}, ${cols}) = (m/bh, n/bw)`, span);
    return undefined;
  }
  for (let i = 0; i < result.data.length; i++) {
    const v = result.data[i];
    if (v !== 0 && v !== 1) {
      // Shown as the runtime shows a caller's value: a string from resolveMask said to be one (QA1 s31 Q1004: 'is 1').
      bag.error(Code.MaskValues, `mask "${path}" must hold only 0 and 1, but element (${Math.floor(i / cols)}, ${i % cols}) is ${shown(v)}`, span);
      return undefined;
    }
  }
  return maskBlocks(rows, cols, result.data);
}
