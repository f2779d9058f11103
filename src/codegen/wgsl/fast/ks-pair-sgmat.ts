/**
 * `ks-pair-sgmat`: both factors of a marked Monarch pair in ONE tensor-core kernel (f16 storage,
 * `shader-f16` + `chromium-experimental-subgroup-matrix`, f16 x f16 -> f32 16x16x16 tiles), the
 * intermediate kept in workgroup memory. op0 = K(a0, b0, c0, 1) (block-diagonal), op1 =
 * K(1, b1, c1, d1) (the strided factor); the intermediate t has m = a0·b0 = c1·d1 elements per
 * row, mid = α0·b0 + β0 = γ1·d1 + δ1.
 *
 * A workgroup owns `rows` (R) batch rows and a slice of `dslice` (Q) consecutive δ1 of op1:
 *  step 1: for every γ1 and every δ1 of the slice it computes t[r, γ1·d1 + δ1] (only those: the
 *          d1/Q slices of a row tile compute disjoint parts of op0, no work is repeated), as 16x16
 *          tiles of 16 consecutive mids of one op0 block (a GEMM R x 16 x c0 each: the x block of
 *          R rows staged in workgroup memory, W0's rows read in place by the matrix loads). Each
 *          f32 tile goes through a scratch tile to f16 (plus op0's bias) into `ts`, laid out
 *          ts[δ1 - δs][r][γ1] (rows padded by `pad` halves), so that step 2's left tiles are plain
 *          strided 16x16 blocks;
 *  step 2: for each δ1 of the slice, y[r, β1·d1 + δ1] = Σ_γ1 W1[δ1, β1, γ1] · t[r, γ1, δ1]: left
 *          tiles from ts, right tiles read in place from W1 (col_major, stride c1); `odelta` δ1 ×
 *          `cols` β1 of results at a time go through the scratch, so y is written in runs along δ1
 *          (plus op1's bias, plus the old y when op1 accumulates).
 * x's row tile is read once per slice; the slices of a row tile are neighbouring workgroup ids, so
 * all but the first read come from L2. x is staged (rows clamped to the batch) rather than loaded
 * by the matrix builtins: Tint's robustness redirects a whole 16x16 load that crosses the end of
 * its array (offset + stride·15 + 16 > length) to the array's first entries (offset 0, stride
 * 16), which a partial last row tile would. The W tiles read in place never cross their tensor's
 * end, nor the workgroup tiles their arrays' (the emulated tests model the redirect).
 *
 * Shapes: any marked pair the kernel's precondition (`fusablePair`) admits with b0, c0, b1, c1
 * multiples of 16, op0 reading x in place, and d1 a multiple or a divisor of b0. The slice is a
 * multiple of 16 dividing d1 (and a multiple or a divisor of b0: a slice wider than op0's blocks
 * takes each γ1's mids from Q/b0 blocks), or, when d1 < 16 divides 16 (rectangular Monarch with
 * few blocks), all d1 δ1 (then one 16-mid tile spans 16/d1 γ1).
 *
 * Subgroups: `subgroups` (S) subgroups of 32 share ts; each works on its own tiles, at offsets
 * that are uniform in its subgroup but not across the workgroup. Dawn's subgroup-matrix design
 * (dawn docs/dawn/features/subgroup_matrix.md, "Uniformity" and the built-in functions' table)
 * requires only subgroup-uniform control flow and subgroup-uniform pointer, offset and stride
 * arguments, but checks them with the WGSL workgroup-uniformity analysis, reporting violations as
 * a diagnostic (default: error) that the Tint of npm `webgpu` 0.6.2 names
 * `chromium.subgroup_matrix_uniformity` (its warning for an unknown `chromium.` rule lists it; a
 * rule in an unknown namespace would be ignored silently); so a kernel with S > 1 wraps its body
 * in a compound statement with that diagnostic off. The subgroup index
 * is `lid / 32`: Dawn compiles subgroup-matrix pipelines with full subgroups
 * (REQUIRE_FULL_SUBGROUPS, workgroup size a multiple of the subgroup size), and NVIDIA's warps are
 * consecutive local invocation indices. S = 1 needs neither (workgroup-uniform like ks-sgmat).
 */
import type { KsOp } from '../../../ir/ir.js';
import { invariant } from '../../../util/assert.js';
import { dividing, flag, highestScoring, knob, type RunFamily } from '../family.js';
import { applyIndexMap, renderIndex, rowMajor } from '../index-map.js';
import type { EmittedKernel, Schedule, TargetLimits } from '../kernel.js';
import { div, mod, mul, sum, u, type KernelContext } from '../scaffold.js';
import { fusablePair } from './ks-pair-fused.js';
import { markedPairFamily, pairOperands } from './marked-pair.js';
import { hasSubgroupMatrix, SUBGROUP, TILE } from './ks-sgmat.js';
import { SUBGROUP_MATRIX_UNIFORMITY_OFF } from './sgmat-results.js';
import { cooperative, LANES, stagedLoop, staging, tiledKernel, type StagedCopy } from './wgsl-text.js';
import type { U32Expr } from '../u32.js';

export interface KsPairSgmatSchedule extends Schedule {
  readonly family: 'ks-pair-sgmat';
  /** Batch rows per workgroup (R, a multiple of 16). */
  readonly rows: number;
  /** δ1 per workgroup (Q). */
  readonly dslice: number;
  /** Subgroups of 32 per workgroup (S). */
  readonly subgroups: number;
  /** op0 blocks of x staged at once (step 1 splits their tiles among the subgroups). */
  readonly xblocks: number;
  /** δ1 per pass of step 2's output (OD): the length of the runs y is written in. */
  readonly odelta: number;
  /** β1 per pass of step 2's output (TB, a multiple of 16): result tiles per left tile. */
  readonly cols: number;
  /** f16 elements added to each staged row of ts and xs (0 or 8), against bank conflicts. */
  readonly pad: number;
  // Optional (through Schedule's index, like ks-sgmat-strided's `et`): `tcols: true` keeps ts as
  // ts[δ1 - δs][γ1][r] (rows fastest, no padding) instead of ts[δ1 - δs][r][γ1]: step 1's
  // hand-over writes each tile's 16 rows as one 32-byte run (by rows, with pad 0, a tile's 256
  // writes of one γ1 column all fall in one bank), and step 2 loads its left tiles column-major
  // with stride R (a tile is 512 contiguous bytes). Absent: the row layout (every earlier schedule).
}

/** Whether a schedule keeps ts by columns (`tcols`, above). */
const byColumns = (s: KsPairSgmatSchedule) => s.tcols === true;

/** Result tiles one subgroup holds in step 2 (16x16 f32 each, 8 registers per invocation). */
const MAX_ACCUMULATORS = 4;
/** vec4 registers per invocation that the pipelined staging of x may take. */
const MAX_STAGING_REGISTERS = 32;

/** A pair's sizes and a schedule's derived tiling. */
interface PairSgTiling {
  readonly R: number;
  readonly Q: number;
  readonly S: number;
  readonly XB: number;
  readonly OD: number;
  readonly TB: number;
  /** Row blocks of 16. */
  readonly MR: number;
  /**
   * 16-mid tiles per op0 block of x (the slice's tiles of one block are consecutive: b0/d1 γ1 of
   * Q δ1 each when b0 > d1, else min(Q, b0) mids of one γ1), and x blocks per slice.
   */
  readonly TPB: number;
  readonly NX: number;
  /** Padded row lengths of xs (c0 + pad) and ts (c1 + pad; ts by rows). */
  readonly C0P: number;
  readonly C1P: number;
  /** f16 elements of ts: Q·R rows of C1P, or (tcols) Q·c1 columns of R. */
  readonly TS: number;
  readonly threads: number;
  /** f32 elements of the scratch shared by step 1 (PT tiles per subgroup) and step 2 (the output pass). */
  readonly scratch: number;
  /**
   * Step-1 tiles per subgroup between two barriers: as many as the scratch, sized for step 2, holds
   * (dividing the stage's tiles), so the barriers of step 1 serve more matrix multiply-adds.
   */
  readonly PT: number;
  /**
   * Whether the scratch holds two rounds of step-1 tiles: rounds then alternate halves, and the
   * barrier after each round's copy into ts goes (the next round stores into the other half; the
   * one after it comes after the next round's barrier, when this copy is done).
   */
  readonly doubled: boolean;
  readonly sharedBytes: number;
}

function pairTiling(op0: KsOp, op1: KsOp, s: KsPairSgmatSchedule): PairSgTiling {
  const { rows: R, dslice: Q, subgroups: S, xblocks: XB, odelta: OD, cols: TB, pad } = s;
  const TPB = op0.b > op1.d ? (Q * op0.b) / op1.d / TILE : Math.min(Q, op0.b) / TILE;
  const C0P = op0.c + pad;
  const C1P = op1.c + pad;
  const scratch = Math.max(S * TILE * TILE, OD * R * TB);
  const perSubgroup = (XB * (R / TILE) * TPB) / S;
  const PT = Math.max(1, ...[8, 4, 2].filter((p) => perSubgroup % p === 0 && p * S * TILE * TILE <= scratch));
  return {
    R, Q, S, XB, OD, TB,
    MR: R / TILE,
    TPB,
    NX: (op1.c * Q) / TILE / TPB,
    C0P,
    C1P,
    TS: byColumns(s) ? Q * op1.c * R : Q * R * C1P,
    threads: SUBGROUP * S,
    scratch,
    PT,
    doubled: 2 * PT * S * TILE * TILE <= scratch,
    sharedBytes: 2 * (byColumns(s) ? Q * op1.c * R : Q * R * C1P) + 2 * XB * R * C0P + 4 * scratch,
  };
}

/** The shapes this kernel computes (besides the pair mark and the target's features). */
export function pairSgmatShape(op0: KsOp, op1: KsOp): boolean {
  const { b: b0, c: c0 } = op0;
  const { b: b1, c: c1, d: d1 } = op1;
  return (
    fusablePair(op0, op1) &&
    op0.input.steps.length === 0 &&
    [b0, c0, b1, c1].every((v) => v % TILE === 0) &&
    (d1 % b0 === 0 || b0 % d1 === 0)
  );
}

/** Slices of δ1: multiples of 16 dividing d1, or all of a d1 < 16 that divides 16. */
function slices(d1: number): number[] {
  return d1 < TILE ? (TILE % d1 === 0 ? [d1] : []) : dividing(d1, [16, 32, 64]);
}

function valid(op0: KsOp, op1: KsOp, t: PairSgTiling, limits: TargetLimits): boolean {
  const registers = (t.XB * t.R * op0.c) / 4 / t.threads;
  return (
    Number.isInteger(t.TPB) &&
    (t.Q % op0.b === 0 || op0.b % t.Q === 0) &&
    t.NX % t.XB === 0 &&
    (t.XB * t.MR * t.TPB) % t.S === 0 &&
    t.Q % t.OD === 0 &&
    (t.OD * t.MR) % t.S === 0 &&
    op1.b % t.TB === 0 &&
    t.TB / TILE <= MAX_ACCUMULATORS &&
    registers <= MAX_STAGING_REGISTERS &&
    t.threads <= limits.maxWorkgroupSize &&
    t.sharedBytes <= limits.maxWorkgroupStorageBytes
  );
}

export function pairSgmatCandidates(op0: KsOp, op1: KsOp, limits: TargetLimits): KsPairSgmatSchedule[] {
  if (!hasSubgroupMatrix(limits) || !pairSgmatShape(op0, op1)) return [];
  const out: KsPairSgmatSchedule[] = [];
  for (const dslice of slices(op1.d))
    for (const rows of [16, 32, 64])
      for (const subgroups of [1, 2, 4])
        for (const xblocks of [1, 2, 4, 8])
          for (const odelta of dividing(dslice, [1, 2, 4, 8, 16]).filter((v) => v >= Math.min(4, dslice)))
            for (const cols of dividing(op1.b, [16, 32, 64]))
              for (const pad of [0, 8]) {
                const s: KsPairSgmatSchedule = { family: 'ks-pair-sgmat', rows, dslice, subgroups, xblocks, odelta, cols, pad };
                if (valid(op0, op1, pairTiling(op0, op1, s), limits)) out.push(s);
              }
  // Then every one of them with ts by columns (tcols; not measured yet: after the measured form).
  const columns = out.map((s): KsPairSgmatSchedule => ({ ...s, tcols: true })).filter((s) => valid(op0, op1, pairTiling(op0, op1, s), limits));
  return [...out, ...columns];
}

/**
 * Default: the most subgroups (warps per SM: one subgroup with ~45 KiB of workgroup memory leaves
 * an SM about 5 warps), then more rows (each W tile serves more rows), padded rows, longer output
 * runs along δ1, more β1 per left tile.
 */
export function pairSgmatDefault(op0: KsOp, op1: KsOp, limits: TargetLimits): KsPairSgmatSchedule | undefined {
  // tcols is for the tuner to try: no default takes it before a device has timed it.
  const all = pairSgmatCandidates(op0, op1, limits).filter((s) => !byColumns(s));
  if (all.length === 0) return undefined;
  const score = (s: KsPairSgmatSchedule) => s.subgroups * 100000 + s.rows * 1000 + (s.pad > 0 ? 500 : 0) + s.odelta * 20 + s.cols / TILE - s.xblocks;
  return highestScoring('ks-pair-sgmat', 'the pair', all, score);
}

const LEFT = `subgroup_matrix_left<f16, ${TILE}, ${TILE}>`;
const RIGHT = `subgroup_matrix_right<f16, ${TILE}, ${TILE}>`;
const RESULT = `subgroup_matrix_result<f32, ${TILE}, ${TILE}>`;

export function emitPairSgmat(op0: KsOp, op1: KsOp, schedule: KsPairSgmatSchedule, ctx: KernelContext): EmittedKernel {
  invariant(ctx.storage === 'f16', 'ks-pair-sgmat needs f16 storage');
  invariant(pairSgmatShape(op0, op1), 'ks-pair-sgmat: the ops are not a pair of its shapes');
  const t = pairTiling(op0, op1, schedule);
  const { R, Q, S, XB, OD, TB, MR, TPB, NX, C0P, C1P, PT, threads: T } = t;
  const tcols = byColumns(schedule);
  const { b: b0, c: c0 } = op0;
  const { b: b1, c: c1, d: d1 } = op1;
  const { ep, n, inSize, outSize, w0, w1, bias0, bias1 } = pairOperands(op0, op1, ctx);
  const identityOut = op1.output.steps.length === 0;
  // The matrix loads read W in place, so params is a plain f16 array; x is staged (vec4 along γ0),
  // y written along δ1 (vec4 when 4 δ1 are contiguous in y).
  const views = {
    src: inSize % 4 === 0,
    params: false,
    dst: identityOut && outSize % 4 === 0 && d1 % 4 === 0 && OD % 4 === 0,
  };
  const xs = `${ep}_xs`;
  const ts = `${ep}_ts`;
  const sc = `${ep}_sc`;

  // A 16-mid tile mt of the slice covers slice positions p = 16·mt .. 16·mt + 15, p = γ1·Q + (δ1 - δs).
  const midOf = (p: U32Expr) => sum(mul(div(p, Q), d1), 'delta_s', mod(p, Q));
  // Its first mid: tiles Q/16 per γ1 when Q >= 16; when Q = d1 < 16 the slice is every mid, in order.
  const firstMid = (mt: U32Expr) => (Q >= TILE ? sum(mul(div(mt, Q / TILE), d1), 'delta_s', mul(mod(mt, Q / TILE), TILE)) : mul(mt, TILE));

  // Staging of XB x blocks (R rows x c0, rows clamped to the batch) into xs[blk][r][k].
  const xAlpha = (xb: U32Expr) => div(firstMid(mul(xb, TPB)), b0);
  const xsAt = (blk: U32Expr, r: U32Expr, k: U32Expr) => `${xs}[${sum(mul(sum(mul(blk, R), r), C0P), k)}]`;
  const srcAt = (xb: U32Expr, r: U32Expr, k: U32Expr) => sum(mul('min(row0 + r, batch - 1u)', inSize), mul(xAlpha(xb), c0), k);
  const xCopy: StagedCopy = views.src
    ? {
        count: (XB * R * c0) / 4,
        register: 'vec4<f16>',
        item: () => [`let kv = ${mod('e', c0 / 4)};`, `let r = ${mod(div('e', c0 / 4), R)};`, `let blk = ${div('e', (c0 / 4) * R)};`],
        load: (v, k0) => [`${v} = ${n.src}[${div(srcAt(sum(k0, 'blk'), 'r', 'kv * 4u'), 4)}];`],
        store: (v) => LANES.map((l, q) => `${xsAt('blk', 'r', sum('kv * 4u', u(q)))} = ${v}.${l};`),
      }
    : {
        count: XB * R * c0,
        register: 'f16',
        item: () => [`let k = ${mod('e', c0)};`, `let r = ${mod(div('e', c0), R)};`, `let blk = ${div('e', c0 * R)};`],
        load: (v, k0) => [`${v} = ${n.src}[${srcAt(sum(k0, 'blk'), 'r', 'k')}];`],
        store: (v) => [`${xsAt('blk', 'r', 'k')} = ${v};`],
      };

  // Step 1, per stage of XB x blocks (k0 = the first): XB·TPB tiles × MR row blocks. A round
  // gives each subgroup PT of them (item w = (rd·PT + h)·S + sg, in scratch slot h·S + sg); then
  // the whole workgroup moves the round's tiles from the scratch into ts.
  const itemOf = (rd: string, slot: U32Expr) => sum(mul(rd, PT * S), slot);
  const items = Array.from({ length: PT }, (_, h) => h);
  const slotOf = (h: number) => sum(u(h * S), 'sg');
  const rounds = (XB * MR * TPB) / (S * PT);
  const half = t.doubled ? 'half' : u(0);
  const step1: string[] = [
    `for (var rd = 0u; rd < ${u(rounds)}; rd++) {`,
    ...(t.doubled ? [`  let half = ${mul(mod(sum(mul(div('k0', XB), rounds), 'rd'), 2), PT * S * TILE * TILE)};`] : []),
    ...items.flatMap((h) => [
      `  let w${h} = ${itemOf('rd', slotOf(h))};`,
      `  let xoff${h} = ${mul(sum(mul(div(div(`w${h}`, MR), TPB), R), mul(mod(`w${h}`, MR), TILE)), C0P)};`,
      `  let woff${h} = ${sum(u(w0), mul(firstMid(sum(mul('k0', TPB), div(`w${h}`, MR))), c0))};`,
      `  acc${h} = ${RESULT}();`,
    ]),
    `  for (var kk = 0u; kk < ${u(c0)}; kk += ${u(TILE)}) {`,
    ...items.flatMap((h) => [
      `    let l${h} = subgroupMatrixLoad<${LEFT}, row_major>(&${xs}, xoff${h} + kk, ${u(C0P)});`,
      // W0 block (k, mid) sits at W0[mid][k]: column-major with stride c0.
      `    let r${h} = subgroupMatrixLoad<${RIGHT}, col_major>(&${n.params}, woff${h} + kk, ${u(c0)});`,
      `    acc${h} = subgroupMatrixMultiplyAccumulate(l${h}, r${h}, acc${h});`,
    ]),
    `  }`,
    // Column-major, so that the copy below reads sc contiguously with r fastest, and writes ts
    // rows C1P apart (with pad 8, two rows per bank instead of all sixteen).
    ...items.map((h) => `  subgroupMatrixStore<col_major>(&${sc}, ${sum(half, mul(slotOf(h), TILE * TILE))}, acc${h}, ${u(TILE)});`),
    `  workgroupBarrier();`,
    ...cooperative(PT * S * TILE * TILE, T, 'e', [
      `let w = ${itemOf('rd', div('e', TILE * TILE))};`,
      `let j = ${mod(div('e', TILE), TILE)};`,
      `let r = ${mod('e', TILE)};`,
      `let p = ${sum(mul(sum(mul('k0', TPB), div('w', MR)), TILE), 'j')};`,
      `let v = ${sc}[${sum(half, 'e')}]${bias0 !== undefined ? ` + f32(${n.params}[${sum(u(bias0), midOf('p'))}])` : ''};`,
      tcols
        ? `${ts}[${sum(mul(sum(mul(mod('p', Q), c1), div('p', Q)), R), mul(mod('w', MR), TILE), 'r')}] = f16(v);`
        : `${ts}[${sum(mul(sum(mul(mod('p', Q), R), mul(mod('w', MR), TILE), 'r'), C1P), div('p', Q))}] = f16(v);`,
    ]).map((l) => `  ${l}`),
    ...(t.doubled ? [] : [`  workgroupBarrier();`]),
    `}`,
  ];

  // Step 2, per pass of OD δ1 × TB β1: OD × MR left tiles, S at a time, each times TB/16 W1 tiles.
  const NBT = TB / TILE;
  const acc = (j: number) => `acc${j}`;
  const logicalOut = rowMajor([{ name: 'beta', size: b1 }, { name: 'delta', size: d1 }]);
  const outIndex = renderIndex(applyIndexMap(op1.output, logicalOut));
  const biasIndex = renderIndex(logicalOut); // the bias is read at the LOGICAL output index (ir.ts)
  const vw = views.dst ? 4 : 1;
  const lane = (q: number) => {
    const v = `${sc}[${sum(mul(sum(mul(sum('dd', u(q)), R), 'r'), TB), 'bb')}]`;
    return bias1 !== undefined ? `${v} + f32(${n.params}[${sum(u(bias1), biasIndex, u(q))}])` : v;
  };
  const storeBody = views.dst
    ? [
        `let at = ${div(sum(mul('row', outSize), outIndex), 4)};`,
        `var v = vec4<f32>(${[0, 1, 2, 3].map(lane).join(', ')});`,
        ...(op1.accumulate ? [`v += vec4<f32>(${n.dst}[at]);`] : []),
        `${n.dst}[at] = vec4<f16>(v);`,
      ]
    : [
        `let at = ${sum(mul('row', outSize), outIndex)};`,
        `var v = ${lane(0)};`,
        ...(op1.accumulate ? [`v += f32(${n.dst}[at]);`] : []),
        `${n.dst}[at] = f16(v);`,
      ];
  const step2: string[] = [
    `for (var og = 0u; og < ${u(Q / OD)}; og++) {`,
    `  for (var bg = 0u; bg < ${u(b1 / TB)}; bg++) {`,
    `    for (var rd = 0u; rd < ${u((OD * MR) / S)}; rd++) {`,
    `      let w = ${sum(mul('rd', S), 'sg')};`,
    `      let i = ${mod('w', MR)};`,
    `      let dd = ${div('w', MR)};`,
    `      let dq = ${sum(mul('og', OD), 'dd')};`,
    tcols ? `      let loff = ${sum(mul('dq', c1 * R), mul('i', TILE))};` : `      let loff = ${mul(sum(mul('dq', R), mul('i', TILE)), C1P)};`,
    `      let woff = ${sum(u(w1), mul(sum(mul(sum('delta_s', 'dq'), b1), mul('bg', TB)), c1))};`,
    ...Array.from({ length: NBT }, (_, j) => `      ${acc(j)} = ${RESULT}();`),
    `      for (var kk = 0u; kk < ${u(c1)}; kk += ${u(TILE)}) {`,
    tcols
      ? `        let l = subgroupMatrixLoad<${LEFT}, col_major>(&${ts}, loff + ${mul('kk', R)}, ${u(R)});`
      : `        let l = subgroupMatrixLoad<${LEFT}, row_major>(&${ts}, loff + kk, ${u(C1P)});`,
    // W1 block (k = γ1, β1) of δ1 sits at W1[δ1][β1][γ1]: column-major with stride c1.
    ...Array.from({ length: NBT }, (_, j) => [
      `        let r${j} = subgroupMatrixLoad<${RIGHT}, col_major>(&${n.params}, ${sum('woff', u(j * TILE * c1))} + kk, ${u(c1)});`,
      `        ${acc(j)} = subgroupMatrixMultiplyAccumulate(l, r${j}, ${acc(j)});`,
    ]).flat(),
    `      }`,
    ...Array.from({ length: NBT }, (_, j) => `      subgroupMatrixStore<row_major>(&${sc}, ${sum(mul(sum(mul('dd', R), mul('i', TILE)), TB), u(j * TILE))}, ${acc(j)}, ${u(TB)});`),
    `    }`,
    `    workgroupBarrier();`,
    // The pass's results, δ1 fastest: y is written in runs of OD δ1.
    ...cooperative((OD * R * TB) / vw, T, 'e', [
      `let dd = ${mul(mod('e', OD / vw), vw)};`,
      `let bb = ${mod(div('e', OD / vw), TB)};`,
      `let r = ${div('e', (OD / vw) * TB)};`,
      `if (row0 + r < batch) {`,
      `  let row = row0 + r;`,
      `  let beta = ${sum(mul('bg', TB), 'bb')};`,
      `  let delta = ${sum('delta_s', mul('og', OD), 'dd')};`,
      ...storeBody.map((l) => `  ${l}`),
      `}`,
    ]).map((l) => `    ${l}`),
    `    workgroupBarrier();`,
    `  }`,
    `}`,
  ];

  const NS = d1 / Q;
  // Accumulators are declared once and zeroed per tile (the emulation's declarations inside loop
  // bodies, on SwiftShader, kept the previous iteration's value).
  const accumulators = Array.from({ length: Math.max(PT, NBT) }, (_, j) => `var acc${j} = ${RESULT}();`);
  const matrixWork = [...accumulators, ...stagedLoop(staging('pf', T, [xCopy]), NX, XB, true, step1), ...step2];
  const body = [
    `let row_tile = ${div('group', NS)};`,
    `let delta_s = ${mul(mod('group', NS), Q)};`,
    `let row0 = ${mul('row_tile', R)};`,
    `let sg = ${S === 1 ? u(0) : div('lid', SUBGROUP)};`,
    ...(S === 1 ? matrixWork : [`${SUBGROUP_MATRIX_UNIFORMITY_OFF} {`, ...matrixWork.map((l) => `  ${l}`), `}`]),
  ];
  return tiledKernel({
    entryPoint: ep,
    storage: 'f16',
    views,
    workgroupVars: [
      `var<workgroup> ${ts}: array<f16, ${t.TS}>;`,
      `var<workgroup> ${xs}: array<f16, ${XB * R * C0P}>;`,
      `var<workgroup> ${sc}: array<f32, ${t.scratch}>;`,
    ],
    threads: T,
    body,
    rowsPerWorkgroup: R,
    workgroupsPerRowTile: NS,
    schedule,
    ops: [ctx.opIndex, ctx.opIndex + 1],
    extraEnables: ['chromium_experimental_subgroup_matrix'],
  });
}

export const ksPairSgmat: RunFamily<KsPairSgmatSchedule> = markedPairFamily({
  name: 'ks-pair-sgmat',
  fits: pairSgmatShape,
  defaultSchedule: pairSgmatDefault,
  candidates: pairSgmatCandidates,
  decode: (s: Schedule) => ({
    family: 'ks-pair-sgmat',
    rows: knob(s, 'rows'),
    dslice: knob(s, 'dslice'),
    subgroups: knob(s, 'subgroups'),
    xblocks: knob(s, 'xblocks'),
    odelta: knob(s, 'odelta'),
    cols: knob(s, 'cols'),
    // 0 is a candidate (no padding): only bank conflicts, not correctness, depend on it.
    pad: knob(s, 'pad', 0),
    ...(s.tcols === undefined ? {} : { tcols: flag(s, 'tcols') }),
  }),
  emit: emitPairSgmat,
});
