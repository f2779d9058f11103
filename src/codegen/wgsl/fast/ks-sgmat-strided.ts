/**
 * `ks-sgmat-strided`: the strided factor K(a,b,c,d), d > 1 (Monarch's second factor), on tensor
 * cores (subgroup-matrix f16 x f16 -> f32, 16x16x16), f16 storage only.
 *
 * For each δ it is the GEMM Out[row, β] = Σ_γ W[α·d+δ, β, γ] · Src[row, α·c·d + γ·d + δ]: the
 * reduction γ runs with stride d in the source, so no subgroup-matrix load can read it in place.
 * A workgroup (one subgroup: the builtins need workgroup-uniform offsets) owns `rows` batch rows ×
 * `cols` β × `dtile` consecutive δ of one α, and
 *  1. stages its whole source tile, all c of γ, in workgroup memory as xs[δ][row][γ]: the stride
 *     is folded into the staging's index arithmetic, the global reads are runs of `dtile` δ
 *     (vec4 along δ), and neighbouring workgroups take neighbouring δ tiles of the same rows;
 *  2. for each δ in turn multiplies: left tiles from xs (row-major, stride c), right tiles from W
 *     (W[δ] is β x γ row-major: column-major γ x β with stride c), staged per δ in workgroup
 *     memory (`wstage`) or read in place from the parameter buffer (weight tiles never cross the
 *     buffer's end; measured on the H200: 4.2 ms for Monarch n = 4096's strided factor at
 *     B = 16384, against 0.55 ms on ks-dvec), accumulators for that δ only, so `dtile` is not
 *     bounded by the register budget;
 *  3. passes each f32 result tile through a 16x16 workgroup tile, adds the bias there (read at
 *     the logical output index) and keeps it as f16 in os[row][β][δ];
 *  4. writes os out along δ, the contiguous dimension of the destination (vec4 when the output
 *     map is the identity), adding the old destination when the op accumulates.
 *
 * Applies when the target has 'shader-f16' and 'chromium-experimental-subgroup-matrix'
 * (no candidates otherwise: the op falls back), d > 1, the input map is the identity and b and c
 * are multiples of 16. Requires a source tile of all c within the workgroup-storage limit.
 */
import type { KsOp } from '../../../ir/ir.js';
import { invariant } from '../../../util/assert.js';
import { dividing, flag, highestScoring, knob, type KernelFamily } from '../family.js';
import { applyIndexMap, renderIndex, rowMajor } from '../index-map.js';
import type { EmittedKernel, Schedule, TargetLimits } from '../kernel.js';
import { div, mod, mul, sum, u, type KernelContext } from '../scaffold.js';
import { hasSubgroupMatrix, ksOperands, sgmatKernel, sgmatTilingFits, SUBGROUP, TILE } from './ks-sgmat.js';
import { ksTileOrigin } from './ks-tile-origin.js';
import { LANES, scalarAt } from './wgsl-text.js';
import type { U32Expr } from '../u32.js';

/** Result tiles per δ one subgroup holds (16x16 f32: 8 registers per invocation each). */
const MAX_ACCUMULATORS = 8;

export interface KsSgmatStridedSchedule extends Schedule {
  readonly family: 'ks-sgmat-strided';
  readonly rows: number;
  readonly cols: number;
  readonly dtile: number;
  /** Stage each δ's weight tile in workgroup memory (else the matrix loads read W in place). */
  readonly wstage: boolean;
}

interface StridedTiling {
  readonly rows: number;
  readonly cols: number;
  readonly dtile: number;
  readonly mr: number;
  readonly nb: number;
  readonly wstage: boolean;
  readonly sharedBytes: number;
}

function tiling(op: KsOp, s: KsSgmatStridedSchedule): StridedTiling {
  const { rows, cols, dtile, wstage } = s;
  // xs (f16, all of c), os (f16), one f32 result tile, and with wstage one δ's W tile (f16).
  const sharedBytes = 2 * dtile * rows * op.c + 2 * rows * cols * dtile + 4 * TILE * TILE + (wstage ? 2 * cols * op.c : 0);
  return { rows, cols, dtile, mr: rows / TILE, nb: cols / TILE, wstage, sharedBytes };
}

/** Shape rules, independent of the schedule (what the WGSL-text tests check on any adapter). */
export function stridedSgmatApplies(op: KsOp, limits: TargetLimits): boolean {
  return hasSubgroupMatrix(limits) && op.d > 1 && op.input.steps.length === 0 && op.b % TILE === 0 && op.c % TILE === 0;
}

function valid(op: KsOp, t: StridedTiling, limits: TargetLimits): boolean {
  return sgmatTilingFits(op, t, t.mr * t.nb <= MAX_ACCUMULATORS, limits);
}

function candidates(op: KsOp, limits: TargetLimits): KsSgmatStridedSchedule[] {
  if (!stridedSgmatApplies(op, limits)) return [];
  const out: KsSgmatStridedSchedule[] = [];
  for (const dtile of dividing(op.d, [2, 4, 8, 16, 32]))
    for (const rows of [16, 32, 64])
      for (const cols of dividing(op.b, [16, 32, 64, 128]))
        for (const wstage of [true, false]) {
          const s: KsSgmatStridedSchedule = { family: 'ks-sgmat-strided', rows, cols, dtile, wstage };
          if (valid(op, tiling(op, s), limits)) out.push(s);
        }
  return out;
}

/**
 * Default: runs of at least 8 δ (16-byte reads), then the most result tiles per δ (operand
 * reuse), then the smallest workgroup storage (more workgroups resident per SM).
 */
function defaultSchedule(op: KsOp, limits: TargetLimits): KsSgmatStridedSchedule {
  const score = (s: KsSgmatStridedSchedule): number => {
    const t = tiling(op, s);
    return (t.wstage ? 10000 : 0) + (t.dtile >= 8 ? 1000 : t.dtile * 100) + t.mr * t.nb * 10 - t.sharedBytes / 65536;
  };
  return highestScoring('ks-sgmat-strided', `K(${op.a},${op.b},${op.c},${op.d})`, candidates(op, limits), score);
}

function emit(op: KsOp, schedule: KsSgmatStridedSchedule, ctx: KernelContext): EmittedKernel {
  invariant(ctx.storage === 'f16', 'ks-sgmat-strided needs f16 storage');
  invariant(op.d > 1 && op.input.steps.length === 0 && op.b % TILE === 0 && op.c % TILE === 0, 'ks-sgmat-strided: op shape not supported');
  const t = tiling(op, schedule);
  const { rows: R, cols: TB, dtile: TD, mr: MR, nb: NB, wstage } = t;
  const T = SUBGROUP;
  const { ep, n, inSize, outSize, wOff, biasOff } = ksOperands(op, ctx);
  const { a, b, c, d } = op;
  const identityOut = op.output.steps.length === 0;
  // W read in place by the matrix loads needs a scalar view; staged, it is read as vec4 along γ.
  // src and dst are vec4 along δ when they can be.
  const views = {
    params: wstage && wOff % 4 === 0 && c % 4 === 0,
    src: inSize % 4 === 0 && d % 4 === 0 && TD % 4 === 0,
    dst: identityOut && outSize % 4 === 0 && d % 4 === 0 && TD % 4 === 0,
  };
  const ndt = d / TD;
  const nbt = b / TB;
  const perRowTile = a * nbt * ndt;
  const xs = `${ep}_xs`;
  const os = `${ep}_os`;
  const cs = `${ep}_cs`;
  const ws = `${ep}_ws`;

  // 1. Source tile -> xs[dd][r][k], one run of vw δ per item, consecutive items along δ then γ.
  const sv = views.src ? 4 : 1;
  const srcAt = (k: U32Expr, dd: U32Expr) => sum(mul('min(row0 + r, batch - 1u)', inSize), mul('alpha', c * d), mul(k, d), 'delta0', dd);
  const xsAt = (dd: U32Expr, r: U32Expr, k: U32Expr) => `${xs}[${sum(mul(sum(mul(dd, R), r), c), k)}]`;
  const stage = [
    `for (var e = lid; e < ${u((R * c * TD) / sv)}; e += ${u(T)}) {`,
    `  let dv = ${mod('e', TD / sv)};`,
    `  let k = ${mod(div('e', TD / sv), c)};`,
    `  let r = ${div('e', (TD / sv) * c)};`,
    ...(views.src
      ? [`  let v = ${n.src}[${div(srcAt('k', 'dv * 4u'), 4)}];`, ...LANES.map((l, q) => `  ${xsAt(sum('dv * 4u', u(q)), 'r', 'k')} = v.${l};`)]
      : [`  ${xsAt('dv', 'r', 'k')} = ${n.src}[${srcAt('k', 'dv')}];`]),
    '}',
    'workgroupBarrier();',
  ];

  // 2-3. Per δ: the GEMM, then each result tile through cs into os[r][bb][dd] with the bias.
  const left = `subgroup_matrix_left<f16, ${TILE}, ${TILE}>`;
  const right = `subgroup_matrix_right<f16, ${TILE}, ${TILE}>`;
  const result = `subgroup_matrix_result<f32, ${TILE}, ${TILE}>`;
  const acc = (i: number, j: number) => `acc_${i}_${j}`;
  const wRow = (bb: U32Expr) => sum(u(wOff), mul(sum(mul(sum(mul('alpha', d), 'delta0', 'dd'), b), 'beta0', bb), c));
  const wTile = (j: number) => sum(wRow(u(j * TILE)), 'kk');
  // With wstage: W[δ][beta0 .. beta0 + TB][0 .. c] -> ws[bb][k] (contiguous rows of c), then the
  // right tiles come from ws (column-major γ x β, stride c).
  const wv = views.params ? 4 : 1;
  const stageW = wstage
    ? [
        'workgroupBarrier();',
        `for (var e = lid; e < ${u((TB * c) / wv)}; e += ${u(T)}) {`,
        `  let kv = ${mod('e', c / wv)};`,
        `  let bb = ${div('e', c / wv)};`,
        ...(views.params
          ? [`  let w = ${n.params}[${div(sum(wRow('bb'), 'kv * 4u'), 4)}];`, ...LANES.map((l, q) => `  ${ws}[${sum(mul('bb', c), 'kv * 4u', u(q))}] = w.${l};`)]
          : [`  ${ws}[${sum(mul('bb', c), 'kv')}] = ${n.params}[${sum(wRow('bb'), 'kv')}];`]),
        '}',
        'workgroupBarrier();',
      ]
    : [];
  const rightLoad = (j: number) =>
    wstage
      ? `subgroupMatrixLoad<${right}, col_major>(&${ws}, ${sum(u(j * TILE * c), 'kk')}, ${u(c)})`
      : `subgroupMatrixLoad<${right}, col_major>(&${n.params}, ${wTile(j)}, ${u(c)})`;
  const logicalOut = rowMajor([{ name: 'alpha', size: a }, { name: 'beta', size: b }, { name: 'delta', size: d }]);
  const perDelta: string[] = [
    ...stageW,
    ...Array.from({ length: MR }, (_, i) => Array.from({ length: NB }, (_, j) => `var ${acc(i, j)} = ${result}();`)).flat(),
    `for (var kk = 0u; kk < ${u(c)}; kk += ${u(TILE)}) {`,
    ...Array.from({ length: MR }, (_, i) => `  let l${i} = subgroupMatrixLoad<${left}, row_major>(&${xs}, ${sum(mul(sum(mul('dd', R), u(i * TILE)), c), 'kk')}, ${u(c)});`),
    ...Array.from({ length: NB }, (_, j) => `  let r${j} = ${rightLoad(j)};`),
    ...Array.from({ length: MR }, (_, i) => Array.from({ length: NB }, (_, j) => `  ${acc(i, j)} = subgroupMatrixMultiplyAccumulate(l${i}, r${j}, ${acc(i, j)});`)).flat(),
    '}',
  ];
  for (let i = 0; i < MR; i++)
    for (let j = 0; j < NB; j++)
      perDelta.push(
        `subgroupMatrixStore<row_major>(&${cs}, 0u, ${acc(i, j)}, ${u(TILE)});`,
        'workgroupBarrier();',
        `for (var e = lid; e < ${u(TILE * TILE)}; e += ${u(T)}) {`,
        `  let r = ${sum(u(i * TILE), div('e', TILE))};`,
        `  let bb = ${sum(u(j * TILE), mod('e', TILE))};`,
        `  var v = ${cs}[e];`,
        ...(biasOff === undefined
          ? []
          : [`  let beta = beta0 + bb;`, `  let delta = delta0 + dd;`, `  v += f32(${scalarAt(n.params, views.params, sum(u(biasOff), renderIndex(logicalOut)))});`]),
        `  ${os}[${sum(mul(sum(mul('r', TB), 'bb'), TD), 'dd')}] = f16(v);`,
        '}',
        'workgroupBarrier();',
      );

  // 4. os -> destination along δ.
  const ov = views.dst ? 4 : 1;
  const outIndex = renderIndex(applyIndexMap(op.output, logicalOut));
  const osAt = (q: number) => `${os}[${sum(mul(sum(mul('r', TB), 'bb'), TD), 'dd', u(q))}]`;
  const write = views.dst
    ? [
        `let at = ${div(sum(mul('row', outSize), outIndex), 4)};`,
        `var v = vec4<f32>(${[0, 1, 2, 3].map((q) => `f32(${osAt(q)})`).join(', ')});`,
        ...(op.accumulate ? [`v += vec4<f32>(${n.dst}[at]);`] : []),
        `${n.dst}[at] = vec4<f16>(v);`,
      ]
    : [
        `let at = ${sum(mul('row', outSize), outIndex)};`,
        `var v = f32(${osAt(0)});`,
        ...(op.accumulate ? [`v += f32(${n.dst}[at]);`] : []),
        `${n.dst}[at] = f16(v);`,
      ];
  const store = [
    `for (var e = lid; e < ${u((R * TB * TD) / ov)}; e += ${u(T)}) {`,
    `  let dd = ${mul(mod('e', TD / ov), ov)};`,
    `  let bb = ${mod(div('e', TD / ov), TB)};`,
    `  let r = ${div('e', (TD / ov) * TB)};`,
    `  if (row0 + r < batch) {`,
    `    let row = row0 + r;`,
    `    let beta = beta0 + bb;`,
    `    let delta = delta0 + dd;`,
    ...write.map((l) => `    ${l}`),
    '  }',
    '}',
  ];

  const body = [
    ...ksTileOrigin({ perRowTile, rows: R, cols: TB, dtile: TD, nbt, ndt, fastest: 'delta' }),
    ...stage,
    `for (var dd = 0u; dd < ${u(TD)}; dd++) {`,
    ...perDelta.map((l) => `  ${l}`),
    '}',
    ...store,
  ];
  return sgmatKernel(ctx, schedule, {
    views,
    workgroupVars: [
      `var<workgroup> ${xs}: array<f16, ${TD * R * c}>;`,
      `var<workgroup> ${os}: array<f16, ${R * TB * TD}>;`,
      `var<workgroup> ${cs}: array<f32, ${TILE * TILE}>;`,
      ...(wstage ? [`var<workgroup> ${ws}: array<f16, ${TB * c}>;`] : []),
    ],
    body,
    rowsPerWorkgroup: R,
    workgroupsPerRowTile: perRowTile,
  });
}

export const ksSgmatStrided: KernelFamily<'ks', KsSgmatStridedSchedule> = {
  name: 'ks-sgmat-strided',
  opKind: 'ks',
  defaultSchedule,
  candidates,
  decode: (s: Schedule) => ({ family: 'ks-sgmat-strided', rows: knob(s, 'rows'), cols: knob(s, 'cols'), dtile: knob(s, 'dtile'), wstage: flag(s, 'wstage') }),
  emit,
};
