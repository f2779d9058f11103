/**
 * `ks-direct`: K(a,b,c,d) with fused index maps, one thread per (batch row, α, δ, run of
 * `outputsPerThread` consecutive β). Each thread reads x[α, γ, δ] once per γ and uses it for all
 * its outputs; δ is the fastest-varying thread index, so neighbouring threads read and write
 * neighbouring elements whenever d > 1.
 *
 * Knobs: workgroupSize, outputsPerThread (divides b), unroll (of the γ loop; divides c, == c
 * unrolls fully and turns every source offset into a constant).
 */
import type { KsOp } from '../../ir/ir.js';
import { invariant } from '../../util/assert.js';
import { applyIndexMap, renderIndex, rowMajor } from './index-map.js';
import type { EmittedKernel } from './kernel.js';
import { directScheduleSpace, type DirectSchedule, type KernelFamily } from './family.js';
import { outputAccumulators } from './matmul-parts.js';
import { loopIndex, unrolledLoop } from './reduction.js';
import { decompose, flatKernel, kernelNames, load, mul, paramOffset, rowSize, storeOutput, sum, u, type KernelContext } from './scaffold.js';

const FAMILY = 'ks-direct';
type KsDirectSchedule = DirectSchedule<typeof FAMILY>;

export const ksDirect: KernelFamily<'ks', KsDirectSchedule> = {
  opKind: 'ks',
  ...directScheduleSpace<'ks', typeof FAMILY>(FAMILY, (op) => ({ outputs: op.b, reduction: op.c })),
  emit: emitKs,
};

function emitKs(op: KsOp, schedule: KsDirectSchedule, ctx: KernelContext): EmittedKernel {
  const { a, b, c, d } = op;
  const { workgroupSize: wg, outputsPerThread: outputs, unroll } = schedule;
  invariant(b % outputs === 0 && (c % unroll === 0 || unroll >= c), `${FAMILY}: schedule ${JSON.stringify(schedule)} does not fit K(${a},${b},${c},${d})`);
  invariant(op.input.size === a * c * d && op.output.size === a * b * d, `${FAMILY}: index maps do not fit K(${a},${b},${c},${d})`);
  const n = kernelNames(ctx.entryPoint);
  const runs = b / outputs;
  const itemsPerRow = a * runs * d;

  const source = loopIndex(applyIndexMap(op.input, rowMajor([{ name: 'i_a', size: a }, { name: 'i_g', size: c }, { name: 'i_d', size: d }])), 'i_g');
  const logicalOut = rowMajor([{ name: 'i_a', size: a }, { name: 'i_b', size: b }, { name: 'i_d', size: d }]);
  const target = applyIndexMap(op.output, logicalOut);
  // W[α·d + δ, β, γ]: the thread's first weight row, then + p·c + γ.
  const wBase = renderIndex({
    vars: new Map([['i_a', a], ['i_d', d], ['i_r', runs]]),
    fields: [
      { var: 'i_a', coef: d * b * c, stride: 1, size: a },
      { var: 'i_d', coef: b * c, stride: 1, size: d },
      { var: 'i_r', coef: outputs * c, stride: 1, size: runs },
    ].filter((f) => f.size > 1),
  });

  const acc = outputAccumulators(outputs);
  const body = [
    ...decompose('item', [{ name: 'i_a', size: a }, { name: 'i_r', size: runs }, { name: 'i_d', size: d }]),
    `let x_base = ${sum(`item_row * ${u(rowSize(ctx, op.src))}`, source.hoisted)};`,
    `let w_base = ${sum(u(paramOffset(ctx, op.weight)), wBase)};`,
    ...acc.declare,
    ...unrolledLoop('i_g', c, unroll, (it) => [
      `let xv = ${load(ctx, n.src, sum('x_base', source.inLoop(it)))};`,
      ...acc.names.map((name, p) => {
        const w = it.constant !== undefined ? u(p * c + it.constant) : sum(u(p * c), 'i_g');
        return `${name} = ${name} + ${load(ctx, n.params, sum('w_base', w))} * xv;`;
      }),
    ], acc.names),
    `let y_row = item_row * ${u(rowSize(ctx, op.dst))};`,
    ...acc.names.flatMap((name, p) => [
      '{',
      `  let i_b = ${sum(mul('i_r', outputs), u(p))};`,
      `  let o = ${renderIndex(target)};`,
      `  ${storeOutput(ctx, { rowBase: 'y_row', index: 'o', value: name, accumulate: op.accumulate, ...(op.bias ? { bias: { offset: paramOffset(ctx, op.bias), index: renderIndex(logicalOut) } } : {}) })}`,
      '}',
    ]),
  ];
  return flatKernel(ctx, schedule, { workgroupSize: wg, itemsPerRow, body });
}
