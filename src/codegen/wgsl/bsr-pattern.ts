/**
 * How block-sparse kernels read their op's pattern: from a table the runtime binds at
 * PATTERN_BINDING (src/manifest/pattern.ts), not from constants in the WGSL. A kernel declares
 * the binding and reads the parts of the table at offsets fixed by the grid's block rows and
 * the block count, so its text does not grow with the pattern.
 */
import type { BsrOp } from '../../ir/ir.js';
import { csrOffsets, PATTERN_BINDING } from '../../manifest/pattern.js';
import { invariant } from '../../util/assert.js';
import { mul, sum, u, type U32Expr } from './scaffold.js';

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
