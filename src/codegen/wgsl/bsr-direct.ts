/**
 * `bsr-direct`: block-sparse matmul with a compile-time pattern, one thread per (batch row,
 * block row I, run of `outputsPerThread` consecutive rows inside the block). The pattern is
 * read from the op's `csr` table (row pointers and block columns), which the runtime binds
 * (bsr-pattern.ts), so the text does not grow with it; a thread walks the blocks of its block row and reads each source element once for all its outputs. Block rows
 * without blocks produce zeros (plus bias).
 *
 * Knobs: workgroupSize, outputsPerThread (divides bh), unroll (of the in-block column loop;
 * divides bw, == bw unrolls fully).
 */
import type { BsrOp } from '../../ir/ir.js';
import { blockRowSum, csrPattern, isLongRow, withPattern, type CsrPattern } from './bsr-pattern.js';
import { invariant } from '../../util/assert.js';
import { directScheduleSpace, type DirectSchedule, type KernelFamily } from './family.js';
import { applyIndexMap, renderIndex, rowMajor, type IndexExpr } from './index-map.js';
import type { EmittedKernel } from './kernel.js';
import { outputAccumulators } from './matmul-parts.js';
import { BLOCKED_SUM_FROM, loopIndex, unrolledLoop, type Iteration } from './reduction.js';
import { decompose, flatKernel, kernelNames, load, mul, paramOffset, rowSize, storeOutput, sum, u, type KernelContext } from './scaffold.js';
import type { U32Expr } from './u32.js';

const FAMILY = 'bsr-direct';
type BsrDirectSchedule = DirectSchedule<typeof FAMILY>;

export const bsrDirect: KernelFamily<'bsr', BsrDirectSchedule> = {
  opKind: 'bsr',
  ...directScheduleSpace<'bsr', typeof FAMILY>(FAMILY, (op) => ({ outputs: op.bh, reduction: op.bw })),
  emit: emitBsr,
};

/**
 * The op's `csr` pattern table (bsr-pattern.ts), after checking that its blocks are in row-major
 * order inside the grid: then the table's k is the block's index z, so the forward kernels read
 * block k's values without looking z up.
 */
export function forwardCsr(op: BsrOp, entryPoint: string, family: string): CsrPattern {
  const pattern = csrPattern(op, entryPoint, family);
  const gridRows = op.rows / op.bh;
  const gridCols = op.cols / op.bw;
  op.blocks.forEach(([bi, bj], z) => {
    const prev = op.blocks[z - 1];
    invariant(!prev || prev[0] < bi || (prev[0] === bi && prev[1] < bj), `${family}: blocks are not in row-major order at ${z}`);
    invariant(bi < gridRows && bj < gridCols, `${family}: block (${bi}, ${bj}) outside the ${gridRows}x${gridCols} grid`);
  });
  return pattern;
}

/**
 * A bsr thread's walk over the blocks k of its block row i_I (`variable`), each block's `block(k)`
 * lines then its bw terms `term(it)` (the loop over i_j, unrolled `unroll` times), adding into
 * the f32 `accumulators`. A row of more than BLOCKED_SUM_FROM terms sums in blocks: inside each
 * block when bw alone exceeds it (unrolledLoop), else over runs of whole blocks (blockRowSum);
 * shorter rows keep the plain loop's text.
 */
export function bsrBlockWalk(
  op: BsrOp,
  pattern: CsrPattern,
  w: {
    readonly variable: string;
    readonly unroll: number;
    readonly accumulators: readonly string[];
    readonly block: (k: string) => readonly string[];
    readonly term: (it: Iteration) => readonly string[];
  },
): string[] {
  const k = w.variable;
  const accumulators = w.accumulators.map((name) => ({ name, zero: '0.0' }));
  const wideBlocks = op.bw > BLOCKED_SUM_FROM;
  return blockRowSum({
    name: k,
    first: pattern.rowStart('i_I'),
    end: pattern.rowStart('i_I + 1u'),
    termsPer: op.bw,
    long: isLongRow(op) && !wideBlocks,
    accumulators,
    loop: (from, to) => [
      `for (var ${k} = ${from}; ${k} < ${to}; ${k}++) {`,
      ...w.block(k).map((l) => `  ${l}`),
      ...unrolledLoop('i_j', op.bw, w.unroll, w.term, w.accumulators).map((l) => `  ${l}`),
      '}',
    ],
  });
}

/**
 * The knobs of a one-thread-per-run bsr schedule (checked against the op's blocks) and the
 * thread grid they give: `runs` runs of `outputs` rows per block row, `itemsPerRow` per batch row.
 */
export function bsrThreadKnobs(op: BsrOp, schedule: DirectSchedule<string>, family: string) {
  const { bh, bw } = op;
  const { workgroupSize: wg, outputsPerThread: outputs, unroll } = schedule;
  invariant(bh % outputs === 0 && (bw % unroll === 0 || unroll >= bw), `${family}: schedule ${JSON.stringify(schedule)} does not fit blocks ${bh}x${bw}`);
  const blockRows = op.rows / bh;
  const runs = bh / outputs;
  return { wg, outputs, unroll, blockRows, runs, itemsPerRow: blockRows * runs };
}

/**
 * A bsr thread's body once `item` and `item_row` are known: its block row i_I and run i_r of
 * `outputs` rows, `blockLoop` (the walk over the block row's blocks into `acc`), and the stores of
 * the run to `target` (the output index of i_I, i_i), plus `bias` where given.
 */
export function bsrThreadBody(
  ctx: KernelContext,
  op: BsrOp,
  p: {
    readonly blockRows: number;
    readonly outputs: number;
    readonly acc: ReturnType<typeof outputAccumulators>;
    readonly blockLoop: readonly string[];
    readonly target: IndexExpr;
    readonly bias?: { readonly offset: number; readonly index: U32Expr };
  },
): string[] {
  return [
    ...decompose('item', [{ name: 'i_I', size: p.blockRows }, { name: 'i_r', size: op.bh / p.outputs }]),
    `let x_row = item_row * ${u(rowSize(ctx, op.src))};`,
    ...p.acc.declare,
    ...p.blockLoop,
    `let y_row = item_row * ${u(rowSize(ctx, op.dst))};`,
    ...p.acc.names.flatMap((name, q) => [
      '{',
      `  let i_i = ${sum(mul('i_r', p.outputs), u(q))};`,
      `  let o = ${renderIndex(p.target)};`,
      `  ${storeOutput(ctx, { rowBase: 'y_row', index: 'o', value: name, accumulate: op.accumulate, ...(p.bias ? { bias: p.bias } : {}) })}`,
      '}',
    ]),
  ];
}

function emitBsr(op: BsrOp, schedule: BsrDirectSchedule, ctx: KernelContext): EmittedKernel {
  const { bh, bw } = op;
  const { wg, outputs, unroll, blockRows, runs, itemsPerRow } = bsrThreadKnobs(op, schedule, FAMILY);
  const n = kernelNames(ctx.entryPoint);
  const pattern = forwardCsr(op, ctx.entryPoint, FAMILY);

  const source = loopIndex(applyIndexMap(op.input, rowMajor([{ name: 'i_J', size: op.cols / bw }, { name: 'i_j', size: bw }])), 'i_j');
  const logicalOut = rowMajor([{ name: 'i_I', size: blockRows }, { name: 'i_i', size: bh }]);
  const target = applyIndexMap(op.output, logicalOut);
  const acc = outputAccumulators(outputs);
  const blockLoop =
    op.blocks.length === 0
      ? []
      : bsrBlockWalk(op, pattern, {
          variable: 'z',
          unroll,
          accumulators: acc.names,
          block: (z) => [
            `let i_J = ${pattern.col(z)};`,
            `let x_base = ${sum('x_row', source.hoisted)};`,
            `let w_base = ${sum(u(paramOffset(ctx, op.weight)), mul(sum(mul(z, bh), mul('i_r', outputs)), bw))};`,
          ],
          term: (it) => [
            `let xv = ${load(ctx, n.src, sum('x_base', source.inLoop(it)))};`,
            ...acc.names.map((name, p) => {
              const w = it.constant !== undefined ? u(p * bw + it.constant) : sum(u(p * bw), 'i_j');
              return `${name} = ${name} + ${load(ctx, n.params, sum('w_base', w))} * xv;`;
            }),
          ],
        });
  const body = bsrThreadBody(ctx, op, {
    blockRows,
    outputs,
    acc,
    blockLoop,
    target,
    ...(op.bias ? { bias: { offset: paramOffset(ctx, op.bias), index: renderIndex(logicalOut) } } : {}),
  });
  return withPattern(flatKernel(ctx, schedule, { workgroupSize: wg, itemsPerRow, decls: pattern.decls, body }), op);
}
