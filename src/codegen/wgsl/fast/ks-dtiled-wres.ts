/**
 * ks-dtiled's `wres` form (session 28): the strided factor K(a,b,c,d) with W resident in registers
 * and the batch rows streamed through workgroup memory, the f16 strided factor's shape
 * (ks-sgmat-strided's resident W) on f32 multiply-adds.
 *
 * Why: the staged form (ks-dtiled.ts) moves one chunk of W per chunk of γ through L2 and
 * workgroup memory for every tile of 64 rows: at n = 4096 as many bytes of W as of the source
 * (256 MiB each at B = 16384), in 32-byte runs, with two barriers a chunk in the one 512-invocation
 * workgroup a SM holds, and its results leave only after the last chunk, with nothing to overlap
 * them (session 21's probes: without staging, global loads or epilogue 19-27% faster each). On the
 * f16 strided factor keeping W resident beat staging it by 15% or more on every op (session 17);
 * no f32 form had tried it. Here each invocation holds W[α·d + δ, β, 0..c) of its `rb` β (c · rb
 * floats, loaded once), the workgroup walks its `rows` batch rows in chunks of `rr`, each chunk's
 * source (rr rows × c γ × `dtile` δ, the δ of a (row, γ) one run) staged once into one of two
 * halves of workgroup memory (one barrier a chunk, doubleBufferedLoop), and each chunk's results
 * leave while the next chunks are multiplied. W no longer crosses L2 per row tile, and the
 * epilogue is spread over the loop.
 *
 * The knobs keep their meaning where they have one: `rows` batch rows, `cols` β and `dtile` δ per
 * workgroup, `rr` rows per chunk (a multiple of 4: the staged source holds vec4s of 4 rows, lane
 * row % 4, so one read feeds 4 multiply-adds per β), `rb` β per invocation; `tk` is c (the whole
 * reduction is resident) and `pipeline` is on (the next chunk is fetched under this one's
 * multiply-adds). Invocations: dtile · cols / rb, δ fastest (a warp reads 8 consecutive vec4s of
 * one line group, its stores are runs of dtile δ); an invocation's β are tb, tb + cols/rb, ...
 *
 * Workgroup memory: [half][γ][rr/4 line groups][dtile + 1 vec4s] (a line group one vec4 longer:
 * with 8 δ and 8-row chunks a staging warp's scalar stores, 2 δ-vec4s × 8 rows × 2 γ, fall in 32
 * distinct banks).
 *
 * Session 28's call A (H100, bench/results/s28/call-2/perf2, plan-s28f; the staged default in the
 * same call): n = 4096 (K(1,64,64,64), B = 16384) the default 0.3797 ms, wres 8 δ × 64 β with 2 β an
 * invocation 0.4147-0.4278 (1024 / 512 / 256 rows, chunks of 4 or 8), with 1 β 0.6432, 32 β
 * 0.5992-0.6063, 16 δ × 32 β 0.4380; n = 16384 (K(1,128,128,128), B = 4096, where c = 128 allows 1 β)
 * 0.6751 against 1.39-1.86. The form pays per shared read: one vec4 of 4 rows feeds 4·rb
 * multiply-adds (the staged 8x8 tile: 16), and 4 β would need 256 W floats at c = 64.
 *
 * With `sk` (2 or 4, session 28) the reduction is split over sk invocations, each holding c/sk γ of
 * 4 β (rb 4: 16 multiply-adds a shared read, W floats c/sk · 4): the workgroup is sk parts of dtile ·
 * cols / rb invocations (part h: lid / (dtile · cols / rb), so a warp's parts agree), parts 1.. put
 * their sums in workgroup memory after each chunk, one barrier, and part 0 adds them and stores.
 * Since session 29 every `wres` form splits its reduction: the unsplit ones (above) lost in every call and left.
 *
 * Tried and removed (session 30, H100, call 2, bench/results/s30/call-2/perf2, plan-s30e/d there; code: commit dd148bb):
 * `ss`, the sums added and stored by every part, accumulator i by part i mod sk (each part handed the others'
 * accumulators to workgroup memory, one barrier), where part 0 alone adds and stores while the others wait at the next
 * chunk's barrier. n = 4096 (B = 16384): the seed (1024 rows, sk 2) 0.3585, with ss 0.3636; 512 rows 0.3645 / 0.3685;
 * sk 4 0.3764 / 0.3715 (the staged default 0.3802). n = 16384 (B = 4096), sk 4: 0.7411 / 0.7219 against the staged
 * default's 0.6767. n = 4096 at B = 4096: the seed's 256 rows 0.1057, with ss 0.1079. Sharing the stores helped only
 * where the reduction is split in 4, and never past the seed or the staged default.
 */
import type { KsOp } from '../../../ir/ir.js';
import { invariant } from '../../../util/assert.js';
import { REGISTER_BUDGET_FLOATS } from '../defaults.js';
import { dividing } from '../family.js';
import type { EmittedKernel, Schedule, TargetLimits } from '../kernel.js';
import { div, mod, mul, sum, u, type KernelContext, type U32Expr } from '../scaffold.js';
import { doubleBufferedLoop } from './double-buffered-loop.js';
import { ksTileOrigin } from './ks-tile-origin.js';
import { opOperands } from './operands.js';
import type { RegisterTileKnobs } from './register-tile-knobs.js';
import { epilogueWrite, LANES, scalarAt, staging, toF32, tiledKernel, type StagedCopy } from './wgsl-text.js';

/** A `wres` schedule's knobs (ks-dtiled.ts KsDtiledSchedule with `wres`); `sk` absent is 1, which wresValid refuses. */
export interface WresShape extends RegisterTileKnobs {
  readonly pipeline: boolean;
  readonly sk?: number;
}

function splits(s: WresShape): number {
  return s.sk ?? 1;
}

/** W's floats per invocation at most (c · rb): 128 leave room under the 255-register cap. */
const RESIDENT_W_PER_INVOCATION = 128;

export function wresThreads(s: WresShape): number {
  return ((s.dtile * s.cols) / s.rb) * splits(s);
}

/** A line group: rr/4 of them per γ plane, each `dtile` vec4s and one more. */
function layout(s: WresShape): { readonly group: number; readonly plane: number; readonly half: number } {
  const group = s.dtile + 1;
  const plane = (s.rr / 4) * group;
  return { group, plane, half: s.tk * plane };
}

/** The partial sums the invocations of γ parts 1.. hand to part 0 each chunk: (sk − 1) · rr/4 · rb vec4s per (δ, β group). */
function partialVec4s(s: WresShape): number {
  return (splits(s) - 1) * (s.rr / 4) * s.rb * ((s.dtile * s.cols) / s.rb);
}

export function wresSharedBytes(s: WresShape): number {
  return 16 * (2 * layout(s).half + partialVec4s(s));
}

export function wresValid(op: KsOp, s: WresShape, limits: TargetLimits): boolean {
  const threads = wresThreads(s);
  return (
    s.tk === op.c &&
    s.pipeline &&
    op.d % s.dtile === 0 &&
    op.b % s.cols === 0 &&
    s.cols % s.rb === 0 &&
    s.rr % 4 === 0 &&
    s.rows % (2 * s.rr) === 0 &&
    splits(s) > 1 &&
    op.c % (4 * splits(s)) === 0 &&
    (op.c / splits(s)) * s.rb <= RESIDENT_W_PER_INVOCATION &&
    threads * (op.c / splits(s)) * s.rb <= REGISTER_BUDGET_FLOATS &&
    threads >= 64 &&
    threads <= limits.maxWorkgroupSize &&
    wresSharedBytes(s) <= limits.maxWorkgroupStorageBytes
  );
}

/**
 * The `wres` shapes that fit: 4-16 δ, 16-128 β, the reduction split (`sk` 2 or 4) over invocations of 4 β each, chunks
 * of 4 or 8 rows, 128-1024 rows. The unsplit forms of 1 or 2 β an invocation lost in every call that timed them (session
 * 28: 0.4145-0.6432 against the staged default's 0.3783-0.3797 at n = 4096, 1.39-1.86 against 0.6751 at n = 16384) and
 * left the candidates in session 29.
 */
export function wresShapes(op: KsOp, limits: TargetLimits): WresShape[] {
  const out: WresShape[] = [];
  for (const sk of [2, 4])
    for (const dtile of dividing(op.d, [4, 8, 16]))
      for (const cols of dividing(op.b, [16, 32, 64, 128]))
        for (const rr of [4, 8])
          for (const rows of [128, 256, 512, 1024]) {
            const s: WresShape = { rows, cols, dtile, tk: op.c, rr, rb: 4, pipeline: true, sk };
            if (wresValid(op, s, limits)) out.push(s);
          }
  return out;
}

/** The kernel of a `wres` schedule (`schedule`: the whole ks-dtiled schedule, recorded as it is). */
export function emitWres(op: KsOp, schedule: WresShape & Schedule, ctx: KernelContext): EmittedKernel {
  const { rows: RW, cols: TB, dtile: TD, rr: RR, rb: RB } = schedule;
  const SK = splits(schedule);
  const KP = op.c / SK;
  const T = wresThreads(schedule);
  const { ep, n, inSize, outSize, wOff, biasOff } = opOperands(op, ctx);
  const st = ctx.storage;
  const { a, b, c, d } = op;
  invariant(inSize % 4 === 0, 'ks-dtiled wres: source rows must be multiples of 4 elements');
  const wVec = wOff % 4 === 0;
  const views = { src: true, dst: false, params: wVec };
  const nbt = b / TB;
  const ndt = d / TD;
  const perRowTile = a * ndt * nbt;
  const NB = TB / RB;
  const xs = `${ep}_xs`;
  const ps = `${ep}_ps`;
  const L = layout(schedule);
  const V = TD / 4;
  // The vec4 of rows 4·rq .. 4·rq + 3 of γ k and δ dd in half `buf`.
  const xSlot = (k: U32Expr, rq: U32Expr, dd: U32Expr) => `${xs}[${sum(mul('buf', L.half), mul(k, L.plane), mul(rq, L.group), dd)}]`;

  // The source of rows at..at + rr: every γ, dtile δ; a (row, γ)'s δ are one run of V vec4s.
  const srcCopy: StagedCopy = {
    count: RR * c * V,
    register: 'vec4<f32>',
    item: () => [`let dv = ${mod('e', V)};`, `let r = ${mod(div('e', V), RR)};`, `let k = ${div('e', V * RR)};`],
    load: (v, at) => [
      `${v} = ${toF32(st, `${n.src}[${sum(div(sum(mul(`min(${sum('row0', at, 'r')}, batch - 1u)`, inSize), mul('alpha', c * d), mul('k', d), 'delta0'), 4), 'dv')}]`, true)};`,
    ],
    store: (v) => LANES.map((l, q) => `${xSlot('k', 'r / 4u', sum('dv * 4u', u(q)))}[r % 4u] = ${v}.${l};`),
  };
  const stage = staging('pf', T, [srcCopy]);

  // W[α·d + δ, β_j, γ part h] as c/(4·sk) vec4s per β, loaded once.
  const betaOf = (j: number): U32Expr => sum('beta0', 'tb', u(j * NB));
  const wAt = (j: number, g: number): U32Expr => sum(u(wOff), mul(sum(mul(sum(mul('alpha', d), 'delta'), b), betaOf(j)), c), mul('h', KP), u(4 * g));
  const wName = (j: number, g: number) => `w${j}_${g}`;
  const resident: string[] = [];
  for (let j = 0; j < RB; j++)
    for (let g = 0; g < KP / 4; g++) {
      const at = wAt(j, g);
      const value = wVec ? toF32(st, `${n.params}[${div(at, 4)}]`, true) : `vec4<f32>(${[0, 1, 2, 3].map((q) => toF32(st, `${n.params}[${sum(at, u(q))}]`, false)).join(', ')})`;
      resident.push(`let ${wName(j, g)} = ${value};`);
    }
  const logical = (j: number): U32Expr => sum(mul('alpha', b * d), mul(betaOf(j), d), 'delta');
  // The bias of each β, in storage type (epilogueWrite converts it).
  const biases: string[] = biasOff === undefined ? [] : Array.from({ length: RB }, (_, j) => `let bias${j} = ${scalarAt(n.params, wVec, sum(u(biasOff), logical(j)))};`);

  const acc = (rq: number, j: number) => `acc_${rq}_${j}`;
  // One chunk from row `at`: its multiply-adds, then its results (row at + 4·rq + q is lane q of acc_rq_j).
  const chunk = (at: U32Expr): string[] => {
    const lines: string[] = [];
    for (let rq = 0; rq < RR / 4; rq++) for (let j = 0; j < RB; j++) lines.push(`var ${acc(rq, j)} = vec4<f32>(0.0);`);
    for (let k = 0; k < KP; k++)
      for (let rq = 0; rq < RR / 4; rq++) {
        lines.push(`{ let x = ${xSlot(sum(mul('h', KP), u(k)), u(rq), 'dd')};`);
        for (let j = 0; j < RB; j++) lines.push(`  ${acc(rq, j)} = fma(x, vec4<f32>(${wName(j, k >> 2)}.${LANES[k & 3]}), ${acc(rq, j)});`);
        lines.push('}');
      }
    lines.push(...combinedParts(ps, Array.from({ length: (RR / 4) * RB }, (_, i) => acc(Math.floor(i / RB), i % RB)), SK, TD * NB));
    const results: string[] = [];
    for (let rq = 0; rq < RR / 4; rq++)
      for (let q = 0; q < 4; q++) {
        results.push(`{ let row = ${sum('row0', at, u(rq * 4 + q))};`, '  if (row < batch) {');
        for (let j = 0; j < RB; j++) {
          const write = epilogueWrite({ storage: st, dst: n.dst, at: sum(mul('row', outSize), logical(j)), value: `${acc(rq, j)}.${LANES[q]}`, vec4: false, accumulate: op.accumulate, ...(biasOff === undefined ? {} : { bias: [`bias${j}`] }) });
          results.push(`    ${write}`);
        }
        results.push('  }', '}');
      }
    return [...lines, 'if (h == 0u) {', ...results.map((l) => `  ${l}`), '}'];
  };
  const body = [
    ...ksTileOrigin({ perRowTile, rows: RW, cols: TB, dtile: TD, nbt, ndt, fastest: 'beta' }),
    `let dd = ${mod('lid', TD)};`,
    `let tb = ${mod(div('lid', TD), NB)};`,
    `let h = ${div('lid', TD * NB)};`,
    `let slot = ${mod('lid', TD * NB)};`,
    'let delta = delta0 + dd;',
    ...resident,
    ...biases,
    // Rows past the batch are not walked (a small batch's last workgroup of rows rows).
    ...doubleBufferedLoop(stage, RW, RR, chunk, true, 'batch - row0'),
  ];
  return tiledKernel({
    entryPoint: ep,
    storage: st,
    views,
    workgroupVars: [`var<workgroup> ${xs}: array<vec4<f32>, ${2 * L.half}>;`, `var<workgroup> ${ps}: array<vec4<f32>, ${partialVec4s(schedule)}>;`],
    threads: T,
    body,
    rowsPerWorkgroup: RW,
    workgroupsPerRowTile: perRowTile,
    schedule,
    ops: [ctx.opIndex],
  });
}

/**
 * The partial sums of the reduction split over `parts` groups of invocations: the invocation of part `h` and slot
 * `slot` (WGSL names) holds the vec4 accumulators `accs`; parts 1.. put theirs in the workgroup array `ps`
 * ((parts − 1) · accs.length · slots vec4s; accumulator i of part p + 1 at (p · accs.length + i) · slots + slot, so
 * consecutive lanes write consecutive vec4s), one barrier, and part 0 adds them. Part 0 reads them before any
 * invocation passes the next chunk's barrier (doubleBufferedLoop), after which they are written again.
 */
function combinedParts(ps: string, accs: readonly string[], parts: number, slots: number): string[] {
  const at = (p: U32Expr, i: number) => `${ps}[${sum(mul(sum(mul(p, accs.length), u(i)), slots), 'slot')}]`;
  const out = ['if (h > 0u) {', ...accs.map((a, i) => `  ${at('h - 1u', i)} = ${a};`), '}', 'workgroupBarrier();', 'if (h == 0u) {'];
  for (let p = 0; p < parts - 1; p++) out.push(...accs.map((a, i) => `  ${a} += ${at(u(p), i)};`));
  out.push('}');
  return out;
}
