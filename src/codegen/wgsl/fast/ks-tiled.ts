/**
 * `ks-tiled`: the Kronecker-sparse factor K(a,b,c,d) as a batched GEMM with register tiling.
 *
 * K(a,b,c,d) is a·d independent GEMMs: for a group (α, δ), Out[row, β] = Σ_γ W[α·d+δ, β, γ] ·
 * Src[row, α·c·d + γ·d + δ]. A workgroup computes a tile of `rows` batch rows × `cols` outputs β
 * × `dtile` consecutive δ of one α; each thread holds `rr` rows × `rb` β in registers (vec4
 * accumulators). The reduction over γ runs in chunks of `tk`: each chunk of Src and W is staged in
 * workgroup memory (rows and β contiguous, so the inner loop reads vec4s), then every thread does
 * rr·rb multiply-adds per γ from registers. Global loads and stores use vec4 where the layout
 * allows (contiguous γ / β, identity index maps, aligned sizes) when the `vec4` knob is on.
 * Dense `y = W x` is K(1, m, n, 1), so this family is also the tiled dense matmul.
 *
 * With `ilv` (session 10) a thread's rows and β are interleaved by vec4 (row vec4s tr, tr +
 * rows/rr, ...; likewise β) rather than consecutive, so the vec4s a warp reads in the inner loop
 * are neighbours (one shared-memory wavefront for 8 of them, where 8x8 tiles read every other vec4
 * and conflict 2-way) and its vec4 stores are contiguous runs.
 *
 * With `pad` (session 10) each line of the staged tiles (a γ of the rows, a γ of the β) is 4 words
 * longer, so the two γ vec4 runs a staging warp writes at once (chunks of 8 γ) land in different
 * banks: the default's staging stores conflict 2-way without it.
 *
 * With `pl` (session 11; offered with `pad`) the staged tiles are declared as arrays of planes
 * (one γ of one δ: array<array<vec4<f32>, line / 4>, planes>) rather than flat arrays. WebGPU
 * clamps every workgroup-array index at run time; a flat index k·line + tr + c changes with γ, so
 * each operand read of the inner loop pays for its own clamp, while the line index tr + c of a
 * plane is the same for every γ (the clamp leaves the loop) and the plane index is the unrolled
 * γ itself where a workgroup holds one δ.
 *
 * With `rt` (session 16; a number, absent = 1; twins of the written-out 8x8 tiles where γ ≤ 256)
 * each workgroup takes rt row tiles in turn as one staged loop (row-tiles.ts), so a tile's first
 * loads and last stores overlap its neighbour's work. It asked why n = 4096's first factor (γ = 64,
 * 4 chunks a workgroup) runs at about half the FP32 peak where γ = 1024 reaches two thirds with the
 * same tiles; the answer was not that (H100, s16 call 2, bench/results/s16/call-2: n=4096 the
 * default 0.2673 ms, rt 4 0.2621, rt 2 0.2640; n=16384 0.4311, rt 4 0.4487, rt 2 0.4522): a
 * tuner candidate, not a default. The 8x16 / 16x8 register tiles timed beside it (a CUDA SGEMM's
 * tile) lost at both sizes (n=4096 0.2903-0.3356, n=16384 0.4727-0.4979) and left with the call.
 *
 * Session 18 asked whether longer chunks help: a chunk's source staging reads tk·4-byte runs of each
 * row, and the runs probe (bench/roofline.ts, s17 call 3) priced f32 runs of 64 / 128 / 256 bytes at
 * 0.2300 / 0.2075 / 0.1959 ms, where n = 4096's default (chunks of 16, 64-byte runs) takes 0.267.
 * Written out (ku), longer chunks lost everywhere and by far (H100, s18 call 2,
 * bench/results/s18/call-2): n=4096 chunks of 32 0.4480-0.5482 (with rt 4 / 2, alone, unpipelined),
 * of 64 (128 × 64 unpadded, 48 KiB) 0.6036-0.6716, 64 × 64 and 128 × 32 tiles 0.66-1.17 against
 * 0.2673; n=16384 chunks of 32 0.5038 (128 × 128) against 0.4345, of 64 1.17-1.91; 1024->4096 and
 * 4096->1024 chunks of 32 0.2507 / 0.8646 against 0.2213 / 0.8090. The chunks of 64 left the
 * candidates with the call (code at 173c9de); chunks of 32 were candidates before and stay. Run
 * length and written-out length grew together there, so call 3 staged the chunks wide and computed
 * them in a loop of steps of 16 written-out γ (`kb` 16, session 14's form; code at 9096678): they
 * lost too (H100, s18 call 3, bench/results/s18/call-3: n=4096 chunks of 32 0.4130, of 64
 * 0.5356-0.5957 against 0.2715; n=16384 chunks of 32 0.5274, 0.6075 unpipelined, against 0.4396)
 * and left with the call. The loss comes with the staged chunk's size itself (more staging
 * registers or a longer stretch between barriers: not located), so the 64-byte runs' price cannot
 * be read off this kernel's chunk length.
 *
 * Session 19 grew the runs alone (`pr`: both copies fetched as runs of two chunks, 128 bytes at
 * chunks of 16, at every other chunk into twice the prefetch registers, each chunk storing its half;
 * code at 3be1157, paired-runs.ts). Pipelined it lost everywhere (H100, s19 call 2,
 * bench/results/s19/call-2): n=4096 0.3200 against 0.2665, n=16384 0.6656 against 0.4337, 1024->4096
 * 0.3214 against 0.2220, 4096->1024 1.1787 against 0.8088. Unpipelined it beat the unpipelined
 * default (n=4096 0.3029 vs 0.3373, n=16384 0.5245 vs 0.5445), but there half the chunks wait on no
 * load at all, so that gain does not price the runs either; both stayed far behind the pipelined
 * default. The prefetch registers are what the longer runs cost here, as the longer chunks' were.
 *
 * Session 20's 12x8 register tiles (192 rows for the 128-row default's invocations, 96 accumulators:
 * 11% fewer operand floats per output at n = 4096, 17% at n = 16384 and 4096->1024) tied or lost (H100,
 * s20 call 2, bench/results/s20/call-2; code at 6a0a88a): n=4096 0.2659 at chunks of 8 and 0.2907 at 16
 * against 0.2656; n=16384 0.5328 / 0.5332 against 0.4337; 4096->1024 0.9933 against 0.8088. Where a
 * workgroup of 256 invocations then holds a SM alone (8 warps) they lose by a quarter. rt 4 at n=4096
 * 0.2635 (-0.8%, s16 -1.9%): within the noise of one call, so no default moved.
 *
 * Session 29 tried on d = 1 what won on the strided factor (ks-dtiled's `wres` with `sk`): W resident in registers, ab
 * α blocks a workgroup, the reduction split over sk invocations of 4 consecutive β, rows streamed in chunks staged as
 * the whole runs of ab · c floats they are read as (code at 6d5b687, ks-tiled-wres.ts). It lost at every shape (H100,
 * s29 call 1, bench/results/s29/call-1/perf2): n = 4096 (B = 16384) the default 0.2687 ms against 0.3009 at best (ab 4,
 * sk 2, chunks of 4 rows, 512 rows), 0.3310-0.3440 with ab 8, 0.3759-0.4130 split in 4, 0.5584-0.5613 in chunks of
 * 8 rows; n = 16384 (B = 4096) 0.4344 against 0.5929-0.6179; n = 4096 at B = 4096 0.0882 against 0.1006-0.1639.
 * Both forms feed 16 multiply-adds a shared vec4 read; the resident one adds a second barrier a chunk (the split sums),
 * leaves half its invocations idle while part 0 stores, and holds one or two workgroups a SM under W's 128 registers
 * (chunks of 8 rows, 32 more accumulators, doubled its time: spills, not verified). So W's traffic is not what bounds
 * the contiguous factor; what does is still not located. The form left with the call.
 */
import type { KsOp } from '../../../ir/ir.js';
import { KS_TILED_SHAPES, shapeDistance } from '../defaults.js';
import { dividing, flag, highestScoring, knob, presentFlags, type KernelFamily } from '../family.js';
import { applyIndexMap, renderIndex, rowMajor } from '../index-map.js';
import type { EmittedKernel, Schedule, TargetLimits } from '../kernel.js';
import { div, mod, mul, sum, u, type KernelContext } from '../scaffold.js';
import { chunkSteps, vec4Accumulators } from './staged-sum.js';
import { ROW_TILES_UP_TO, rowTiles } from './row-tiles.js';
import { epilogueWrite, LANES, scalarAt, staging, toF32, transposedTile, type StagedCopy, tiledKernel } from './wgsl-text.js';
import { opOperands } from './operands.js';
import { registerTileKnobs, type RegisterTileKnobs } from './register-tile-knobs.js';
import type { U32Expr } from '../u32.js';
import { BLOCKED_SUM_FROM } from '../reduction.js';

export interface KsTiledSchedule extends Schedule, RegisterTileKnobs {
  readonly family: 'ks-tiled';
  readonly vec4: boolean;
  /** Fetch the next reduction chunk into registers while multiplying the current one. */
  readonly pipeline: boolean;
  // Optional: `ilv`, `pad` and `pl` (flags; absent = off, what every schedule before them had):
  // register tiles interleaved by vec4, staged lines padded, staged tiles declared as arrays of
  // planes (above). Session 11's `db` (two copies of the staged tiles, one barrier per chunk) lost
  // wherever the H100 timed it and left the candidates in session 12. With pl, `ku` (a flag, session
  // 12): each chunk's γ written out (staged-sum.ts chunkSteps). `rt` (a number, session 16): row
  // tiles per workgroup (above).
}

function rowTileCount(s: KsTiledSchedule): number {
  return typeof s.rt === 'number' ? s.rt : 1;
}

/** Derived sizes of a schedule. */
interface Tiling extends RegisterTileKnobs {
  readonly threads: number;
  /** Words per staged line: rows (source) and cols (weights), padded by 4 with `pad`. */
  readonly xLine: number;
  readonly wLine: number;
  readonly sharedBytes: number;
}

function tiling(s: KsTiledSchedule): Tiling {
  const { rows, cols, dtile, tk, rr, rb } = s;
  const threads = dtile * (rows / rr) * (cols / rb);
  const extra = s.pad === true ? 4 : 0;
  const [xLine, wLine] = [rows + extra, cols + extra];
  return { rows, cols, dtile, tk, rr, rb, threads, xLine, wLine, sharedBytes: 4 * tk * dtile * (xLine + wLine) };
}

function valid(op: KsOp, s: KsTiledSchedule, limits: TargetLimits): boolean {
  const t = tiling(s);
  return (
    t.rows % t.rr === 0 &&
    t.cols % t.rb === 0 &&
    t.rr % 4 === 0 &&
    t.rb % 4 === 0 &&
    op.d % t.dtile === 0 &&
    t.threads >= 32 &&
    t.threads <= limits.maxWorkgroupSize &&
    t.sharedBytes <= limits.maxWorkgroupStorageBytes &&
    // Several row tiles need whole chunks per tile and a reduction summed in one run (row-tiles.ts).
    (rowTileCount(s) === 1 || (op.c % t.tk === 0 && op.c <= BLOCKED_SUM_FROM))
  );
}

/** Powers of two from 4 up to the first one covering n (a tile wider than the op wastes lanes). */
function coveringPowers(n: number, max: number): number[] {
  const out: number[] = [];
  for (let p = 4; p <= max; p *= 2) {
    out.push(p);
    if (p >= n) break;
  }
  return out;
}

function candidates(op: KsOp, limits: TargetLimits): KsTiledSchedule[] {
  if (op.b < 4 || op.c < 4) return [];
  const out: KsTiledSchedule[] = [];
  for (const dtile of dividing(op.d, [1, 2, 4, 8]))
    for (const rows of [16, 32, 64, 128])
      for (const cols of coveringPowers(op.b, 128))
        for (const tk of coveringPowers(op.c, 32).filter((k) => k >= 4))
          for (const rr of [4, 8])
            for (const rb of [4, 8])
              for (const pipeline of [false, true]) {
                const s: KsTiledSchedule = { family: 'ks-tiled', rows, cols, dtile, tk, rr, rb, vec4: true, pipeline };
                if (valid(op, s, limits) && tiling(s).threads >= 64) out.push(s);
              }
  // The `ilv` twins last (not measured yet); with 4x4 tiles interleaving changes nothing. Then the
  // `pad` twins of both where a staging warp writes two γ runs (chunks of 8 or more).
  const interleaved = out.filter((s) => s.rr > 4 || s.rb > 4).map((s): KsTiledSchedule => ({ ...s, ilv: true }));
  const padded = [...out, ...interleaved].filter((s) => s.tk >= 8).map((s): KsTiledSchedule => ({ ...s, pad: true })).filter((s) => valid(op, s, limits));
  // Then (session 11) the staged tiles as arrays of planes (`pl`), twins of the padded ones.
  const planed = padded.map((s): KsTiledSchedule => ({ ...s, pl: true }));
  // Then (session 12) the planed ones with each chunk's γ written out (`ku`, staged-sum.ts chunkSteps).
  const unrolled = planed.map((s): KsTiledSchedule => ({ ...s, ku: true }));
  return [...out, ...interleaved, ...padded, ...planed, ...unrolled, ...rowTiled(op, limits, unrolled)];
}

/** Session 16's `rt` twins (above) of the written-out 8x8 tiles, 2 and 4 row tiles per workgroup, where the reduction is short. */
function rowTiled(op: KsOp, limits: TargetLimits, unrolled: readonly KsTiledSchedule[]): KsTiledSchedule[] {
  if (op.c > ROW_TILES_UP_TO) return [];
  const eights = unrolled.filter((s) => s.rr === 8 && s.rb === 8 && s.dtile === 1);
  return [2, 4].flatMap((rt) => eights.map((s): KsTiledSchedule => ({ ...s, rt }))).filter((s) => valid(op, s, limits));
}

/**
 * The default: the candidate nearest to the measured-best shape (defaults.ts KS_TILED_SHAPES:
 * Monarch-sized blocks, wider blocks' tile, or a long reduction's large tile), so always valid for the target and, where
 * the target is too small for the shape, the nearest one that fits.
 */
function defaultSchedule(op: KsOp, limits: TargetLimits): KsTiledSchedule {
  // A long reduction (γ ≥ largeFrom: dense layers, Monarch first factors with blocks of 128 or more) takes the large tile,
  // blocks of γ ≥ wideFrom (n=4096's) their own measured tile.
  const { large, largeFrom, wideBlocks, wideFrom, blocks } = KS_TILED_SHAPES;
  const shape = op.c >= largeFrom ? large : op.c >= wideFrom ? wideBlocks : blocks;
  // A strided factor gives each of its δ per workgroup the measured tile.
  const dtile = Math.min(op.d, 4);
  const target = { knobs: { ...shape, dtile, threads: shape.threads * dtile }, weights: KS_TILED_SHAPES.weights };
  const score = (s: KsTiledSchedule): number => -shapeDistance({ ...s, threads: tiling(s).threads }, target);
  return highestScoring('ks-tiled', `K(${op.a},${op.b},${op.c},${op.d})`, candidates(op, limits), score);
}

function isIdentity(map: { readonly steps: readonly unknown[] }): boolean {
  return map.steps.length === 0;
}

function emit(op: KsOp, schedule: KsTiledSchedule, ctx: KernelContext): EmittedKernel {
  const t = tiling(schedule);
  const { rows: TR, cols: TB, dtile: TD, tk: TK, rr: RR, rb: RB, threads: T, xLine: XL, wLine: WL } = t;
  const { ep, n, inSize, outSize, wOff, biasOff } = opOperands(op, ctx);
  const st = ctx.storage;
  const wantVec = schedule.vec4;
  const fullK = op.c % TK === 0 && TK % 4 === 0;
  const views = {
    src: wantVec && fullK && op.d === 1 && isIdentity(op.input) && inSize % 4 === 0,
    params: wantVec && fullK && wOff % 4 === 0 && op.c % 4 === 0,
    dst: wantVec && op.d === 1 && isIdentity(op.output) && op.b % 4 === 0 && outSize % 4 === 0 && (biasOff === undefined || biasOff % 4 === 0),
  };
  const RT = rowTileCount(schedule);
  const tiles = rowTiles(RT, TR, op.c);
  const nbt = Math.ceil(op.b / TB);
  const ndt = op.d / TD;
  const perRowTile = op.a * ndt * nbt;
  const inIndex = renderIndex(applyIndexMap(op.input, rowMajor([{ name: 'alpha', size: op.a }, { name: 'gamma', size: op.c }, { name: 'delta', size: op.d }])));
  const logicalOut = rowMajor([{ name: 'alpha', size: op.a }, { name: 'beta', size: op.b }, { name: 'delta', size: op.d }]);
  const outIndex = renderIndex(applyIndexMap(op.output, logicalOut));
  // The bias epilogue reads the bias at the op's logical output index (ir.ts), not where it is stored.
  const biasIndex = renderIndex(logicalOut);
  const xs = `${ep}_xs`;
  const ws = `${ep}_ws`;
  // The vec4 `line4` of staged plane `plane` (γ and δ): a flat index, or (`pl`) two.
  const planes = schedule.pl === true;
  const xRef = (plane: U32Expr, line4: U32Expr) => (planes ? `${xs}[${plane}][${line4}]` : `${xs}[${sum(mul(plane, XL / 4), line4)}]`);
  const wRef = (plane: U32Expr, line4: U32Expr) => (planes ? `${ws}[${plane}][${line4}]` : `${ws}[${sum(mul(plane, WL / 4), line4)}]`);

  const srcCopy: StagedCopy = views.src
    ? transposedTile({
        storage: st,
        buffer: n.src,
        vec4: true,
        lines: TR,
        tk: TK,
        at: (r, k, k0) => sum(mul(`min(${sum(tiles.rowOf(k0), r)}, batch - 1u)`, inSize), mul('alpha', op.c), tiles.gammaOf(k0), k),
        slot: (k, r) => `${xRef(k, div(r, 4))}[${mod(r, 4)}]`,
      })
    : {
        count: TR * TK * TD,
        register: 'f32',
        item: (k0) => [`let r = ${div('e', TK * TD)};`, `let k = ${mod(div('e', TD), TK)};`, `let dd = ${mod('e', TD)};`, `let gamma = ${sum(tiles.gammaOf(k0), 'k')};`, `let delta = delta0 + dd;`],
        load: (v, k0) => [
          `${v} = 0.0;`,
          `if (gamma < ${u(op.c)}) { let row = min(${sum(tiles.rowOf(k0), 'r')}, batch - 1u); ${v} = ${toF32(st, `${n.src}[${sum(mul('row', inSize), inIndex)}]`, false)}; }`,
        ],
        store: (v) => [`${xRef(sum(mul('k', TD), 'dd'), 'r / 4u')}[r % 4u] = ${v};`],
      };
  const wRow = (dd: U32Expr, beta: U32Expr) => sum(u(wOff), mul(sum(mul(sum(mul('alpha', op.d), 'delta0', dd), op.b), beta), op.c));
  // Line t of the weight tile is output beta0 + t % TB of group delta0 + t / TB.
  const wCopy: StagedCopy = views.params
    ? transposedTile({
        storage: st,
        buffer: n.params,
        vec4: true,
        lines: TD * TB,
        tk: TK,
        at: (t, k, k0) => sum(wRow(div(t, TB), `min(${sum('beta0', mod(t, TB))}, ${u(op.b - 1)})`), tiles.gammaOf(k0), k),
        slot: (k, t) => `${wRef(sum(mul(div(t, TB), TK), k), div(mod(t, TB), 4))}[${mod(t, 4)}]`,
      })
    : {
        count: TD * TB * TK,
        register: 'f32',
        item: () => [`let k = ${mod('e', TK)};`, `let bb = ${mod(div('e', TK), TB)};`, `let dd = ${div('e', TK * TB)};`],
        load: (v, k0) => [
          `${v} = 0.0;`,
          `if (${sum(tiles.gammaOf(k0), 'k')} < ${u(op.c)}) { ${v} = ${toF32(st, scalarAt(n.params, false, sum(wRow('dd', `min(beta0 + bb, ${u(op.b - 1)})`), tiles.gammaOf(k0), 'k')), false)}; }`,
        ],
        store: (v) => [`${wRef(sum(mul('dd', TK), 'k'), 'bb / 4u')}[bb % 4u] = ${v};`],
      };
  const stage = staging('pf', T, [srcCopy, wCopy]);

  const acc = (i: number, j: number) => `acc_${i}_${j}`;
  const accs = Array.from({ length: RR }, (_, i) => Array.from({ length: RB / 4 }, (_, j) => acc(i, j))).flat();
  // The thread's row vec4 iv and β vec4 j within the tile: consecutive, or interleaved (`ilv`).
  const ilv = schedule.ilv === true;
  const rowVec = (iv: number): U32Expr => (ilv ? sum('tr', u(iv * (TR / RR))) : sum(mul('tr', RR / 4), u(iv)));
  const betaVec = (j: number): U32Expr => (ilv ? sum('tb', u(j * (TB / RB))) : sum(mul('tb', RB / 4), u(j)));
  // The multiply-adds of one chunk.
  const compute = ((): string[] => {
    const inner: string[] = [];
    // With planes and one δ per workgroup (dd = 0) the plane is γ alone: a constant once unrolled.
    const oneDelta = planes && TD === 1;
    for (let iv = 0; iv < RR / 4; iv++) inner.push(`let a${iv} = ${xRef(oneDelta ? 'k' : sum(mul('k', TD), 'dd'), rowVec(iv))};`);
    for (let j = 0; j < RB / 4; j++) inner.push(`let b${j} = ${wRef(oneDelta ? 'k' : sum(mul('dd', TK), 'k'), betaVec(j))};`);
    for (let i = 0; i < RR; i++)
      for (let j = 0; j < RB / 4; j++) inner.push(`${acc(i, j)} = fma(vec4<f32>(a${i >> 2}.${LANES[i & 3]}), b${j}, ${acc(i, j)});`);
    return chunkSteps(TK, inner, schedule.ku === true);
  })();

  // The epilogue of the row tile from batch row `row0` (a WGSL name).
  const store = (row0: string): string[] => {
    const lines: string[] = [];
    for (let i = 0; i < RR; i++) {
      const row = ilv ? sum(row0, mul(rowVec(i >> 2), 4), u(i & 3)) : sum(row0, mul('tr', RR), u(i));
      lines.push(`if (${row} < batch) {`, `  let row = ${row};`);
      for (let j = 0; j < RB / 4; j++) {
        const beta = (q: number) => (ilv ? sum('beta0', mul(betaVec(j), 4), u(q)) : sum('beta0', mul('tb', RB), u(j * 4 + q)));
        if (views.dst) {
          const at = div(sum(mul('row', outSize), mul('alpha', op.b), 'beta'), 4);
          const bias = biasOff === undefined ? undefined : [0, 1, 2, 3].map((q) => scalarAt(n.params, views.params, sum(u(biasOff), mul('alpha', op.b), 'beta', u(q))));
          const write = epilogueWrite({ storage: st, dst: n.dst, at, value: acc(i, j), vec4: true, accumulate: op.accumulate, ...(bias ? { bias } : {}) });
          lines.push(`  { let beta = ${beta(0)}; if (beta < ${u(op.b)}) { ${write} } }`);
        } else {
          for (let q = 0; q < 4; q++) {
            const at = sum(mul('row', outSize), outIndex);
            const bias = biasOff === undefined ? undefined : [scalarAt(n.params, views.params, sum(u(biasOff), biasIndex))];
            const write = epilogueWrite({ storage: st, dst: n.dst, at, value: `${acc(i, j)}.${LANES[q]}`, vec4: false, accumulate: op.accumulate, ...(bias ? { bias } : {}) });
            lines.push(`  { let beta = ${beta(q)}; if (beta < ${u(op.b)}) { ${write} } }`);
          }
        }
      }
      lines.push('}');
    }
    return lines;
  };

  const body = [
    `let row_tile = ${div('group', perRowTile)};`,
    `let col_tile = ${mod('group', perRowTile)};`,
    `let alpha = ${div('col_tile', ndt * nbt)};`,
    `let delta0 = ${mul(mod(div('col_tile', nbt), ndt), TD)};`,
    `let beta0 = ${mul(mod('col_tile', nbt), TB)};`,
    `let row0 = ${mul('row_tile', TR * RT)};`,
    `let tb = ${mod('lid', TB / RB)};`,
    `let tr = ${mod(div('lid', TB / RB), TR / RR)};`,
    `let dd = ${div('lid', (TB / RB) * (TR / RR))};`,
    `let delta = delta0 + dd;`,
    ...accs.map((a) => `var ${a} = vec4<f32>(0.0);`),
    ...tiles.loop({ stage, tk: TK, pipelined: schedule.pipeline, compute, accumulators: vec4Accumulators(accs), epilogue: store }),
  ];
  return tiledKernel({
    entryPoint: ep,
    storage: st,
    views,
    workgroupVars: [
      planes ? `var<workgroup> ${xs}: array<array<vec4<f32>, ${XL / 4}>, ${TK * TD}>;` : `var<workgroup> ${xs}: array<vec4<f32>, ${(TK * TD * XL) / 4}>;`,
      planes ? `var<workgroup> ${ws}: array<array<vec4<f32>, ${WL / 4}>, ${TD * TK}>;` : `var<workgroup> ${ws}: array<vec4<f32>, ${(TD * TK * WL) / 4}>;`,
    ],
    threads: T,
    body,
    rowsPerWorkgroup: TR * RT,
    workgroupsPerRowTile: perRowTile,
    schedule,
    ops: [ctx.opIndex],
  });
}

export const ksTiled: KernelFamily<'ks', KsTiledSchedule> = {
  name: 'ks-tiled',
  opKind: 'ks',
  defaultSchedule,
  candidates,
  decode: (s: Schedule) => ({
    family: 'ks-tiled',
    ...registerTileKnobs(s),
    vec4: flag(s, 'vec4'),
    pipeline: flag(s, 'pipeline'),
    ...presentFlags(s, ['ilv', 'pad', 'pl', 'ku']),
    ...(s.rt === undefined ? {} : { rt: knob(s, 'rt') }),
  }),
  emit,
};
