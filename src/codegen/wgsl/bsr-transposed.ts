/**
 * `bsr-t-direct`: the input gradient of a block-sparse matmul, a `bsr` op with `transposed` set
 * (ir.ts): its blocks are the forward blocks swapped, in forward order, and block z's values are
 * read transposed from the forward block z in place. One thread per (batch row, block row, run of
 * `outputsPerThread` rows in the block); the pattern is the op's `csr` table over the
 * transposed block rows, with each block's forward index z, which the runtime binds
 * (bsr-pattern.ts).
 *
 * Knobs: workgroupSize, outputsPerThread (divides bh), unroll (of the in-block loop; divides bw).
 */
import type { BsrOp } from '../../ir/ir.js';
import { invariant } from '../../util/assert.js';
import { directScheduleSpace, type DirectSchedule, type KernelFamily } from './family.js';
import { gradKernel, type GradBindingTypes } from './grad-scaffold.js';
import { bsrBlockWalk, bsrThreadBody, bsrThreadKnobs } from './bsr-direct.js';
import { csrPattern, withPattern } from './bsr-pattern.js';
import { applyIndexMap, rowMajor } from './index-map.js';
import type { EmittedKernel } from './kernel.js';
import { outputAccumulators } from './matmul-parts.js';
import { loopIndex } from './reduction.js';
import { kernelNames, load, mul, paramOffset, sum, u, type KernelContext } from './scaffold.js';

const FAMILY = 'bsr-t-direct';

type BsrTransposedSchedule = DirectSchedule<typeof FAMILY>;

const direct = directScheduleSpace<'bsr', typeof FAMILY>(FAMILY, (op) => ({ outputs: op.bh, reduction: op.bw }));

export const bsrTransposedDirect: KernelFamily<'bsr', BsrTransposedSchedule> = {
  opKind: 'bsr',
  ...direct,
  candidates: (op, limits) => (op.transposed ? direct.candidates(op, limits) : []),
  emit: emitBsrTransposed,
};

function emitBsrTransposed(op: BsrOp, schedule: BsrTransposedSchedule, ctx: KernelContext): EmittedKernel {
  invariant(op.transposed === true, `${FAMILY}: the op is not transposed`);
  const { bh, bw } = op;
  invariant(op.rows % bh === 0 && op.cols % bw === 0 && op.input.size === op.cols && op.output.size === op.rows, `${FAMILY}: op does not fit its grid`);
  const { wg, outputs, unroll, blockRows, runs, itemsPerRow } = bsrThreadKnobs(op, schedule, FAMILY);
  const n = kernelNames(ctx.entryPoint);

  // CSR over the block rows of this (transposed) op; z(k) is the forward block index.
  const pattern = csrPattern(op, ctx.entryPoint, FAMILY);

  const source = loopIndex(applyIndexMap(op.input, rowMajor([{ name: 'i_J', size: op.cols / bw }, { name: 'i_j', size: bw }])), 'i_j');
  const target = applyIndexMap(op.output, rowMajor([{ name: 'i_I', size: blockRows }, { name: 'i_i', size: bh }]));
  const acc = outputAccumulators(outputs);
  // values[z, i, j] here is the stored element [z, j, i] of a (bw, bh) block: i at stride 1, j at stride bh.
  const blockLoop =
    op.blocks.length === 0
      ? []
      : bsrBlockWalk(op, pattern, {
          variable: 'k',
          unroll,
          accumulators: acc.names,
          block: (k) => [
            `let i_J = ${pattern.col(k)};`,
            `let x_base = ${sum('x_row', source.hoisted)};`,
            `let w_base = ${sum(u(paramOffset(ctx, op.weight)), mul(pattern.z(k), bh * bw), mul('i_r', outputs))};`,
          ],
          term: (it) => [
            `let xv = ${load(ctx, n.src, sum('x_base', source.inLoop(it)))};`,
            ...acc.names.map((name, p) => {
              const w = it.constant !== undefined ? u(p + it.constant * bh) : sum(u(p), mul('i_j', bh));
              return `${name} = ${name} + ${load(ctx, n.params, sum('w_base', w))} * xv;`;
            }),
          ],
        });
  const body = [
    `let global = ${sum(mul('group', wg), 'lid')};`,
    `if (global >= ${n.dims}.batch * ${u(itemsPerRow)}) { return; }`,
    `let item_row = global / ${u(itemsPerRow)};`,
    `let item = global % ${u(itemsPerRow)};`,
    ...bsrThreadBody(ctx, op, { blockRows, outputs, acc, blockLoop, target }),
  ];
  const types: GradBindingTypes = { src: ctx.storage, dst: ctx.storage, aux: ctx.storage };
  return withPattern(gradKernel(ctx, schedule, { workgroupSize: wg, types, decls: pattern.decls, body, dispatch: { kind: 'flat', itemsPerRow, itemsPerWorkgroup: wg } }), op);
}
