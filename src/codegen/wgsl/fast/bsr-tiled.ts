/**
 * `bsr-tiled`: block-sparse matmul with a compile-time pattern, tiled in workgroup memory and
 * registers. The pattern is read from the op's `csr` table, which the runtime binds
 * (bsr-pattern.ts).
 *
 * A workgroup owns `rows` batch rows × `cols` consecutive outputs of ONE block row I (`cols`
 * divides bh). All its outputs then reduce over the same columns, the blocks J of row I, so
 * every staged Src tile serves the whole tile; a workgroup spanning block rows would have to
 * walk the union of their block columns and multiply zeros wherever their patterns differ.
 * Small blocks still tile well because the accumulators are vectorised over batch rows, not
 * outputs: `rr` is a multiple of 4, and `rb` (a divisor of `cols`) may be anything.
 *
 * The reduction of row I is one run of chunks, the CSR order of its blocks each cut into bw/tk
 * chunks of `tk` columns (so the software pipeline crosses block boundaries). Per chunk the Src
 * tile (rows × tk, columns J·bw + k…) and the weight chunk (cols × tk) are staged transposed in
 * workgroup memory, then each thread does rr·rb multiply-adds per column from registers. Global
 * loads are vec4 where the layout allows (identity input map, bw and tk multiples of 4, aligned
 * offsets), scalar otherwise; the epilogue adds the bias, accumulates and writes through the
 * output index map, vec4 where it is the identity. Block rows without blocks walk no chunk and
 * write 0 (+ bias), as ir.ts says.
 *
 * Knobs: rows, cols, tk, rr, rb, pipeline (fetch the next chunk into registers while multiplying).
 */
import type { BsrOp } from '../../../ir/ir.js';
import { invariant } from '../../../util/assert.js';
import { forwardCsr } from '../bsr-direct.js';
import { blockRowSum, isLongRow, withPattern } from '../bsr-pattern.js';
import { dividing, flag, highestScoring, knob, type KernelFamily } from '../family.js';
import { applyIndexMap, renderIndex, rowMajor } from '../index-map.js';
import type { EmittedKernel, Schedule, TargetLimits } from '../kernel.js';
import { div, mod, mul, sum, u, type KernelContext } from '../scaffold.js';
import { vec4Accumulators } from './staged-sum.js';
import { epilogueWrite, LANES, scalarAt, stagedChunks, staging, tiledKernel, transposedTile } from './wgsl-text.js';
import { opOperands } from './operands.js';
import type { U32Expr } from '../u32.js';

const FAMILY = 'bsr-tiled';

export interface BsrTiledSchedule extends Schedule {
  readonly family: typeof FAMILY;
  readonly rows: number;
  readonly cols: number;
  readonly tk: number;
  readonly rr: number;
  readonly rb: number;
  readonly pipeline: boolean;
}

interface Tiling {
  readonly rows: number;
  readonly cols: number;
  readonly tk: number;
  readonly rr: number;
  readonly rb: number;
  readonly threads: number;
  /** Workgroup memory: the Src and weight chunks, in f32 whatever the storage type. */
  readonly sharedBytes: number;
}

function tiling(s: BsrTiledSchedule): Tiling {
  const { rows, cols, tk, rr, rb } = s;
  return { rows, cols, tk, rr, rb, threads: (rows / rr) * (cols / rb), sharedBytes: 4 * tk * (rows + cols) };
}

function divisors(n: number, max: number): number[] {
  return Array.from({ length: Math.min(n, max) }, (_, i) => i + 1).filter((d) => n % d === 0);
}

/** Tile widths: divisors of bh, from 8 up (fewer outputs share too little of each Src tile). */
function tileCols(bh: number): number[] {
  return divisors(bh, 128).filter((c) => c >= Math.min(bh, 8));
}

/** Outputs per thread: 4 or 8 where the tile is a multiple of 4 (a vec4 of weights per read), else any small divisor. */
function registerCols(cols: number): number[] {
  return cols % 4 === 0 && cols >= 8 ? dividing(cols, [4, 8]) : divisors(cols, 8);
}

/** Chunk widths: powers of two dividing bw (vec4 loads), else bw's largest divisor up to 32. */
function chunkWidths(bw: number): number[] {
  const pow = dividing(bw, [4, 8, 16, 32]);
  return pow.length > 0 ? pow : divisors(bw, 32).slice(-1);
}

function valid(t: Tiling, limits: TargetLimits): boolean {
  return t.threads >= 64 && t.threads <= limits.maxWorkgroupSize && t.sharedBytes <= limits.maxWorkgroupStorageBytes;
}

function candidates(op: BsrOp, limits: TargetLimits): BsrTiledSchedule[] {
  const out: BsrTiledSchedule[] = [];
  for (const rows of [16, 32, 64, 128])
    for (const cols of tileCols(op.bh))
      for (const tk of chunkWidths(op.bw))
        for (const rr of [4, 8])
          for (const rb of registerCols(cols))
            for (const pipeline of [false, true]) {
              const s: BsrTiledSchedule = { family: FAMILY, rows, cols, tk, rr, rb, pipeline };
              if (valid(tiling(s), limits)) out.push(s);
            }
  return out;
}

/**
 * The default: the most outputs per workgroup (register tile × threads, capped at 256 threads as
 * in ks-tiled); among those, 32 accumulators per thread as 8 rows × 4 outputs (enough reuse of
 * each workgroup-memory load without spilling), then the whole block row in one tile (each Src
 * tile staged once per row tile), a 16-wide chunk and the pipelined loop. On the H100, for
 * Pixelfly's sparse op (n = 1024, block 32, B = 16384) that is 0.170 ms, the fastest of the 104
 * candidates 0.169 ms, 4 × 8 registers 0.180 ms, 4 × 4 0.190 ms, and bsr-direct 8.75 ms.
 * Chosen among the candidates, so it is always valid for the target.
 */
function defaultSchedule(op: BsrOp, limits: TargetLimits): BsrTiledSchedule {
  const score = (s: BsrTiledSchedule): number => {
    const t = tiling(s);
    const registers = t.rr * t.rb;
    const tieBreak = 8 * (t.rr >= t.rb ? 1 : 0) + 4 * (t.cols / op.bh) + 2 * (t.tk === Math.min(16, op.bw) ? 1 : 0) + (s.pipeline ? 1 : 0);
    return 1000 * registers * Math.min(t.threads, 256) - 20 * Math.abs(registers - 32) + tieBreak;
  };
  return highestScoring(FAMILY, `a ${op.rows}x${op.cols} op of ${op.bh}x${op.bw} blocks`, candidates(op, limits), score);
}

function emit(op: BsrOp, schedule: BsrTiledSchedule, ctx: KernelContext): EmittedKernel {
  const { rows: TR, cols: TB, tk: TK, rr: RR, rb: RB, threads: T } = tiling(schedule);
  const { bh, bw } = op;
  invariant(bh % TB === 0 && TB % RB === 0 && TR % RR === 0 && RR % 4 === 0 && bw % TK === 0, `${FAMILY}: schedule ${JSON.stringify(schedule)} does not fit blocks ${bh}x${bw}`);
  const { ep, n, inSize, outSize, wOff, biasOff } = opOperands(op, ctx);
  const st = ctx.storage;
  const csr = forwardCsr(op, ep, FAMILY);
  const identityIn = op.input.steps.length === 0;
  const identityOut = op.output.steps.length === 0;
  const chunksAligned = bw % 4 === 0 && TK % 4 === 0;
  const views = {
    src: identityIn && chunksAligned && inSize % 4 === 0,
    params: chunksAligned && wOff % 4 === 0,
    dst: identityOut && RB % 4 === 0 && outSize % 4 === 0,
  };
  // The weight chunk is read as vec4s of 4 outputs when each thread's run of outputs allows.
  const wsVec = RB % 4 === 0;
  const colTiles = bh / TB;
  const perRowTile = (op.rows / bh) * colTiles;
  const perBlock = bw / TK;
  const xs = `${ep}_xs`;
  const ws = `${ep}_ws`;
  const inCol = `${ep}_in_col`;

  // Chunk `ch` of the block row: block z = ch / perBlock, columns kc… of it.
  const block = (ch: U32Expr) => div(ch, perBlock);
  const kc = (ch: U32Expr) => mul(mod(ch, perBlock), TK);
  const column = (ch: U32Expr, k: U32Expr) => sum(mul(csr.col(block(ch)), bw), kc(ch), k);
  const srcCopy = transposedTile({
    storage: st,
    buffer: n.src,
    vec4: views.src,
    lines: TR,
    tk: TK,
    at: (r, k, ch) => sum(mul(`min(${sum('row0', r)}, batch - 1u)`, inSize), identityIn ? column(ch, k) : `${inCol}(${column(ch, k)})`),
    slot: (k, r) => `${xs}[${sum(mul(k, TR / 4), div(r, 4))}][${mod(r, 4)}]`,
  });
  const wCopy = transposedTile({
    storage: st,
    buffer: n.params,
    vec4: views.params,
    lines: TB,
    tk: TK,
    at: (t, k, ch) => sum(u(wOff), mul(block(ch), bh * bw), mul(sum('i0', t), bw), kc(ch), k),
    slot: (k, t) => (wsVec ? `${ws}[${sum(mul(k, TB / 4), div(t, 4))}][${mod(t, 4)}]` : `${ws}[${sum(mul(k, TB), t)}]`),
  });

  const acc = (iv: number, j: number) => `acc_${iv}_${j}`;
  const weight = (j: number) => (wsVec ? `b${j >> 2}.${LANES[j & 3]}` : `b${j}`);
  const inner = [
    ...Array.from({ length: RR / 4 }, (_, iv) => `let a${iv} = ${xs}[${sum(mul('k', TR / 4), mul('tr', RR / 4), u(iv))}];`),
    ...(wsVec
      ? Array.from({ length: RB / 4 }, (_, j) => `let b${j} = ${ws}[${sum(mul('k', TB / 4), mul('tb', RB / 4), u(j))}];`)
      : Array.from({ length: RB }, (_, j) => `let b${j} = ${ws}[${sum(mul('k', TB), mul('tb', RB), u(j))}];`)),
    ...Array.from({ length: RR / 4 }, (_, iv) => Array.from({ length: RB }, (_, j) => `${acc(iv, j)} = fma(a${iv}, vec4<f32>(${weight(j)}), ${acc(iv, j)});`)).flat(),
  ];
  const reduction =
    op.blocks.length === 0
      ? []
      : [
          `let ch_end = ${mul(csr.rowStart('blk_row + 1u'), perBlock)};`,
          // A row of more than BLOCKED_SUM_FROM terms sums in blocks of whole chunks (blockRowSum).
          ...blockRowSum({
            name: 'ch',
            first: mul(csr.rowStart('blk_row'), perBlock),
            end: 'ch_end',
            termsPer: TK,
            long: isLongRow(op),
            accumulators: vec4Accumulators(Array.from({ length: RR / 4 }, (_, iv) => Array.from({ length: RB }, (_, j) => acc(iv, j))).flat()),
            loop: (first, end) =>
              stagedChunks(
                staging('pf', T, [srcCopy, wCopy]),
                { variable: 'ch', first, end, step: '1u', mayBeEmpty: true },
                schedule.pipeline,
                [`for (var k = 0u; k < ${u(TK)}; k++) {`, ...inner.map((l) => `  ${l}`), '}'],
              ),
          }),
        ];

  // The logical output l of the op; the bias is indexed by it (ir.ts), the store by output(l).
  const logical = (j: number) => sum(mul('blk_row', bh), 'i0', mul('tb', RB), u(j));
  const outIndex = renderIndex(applyIndexMap(op.output, rowMajor([{ name: 'l', size: op.rows }])));
  const bias = (count: number) => (biasOff === undefined ? {} : { bias: Array.from({ length: count }, (_, q) => scalarAt(n.params, views.params, sum(u(biasOff), 'l', u(q)))) });
  const write = (i: number, j: number, vec4: boolean): string => {
    const lane = LANES[i & 3];
    const value = vec4 ? `vec4<f32>(${[0, 1, 2, 3].map((q) => `${acc(i >> 2, j + q)}.${lane}`).join(', ')})` : `${acc(i >> 2, j)}.${lane}`;
    const at = vec4 ? div(sum(mul('row', outSize), 'l'), 4) : sum(mul('row', outSize), outIndex);
    return `{ let l = ${logical(j)}; ${epilogueWrite({ storage: st, dst: n.dst, at, value, vec4, accumulate: op.accumulate, ...bias(vec4 ? 4 : 1) })} }`;
  };
  const store = Array.from({ length: RR }, (_, i) => [
    `if (${sum('row0', mul('tr', RR), u(i))} < batch) {`,
    `  let row = ${sum('row0', mul('tr', RR), u(i))};`,
    ...(views.dst ? Array.from({ length: RB / 4 }, (_, j) => `  ${write(i, 4 * j, true)}`) : Array.from({ length: RB }, (_, j) => `  ${write(i, j, false)}`)),
    '}',
  ]).flat();

  const body = [
    `let row_tile = ${div('group', perRowTile)};`,
    `let col_tile = ${mod('group', perRowTile)};`,
    `let blk_row = ${div('col_tile', colTiles)};`,
    `let i0 = ${mul(mod('col_tile', colTiles), TB)};`,
    `let row0 = ${mul('row_tile', TR)};`,
    `let tb = ${mod('lid', TB / RB)};`,
    `let tr = ${div('lid', TB / RB)};`,
    ...Array.from({ length: RR / 4 }, (_, iv) => Array.from({ length: RB }, (_, j) => `var ${acc(iv, j)} = vec4<f32>(0.0);`)).flat(),
    ...reduction,
    ...store,
  ];
  const inColFn = identityIn ? [] : [`fn ${inCol}(c: u32) -> u32 { return ${renderIndex(applyIndexMap(op.input, rowMajor([{ name: 'c', size: op.cols }])))}; }`];
  const kernel = tiledKernel({
    entryPoint: ep,
    storage: st,
    views,
    decls: [...csr.decls, ...inColFn],
    workgroupVars: [
      `var<workgroup> ${xs}: array<vec4<f32>, ${(TK * TR) / 4}>;`,
      wsVec ? `var<workgroup> ${ws}: array<vec4<f32>, ${(TK * TB) / 4}>;` : `var<workgroup> ${ws}: array<f32, ${TK * TB}>;`,
    ],
    threads: T,
    body,
    rowsPerWorkgroup: TR,
    workgroupsPerRowTile: perRowTile,
    schedule,
    ops: [ctx.opIndex],
  });
  return withPattern(kernel, op);
}

export const bsrTiled: KernelFamily<'bsr', BsrTiledSchedule> = {
  name: FAMILY,
  opKind: 'bsr',
  defaultSchedule,
  candidates,
  decode: (s: Schedule) => ({ family: FAMILY, rows: knob(s, 'rows'), cols: knob(s, 'cols'), tk: knob(s, 'tk'), rr: knob(s, 'rr'), rb: knob(s, 'rb'), pipeline: flag(s, 'pipeline') }),
  emit,
};
