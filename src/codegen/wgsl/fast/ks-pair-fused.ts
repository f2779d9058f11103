/**
 * `ks-pair-fused`: two consecutive factors, op0 = K(a0, b0, c0, 1) (block-diagonal) then
 * op1 = K(1, b1, c1, d1) (the strided factor), in ONE dispatch: the Monarch pair
 * (monarch(nblocks: k) lowers to exactly this, with the permutation between the factors folded
 * into op1's stride). It applies only to two ops the IR marks as one pair (stage 0 then 1 of one
 * group: lowering marks `monarch(...)`, canonicalize-blocks its explicit spelling); two ops of the
 * same shapes that are not one pair run as they are. The intermediate never touches global memory.
 *
 * A workgroup owns `rows` batch rows × `dtile` consecutive δ1 (columns of op1), and all b1
 * outputs β1 for them. It walks γ1 (op1's reduction) in chunks of `tg`:
 *  stage 1: computes the intermediate t[row, γ1·d1 + δ1] for the chunk (each a length-c0 dot
 *           product of an x block with a row of op0's weights; a thread holds `rr1` rows × dtile
 *           values, which share one x block because dtile divides b0 and d1) into workgroup memory;
 *  stage 2: accumulates y[row, β1·d1 + δ1] += Σ_γ1 W1[δ1, β1, γ1] · t[row, γ1, δ1] in registers
 *           (each thread `rr2` rows × `rb2` β1 of one δ1).
 * So X is read and Y written once per workgroup; the trade is that a row's X is read by each of
 * the d1/dtile workgroups of its row tile (neighbours in dispatch order, so from L2).
 */
import type { KsOp } from '../../../ir/ir.js';
import { invariant } from '../../../util/assert.js';
import { markedPairFamily, pairOperands } from './marked-pair.js';
import { dividing, highestScoring, knob, type RunFamily } from '../family.js';
import { applyIndexMap, renderIndex, rowMajor } from '../index-map.js';
import type { EmittedKernel, Schedule, TargetLimits } from '../kernel.js';
import { div, mod, mul, sum, u, type KernelContext } from '../scaffold.js';
import { blockedSum } from '../reduction.js';
import { vec4Accumulators } from './staged-sum.js';
import { fromF32, LANES, scalarAt, toF32, tiledKernel } from './wgsl-text.js';
import type { U32Expr } from '../u32.js';

export interface KsPairSchedule extends Schedule {
  readonly family: 'ks-pair-fused';
  readonly rows: number;
  readonly dtile: number;
  readonly rr1: number;
  readonly rr2: number;
  readonly rb2: number;
}

interface PairTiling {
  readonly rows: number;
  readonly dtile: number;
  readonly rr1: number;
  readonly rr2: number;
  readonly rb2: number;
  readonly threads: number;
  /** γ1 per chunk, derived: every thread of stage 1 owns one γ1 of the chunk. */
  readonly tg: number;
  readonly sharedBytes: number;
}

function pairTiling(op1: KsOp, s: KsPairSchedule): PairTiling {
  const { rows, dtile, rr1, rr2, rb2 } = s;
  const threads = dtile * (rows / rr2) * Math.ceil(op1.b / rb2);
  const tg = (threads * rr1) / rows;
  return { rows, dtile, rr1, rr2, rb2, threads, tg, sharedBytes: 4 * tg * dtile * rows };
}

/**
 * The kernel's precondition on op0 then op1 (independent of the schedule): the shapes and buffers
 * it computes. Whether two ops are a pair at all is the IR's mark (isMarkedPair), not this.
 */
export function fusablePair(op0: KsOp, op1: KsOp): boolean {
  return (
    op0.d === 1 &&
    op1.a === 1 &&
    op1.src === op0.dst &&
    op0.dst !== op1.dst &&
    !op0.accumulate &&
    op0.output.steps.length === 0 &&
    op1.input.steps.length === 0 &&
    op0.a * op0.b === op1.c * op1.d &&
    op0.c % 4 === 0 &&
    op1.c % 4 === 0
  );
}

function validPair(op0: KsOp, op1: KsOp, t: PairTiling, limits: TargetLimits): boolean {
  return (
    t.rows % t.rr1 === 0 &&
    t.rows % t.rr2 === 0 &&
    t.rr2 % 4 === 0 &&
    Number.isInteger(t.tg) &&
    t.tg % 4 === 0 &&
    op1.c % t.tg === 0 &&
    op0.b % t.dtile === 0 &&
    op1.d % t.dtile === 0 &&
    t.threads >= 64 &&
    t.threads <= limits.maxWorkgroupSize &&
    t.sharedBytes <= limits.maxWorkgroupStorageBytes
  );
}

export function pairCandidates(op0: KsOp, op1: KsOp, limits: TargetLimits): KsPairSchedule[] {
  if (!fusablePair(op0, op1)) return [];
  const out: KsPairSchedule[] = [];
  for (const dtile of dividing(Math.min(op0.b, op1.d), [1, 2, 4, 8, 16]).filter((d) => op0.b % d === 0 && op1.d % d === 0))
    for (const rows of [8, 16, 32, 64])
      for (const rr1 of [2, 4, 8])
        for (const rr2 of [4, 8])
          for (const rb2 of [4, 8, 16]) {
            const s: KsPairSchedule = { family: 'ks-pair-fused', rows, dtile, rr1, rr2, rb2 };
            if (validPair(op0, op1, pairTiling(op1, s), limits)) out.push(s);
          }
  return out;
}

/** Default: the largest intermediate tile (rows × dtile) that fits, then the larger register tiles. */
export function pairDefaultSchedule(op0: KsOp, op1: KsOp, limits: TargetLimits): KsPairSchedule | undefined {
  const all = pairCandidates(op0, op1, limits);
  if (all.length === 0) return undefined;
  const score = (s: KsPairSchedule) => {
    const t = pairTiling(op1, s);
    return t.rows * t.dtile * 1000 + t.rr2 * t.rb2 * 10 + t.rr1 * t.dtile + (t.threads === 256 ? 5 : 0);
  };
  return highestScoring('ks-pair-fused', 'the pair', all, score);
}

export function emitPair(op0: KsOp, op1: KsOp, schedule: KsPairSchedule, ctx: KernelContext): EmittedKernel {
  invariant(fusablePair(op0, op1), 'ks-pair-fused: ops do not form a fusable pair');
  const t = pairTiling(op1, schedule);
  const { rows: R, dtile: D, rr1, rr2, rb2, threads: T, tg: TG } = t;
  const { ep, n, inSize, outSize, w0, w1, bias0, bias1 } = pairOperands(op0, op1, ctx);
  const st = ctx.storage;
  const views = {
    src: op0.input.steps.length === 0 && inSize % 4 === 0,
    params: w0 % 4 === 0 && w1 % 4 === 0,
    dst: false,
  };
  const ndt = op1.d / D;
  const nbj = Math.ceil(op1.b / rb2);
  const { a: a0, b: b0, c: c0 } = op0;
  const { b: b1, c: c1, d: d1 } = op1;
  const ts = `${ep}_ts`;
  const x4 = (row: string, idx: string) =>
    views.src
      ? toF32(st, `${n.src}[${div(sum(mul(row, inSize), idx), 4)}]`, true)
      : `vec4<f32>(${[0, 1, 2, 3].map((q) => toF32(st, `${n.src}[${sum(mul(row, inSize), renderIndex(applyIndexMap(op0.input, rowMajor([{ name: `(${sum(idx, u(q))})`, size: a0 * c0 }]))))}]`, false)).join(', ')})`;
  const p4 = (idx: U32Expr) =>
    views.params ? toF32(st, `${n.params}[${div(idx, 4)}]`, true) : `vec4<f32>(${[0, 1, 2, 3].map((q) => toF32(st, `${n.params}[${sum(idx, u(q))}]`, false)).join(', ')})`;
  const param = (idx: U32Expr) => toF32(st, scalarAt(n.params, views.params, idx), false);

  // Stage 1: thread (g, tr1) computes t for rows tr1·rr1.. and the dtile values at γ1 = gc + g.
  const sums = Array.from({ length: rr1 }, (_, i) => Array.from({ length: D }, (_, j) => `s${i}_${j}`)).flat();
  const stage1: string[] = [
    `let gamma1 = gc + g;`,
    `let mid0 = ${sum(mul('gamma1', d1), 'delta0')};`,
    `let alpha0 = ${div('mid0', b0)};`,
    `let wbase = ${sum(u(w0), mul('mid0', c0))};`,
    `let xoff = ${mul('alpha0', c0)};`,
    ...Array.from({ length: rr1 }, (_, i) => `let xrow${i} = min(${sum('row0', mul('tr1', rr1), u(i))}, batch - 1u);`),
    ...sums.map((s) => `var ${s} = 0.0;`),
    ...blockedSum({
      name: 'e',
      count: c0,
      step: 4,
      accumulators: sums.map((name) => ({ name, zero: '0.0' })),
      loop: (from, to) => [
        `for (var e = ${from}; e < ${to}; e += 4u) {`,
        ...Array.from({ length: rr1 }, (_, i) => `  let xv${i} = ${x4(`xrow${i}`, 'xoff + e')};`),
        ...Array.from({ length: D }, (_, j) => `  let wv${j} = ${p4(sum('wbase', u(j * c0), 'e'))};`),
        ...Array.from({ length: rr1 }, (_, i) => Array.from({ length: D }, (_, j) => `  s${i}_${j} += dot(xv${i}, wv${j});`)).flat(),
        `}`,
      ],
    }),
    ...Array.from({ length: rr1 }, (_, i) =>
      Array.from({ length: D }, (_, j) => {
        const r = sum(mul('tr1', rr1), u(i));
        const v = bias0 !== undefined ? `s${i}_${j} + ${param(sum(u(bias0), 'mid0', u(j)))}` : `s${i}_${j}`;
        return `${ts}[${sum(mul(sum(mul('g', D), u(j)), R / 4), div(r, 4))}][${mod(r, 4)}] = ${v};`;
      }),
    ).flat(),
  ];

  // Stage 2: thread (dd, tr2, tb2) accumulates rr2 rows × rb2 β1 of δ1 = delta0 + dd.
  const acc = (iv: number, j: number) => `acc${iv}_${j}`;
  const accs = Array.from({ length: rr2 / 4 }, (_, iv) => Array.from({ length: rb2 }, (_, j) => acc(iv, j))).flat();
  const stage2: string[] = [`for (var g4 = 0u; g4 < ${u(TG)}; g4 += 4u) {`];
  for (let j = 0; j < rb2; j++) stage2.push(`  let w${j} = ${p4(`wrow${j} + gc + g4`)};`);
  for (let q = 0; q < 4; q++) {
    for (let iv = 0; iv < rr2 / 4; iv++) stage2.push(`  let t${q}_${iv} = ${ts}[${sum(mul(sum(mul(sum('g4', u(q)), D), 'dd'), R / 4), mul('tr2', rr2 / 4), u(iv))}];`);
    for (let iv = 0; iv < rr2 / 4; iv++)
      for (let j = 0; j < rb2; j++) stage2.push(`  ${acc(iv, j)} = fma(t${q}_${iv}, vec4<f32>(w${j}.${LANES[q]}), ${acc(iv, j)});`);
  }
  stage2.push('}');

  const logicalOut = rowMajor([{ name: 'beta1', size: b1 }, { name: 'delta1', size: d1 }]);
  const outIndex = renderIndex(applyIndexMap(op1.output, logicalOut));
  // The bias epilogue reads the bias at the op's logical output index (ir.ts), not where it is stored.
  const biasIndex = renderIndex(logicalOut);
  const store: string[] = [];
  for (let iv = 0; iv < rr2 / 4; iv++)
    for (let q = 0; q < 4; q++) {
      const row = sum('row0', mul('tr2', rr2), u(iv * 4 + q));
      store.push(`if (${row} < batch) {`, `  let row = ${row};`);
      for (let j = 0; j < rb2; j++) {
        const at = sum(mul('row', outSize), outIndex);
        let v = `${acc(iv, j)}.${LANES[q]}`;
        if (bias1 !== undefined) v = `${v} + ${param(sum(u(bias1), biasIndex))}`;
        if (op1.accumulate) v = `${toF32(st, `${n.dst}[${at}]`, false)} + ${v}`;
        store.push(`  { let beta1 = ${sum(mul('tb2', rb2), u(j))}; if (beta1 < ${u(b1)}) { ${n.dst}[${at}] = ${fromF32(st, v, false)}; } }`);
      }
      store.push('}');
    }

  const body = [
    `let row_tile = ${div('group', ndt)};`,
    `let delta0 = ${mul(mod('group', ndt), D)};`,
    `let row0 = ${mul('row_tile', R)};`,
    `let tr1 = ${mod('lid', R / rr1)};`,
    `let g = ${div('lid', R / rr1)};`,
    `let dd = ${mod('lid', D)};`,
    `let tr2 = ${mod(div('lid', D), R / rr2)};`,
    `let tb2 = ${div('lid', D * (R / rr2))};`,
    `let delta1 = delta0 + dd;`,
    ...Array.from({ length: rb2 }, (_, j) => `let wrow${j} = ${sum(u(w1), mul(sum(mul('delta1', b1), `min(${sum(mul('tb2', rb2), u(j))}, ${u(b1 - 1)})`), c1))};`),
    ...accs.map((a) => `var ${a} = vec4<f32>(0.0);`),
    ...blockedSum({
      name: 'gc',
      count: c1,
      step: TG,
      accumulators: vec4Accumulators(accs),
      loop: (from, to) => [
        `for (var gc = ${from}; gc < ${to}; gc += ${u(TG)}) {`,
        `  {`,
        ...stage1.map((l) => `    ${l}`),
        `  }`,
        `  workgroupBarrier();`,
        ...stage2.map((l) => `  ${l}`),
        `  workgroupBarrier();`,
        `}`,
      ],
    }),
    ...store,
  ];
  return tiledKernel({
    entryPoint: ep,
    storage: st,
    views,
    workgroupVars: [
      `var<workgroup> ${ts}: array<vec4<f32>, ${(TG * D * R) / 4}>;`,
    ],
    threads: T,
    body,
    rowsPerWorkgroup: R,
    workgroupsPerRowTile: ndt,
    schedule,
    ops: [ctx.opIndex, ctx.opIndex + 1],
  });
}

export const ksPairFused: RunFamily<KsPairSchedule> = markedPairFamily({
  name: 'ks-pair-fused',
  fits: fusablePair,
  defaultSchedule: pairDefaultSchedule,
  candidates: pairCandidates,
  decode: (s: Schedule) => ({ family: 'ks-pair-fused', rows: knob(s, 'rows'), dtile: knob(s, 'dtile'), rr1: knob(s, 'rr1'), rr2: knob(s, 'rr2'), rb2: knob(s, 'rb2') }),
  emit: emitPair,
});
