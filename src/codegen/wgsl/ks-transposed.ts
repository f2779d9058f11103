/**
 * The input gradient of a Kronecker-sparse factor: a `ks` op with `transposed` set (ir.ts), whose
 * weights are read transposed per block in place from the forward tensor (no copy).
 *
 * `ks-t-direct`: one thread per (batch row, α, δ, run of `outputsPerThread` consecutive β).
 * `ks-t-tiled`: the same over a register tile of `rowsPerThread` batch rows: each weight is read
 * once per tile and used for every row (the weight stream is what bounds the direct kernel when
 * blocks are large). Rows past the batch compute on the last row and are not stored.
 *
 * Knobs: workgroupSize, outputsPerThread (divides b), unroll (of the γ loop; divides c, == c
 * unrolls fully), rowsPerThread (1 for direct), and for strided factors (d > 1) `order`: 'd'
 * makes δ the fastest thread index (neighbouring threads read neighbouring activations), 'b'
 * makes the run of β fastest (they read neighbouring weights, the stored block being (c, b):
 * on the H200 the weight stream of the strided Monarch factor bounds the 'd' order).
 */
import type { KsOp } from '../../ir/ir.js';
import { invariant } from '../../util/assert.js';
import { DEFAULT_KNOBS } from './defaults.js';
import { defaultWorkgroupSize, dividing, knob, largest, unrollFactors, workgroupSizes, type KernelFamily } from './family.js';
import { gradKernel, type GradBindingTypes } from './grad-scaffold.js';
import { applyIndexMap, renderIndex, rowMajor } from './index-map.js';
import type { EmittedKernel, Schedule } from './kernel.js';
import { loopIndex, unrolledLoop } from './reduction.js';
import { decompose, div, kernelNames, load, mod, mul, paramOffset, rowSize, storeOutput, sum, u, type KernelContext } from './scaffold.js';

const DIRECT = 'ks-t-direct';
const TILED = 'ks-t-tiled';

interface TransposedKnobs<F extends string> extends Schedule {
  readonly family: F;
  readonly workgroupSize: number;
  readonly outputsPerThread: number;
  readonly unroll: number;
  readonly rowsPerThread: number;
}

/** The schedule of the transposed families; `order` only for strided factors (d > 1). */
export type KsTransposedSchedule<F extends string> = TransposedKnobs<F> | (TransposedKnobs<F> & { readonly order: 'b' | 'd' });

function family<F extends string>(name: F, rowTiles: readonly number[], defaultRows: number): KernelFamily<'ks', KsTransposedSchedule<F>> {
  return {
    name,
    opKind: 'ks',
    defaultSchedule(op, limits) {
      const knobs = DEFAULT_KNOBS.transposed;
      return {
        family: name,
        workgroupSize: defaultWorkgroupSize(limits),
        outputsPerThread: largest(dividing(op.b, knobs.outputsPerThread)),
        unroll: largest(unrollFactors(op.c, knobs.fullUnrollUpTo)),
        rowsPerThread: defaultRows,
        ...(op.d > 1 ? { order: knobs.stridedOrder } : {}),
      };
    },
    candidates(op, limits) {
      if (!op.transposed) return [];
      const orders: readonly ('b' | 'd' | undefined)[] = op.d > 1 ? ['d', 'b'] : [undefined];
      return workgroupSizes(limits).flatMap((workgroupSize) =>
        dividing(op.b, [1, 2, 4, 8]).flatMap((outputsPerThread) =>
          unrollFactors(op.c).flatMap((unroll) =>
            rowTiles.flatMap((rowsPerThread) => orders.map((order) => ({ family: name, workgroupSize, outputsPerThread, unroll, rowsPerThread, ...(order ? { order } : {}) }))),
          ),
        ),
      );
    },
    decode: (s) => ({
      family: name,
      workgroupSize: knob(s, 'workgroupSize'),
      outputsPerThread: knob(s, 'outputsPerThread'),
      unroll: knob(s, 'unroll'),
      rowsPerThread: knob(s, 'rowsPerThread'),
      ...(s.order === 'b' || s.order === 'd' ? { order: s.order } : {}),
    }),
    emit: (op, schedule, ctx) => emitKsTransposed(op, schedule, ctx),
  };
}

export const ksTransposedDirect = family(DIRECT, [1], DEFAULT_KNOBS.transposed.rowsPerThread[DIRECT]);
export const ksTransposedTiled = family(TILED, [2, 4, 8, 16], DEFAULT_KNOBS.transposed.rowsPerThread[TILED]);

function emitKsTransposed<F extends string>(op: KsOp, schedule: KsTransposedSchedule<F>, ctx: KernelContext): EmittedKernel {
  const family = schedule.family;
  invariant(op.transposed === true, `${family}: the op is not transposed`);
  const { a, b, c, d } = op;
  const { workgroupSize: wg, outputsPerThread: outputs, unroll, rowsPerThread: rows } = schedule;
  invariant(b % outputs === 0 && (c % unroll === 0 || unroll >= c), `${family}: schedule ${JSON.stringify(schedule)} does not fit K(${a},${b},${c},${d})`);
  invariant(op.input.size === a * c * d && op.output.size === a * b * d, `${family}: index maps do not fit K(${a},${b},${c},${d})`);
  const n = kernelNames(ctx.entryPoint);
  const runs = b / outputs;
  const items = a * runs * d;
  const perRowTile = Math.ceil(items / wg);
  const srcRow = rowSize(ctx, op.src);
  const dstRow = rowSize(ctx, op.dst);

  const source = loopIndex(applyIndexMap(op.input, rowMajor([{ name: 'i_a', size: a }, { name: 'i_g', size: c }, { name: 'i_d', size: d }])), 'i_g');
  const target = applyIndexMap(op.output, rowMajor([{ name: 'i_a', size: a }, { name: 'i_b', size: b }, { name: 'i_d', size: d }]));
  // W[α·d + δ, β, γ] is the stored element [α·d + δ, γ, β]: β at stride 1, γ at stride b.
  const wBase = sum(u(paramOffset(ctx, op.weight)), mul(sum(mul('i_a', d), 'i_d'), b * c), mul('i_r', outputs));
  const rowIds = Array.from({ length: rows }, (_, r) => r);
  const acc = (r: number, p: number) => `acc${r}_${p}`;

  const body = [
    `let row_tile = ${div('group', perRowTile)};`,
    `let item = ${sum(mul(mod('group', perRowTile), wg), 'lid')};`,
    `if (item >= ${u(items)}) { return; }`,
    `let batch = ${n.dims}.batch;`,
    `let row0 = ${mul('row_tile', rows)};`,
    ...decompose(
      'item',
      schedule.order === 'b'
        ? [{ name: 'i_a', size: a }, { name: 'i_d', size: d }, { name: 'i_r', size: runs }]
        : [{ name: 'i_a', size: a }, { name: 'i_r', size: runs }, { name: 'i_d', size: d }],
    ),
    `let x_off = ${source.hoisted ?? u(0)};`,
    `let w_base = ${wBase};`,
    // Rows past the batch read the last row (always in bounds) and are never stored.
    ...rowIds.map((r) => `let x_row${r} = min(${sum('row0', u(r))}, batch - 1u) * ${u(srcRow)} + x_off;`),
    ...rowIds.flatMap((r) => Array.from({ length: outputs }, (_, p) => `var ${acc(r, p)}: f32 = 0.0;`)),
    ...unrolledLoop('i_g', c, unroll, (it) => [
      ...rowIds.map((r) => `let xv${r} = ${load(ctx, n.src, sum(`x_row${r}`, source.inLoop(it)))};`),
      ...Array.from({ length: outputs }, (_, p) => {
        const w = it.constant !== undefined ? u(p + it.constant * b) : sum(u(p), mul('i_g', b));
        return [`{`, `  let wv = ${load(ctx, n.params, sum('w_base', w))};`, ...rowIds.map((r) => `  ${acc(r, p)} = ${acc(r, p)} + wv * xv${r};`), `}`];
      }).flat(),
    ], rowIds.flatMap((r) => Array.from({ length: outputs }, (_, p) => acc(r, p)))),
    ...rowIds.flatMap((r) => [
      `if (${sum('row0', u(r))} < batch) {`,
      `  let y_row = ${mul(sum('row0', u(r)), dstRow)};`,
      ...Array.from({ length: outputs }, (_, p) => [
        '  {',
        `    let i_b = ${sum(mul('i_r', outputs), u(p))};`,
        `    let o = ${renderIndex(target)};`,
        `    ${storeOutput(ctx, { rowBase: 'y_row', index: 'o', value: acc(r, p), accumulate: op.accumulate })}`,
        '  }',
      ]).flat(),
      '}',
    ]),
  ];
  const types: GradBindingTypes = { src: ctx.storage, dst: ctx.storage, aux: ctx.storage };
  return gradKernel(ctx, schedule, { workgroupSize: wg, types, body, dispatch: { kind: 'tiled', rowsPerWorkgroup: rows, workgroupsPerRowTile: perRowTile } });
}
