/**
 * `ks-dvec`: the strided factor K(a,b,c,d) with d a multiple of 4 (Monarch's second factor, the
 * later butterfly levels) as a batched GEMM vectorised along δ, the dimension that is contiguous
 * in both its source and its destination.
 *
 * For a group (α, δ): Out[row, β] = Σ_γ W[α·d+δ, β, γ] · Src[row, α·c·d + γ·d + δ]. Four
 * neighbouring δ are four independent GEMMs whose operands sit side by side in memory, so a
 * thread keeps vec4 accumulators over δ: acc[i][j] (rows i, outputs β j) += Src[i, γ, δ..δ+3] *
 * W[δ..δ+3, β j, γ] component-wise. Src is loaded and Out stored as vec4 along δ (coalesced over
 * the `dtile` δ of the workgroup); W rows are read along γ and transposed into workgroup memory.
 * A workgroup owns `rows` batch rows × `cols` β × `dtile` δ of one α and walks γ in chunks of
 * `tk`, fetching the next chunk into registers while it multiplies the current one; a thread
 * holds `rr` rows × `rb` β × 4 δ, interleaved (rows tr, tr + rows/rr, ...; likewise β) so that
 * neighbouring invocations read neighbouring vec4s of workgroup memory (no bank conflicts). (ks-tiled gives each thread one δ, so its
 * loads and stores of such an op are scalar and stride d apart.)
 */
import type { KsOp } from '../../../ir/ir.js';
import { invariant } from '../../../util/assert.js';
import { REGISTER_BUDGET_FLOATS } from '../defaults.js';
import { dividing, highestScoring, type KernelFamily } from '../family.js';
import type { EmittedKernel, Schedule, TargetLimits } from '../kernel.js';
import { div, mod, mul, sum, u, type KernelContext } from '../scaffold.js';
import { ksTileOrigin } from './ks-tile-origin.js';
import { stagedSum, vec4Accumulators } from './staged-sum.js';
import { fromF32, LANES, scalarAt, staging, toF32, type StagedCopy, tiledKernel } from './wgsl-text.js';
import { opOperands } from './operands.js';
import { registerTileKnobs, type RegisterTileKnobs } from './register-tile-knobs.js';

export interface KsDvecSchedule extends Schedule, RegisterTileKnobs {
  readonly family: 'ks-dvec';
}

interface DvTiling extends RegisterTileKnobs {
  readonly threads: number;
  readonly sharedBytes: number;
}

function dvTiling(s: KsDvecSchedule): DvTiling {
  const { rows, cols, dtile, tk, rr, rb } = s;
  const threads = (dtile / 4) * (rows / rr) * (cols / rb);
  return { rows, cols, dtile, tk, rr, rb, threads, sharedBytes: 4 * tk * dtile * (rows + cols) };
}

function applies(op: KsOp): boolean {
  return op.d % 4 === 0 && op.input.steps.length === 0 && op.output.steps.length === 0;
}

function valid(op: KsOp, t: DvTiling, limits: TargetLimits): boolean {
  return (
    t.dtile % 4 === 0 &&
    op.d % t.dtile === 0 &&
    t.rows % t.rr === 0 &&
    t.cols % t.rb === 0 &&
    op.b % t.cols === 0 &&
    op.c % t.tk === 0 &&
    t.rr * t.rb <= 32 &&
    // Accumulator floats within the register budget: past it, 512 invocations of 32 vec4 accumulators ran 6-10x slower
    // than the default (H100, session 30 call A, bench/results/s30/call-1/perf2; n = 4096's strided factor, B = 16384,
    // 64 x 64 x 16 δ 2.7734 ms and 128 x 64 x 8 δ 2.4687 against 0.4893; n = 16384's, B = 4096, 5.7741 and 5.0390
    // against 0.8646), where 256 invocations of 32 (32 x 64 x 16 δ) took 0.5806 and 1.1035.
    t.threads * t.rr * t.rb * 4 <= REGISTER_BUDGET_FLOATS &&
    t.threads >= 64 &&
    t.threads <= limits.maxWorkgroupSize &&
    t.sharedBytes <= limits.maxWorkgroupStorageBytes
  );
}

function candidates(op: KsOp, limits: TargetLimits): KsDvecSchedule[] {
  if (!applies(op)) return [];
  const out: KsDvecSchedule[] = [];
  for (const dtile of dividing(op.d, [4, 8, 16]))
    for (const rows of [16, 32, 64, 128])
      for (const cols of dividing(op.b, [8, 16, 32, 64]))
        for (const tk of dividing(op.c, [4, 8, 16, 32]))
          for (const rr of [2, 4, 8])
            for (const rb of [2, 4, 8]) {
              const s: KsDvecSchedule = { family: 'ks-dvec', rows, cols, dtile, tk, rr, rb };
              if (valid(op, dvTiling(s), limits)) out.push(s);
            }
  return out;
}

/**
 * Default: the shape that measured best for Monarch's second factor at n = 4096 on the H100
 * (bench/results/nvidia-h100-80gb-hbm3.json): 256 invocations of 32 vec4 accumulators, 8 δ,
 * 64 β (or all of them), 64 rows, chunks of 8 γ; the nearest candidate otherwise.
 */
function defaultSchedule(op: KsOp, limits: TargetLimits): KsDvecSchedule {
  const score = (s: KsDvecSchedule): number => {
    const t = dvTiling(s);
    return (
      (t.threads === Math.min(256, limits.maxWorkgroupSize) ? 1000 : 0) +
      (t.rr * t.rb === 32 ? 500 : t.rr * t.rb * 10) +
      (t.dtile === Math.min(8, op.d) ? 100 : 0) +
      (t.cols === Math.min(64, op.b) ? 50 : 0) +
      (t.rows === 64 ? 20 : 0) +
      (t.tk === 8 ? 10 : 0) +
      (t.rr === 4 ? 1 : 0)
    );
  };
  return highestScoring('ks-dvec', `K(${op.a},${op.b},${op.c},${op.d})`, candidates(op, limits), score);
}

function emit(op: KsOp, schedule: KsDvecSchedule, ctx: KernelContext): EmittedKernel {
  invariant(applies(op), 'ks-dvec: op shape not supported');
  const t = dvTiling(schedule);
  const { rows: R, cols: TB, dtile: TD, tk: TK, rr: RR, rb: RB, threads: T } = t;
  const { ep, n, inSize, outSize, wOff, biasOff } = opOperands(op, ctx);
  const st = ctx.storage;
  const { a, b, c, d } = op;
  invariant(inSize % 4 === 0 && outSize % 4 === 0, 'ks-dvec: rows must be multiples of 4 elements');
  const views: { src: boolean; dst: boolean; params: boolean } = { src: true, dst: true, params: false };
  const V = TD / 4;
  const nbt = b / TB;
  const ndt = d / TD;
  const perRowTile = a * ndt * nbt;
  const xs = `${ep}_xs`;
  const ws = `${ep}_ws`;

  // Staging is software-pipelined: chunk k0 + tk is fetched into registers while chunk k0 is
  // multiplied out of workgroup memory. Item orders keep the workgroup-memory writes of
  // neighbouring invocations on consecutive words (no bank conflicts).
  const wVec = c % 4 === 0 && wOff % 4 === 0 && TK % 4 === 0;
  views.params = wVec;
  const wRow = sum(u(wOff), mul(sum(mul(sum(mul('alpha', d), 'delta0', 'dd'), b), 'beta0', 'bb'), c));
  const srcCopy: StagedCopy = {
    count: TK * R * V,
    register: 'vec4<f32>',
    item: () => [`let dv = ${mod('e', V)};`, `let r = ${mod(div('e', V), R)};`, `let k = ${div('e', V * R)};`],
    load: (v, k0) => [
      `${v} = ${toF32(st, `${n.src}[${sum(div(sum(mul('min(row0 + r, batch - 1u)', inSize), mul('alpha', c * d), mul(sum(k0, 'k'), d), 'delta0'), 4), 'dv')}]`, true)};`,
    ],
    store: (v) => [`${xs}[${sum(mul(sum(mul('k', R), 'r'), V), 'dv')}] = ${v};`],
  };
  const wCopy: StagedCopy = wVec
    ? {
        count: (TK / 4) * TB * TD,
        register: 'vec4<f32>',
        item: () => [`let dd = ${mod('e', TD)};`, `let bb = ${mod(div('e', TD), TB)};`, `let kv = ${div('e', TD * TB)};`],
        load: (v, k0) => [`${v} = ${toF32(st, `${n.params}[${sum(div(sum(wRow, k0), 4), 'kv')}]`, true)};`],
        store: (v) => LANES.map((l, q) => `${ws}[${sum(mul(sum(mul(sum('kv * 4u', u(q)), TB), 'bb'), V), 'dd / 4u')}][dd % 4u] = ${v}.${l};`),
      }
    : {
        count: TK * TB * TD,
        register: 'f32',
        item: () => [`let dd = ${mod('e', TD)};`, `let bb = ${mod(div('e', TD), TB)};`, `let k = ${div('e', TD * TB)};`],
        load: (v, k0) => [`${v} = ${toF32(st, `${n.params}[${sum(wRow, k0, 'k')}]`, false)};`],
        store: (v) => [`${ws}[${sum(mul(sum(mul('k', TB), 'bb'), V), 'dd / 4u')}][dd % 4u] = ${v};`],
      };
  const stage = staging('pf', T, [srcCopy, wCopy]);

  const acc = (i: number, j: number) => `acc_${i}_${j}`;
  const accs = Array.from({ length: RR }, (_, i) => Array.from({ length: RB }, (_, j) => acc(i, j))).flat();
  const inner: string[] = [];
  for (let i = 0; i < RR; i++) inner.push(`let x${i} = ${xs}[${sum(mul(sum(mul('k', R), 'tr', u(i * (R / RR))), V), 'tv')}];`);
  for (let j = 0; j < RB; j++) inner.push(`let w${j} = ${ws}[${sum(mul(sum(mul('k', TB), 'tb', u(j * (TB / RB))), V), 'tv')}];`);
  for (let i = 0; i < RR; i++) for (let j = 0; j < RB; j++) inner.push(`${acc(i, j)} = fma(x${i}, w${j}, ${acc(i, j)});`);

  const store: string[] = [];
  for (let i = 0; i < RR; i++) {
    const row = sum('row0', 'tr', u(i * (R / RR)));
    store.push(`if (${row} < batch) {`, `  let row = ${row};`);
    for (let j = 0; j < RB; j++) {
      // Logical output index of lane q: α·b·d + β·d + δ + q (identity output map, so also where it is stored).
      const logical = (q: number) => sum(mul('alpha', b * d), mul(sum('beta0', 'tb', u(j * (TB / RB))), d), 'delta', u(q));
      const at = div(sum(mul('row', outSize), logical(0)), 4);
      let v = acc(i, j);
      if (biasOff !== undefined)
        v = `${v} + vec4<f32>(${LANES.map((_, q) => toF32(st, scalarAt(n.params, views.params, sum(u(biasOff), logical(q))), false)).join(', ')})`;
      if (op.accumulate) v = `${toF32(st, `${n.dst}[${at}]`, true)} + ${v}`;
      store.push(`  ${n.dst}[${at}] = ${fromF32(st, v, true)};`);
    }
    store.push('}');
  }

  const body = [
    ...ksTileOrigin({ perRowTile, rows: R, cols: TB, dtile: TD, nbt, ndt, fastest: 'beta' }),
    `let tv = ${mod('lid', V)};`,
    `let tb = ${mod(div('lid', V), TB / RB)};`,
    `let tr = ${div('lid', V * (TB / RB))};`,
    `let delta = delta0 + tv * 4u;`,
    ...accs.map((a) => `var ${a} = vec4<f32>(0.0);`),
    ...stagedSum(stage, c, TK, true, [`for (var k = 0u; k < ${u(TK)}; k++) {`, ...inner.map((l) => `  ${l}`), `}`], vec4Accumulators(accs)),
    ...store,
  ];
  return tiledKernel({
    entryPoint: ep,
    storage: st,
    views,
    workgroupVars: [
      `var<workgroup> ${xs}: array<vec4<f32>, ${TK * R * V}>;`,
      `var<workgroup> ${ws}: array<vec4<f32>, ${TK * TB * V}>;`,
    ],
    threads: T,
    body,
    rowsPerWorkgroup: R,
    workgroupsPerRowTile: perRowTile,
    schedule,
    ops: [ctx.opIndex],
  });
}

export const ksDvec: KernelFamily<'ks', KsDvecSchedule> = {
  name: 'ks-dvec',
  opKind: 'ks',
  defaultSchedule,
  candidates,
  decode: (s: Schedule) => ({ family: 'ks-dvec', ...registerTileKnobs(s) }),
  emit,
};
