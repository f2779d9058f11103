/**
 * Batch reductions of backward programs, first and second pass (WGSL has no float atomics, so a
 * reduction over the batch is split: partials per batch split, then a sum over the splits).
 *
 * `wgrad-tiled`: a weight gradient's partials (a WeightGradOp): one thread per (batch split,
 * block, tile of `tileB` × `tileC` weights); per row of its split it loads tileB output-gradient
 * and tileC input values and does tileB·tileC multiply-adds from registers. ks blocks are
 * (α, δ) with weights (β, γ); bsr blocks are the pattern's blocks with weights (i, j).
 * `bgrad`: a bias gradient's partials (column sums of the output gradient), one thread per
 * (split, element). `reduce`: grad[slice] (=|+=) Σ_splits partial, one thread per element.
 * A split's rows, and the splits (their number grows with the batch), are summed in blocks when
 * long (reduction.ts): one running f32 sum of 2^17 terms is about 1e-5 off.
 *
 * Partials are f32 whatever the storage type (grad-scaffold.ts). Knobs: workgroupSize, and
 * tileB (divides b or bh), tileC (divides c or bw) for wgrad.
 */
import type { BiasGradOp, ReduceOp, WeightGradOp } from '../../ir/ir.js';
import { invariant } from '../../util/assert.js';
import { DEFAULT_KNOBS } from './defaults.js';
import { defaultWorkgroupSize, dividing, knob, largest, workgroupScheduleSpace, workgroupSizes, type KernelFamily, type WorkgroupSchedule } from './family.js';
import { cooPattern, withPattern } from './bsr-pattern.js';
import { auxName, gradKernel, loadAs, splitRowsLoop, splitsDecl, storeAs, type GradBindingTypes } from './grad-scaffold.js';
import { applyIndexMap, renderIndex, rowMajor, type IndexVar } from './index-map.js';
import type { EmittedKernel, Schedule, TargetLimits } from './kernel.js';
import { runtimeBlockedSum } from './reduction.js';
import { decompose, kernelNames, mul, paramOffset, rowSize, sum, u, type KernelContext } from './scaffold.js';
import type { U32Expr } from './u32.js';

const WGRAD = 'wgrad-tiled';

/** A weight-gradient op as blocks of (rows × cols) weights. */
function blockShape(op: WeightGradOp): { blocks: number; rows: number; cols: number } {
  const f = op.forward;
  return f.kind === 'ks' ? { blocks: f.a * f.d, rows: f.b, cols: f.c } : { blocks: f.blocks.length, rows: f.bh, cols: f.bw };
}

interface WgradTiledSchedule extends Schedule {
  readonly family: typeof WGRAD;
  readonly workgroupSize: number;
  readonly tileB: number;
  readonly tileC: number;
}

export const weightGradTiled: KernelFamily<'wgrad', WgradTiledSchedule> = {
  name: WGRAD,
  opKind: 'wgrad',
  defaultSchedule(op, limits) {
    const { rows, cols } = blockShape(op);
    const tile = DEFAULT_KNOBS.weightGradTile;
    return { family: WGRAD, workgroupSize: defaultWorkgroupSize(limits), tileB: largest(dividing(rows, tile)), tileC: largest(dividing(cols, tile)) };
  },
  candidates(op, limits) {
    const { rows, cols } = blockShape(op);
    return workgroupSizes(limits).flatMap((workgroupSize) =>
      dividing(rows, [1, 2, 4, 8]).flatMap((tileB) => dividing(cols, [1, 2, 4, 8]).map((tileC) => ({ family: WGRAD, workgroupSize, tileB, tileC }))),
    );
  },
  decode: (s) => ({ family: WGRAD, workgroupSize: knob(s, 'workgroupSize'), tileB: knob(s, 'tileB'), tileC: knob(s, 'tileC') }),
  emit: emitWeightGrad,
};

function emitWeightGrad(op: WeightGradOp, schedule: WgradTiledSchedule, ctx: KernelContext): EmittedKernel {
  const { workgroupSize: wg, tileB, tileC } = schedule;
  const { blocks, rows, cols } = blockShape(op);
  invariant(rows % tileB === 0 && cols % tileC === 0, `${WGRAD}: schedule ${JSON.stringify(schedule)} does not fit ${rows}x${cols} blocks`);
  const n = kernelNames(ctx.entryPoint);
  const aux = auxName(ctx.entryPoint);
  const f = op.forward;
  const itemsPerSplit = blocks * (rows / tileB) * (cols / tileC);
  const tiles: IndexVar[] = [{ name: 'i_tb', size: rows / tileB }, { name: 'i_tc', size: cols / tileC }];
  const ps = Array.from({ length: tileB }, (_, p) => p);
  const qs = Array.from({ length: tileC }, (_, q) => q);

  // The block's variables, and the logical output / input indices of weight row p and column q.
  let blockVars: string[];
  let decls: string[] = [];
  let outIndex: (p: number) => U32Expr;
  let inIndex: (q: number) => U32Expr;
  let blockBase: U32Expr;
  if (f.kind === 'ks') {
    invariant(f.input.size === f.a * f.c * f.d && f.output.size === f.a * f.b * f.d, `${WGRAD}: index maps do not fit K(${f.a},${f.b},${f.c},${f.d})`);
    // δ fastest: neighbouring threads read neighbouring elements when d > 1.
    blockVars = decompose('item', [{ name: 'i_a', size: f.a }, ...tiles, { name: 'i_d', size: f.d }]);
    outIndex = (p) => renderIndex(applyIndexMap(f.output, rowMajor([{ name: 'i_a', size: f.a }, { name: `ib${p}`, size: f.b }, { name: 'i_d', size: f.d }])));
    inIndex = (q) => renderIndex(applyIndexMap(f.input, rowMajor([{ name: 'i_a', size: f.a }, { name: `ig${q}`, size: f.c }, { name: 'i_d', size: f.d }])));
    blockBase = mul(sum(mul('i_a', f.d), 'i_d'), rows * cols);
  } else {
    invariant(f.rows % f.bh === 0 && f.cols % f.bw === 0 && f.input.size === f.cols && f.output.size === f.rows, `${WGRAD}: op does not fit its grid`);
    const coo = cooPattern(ctx.entryPoint);
    decls = [...coo.decls];
    blockVars = [...decompose('item', [{ name: 'i_z', size: blocks }, ...tiles]), `let i_I = ${coo.row('i_z')};`, `let i_J = ${coo.col('i_z')};`];
    outIndex = (p) => renderIndex(applyIndexMap(f.output, rowMajor([{ name: 'i_I', size: f.rows / f.bh }, { name: `ib${p}`, size: f.bh }])));
    inIndex = (q) => renderIndex(applyIndexMap(f.input, rowMajor([{ name: 'i_J', size: f.cols / f.bw }, { name: `ig${q}`, size: f.bw }])));
    blockBase = mul('i_z', rows * cols);
  }

  const acc = (p: number, q: number) => `acc${p}_${q}`;
  const partial = `${mul('split', f.weight.length)}`;
  const body =
    blocks === 0
      ? [`return;`]
      : [
          `let global = ${sum(mul('group', wg), 'lid')};`,
          splitsDecl(ctx, op.rowsPerSplit),
          `if (global >= splits * ${u(itemsPerSplit)}) { return; }`,
          `let split = global / ${u(itemsPerSplit)};`,
          `let item = global % ${u(itemsPerSplit)};`,
          ...blockVars,
          ...ps.map((p) => `let ib${p} = ${sum(mul('i_tb', tileB), u(p))};`),
          ...qs.map((q) => `let ig${q} = ${sum(mul('i_tc', tileC), u(q))};`),
          ...ps.map((p) => `let o${p} = ${outIndex(p)};`),
          ...qs.map((q) => `let k${q} = ${inIndex(q)};`),
          ...ps.flatMap((p) => qs.map((q) => `var ${acc(p, q)}: f32 = 0.0;`)),
          `let r0 = ${mul('split', op.rowsPerSplit)};`,
          `let r1 = min(${sum('r0', u(op.rowsPerSplit))}, ${n.dims}.batch);`,
          ...splitRowsLoop('row', op.rowsPerSplit, 1, ps.flatMap((p) => qs.map((q) => acc(p, q))), [
            `let x_row = row * ${u(rowSize(ctx, op.src))};`,
            `let e_row = row * ${u(rowSize(ctx, op.dy))};`,
            ...ps.map((p) => `let e${p} = ${loadAs(ctx.storage, aux, `e_row + o${p}`)};`),
            ...qs.map((q) => `let x${q} = ${loadAs(ctx.storage, n.src, `x_row + k${q}`)};`),
            ...ps.flatMap((p) => qs.map((q) => `${acc(p, q)} = ${acc(p, q)} + e${p} * x${q};`)),
          ]),
          `let w_base = ${sum(partial, blockBase)};`,
          ...ps.flatMap((p) => qs.map((q) => `${n.dst}[${sum('w_base', mul(`ib${p}`, cols), `ig${q}`)}] = ${acc(p, q)};`)),
        ];
  const types: GradBindingTypes = { src: ctx.storage, dst: 'f32', aux: ctx.storage };
  const kernel = gradKernel(ctx, schedule, { workgroupSize: wg, types, decls, body, dispatch: { kind: 'split', rowsPerSplit: op.rowsPerSplit, itemsPerSplit, itemsPerWorkgroup: wg } });
  // A bsr op's blocks are the rows and columns of its pattern table (bsr-pattern.ts), which the runtime binds.
  return withPattern(kernel, op);
}

const BGRAD = 'bgrad';

export const biasGradFamily: KernelFamily<'bgrad', WorkgroupSchedule<typeof BGRAD>> = {
  opKind: 'bgrad',
  ...workgroupScheduleSpace<'bgrad', typeof BGRAD>(BGRAD),
  emit: emitBiasGrad,
};

function emitBiasGrad(op: BiasGradOp, schedule: WorkgroupSchedule<typeof BGRAD>, ctx: KernelContext): EmittedKernel {
  invariant(op.output.size === op.size, `${BGRAD}: output map of size ${op.output.size} for a bias of size ${op.size}`);
  const wg = schedule.workgroupSize;
  const n = kernelNames(ctx.entryPoint);
  const body = [
    `let global = ${sum(mul('group', wg), 'lid')};`,
    splitsDecl(ctx, op.rowsPerSplit),
    `if (global >= splits * ${u(op.size)}) { return; }`,
    `let split = global / ${u(op.size)};`,
    `let item = global % ${u(op.size)};`,
    `let o = ${renderIndex(applyIndexMap(op.output, rowMajor([{ name: 'item', size: op.size }])))};`,
    `let r0 = ${mul('split', op.rowsPerSplit)};`,
    `let r1 = min(${sum('r0', u(op.rowsPerSplit))}, ${n.dims}.batch);`,
    `var acc: f32 = 0.0;`,
    ...splitRowsLoop('row', op.rowsPerSplit, 1, ['acc'], [`acc = acc + ${loadAs(ctx.storage, n.src, `row * ${u(rowSize(ctx, op.dy))} + o`)};`]),
    `${n.dst}[${sum(mul('split', op.size), 'item')}] = acc;`,
  ];
  const types: GradBindingTypes = { src: ctx.storage, dst: 'f32', aux: ctx.storage };
  return gradKernel(ctx, schedule, { workgroupSize: wg, types, body, dispatch: { kind: 'split', rowsPerSplit: op.rowsPerSplit, itemsPerSplit: op.size, itemsPerWorkgroup: wg } });
}

const REDUCE = 'reduce';

export const reduceFamily: KernelFamily<'reduce', WorkgroupSchedule<typeof REDUCE>> = {
  opKind: 'reduce',
  ...workgroupScheduleSpace<'reduce', typeof REDUCE>(REDUCE),
  emit: emitReduce,
};

function emitReduce(op: ReduceOp, schedule: WorkgroupSchedule<typeof REDUCE>, ctx: KernelContext): EmittedKernel {
  const wg = schedule.workgroupSize;
  const n = kernelNames(ctx.entryPoint);
  const len = op.grad.length;
  const at = sum(u(paramOffset(ctx, op.grad)), 'item');
  const value = op.accumulate ? `${loadAs(ctx.storage, n.dst, at)} + acc` : 'acc';
  const body = [
    `let item = ${sum(mul('group', wg), 'lid')};`,
    `if (item >= ${u(len)}) { return; }`,
    splitsDecl(ctx, op.rowsPerSplit),
    `var acc: f32 = 0.0;`,
    // `splits` grows with the batch (2^20 rows make 4096): summed in blocks at any length.
    ...runtimeBlockedSum({
      name: 's',
      count: 'splits',
      step: 1,
      accumulators: [{ name: 'acc', zero: '0.0' }],
      loop: (from, to) => [`for (var s = ${from}; s < ${to}; s++) {`, `  acc = acc + ${n.src}[${sum(mul('s', len), 'item')}];`, `}`],
    }),
    `${n.dst}[${at}] = ${storeAs(ctx.storage, value)};`,
  ];
  const types: GradBindingTypes = { src: 'f32', dst: ctx.storage, aux: ctx.storage };
  return gradKernel(ctx, schedule, { workgroupSize: wg, types, body, dispatch: { kind: 'fixed', items: len, itemsPerWorkgroup: wg } });
}
