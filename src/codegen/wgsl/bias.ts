/**
 * `bias`: dst[output(i)] (=|+=) bias[i], one thread per element; for maps whose bias no matmul
 * epilogue could absorb. Knob: workgroupSize.
 */
import type { BiasOp } from '../../ir/ir.js';
import { invariant } from '../../util/assert.js';
import { workgroupScheduleSpace, type KernelFamily, type WorkgroupSchedule } from './family.js';
import { applyIndexMap, renderIndex, rowMajor } from './index-map.js';
import type { EmittedKernel } from './kernel.js';
import { flatKernel, kernelNames, load, paramOffset, rowSize, sum, toStorage, u, type KernelContext } from './scaffold.js';

const FAMILY = 'bias';
type BiasSchedule = WorkgroupSchedule<typeof FAMILY>;

export const biasFamily: KernelFamily<'bias', BiasSchedule> = {
  opKind: 'bias',
  ...workgroupScheduleSpace<'bias', typeof FAMILY>(FAMILY),
  emit: emitBias,
};

function emitBias(op: BiasOp, schedule: BiasSchedule, ctx: KernelContext): EmittedKernel {
  invariant(op.output.size === op.size, `${FAMILY}: output map of size ${op.output.size} for a bias of size ${op.size}`);
  const wg = schedule.workgroupSize;
  const n = kernelNames(ctx.entryPoint);
  const at = sum(`item_row * ${u(rowSize(ctx, op.dst))}`, renderIndex(applyIndexMap(op.output, rowMajor([{ name: 'item', size: op.size }]))));
  let value = load(ctx, n.params, sum(u(paramOffset(ctx, op.param)), 'item'));
  if (op.accumulate) value = `${load(ctx, n.dst, 'y')} + ${value}`;
  const body = [`let y = ${at};`, `${n.dst}[y] = ${toStorage(ctx, value)};`];
  return flatKernel(ctx, schedule, { workgroupSize: wg, itemsPerRow: op.size, body });
}
