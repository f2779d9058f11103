/**
 * `wgrad-staged`: a Kronecker-sparse factor's weight-gradient partials as a GEMM over the batch
 * rows of a split, staged through workgroup memory. A workgroup owns a tile of `tb` × `tc`
 * weights (β, γ) of one block (α, δ) and walks its split's rows in chunks of `rk`: each chunk of
 * the output gradient (rk × tb) and of the input (rk × tc) is loaded once by the whole workgroup,
 * then every thread does rk·rb·rc multiply-adds for its `rb` × `rc` weights from workgroup memory
 * (wgrad-tiled reads every value from memory once per thread instead).
 *
 * Knobs: tb (divides b), tc (divides c), rb (divides tb), rc (divides tc), rk (rows per chunk).
 */
import type { WeightGradOp } from '../../ir/ir.js';
import { invariant } from '../../util/assert.js';
import { dividing, highestScoring, knob, type KernelFamily } from './family.js';
import { auxName, gradKernel, loadAs, splitRowsLoop, splitsDecl, type GradBindingTypes } from './grad-scaffold.js';
import { applyIndexMap, renderIndex, rowMajor } from './index-map.js';
import type { EmittedKernel, Schedule, TargetLimits } from './kernel.js';
import { kernelNames, mul, rowSize, sum, u, type KernelContext } from './scaffold.js';
import type { U32Expr } from './u32.js';

const FAMILY = 'wgrad-staged';

interface Tiling {
  readonly tb: number;
  readonly tc: number;
  readonly rb: number;
  readonly rc: number;
  readonly rk: number;
  readonly threads: number;
}

interface WgradStagedSchedule extends Schedule {
  readonly family: typeof FAMILY;
  readonly tb: number;
  readonly tc: number;
  readonly rb: number;
  readonly rc: number;
  readonly rk: number;
}

function tiling(s: WgradStagedSchedule): Tiling {
  const { tb, tc, rb, rc, rk } = s;
  return { tb, tc, rb, rc, rk, threads: (tb / rb) * (tc / rc) };
}

function fits(t: Tiling, limits: TargetLimits): boolean {
  return t.threads >= 32 && t.threads <= limits.maxWorkgroupSize && 4 * t.rk * (t.tb + t.tc) <= limits.maxWorkgroupStorageBytes;
}

function candidates(op: WeightGradOp, limits: TargetLimits): WgradStagedSchedule[] {
  const f = op.forward;
  if (f.kind !== 'ks') return [];
  const out: WgradStagedSchedule[] = [];
  for (const tb of dividing(f.b, [8, 16, 32, 64]))
    for (const tc of dividing(f.c, [8, 16, 32, 64]))
      for (const rb of dividing(tb, [2, 4]))
        for (const rc of dividing(tc, [2, 4]))
          for (const rk of [8, 16]) {
            const s: WgradStagedSchedule = { family: FAMILY, tb, tc, rb, rc, rk };
            if (fits(tiling(s), limits)) out.push(s);
          }
  return out;
}

export const weightGradStaged: KernelFamily<'wgrad', WgradStagedSchedule> = {
  name: FAMILY,
  opKind: 'wgrad',
  defaultSchedule(op, limits) {
    // Big tiles and 16 outputs per thread first (the most reuse from workgroup memory), then
    // chunks of 8 rows (0.46 ms against 0.57 for 16 on the H200, Monarch n = 4096 factor 1).
    return highestScoring(FAMILY, 'a wgrad op', candidates(op, limits), (s) => {
      const t = tiling(s);
      return t.tb * t.tc + t.rb * t.rc * 100 - t.rk;
    });
  },
  candidates,
  decode: (s) => ({ family: FAMILY, tb: knob(s, 'tb'), tc: knob(s, 'tc'), rb: knob(s, 'rb'), rc: knob(s, 'rc'), rk: knob(s, 'rk') }),
  emit: emitStaged,
};

function emitStaged(op: WeightGradOp, schedule: WgradStagedSchedule, ctx: KernelContext): EmittedKernel {
  const f = op.forward;
  invariant(f.kind === 'ks', `${FAMILY}: only Kronecker-sparse factors`);
  const { a, b, c, d } = f;
  const t = tiling(schedule);
  invariant(b % t.tb === 0 && c % t.tc === 0 && t.tb % t.rb === 0 && t.tc % t.rc === 0, `${FAMILY}: schedule ${JSON.stringify(schedule)} does not fit K(${a},${b},${c},${d})`);
  const ep = ctx.entryPoint;
  const n = kernelNames(ep);
  const aux = auxName(ep);
  const perBlock = (b / t.tb) * (c / t.tc);
  const perSplit = a * d * perBlock;
  const threadsX = t.tc / t.rc;
  const sE = `${ep}_se`;
  const sX = `${ep}_sx`;
  const outIdx = renderIndex(applyIndexMap(f.output, rowMajor([{ name: 'i_a', size: a }, { name: 'ib', size: b }, { name: 'i_d', size: d }])));
  const inIdx = renderIndex(applyIndexMap(f.input, rowMajor([{ name: 'i_a', size: a }, { name: 'ig', size: c }, { name: 'i_d', size: d }])));
  const srcRow = rowSize(ctx, op.src);
  const dyRow = rowSize(ctx, op.dy);
  const acc = (p: number, q: number) => `acc${p}_${q}`;
  const ps = Array.from({ length: t.rb }, (_, p) => p);
  const qs = Array.from({ length: t.rc }, (_, q) => q);
  const stage = (shared: string, width: number, buffer: string, rowStride: number, variable: string, base: U32Expr, index: U32Expr) => [
    `for (var i = lid; i < ${u(t.rk * width)}; i += ${u(t.threads)}) {`,
    `  let r = rr + i / ${u(width)};`,
    `  let ${variable} = ${sum(base, `i % ${u(width)}`)};`,
    `  var v: f32 = 0.0;`,
    `  if (r < r1) { v = ${loadAs(ctx.storage, buffer, `r * ${u(rowStride)} + ${index}`)}; }`,
    `  ${shared}[i] = v;`,
    `}`,
  ];
  const body = [
    splitsDecl(ctx, op.rowsPerSplit),
    `let split = group / ${u(perSplit)};`,
    `if (split >= splits) { return; }`,
    `let tile = group % ${u(perSplit)};`,
    `let blk = tile / ${u(perBlock)};`,
    `let i_a = blk / ${u(d)};`,
    `let i_d = blk % ${u(d)};`,
    `let b0 = (tile % ${u(perBlock)}) / ${u(c / t.tc)} * ${u(t.tb)};`,
    `let c0 = (tile % ${u(c / t.tc)}) * ${u(t.tc)};`,
    `let tx = lid % ${u(threadsX)};`,
    `let ty = lid / ${u(threadsX)};`,
    ...ps.flatMap((p) => qs.map((q) => `var ${acc(p, q)}: f32 = 0.0;`)),
    `let r0 = ${mul('split', op.rowsPerSplit)};`,
    `let r1 = min(${sum('r0', u(op.rowsPerSplit))}, ${n.dims}.batch);`,
    // Blocks (a split longer than BLOCKED_SUM_FROM rows) hold whole chunks; rows past r1 load as 0.
    ...splitRowsLoop('rr', op.rowsPerSplit, t.rk, ps.flatMap((p) => qs.map((q) => acc(p, q))), [
      ...stage(sE, t.tb, aux, dyRow, 'ib', 'b0', outIdx),
      ...stage(sX, t.tc, n.src, srcRow, 'ig', 'c0', inIdx),
      `workgroupBarrier();`,
      `for (var k = 0u; k < ${u(t.rk)}; k++) {`,
      ...ps.map((p) => `  let e${p} = ${sE}[k * ${u(t.tb)} + ty * ${u(t.rb)} + ${u(p)}];`),
      ...qs.map((q) => `  let x${q} = ${sX}[k * ${u(t.tc)} + tx * ${u(t.rc)} + ${u(q)}];`),
      ...ps.flatMap((p) => qs.map((q) => `  ${acc(p, q)} = ${acc(p, q)} + e${p} * x${q};`)),
      `}`,
      `workgroupBarrier();`,
    ]),
    `let w_base = ${sum(mul('split', f.weight.length), mul('blk', b * c))};`,
    ...ps.flatMap((p) => qs.map((q) => `${n.dst}[w_base + (b0 + ty * ${u(t.rb)} + ${u(p)}) * ${u(c)} + c0 + tx * ${u(t.rc)} + ${u(q)}] = ${acc(p, q)};`)),
  ];
  const types: GradBindingTypes = { src: ctx.storage, dst: 'f32', aux: ctx.storage };
  return gradKernel(ctx, schedule, {
    workgroupSize: t.threads,
    types,
    decls: [`var<workgroup> ${sE}: array<f32, ${t.rk * t.tb}>;`, `var<workgroup> ${sX}: array<f32, ${t.rk * t.tc}>;`],
    body,
    dispatch: { kind: 'split', rowsPerSplit: op.rowsPerSplit, itemsPerSplit: perSplit, itemsPerWorkgroup: 1 },
  });
}
