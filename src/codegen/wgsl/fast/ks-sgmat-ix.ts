/**
 * ks-sgmat-strided's interleave-expanded form (`ix`): a strided factor with small d (2, 4, 8)
 * on tensor cores with contiguous operands and results, at d times the multiply-adds.
 *
 * For one α, K(a,b,c,d) is the GEMM Out[row, n] = Σ_m Src[row, m] · E[m, n] over the α-th
 * c·d inputs m = γ·d + δ' and b·d outputs n = β·d + δ, where E[m, n] = W[α·d+δ, β, γ] if δ' = δ
 * and 0 otherwise. A 16-deep MMA step over 16 consecutive m (16/d γ × all d δ') and a 16-wide
 * result tile over 16 consecutive n (16/d β × all d δ) then read the source and write the output
 * in plain row-major blocks: no de-interleaving of the source and no re-interleaving of the results
 * through workgroup memory (ks-sgmat-strided's default form pays both: the session-9 probes put
 * its f32 -> f16 hand-over through workgroup memory at 19-51 TFLOP/s). The price: every 16x16
 * block of E is zero off its δ "diagonal" (1 - 1/d of it), so the tensor cores do d times the
 * useful work (4x for Monarch 1024 -> 4096's K(1, 1024, 256, 4): 137 GFLOP issued at B = 16384).
 *
 * The kernel is a staged GEMM like ks-sgmat's: a workgroup owns `cols` β × all d δ (cols·d
 * consecutive outputs) of one α and `chunks` row chunks of `rg` · `mr`·16 rows; its subgroups form
 * a grid of `rg` row groups × cols / `sb` column groups, each multiplying `mr` row tiles by
 * sb·d/16 column tiles. Per K chunk of `tk` γ (tk·d consecutive m) it stages
 *  - the source rows as xs[row][m] (vec4 runs along m, rows clamped to the batch's last), and
 *  - E's block for the workgroup's outputs as es[n][m] (the right matrices, column-major): only
 *    the nonzero entries (m ≡ n mod d) are written, from W's rows in vec4 runs along γ where tk
 *    is a multiple of 4; the zeros are WGSL's zero-initialisation of workgroup memory, never
 *    overwritten (every chunk writes the same positions);
 * rows tk·d + 8 halves apart (ks-sgmat's `pad` 8: the 8 rows of a matrix load on distinct banks).
 * With `db` the staging is double-buffered (one barrier per chunk; an even number of chunks,
 * unrolled by two: double-buffered-loop.ts). With `gl` a row chunk wholly below the batch (a
 * uniform test) stages E only and loads its left matrices straight from the source (row stride =
 * the input row; the session-9 roofline ran MMAs fed from storage at 646 TFLOP/s, loads hidden);
 * the batch's last, partial row chunk stages its rows as above.
 *
 * Results: with `acc16` (f16 result matrices) and neither a bias nor accumulation, each tile of a
 * row chunk that lies wholly below the batch (a uniform test) is stored straight to the output
 * with subgroupMatrixStore (row stride = the output row); otherwise tile by tile through a 16x16
 * slot per subgroup in workgroup memory, one round per tile position, written in vec4 runs (bias
 * at the logical output index α·b·d + n, the old output added when the op accumulates).
 * Precision with acc16: the running sum is rounded to f16 after each 16-deep step, c·d/16 times
 * (4 nonzero terms per step at d = 4), like ks-sgmat's acc16 at a reduction of c·d; the tuner's
 * float64 check decides per GPU.
 *
 * Applies to strided factors (1 < d ≤ 8, d dividing 16) with identity input and output maps.
 */
import type { KsOp } from '../../../ir/ir.js';
import { invariant } from '../../../util/assert.js';
import { dividing, flag } from '../family.js';
import type { EmittedKernel, TargetLimits } from '../kernel.js';
import { div, mod, mul, sum, u, type KernelContext } from '../scaffold.js';
import type { U32Expr } from '../u32.js';
import { doubleBufferedLoop } from './double-buffered-loop.js';
import { hasF16Results, hasSubgroupMatrix, SUBGROUP, TILE } from './ks-sgmat.js';
import type { KsSgmatStridedSchedule } from './ks-sgmat-strided-layout.js';
import { ksTileOrigin } from './ks-tile-origin.js';
import { opOperands } from './operands.js';
import { resultMatrix, resultRegisters, SUBGROUP_MATRIX_UNIFORMITY_OFF, tileStores, type PlacedTile } from './sgmat-results.js';
import { LANES, scalarAt, stagedLoop, staging, tiledKernel, type StagedCopy } from './wgsl-text.js';

/** The accumulator registers one subgroup may spend (16 f32 tiles, 32 f16 ones), as ks-sgmat's budget. */
const ACCUMULATOR_REGISTERS = 16 * resultRegisters('f32');
/** Subgroups per workgroup at most. */
const MAX_SUBGROUPS = 16;
/** Halves between staged rows beyond a chunk's m (ks-sgmat's `pad` 8). */
const PAD = 8;

/** What an `ix` schedule makes of the op. */
export interface IxTiling {
  /** Outputs per workgroup (cols·d) and per subgroup (sb·d); K per staged chunk (tk·d) and its padded row. */
  readonly wn: number;
  readonly sn: number;
  readonly kc: number;
  readonly kcp: number;
  /** Row tiles and column tiles per subgroup; row groups, column groups, subgroups, invocations. */
  readonly mr: number;
  readonly nb: number;
  readonly rg: number;
  readonly groups: number;
  readonly subgroups: number;
  readonly threads: number;
  /** Rows per row chunk and per workgroup. */
  readonly rc: number;
  readonly rows: number;
  readonly acc16: boolean;
  readonly db: boolean;
  /** Left matrices straight from src for whole row chunks (`gl`). */
  readonly gl: boolean;
  readonly sharedBytes: number;
}

/** Whether the op is a strided factor the form serves (any target). */
export function ixApplies(op: KsOp): boolean {
  return op.d > 1 && op.d <= 8 && TILE % op.d === 0 && op.b % TILE === 0 && op.c % TILE === 0 && op.input.steps.length === 0 && op.output.steps.length === 0;
}

export function ixTiling(op: KsOp, s: KsSgmatStridedSchedule): IxTiling {
  const d = op.d;
  const rg = typeof s.rg === 'number' ? s.rg : 1;
  const acc16 = flag(s, 'acc16');
  const db = flag(s, 'db');
  const gl = flag(s, 'gl');
  const wn = s.cols * d;
  const sn = s.sb * d;
  const kc = s.tk * d;
  const kcp = kc + PAD;
  const groups = s.cols / s.sb;
  const subgroups = rg * groups;
  const rc = rg * s.mr * TILE;
  const buffers = db ? 2 : 1;
  const sharedBytes = 2 * buffers * (rc + wn) * kcp + (acc16 ? 2 : 4) * subgroups * TILE * TILE;
  return { wn, sn, kc, kcp, mr: s.mr, nb: sn / TILE, rg, groups, subgroups, threads: subgroups * SUBGROUP, rc, rows: rc * s.chunks, acc16, db, gl, sharedBytes };
}

function ixValid(op: KsOp, s: KsSgmatStridedSchedule, limits: TargetLimits): boolean {
  const t = ixTiling(op, s);
  return (
    Number.isInteger(t.nb) &&
    t.nb >= 1 &&
    s.cols % s.sb === 0 &&
    op.b % s.cols === 0 &&
    op.c % s.tk === 0 &&
    t.kc % TILE === 0 &&
    (!t.db || ((op.c * op.d) / t.kc) % 2 === 0) &&
    t.mr * t.nb * resultRegisters(t.acc16 ? 'f16' : 'f32') <= ACCUMULATOR_REGISTERS &&
    t.subgroups <= MAX_SUBGROUPS &&
    t.threads <= limits.maxWorkgroupSize &&
    t.sharedBytes <= limits.maxWorkgroupStorageBytes
  );
}

/**
 * The ix schedules: β per workgroup (16 to 64) × β per subgroup (16 to 128 outputs) × 1, 2 or 4
 * row tiles × 1, 2 or 4 row groups × 1 or 4 row chunks × K chunks of 16 to 64 m, each with f32
 * and (where the target offers them) f16 results, single- and double-buffered, with the left
 * matrices staged or (`gl`) read from the source.
 */
export function ixCandidates(op: KsOp, limits: TargetLimits): KsSgmatStridedSchedule[] {
  if (!hasSubgroupMatrix(limits) || !ixApplies(op)) return [];
  const d = op.d;
  const perD = (sizes: readonly number[]) => sizes.map((x) => x / d).filter(Number.isInteger);
  const out: KsSgmatStridedSchedule[] = [];
  const results = hasF16Results(limits) ? [false, true] : [false];
  for (const acc16 of results)
    for (const db of [false, true])
      for (const gl of [false, true])
        for (const cols of dividing(op.b, [16, 32, 64]))
          for (const sb of dividing(cols, perD([16, 32, 64, 128])))
            for (const mr of [1, 2, 4])
              for (const rg of [1, 2, 4])
                for (const chunks of [1, 4])
                  for (const tk of dividing(op.c, perD([16, 32, 64]))) {
                    const s: KsSgmatStridedSchedule = {
                      family: 'ks-sgmat-strided', dtile: d, cols, sb, mr, rg, chunks, tk, wres: false, ix: true, ...(acc16 ? { acc16: true } : {}), ...(db ? { db: true } : {}), ...(gl ? { gl: true } : {}),
                    };
                    if (ixValid(op, s, limits)) out.push(s);
                  }
  return out;
}

const LEFT = `subgroup_matrix_left<f16, ${TILE}, ${TILE}>`;
const RIGHT = `subgroup_matrix_right<f16, ${TILE}, ${TILE}>`;

export function emitIx(op: KsOp, s: KsSgmatStridedSchedule, ctx: KernelContext): EmittedKernel {
  invariant(ctx.storage === 'f16', 'ks-sgmat-strided ix needs f16 storage');
  invariant(ixApplies(op), 'ks-sgmat-strided ix: op shape not supported');
  const t = ixTiling(op, s);
  const { wn: WN, sn: SN, kc: KC, kcp: KCP, mr: MR, nb: NB, rg: RG, subgroups: S, threads: T, rc: RC } = t;
  const { ep, n, inSize, outSize, wOff, biasOff } = opOperands(op, ctx);
  const { a, b, c, d } = op;
  const R = MR * TILE;
  // Direct stores: f16 tiles, nothing to add, tiles 16-byte aligned in the output.
  const direct = t.acc16 && biasOff === undefined && !op.accumulate && outSize % 8 === 0;
  const wRun = KC / d; // γ per output per chunk
  // gl: the left matrices of a row chunk wholly below the batch come straight from src, which
  // is then a scalar array (the builtins take arrays of scalars; 16-byte aligned tiles).
  const gl = t.gl;
  invariant(!gl || inSize % 8 === 0, 'ks-sgmat-strided ix: gl needs source rows of whole 16-byte units');
  const views = {
    src: !gl && inSize % 4 === 0,
    params: wOff % 4 === 0 && c % 4 === 0 && wRun % 4 === 0,
    dst: !direct && outSize % 4 === 0,
  };
  const xs = `${ep}_xs`;
  const es = `${ep}_es`;
  const cs = `${ep}_cs`;
  const XS = RC * KCP;
  const ES = WN * KCP;
  const half = (size: number): U32Expr | undefined => (t.db ? mul('buf', size) : undefined);
  const indent = (ls: readonly string[]) => ls.map((l) => `  ${l}`);

  // Source chunk (rows r0.., m k0..k0+KC) -> xs[r][k]: vec4 runs along m.
  const srcAt = (k0: U32Expr, k: U32Expr) => sum(mul('min(r0 + r, batch - 1u)', inSize), mul('alpha', c * d), k0, k);
  const srcCopy: StagedCopy = views.src
    ? {
        count: (RC * KC) / 4,
        register: 'vec4<f16>',
        item: () => [`let kv = ${mod('e', KC / 4)};`, `let r = ${div('e', KC / 4)};`],
        load: (v, k0) => [`${v} = ${n.src}[${div(srcAt(k0, 'kv * 4u'), 4)}];`],
        store: (v) => LANES.map((l, q) => `${xs}[${sum(half(XS), mul('r', KCP), 'kv * 4u', u(q))}] = ${v}.${l};`),
      }
    : {
        count: RC * KC,
        register: 'f16',
        item: () => [`let k = ${mod('e', KC)};`, `let r = ${div('e', KC)};`],
        load: (v, k0) => [`${v} = ${n.src}[${srcAt(k0, 'k')}];`],
        store: (v) => [`${xs}[${sum(half(XS), mul('r', KCP), 'k')}] = ${v};`],
      };
  // E's nonzero entries for output nn (δ = nn mod d, β = β0 + nn / d; n0 = β0·d is a multiple of
  // d) and γ g of the chunk: es[nn][g·d + δ] = W[α·d + δ, β, k0 / d + g].
  const wRow = (k0: U32Expr) => sum(u(wOff), mul(sum(mul(sum(mul('alpha', d), mod('nn', d)), b), 'beta0', div('nn', d)), c), div(k0, d));
  const esAt = (g: U32Expr) => `${es}[${sum(half(ES), mul('nn', KCP), mul(g, d), mod('nn', d))}]`;
  const wCopy: StagedCopy = views.params
    ? {
        count: (WN * wRun) / 4,
        register: 'vec4<f16>',
        item: () => [`let gv = ${mod('e', wRun / 4)};`, `let nn = ${div('e', wRun / 4)};`],
        load: (v, k0) => [`${v} = ${n.params}[${sum(div(wRow(k0), 4), 'gv')}];`],
        store: (v) => LANES.map((l, q) => `${esAt(sum('gv * 4u', u(q)))} = ${v}.${l};`),
      }
    : {
        count: WN * wRun,
        register: 'f16',
        item: () => [`let g = ${mod('e', wRun)};`, `let nn = ${div('e', wRun)};`],
        load: (v, k0) => [`${v} = ${n.params}[${sum(wRow(k0), 'g')}];`],
        store: (v) => [`${esAt('g')} = ${v};`],
      };

  // The subgroup (sgr, sgb): rows sgr·R.. of the row chunk, outputs sgb·SN.. of the workgroup's.
  const acc = (i: number, j: number) => `acc_${i}_${j}`;
  const result = resultMatrix(t.acc16 ? 'f16' : 'f32');
  // The 16-deep steps of a chunk; `fromSrc`: left matrices from src (row stride inSize), else from
  // xs. Double-buffered, the loop's k0 steps two chunks: chunk k0 + buf·KC is multiplied.
  const compute = (fromSrc: boolean): string[] => {
    const lines = [`for (var kk = 0u; kk < ${u(KC)}; kk += ${u(TILE)}) {`];
    for (let i = 0; i < MR; i++)
      lines.push(
        fromSrc
          ? `  let xl${i} = subgroupMatrixLoad<${LEFT}, row_major>(&${n.src}, ${sum(mul(sum('r0', mul('sgr', R), u(i * TILE)), inSize), mul('alpha', c * d), 'k0', half(KC), 'kk')}, ${u(inSize)});`
          : `  let xl${i} = subgroupMatrixLoad<${LEFT}, row_major>(&${xs}, ${sum(half(XS), mul('sgr', R * KCP), u(i * TILE * KCP), 'kk')}, ${u(KCP)});`,
      );
    // E's block (m, n) sits at es[n][m]: column-major with stride KCP.
    for (let j = 0; j < NB; j++) lines.push(`  let er${j} = subgroupMatrixLoad<${RIGHT}, col_major>(&${es}, ${sum(half(ES), mul('sgb', SN * KCP), u(j * TILE * KCP), 'kk')}, ${u(KCP)});`);
    for (let i = 0; i < MR; i++) for (let j = 0; j < NB; j++) lines.push(`  ${acc(i, j)} = subgroupMatrixMultiplyAccumulate(xl${i}, er${j}, ${acc(i, j)});`);
    return [...lines, '}'];
  };
  const loop = (copies: readonly StagedCopy[], fromSrc: boolean) => {
    const st = staging('pf', T, copies);
    return t.db ? doubleBufferedLoop(st, c * d, KC, compute(fromSrc), true) : stagedLoop(st, c * d, KC, true, compute(fromSrc));
  };
  // gl: only E is staged for whole row chunks; the batch's last, partial one stages its rows too
  // (a matrix load crossing src's end would read from offset 0: Dawn's robustness).
  const reduction = gl ? [`if (${sum('r0', u(RC))} <= batch) {`, ...indent(loop([wCopy], true)), '} else {', ...indent(loop([srcCopy, wCopy], false)), '}'] : loop([srcCopy, wCopy], false);

  // Epilogue through the subgroups' slots, one tile position (i, j) per round: item f is
  // subgroup sgi's row r, outputs cv·4.. of its tile (vec4 runs), or one output without vec4s.
  const vw = views.dst ? 4 : 1;
  const perTile = (TILE * TILE) / vw;
  const slotValue = (q: number) => (t.acc16 ? `f32(${cs}[${sum(mul('sgi', TILE * TILE), mul('r', TILE), mul('cv', vw), u(q))}])` : `${cs}[${sum(mul('sgi', TILE * TILE), mul('r', TILE), mul('cv', vw), u(q))}]`);
  const lanes = Array.from({ length: vw }, (_, q) => q);
  const bias = (q: number) => (biasOff === undefined ? '' : ` + f32(${scalarAt(n.params, views.params, sum(u(biasOff), mul('alpha', b * d), 'nrel', u(q)))})`);
  const write = (i: number, j: number): string[] => [
    `let sgi = ${div('f', perTile)};`,
    `let r = ${div(mod('f', perTile), TILE / vw)};`,
    `let cv = ${mod('f', TILE / vw)};`,
    `let row = ${sum('r0', mul(mod('sgi', RG), R), u(i * TILE), 'r')};`,
    'if (row < batch) {',
    `  let nrel = ${sum('n0', mul(div('sgi', RG), SN), u(j * TILE), mul('cv', vw))};`,
    `  let at = ${sum(mul('row', outSize), mul('alpha', b * d), 'nrel')};`,
    ...(vw === 4
      ? [
          `  var v = vec4<f32>(${lanes.map((q) => `${slotValue(q)}${bias(q)}`).join(', ')});`,
          ...(op.accumulate ? [`  v += vec4<f32>(${n.dst}[${div('at', 4)}]);`] : []),
          `  ${n.dst}[${div('at', 4)}] = vec4<f16>(v);`,
        ]
      : [`  var v = ${slotValue(0)}${bias(0)};`, ...(op.accumulate ? [`  v += f32(${n.dst}[at]);`] : []), `  ${n.dst}[at] = f16(v);`]),
    '}',
  ];
  const rounds: string[] = [];
  for (let i = 0; i < MR; i++)
    for (let j = 0; j < NB; j++) {
      if (rounds.length > 0) rounds.push('workgroupBarrier();');
      // A loop rather than unrolled passes: the direct kernels carry this for their last row chunk only.
      rounds.push(`subgroupMatrixStore<row_major>(&${cs}, ${mul('sgid', TILE * TILE)}, ${acc(i, j)}, ${u(TILE)});`, 'workgroupBarrier();', `for (var f = lid; f < ${u(S * perTile)}; f += ${u(T)}) {`, ...indent(write(i, j)), '}');
    }
  // Direct: tile (i, j) starts at output row r0 + sgr·R + 16·i, column α·b·d + n0 + sgb·SN + 16·j.
  const tiles: PlacedTile[] = [];
  for (let i = 0; i < MR; i++)
    for (let j = 0; j < NB; j++)
      tiles.push({ name: acc(i, j), offset: sum(mul(sum('r0', mul('sgr', R), u(i * TILE)), outSize), mul('alpha', b * d), 'n0', mul('sgb', SN), u(j * TILE)) });
  const epilogue = direct ? [`if (${sum('r0', u(RC))} <= batch) {`, ...indent(tileStores(n.dst, tiles, u(outSize))), '} else {', ...indent(rounds), '}'] : rounds;

  const body = [
    // The workgroup grid of the other forms, with dtile = d: beta0 is its first β, delta0 = 0.
    ...ksTileOrigin({ perRowTile: a * (b / s.cols), rows: t.rows, cols: s.cols, dtile: d, nbt: b / s.cols, ndt: 1, fastest: 'beta' }),
    `let n0 = ${mul('beta0', d)};`,
    `${SUBGROUP_MATRIX_UNIFORMITY_OFF} {`,
    ...indent([
      `let sgid = ${div('lid', SUBGROUP)};`,
      `let sgr = ${mod('sgid', RG)};`,
      `let sgb = ${div('sgid', RG)};`,
      ...Array.from({ length: MR }, (_, i) => Array.from({ length: NB }, (_, j) => `var ${acc(i, j)} = ${result}();`)).flat(),
      `for (var ch = 0u; ch < ${u(s.chunks)}; ch++) {`,
      ...indent([
        `let r0 = ${sum('row0', mul('ch', RC))};`,
        'if (r0 >= batch) { break; }',
        ...Array.from({ length: MR }, (_, i) => Array.from({ length: NB }, (_, j) => `${acc(i, j)} = ${result}();`)).flat(),
        '{',
        ...indent(reduction),
        '}',
        ...epilogue,
      ]),
      '}',
    ]),
    '}',
  ];
  return tiledKernel({
    entryPoint: ep,
    storage: 'f16',
    views,
    workgroupVars: [
      `var<workgroup> ${xs}: array<f16, ${(t.db ? 2 : 1) * XS}>;`,
      `var<workgroup> ${es}: array<f16, ${(t.db ? 2 : 1) * ES}>;`,
      `var<workgroup> ${cs}: array<${t.acc16 ? 'f16' : 'f32'}, ${S * TILE * TILE}>;`,
    ],
    threads: T,
    body,
    rowsPerWorkgroup: t.rows,
    workgroupsPerRowTile: a * (b / s.cols),
    schedule: s,
    ops: [ctx.opIndex],
    extraEnables: ['chromium_experimental_subgroup_matrix'],
  });
}
