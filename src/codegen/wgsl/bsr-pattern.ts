/**
 * How block-sparse kernels read their op's pattern: from a table the runtime binds at
 * PATTERN_BINDING (src/manifest/pattern.ts), not from constants in the WGSL. A kernel declares
 * the binding and reads the parts of the table at offsets fixed by the grid's block rows and
 * the block count, so its text does not grow with the pattern.
 */
import type { BsrOp } from '../../ir/ir.js';
import type { EmittedKernel } from '../../manifest/dispatch.js';
import type { BackwardOpData } from '../../manifest/program.js';
import { csrOffsets, PATTERN_BINDING, patternLayout } from '../../manifest/pattern.js';
import { invariant } from '../../util/assert.js';
import { BLOCKED_SUM_FROM, runtimeBlockedSum, type Accumulator } from './reduction.js';
import { div, mul, sum, u, type U32Expr } from './scaffold.js';

/** `kernel` of `op` naming the table it reads (patternLayout: decodeManifest holds a kernel to the same rule), if any. */
export function withPattern(kernel: EmittedKernel, op: BackwardOpData): EmittedKernel {
  const pattern = patternLayout(op);
  return pattern ? { ...kernel, pattern } : kernel;
}

/** The pattern binding's declaration, named after the entry point. */
function binding(entryPoint: string): { readonly decl: string; readonly name: string } {
  const name = `${entryPoint}_pattern`;
  return { decl: `@group(0) @binding(${PATTERN_BINDING}) var<storage, read> ${name}: array<u32>;`, name };
}

/** Reads of a `csr` table: row I's blocks are k in [rowStart(I), rowStart(I + 1)), column col(k), values of block z(k). */
export interface CsrPattern {
  readonly decls: readonly string[];
  readonly rowStart: (row: U32Expr) => string;
  readonly col: (k: U32Expr) => string;
  readonly z: (k: U32Expr) => string;
}

/**
 * The `csr` table of a bsr op (forward or transposed), after checking that the op is a grid of
 * blocks with index maps of its size.
 */
export function csrPattern(op: BsrOp, entryPoint: string, family: string): CsrPattern {
  invariant(op.rows % op.bh === 0 && op.cols % op.bw === 0, `${family}: ${op.rows}x${op.cols} is not a grid of ${op.bh}x${op.bw} blocks`);
  invariant(op.input.size === op.cols && op.output.size === op.rows, `${family}: index maps do not fit a ${op.rows}x${op.cols} matrix`);
  const at = csrOffsets(op.rows / op.bh, op.blocks.length);
  const { decl, name } = binding(entryPoint);
  return {
    decls: [decl],
    rowStart: (row) => `${name}[${row}]`,
    col: (k) => `${name}[${sum(u(at.col), k)}]`,
    z: (k) => `${name}[${sum(u(at.z), k)}]`,
  };
}

/** Reads of a `coo` table: the block row and column of block z. */
export function cooPattern(entryPoint: string): { readonly decls: readonly string[]; readonly row: (z: U32Expr) => string; readonly col: (z: U32Expr) => string } {
  const { decl, name } = binding(entryPoint);
  return {
    decls: [decl],
    row: (z) => `${name}[${mul(z, 2)}]`,
    col: (z) => `${name}[${sum(mul(z, 2), u(1))}]`,
  };
}

/**
 * The most terms one output of the op sums: its longest block row's blocks times bw. The bsr
 * kernels sum in blocks (blockRowSum) only when this exceeds BLOCKED_SUM_FROM, so ops of shorter
 * rows keep their text.
 */
export function longestRowTerms(op: BsrOp): number {
  const perRow = new Map<number, number>();
  let most = 0;
  for (const [bi] of op.blocks) {
    const count = (perRow.get(bi) ?? 0) + 1;
    perRow.set(bi, count);
    most = Math.max(most, count);
  }
  return most * op.bw;
}

/**
 * A walk over the units [first, end) of a block row (its blocks, or chunks of them), `termsPer`
 * terms each, adding into `accumulators`: `loop(from, to)` renders the walk over [from, to).
 * With `long` false that is loop(first, end), the text unchanged; with `long` the row's terms run
 * in blocks of about SUM_BLOCK (reduction.ts runtimeBlockedSum, the row's length being known only
 * at run time), each a whole number of units. `name` prefixes the block's variables.
 */
export function blockRowSum(o: {
  readonly name: string;
  readonly first: U32Expr;
  readonly end: U32Expr;
  readonly termsPer: number;
  readonly long: boolean;
  readonly accumulators: readonly Accumulator[];
  readonly loop: (from: U32Expr, to: U32Expr) => readonly string[];
}): string[] {
  if (!o.long) return [...o.loop(o.first, o.end)];
  const first = `${o.name}_first`;
  const terms = `${o.name}_terms`;
  return [
    `let ${first} = ${o.first};`,
    `let ${terms} = ${mul(`${o.end} - ${first}`, o.termsPer)};`,
    ...runtimeBlockedSum({
      name: o.name,
      count: terms,
      step: o.termsPer,
      accumulators: o.accumulators,
      loop: (from, to) => o.loop(sum(first, div(from, o.termsPer)), sum(first, div(to, o.termsPer))),
    }),
  ];
}

/** Whether a bsr kernel's walk over a block row sums in blocks: its rows exceed BLOCKED_SUM_FROM terms. */
export function isLongRow(op: BsrOp): boolean {
  return longestRowTerms(op) > BLOCKED_SUM_FROM;
}
