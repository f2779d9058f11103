/**
 * ks-tiled's `wres` form (session 29): the contiguous factor K(a,b,c,1) with W resident in
 * registers and the batch rows streamed through workgroup memory, ks-dtiled's `wres` (session 28,
 * ks-dtiled-wres.ts) for d = 1, where the workgroup's lanes span `ab` neighbouring α blocks
 * instead of δ.
 *
 * Why: the staged ks-tiled default (64 rows × 64 β, 8x4 tiles, chunks of 16 γ) moves a chunk of
 * W through L2 and workgroup memory beside every chunk of the source, as many bytes of W as of
 * the source at n = 4096 (K(64,64,64,1), B = 16384: 256 MiB each), reads the source in runs of
 * tk · 4 = 64 bytes (session 17's runs probe: a copy of 64-byte runs 0.2300 ms, of whole rows
 * 0.1959, where the factor takes ~0.257), and its results leave only after the last chunk. On the
 * strided factor the resident form with the reduction split in 2 (`sk`) beat the staged default
 * (session 28: 0.3580 against 0.3783). Here W never crosses L2 per row tile, a chunk's source is
 * rr whole runs of ab · c floats (2 KiB at ab 8, c 64), stored as the vec4s it was loaded as
 * (a vec4 read of 4 γ of one row feeds 4 β: 16 multiply-adds, as the sk 2 strided form), and
 * each chunk's results leave as vec4s of 4 β while the next chunks are multiplied.
 *
 * Knobs: `rows` batch rows a workgroup walks, `cols` β and `ab` α blocks per workgroup, `rr` rows
 * per chunk, `sk` (1, 2 or 4; absent 1) invocations splitting the reduction; `rb` is 4 (an
 * invocation's 4 consecutive β), `dtile` 1, `tk` c (the whole reduction is resident), `vec4` and
 * `pipeline` on. Invocations: ab · cols/4 · sk, β fastest (a warp's 16 β groups read one vec4 of
 * one α, broadcast; its stores are runs of cols floats), then α, then the reduction part h (so a
 * warp's parts agree). Invocation (h, α, β group) holds W[α, 4 β, h·c/sk .. (h+1)·c/sk), as vec4s
 * over its 4 β (c/sk · 4 floats).
 *
 * Workgroup memory: [half][row][α][c/4 + 1 vec4s] (an α's run one vec4 longer, so the ab vec4s a
 * warp reads at once fall in distinct banks), then with sk > 1 the partial sums parts 1.. hand to
 * part 0 after each chunk (as ks-dtiled's wres: one barrier, part 0 adds and stores).
 */
import type { KsOp } from '../../../ir/ir.js';
import { invariant } from '../../../util/assert.js';
import { dividing } from '../family.js';
import type { EmittedKernel, Schedule, TargetLimits } from '../kernel.js';
import { div, mod, mul, sum, u, type KernelContext, type U32Expr } from '../scaffold.js';
import { doubleBufferedLoop } from './double-buffered-loop.js';
import { ksTileOrigin } from './ks-tile-origin.js';
import { opOperands } from './operands.js';
import type { RegisterTileKnobs } from './register-tile-knobs.js';
import { combinedParts } from './split-sums.js';
import { epilogueWrite, LANES, scalarAt, staging, toF32, tiledKernel, type StagedCopy } from './wgsl-text.js';

/** A contiguous `wres` schedule's knobs (ks-tiled.ts KsTiledSchedule with `wres`); `sk` absent is 1. */
export interface RowWresShape extends RegisterTileKnobs {
  readonly vec4: boolean;
  readonly pipeline: boolean;
  readonly ab?: number;
  readonly sk?: number;
}

/** β per invocation: one vec4 of results per row. */
const BETA_PER_INVOCATION = 4;
/** W's floats per invocation and per workgroup at most: ks-dtiled-wres.ts's register budget (H100, H200). */
const RESIDENT_W_PER_INVOCATION = 128;
const RESIDENT_W_FLOATS = 32768;

function splits(s: RowWresShape): number {
  return s.sk ?? 1;
}

function blocks(s: RowWresShape): number {
  return s.ab ?? 1;
}

function rowWresThreads(s: RowWresShape): number {
  return blocks(s) * (s.cols / BETA_PER_INVOCATION) * splits(s);
}

/** vec4s of an α's run (c/4 and one more), of a staged row (ab runs) and of one half (rr rows). */
function layout(s: RowWresShape): { readonly run: number; readonly row: number; readonly half: number } {
  const run = s.tk / 4 + 1;
  const row = blocks(s) * run;
  return { run, row, half: s.rr * row };
}

/** The partial sums parts 1.. hand to part 0 each chunk: (sk − 1) · rr vec4s per (α, β group). */
function partialVec4s(s: RowWresShape): number {
  return (splits(s) - 1) * s.rr * (rowWresThreads(s) / splits(s));
}

function rowWresSharedBytes(s: RowWresShape): number {
  return 16 * (2 * layout(s).half + partialVec4s(s));
}

function rowWresValid(op: KsOp, s: RowWresShape, limits: TargetLimits): boolean {
  const threads = rowWresThreads(s);
  const perInvocation = (op.c / splits(s)) * BETA_PER_INVOCATION;
  return (
    op.d === 1 &&
    op.input.steps.length === 0 &&
    op.output.steps.length === 0 &&
    s.dtile === 1 &&
    s.tk === op.c &&
    s.rb === BETA_PER_INVOCATION &&
    s.vec4 &&
    s.pipeline &&
    op.a % blocks(s) === 0 &&
    op.b % s.cols === 0 &&
    s.cols % BETA_PER_INVOCATION === 0 &&
    s.rows % (2 * s.rr) === 0 &&
    op.c % (4 * splits(s)) === 0 &&
    perInvocation <= RESIDENT_W_PER_INVOCATION &&
    threads * perInvocation <= RESIDENT_W_FLOATS &&
    threads >= 64 &&
    threads <= limits.maxWorkgroupSize &&
    rowWresSharedBytes(s) <= limits.maxWorkgroupStorageBytes
  );
}

/** The contiguous `wres` shapes that fit: 2-16 α, 16-128 β, the reduction whole or split in 2 or 4, chunks of 4 or 8 rows, 256-1024 rows. */
export function rowWresShapes(op: KsOp, limits: TargetLimits): RowWresShape[] {
  const out: RowWresShape[] = [];
  for (const sk of [1, 2, 4])
    for (const ab of dividing(op.a, [2, 4, 8, 16]))
      for (const cols of dividing(op.b, [16, 32, 64, 128]))
        for (const rr of [4, 8])
          for (const rows of [256, 512, 1024]) {
            const s: RowWresShape = { rows, cols, dtile: 1, tk: op.c, rr, rb: BETA_PER_INVOCATION, vec4: true, pipeline: true, ab, ...(sk > 1 ? { sk } : {}) };
            if (rowWresValid(op, s, limits)) out.push(s);
          }
  return out;
}

/** The kernel of a contiguous `wres` schedule (`schedule`: the whole ks-tiled schedule, recorded as it is). */
export function emitRowWres(op: KsOp, schedule: RowWresShape & Schedule, ctx: KernelContext): EmittedKernel {
  const { rows: RW, cols: TB, rr: RR } = schedule;
  const AB = blocks(schedule);
  const SK = splits(schedule);
  const KP = op.c / SK;
  const T = rowWresThreads(schedule);
  const { ep, n, inSize, outSize, wOff, biasOff } = opOperands(op, ctx);
  const st = ctx.storage;
  const { a, b, c } = op;
  invariant(inSize % 4 === 0 && outSize % 4 === 0 && c % 4 === 0, 'ks-tiled wres: rows and blocks must be multiples of 4 elements');
  const wVec = wOff % 4 === 0;
  const views = { src: true, dst: true, params: wVec };
  const nbt = b / TB;
  const perRowTile = (a / AB) * nbt;
  const NB = TB / BETA_PER_INVOCATION;
  const C4 = c / 4;
  const xs = `${ep}_xs`;
  const ps = `${ep}_ps`;
  const L = layout(schedule);
  // The vec4 of γ 4·g4 .. 4·g4 + 3 of staged row r and α block aa in half `buf`.
  const xSlot = (r: U32Expr, aa: U32Expr, g4: U32Expr) => `${xs}[${sum(mul('buf', L.half), mul(r, L.row), mul(aa, L.run), g4)}]`;

  // The source of rows at..at + rr: each row's ab · c floats from α0 are one run, loaded and stored as vec4s.
  const srcCopy: StagedCopy = {
    count: RR * AB * C4,
    register: 'vec4<f32>',
    item: () => [`let g4 = ${mod('e', C4)};`, `let sa = ${mod(div('e', C4), AB)};`, `let r = ${div('e', C4 * AB)};`],
    load: (v, at) => [`${v} = ${toF32(st, `${n.src}[${sum(div(sum(mul(`min(${sum('row0', at, 'r')}, batch - 1u)`, inSize), mul('alpha0', c)), 4), mod('e', AB * C4))}]`, true)};`],
    store: (v) => [`${xSlot('r', 'sa', 'g4')} = ${v};`],
  };
  const stage = staging('pf', T, [srcCopy]);

  // W[α0 + aa, β_j, γ part h] as c/(4·sk) vec4s along γ per β, loaded once, then turned into vec4s over the 4 β.
  const betaOf = (j: number): U32Expr => sum('beta0', mul('tb', BETA_PER_INVOCATION), u(j));
  const wAt = (j: number, g: number): U32Expr => sum(u(wOff), mul(sum(mul('blk', b), betaOf(j)), c), SK > 1 ? mul('h', KP) : undefined, u(4 * g));
  const resident: string[] = [];
  for (let g = 0; g < KP / 4; g++) {
    for (let j = 0; j < BETA_PER_INVOCATION; j++) {
      const at = wAt(j, g);
      const value = wVec ? toF32(st, `${n.params}[${div(at, 4)}]`, true) : `vec4<f32>(${[0, 1, 2, 3].map((q) => toF32(st, `${n.params}[${sum(at, u(q))}]`, false)).join(', ')})`;
      resident.push(`let w${j}_${g} = ${value};`);
    }
    for (let q = 0; q < 4; q++) resident.push(`let wt${g}_${q} = vec4<f32>(${[0, 1, 2, 3].map((j) => `w${j}_${g}.${LANES[q]}`).join(', ')});`);
  }
  const outAt = sum(mul('blk', b), 'beta0', mul('tb', BETA_PER_INVOCATION));
  const bias = biasOff === undefined ? undefined : [0, 1, 2, 3].map((q) => `bias${q}`);
  const biases = biasOff === undefined ? [] : [0, 1, 2, 3].map((q) => `let bias${q} = ${scalarAt(n.params, wVec, sum(u(biasOff), outAt, u(q)))};`);

  const acc = (r: number) => `acc_${r}`;
  // One chunk from row `at`: its multiply-adds (row r's 4 β in acc_r), then its results.
  const chunk = (at: U32Expr): string[] => {
    const lines: string[] = [];
    for (let r = 0; r < RR; r++) lines.push(`var ${acc(r)} = vec4<f32>(0.0);`);
    for (let g = 0; g < KP / 4; g++)
      for (let r = 0; r < RR; r++) {
        lines.push(`{ let x = ${xSlot(u(r), 'aa', SK > 1 ? sum(mul('h', KP / 4), u(g)) : u(g))};`);
        for (let q = 0; q < 4; q++) lines.push(`  ${acc(r)} = fma(vec4<f32>(x.${LANES[q]}), wt${g}_${q}, ${acc(r)});`);
        lines.push('}');
      }
    if (SK > 1) lines.push(...combinedParts(ps, Array.from({ length: RR }, (_, r) => acc(r)), SK, T / SK));
    const results: string[] = [];
    for (let r = 0; r < RR; r++) {
      const write = epilogueWrite({ storage: st, dst: n.dst, at: div(sum(mul('row', outSize), outAt), 4), value: acc(r), vec4: true, accumulate: op.accumulate, ...(bias ? { bias } : {}) });
      results.push(`{ let row = ${sum('row0', at, u(r))};`, `  if (row < batch) { ${write} }`, '}');
    }
    return [...lines, ...(SK > 1 ? ['if (h == 0u) {', ...results.map((l) => `  ${l}`), '}'] : results)];
  };
  const body = [
    // ksTileOrigin's `alpha` is the workgroup's tile of ab α blocks here.
    ...ksTileOrigin({ perRowTile, rows: RW, cols: TB, dtile: 1, nbt, ndt: 1, fastest: 'beta' }),
    `let alpha0 = ${mul('alpha', AB)};`,
    `let tb = ${mod('lid', NB)};`,
    `let aa = ${mod(div('lid', NB), AB)};`,
    ...(SK > 1 ? [`let h = ${div('lid', NB * AB)};`, `let slot = ${mod('lid', NB * AB)};`] : []),
    'let blk = alpha0 + aa;',
    ...resident,
    ...biases,
    // Rows past the batch are not walked (a small batch's last workgroup of rows rows).
    ...doubleBufferedLoop(stage, RW, RR, chunk, true, 'batch - row0'),
  ];
  return tiledKernel({
    entryPoint: ep,
    storage: st,
    views,
    workgroupVars: [`var<workgroup> ${xs}: array<vec4<f32>, ${2 * L.half}>;`, ...(SK > 1 ? [`var<workgroup> ${ps}: array<vec4<f32>, ${partialVec4s(schedule)}>;`] : [])],
    threads: T,
    body,
    rowsPerWorkgroup: RW,
    workgroupsPerRowTile: perRowTile,
    schedule,
    ops: [ctx.opIndex],
  });
}
