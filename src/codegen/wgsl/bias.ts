/**
 * `bias`: dst[output(i)] (=|+=) bias[i], one thread per element; for maps whose bias no matmul
 * epilogue could absorb. Knob: workgroupSize.
 */
import type { BiasOp } from '../../ir/ir.js';
import { invariant } from '../../util/assert.js';
import { defaultWorkgroupSize, knob, workgroupSizes, type KernelFamily } from './family.js';
import { applyIndexMap, renderIndex, rowMajor } from './index-map.js';
import type { EmittedKernel, Schedule, TargetLimits } from './kernel.js';
import { kernelNames, kernelText, load, paramOffset, rowSize, sum, toStorage, u, type KernelContext } from './scaffold.js';

const FAMILY = 'bias';

export const biasFamily: KernelFamily<BiasOp> = {
  name: FAMILY,
  opKind: 'bias',
  defaultSchedule(_op: BiasOp, limits: TargetLimits): Schedule {
    return { family: FAMILY, workgroupSize: defaultWorkgroupSize(limits) };
  },
  candidates(_op: BiasOp, limits: TargetLimits): Schedule[] {
    return workgroupSizes(limits).map((workgroupSize) => ({ family: FAMILY, workgroupSize }));
  },
  emit: emitBias,
};

function emitBias(op: BiasOp, schedule: Schedule, ctx: KernelContext): EmittedKernel {
  invariant(schedule.family === FAMILY, `schedule of family ${schedule.family} given to ${FAMILY}`);
  invariant(op.output.size === op.size, `${FAMILY}: output map of size ${op.output.size} for a bias of size ${op.size}`);
  const wg = knob(schedule, 'workgroupSize');
  const n = kernelNames(ctx.entryPoint);
  const at = sum(`item_row * ${u(rowSize(ctx, op.dst))}`, renderIndex(applyIndexMap(op.output, rowMajor([{ name: 'item', size: op.size }]))));
  let value = load(ctx, n.params, sum(u(paramOffset(ctx, op.param)), 'item'));
  if (op.accumulate) value = `${load(ctx, n.dst, 'y')} + ${value}`;
  const body = [`let y = ${at};`, `${n.dst}[y] = ${toStorage(ctx, value)};`];
  return {
    entryPoint: ctx.entryPoint,
    wgsl: kernelText(ctx, { workgroupSize: wg, itemsPerRow: op.size, body }),
    enables: ctx.storage === 'f16' ? ['f16'] : [],
    workgroupSize: [wg, 1, 1],
    dispatch: { kind: 'flat', itemsPerRow: op.size, itemsPerWorkgroup: wg },
    schedule,
    ops: [ctx.opIndex],
  };
}
