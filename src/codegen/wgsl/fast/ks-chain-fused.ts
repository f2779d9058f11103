/**
 * `ks-chain-fused`: a run of Kronecker-sparse factors with square blocks and identity index maps
 * (butterfly levels, Monarch factors of any order) in ONE dispatch.
 *
 * Such a factor K(a, r, r, d) mixes one mixed-radix digit of the row index, the one of place
 * value d and radix r: index = α·(r·d) + β·d + δ. When the digit boundaries {d, d·r} of all the
 * run's factors have a common refinement (sorted, each divides the next), the run mixes only the
 * union of their digits; the positions that agree on every other digit form a closed TILE of S
 * positions (the product of the mixed digits' radices), and the run maps each tile to itself.
 * A tile's positions are pure index arithmetic: the un-mixed digits give its base, each mixed
 * digit adds digit × place value. Butterfly radix 2, n = 4096: levels 0..5 make tiles of 64
 * contiguous elements, levels 6..11 tiles of 64 with stride 64.
 *
 * A workgroup owns `rows` batch rows × `tiles` tiles that differ only in the lowest un-mixed
 * digit (only when that digit has place value 1: then the tiles interleave, and global loads and
 * stores are runs of `tiles` contiguous elements). It loads them into workgroup memory once
 * (local index l·tiles + j: tile digits l, tile j), then applies every factor there: each thread
 * computes `rowsPerThread` rows × `outputsPerThread` outputs of one block from the block's r
 * inputs per row, in registers; barrier; writes them back in place; barrier. The last factor
 * writes global memory instead, with the single-op kernels' epilogue (accumulate, bias). Weights
 * come straight from the params buffer (r·r per block, reused by the thread's rows).
 */
import type { KsOp, Op } from '../../../ir/ir.js';
import { invariant } from '../../../util/assert.js';
import { highestScoring, knob, type RunFamily } from '../family.js';
import type { EmittedKernel, Schedule, TargetLimits } from '../kernel.js';
import { binding, div, kernelNames, load, mod, mul, paramOffset, rowSize, storeOutput, sum, u, type KernelContext } from '../scaffold.js';
import { blockedSum } from '../reduction.js';
import { tiledKernel } from './wgsl-text.js';
import type { U32Expr } from '../u32.js';

/** A run of digits of the row index: place value, radix, and (mixed digits) place in the tile. */
interface DigitGroup {
  readonly place: number;
  readonly size: number;
  /** Place value within the tile's local index (mixed groups only). */
  readonly local: number;
}

/** What the run does to a row, independent of the schedule. */
export interface ChainShape {
  /** Elements per row (every factor maps n to n). */
  readonly n: number;
  /** Positions per tile: the product of the mixed digits' radices. */
  readonly tile: number;
  /** Maximal runs of mixed digits, ascending place value. */
  readonly mixed: readonly DigitGroup[];
  /** Maximal runs of un-mixed digits, ascending place value (their `local` is unused: 0). */
  readonly free: readonly DigitGroup[];
  /** The radix of the un-mixed digits of place value 1 (1 when that digit is mixed): tiles a workgroup may interleave. */
  readonly lowFree: number;
  /** Per factor: its radix and its digit's place value in the tile's local index. */
  readonly factors: readonly { readonly radix: number; readonly local: number }[];
}

const isKs = (op: Op): op is KsOp => op.kind === 'ks';

/**
 * The run's shape when this family computes it: two or more ks ops with square blocks of at
 * least 2 × 2 and identity maps, each reading the previous one's result, only the last accumulating or adding a
 * bias, digits with a common refinement. (Which buffers the program lets it skip: families.ts.)
 */
export function chainShape(ops: readonly Op[]): ChainShape | undefined {
  if (ops.length < 2 || !ops.every(isKs)) return undefined;
  const n = ops[0].a * ops[0].b * ops[0].d;
  // Radix 1 (a diagonal scaling) mixes no digit: there is no tile place for it, and nothing to gain.
  const square = ops.every((op) => op.b === op.c && op.b > 1 && op.a * op.b * op.d === n && op.input.steps.length === 0 && op.output.steps.length === 0);
  const chained = ops.every((op, k) => k === 0 || op.src === ops[k - 1].dst);
  const inner = ops.slice(0, -1);
  const clean = inner.every((op) => !op.accumulate && !op.bias);
  if (!square || !chained || !clean) return undefined;

  const bounds = [...new Set([1, n, ...ops.flatMap((op) => [op.d, op.d * op.b])])].sort((x, y) => x - y);
  if (bounds.some((b, i) => i > 0 && b % bounds[i - 1] !== 0)) return undefined;
  const isMixed = (place: number) => ops.some((op) => op.d <= place && place < op.d * op.b);
  const mixed: DigitGroup[] = [];
  const free: DigitGroup[] = [];
  let tile = 1;
  for (let i = 0; i + 1 < bounds.length; i++) {
    const [place, size] = [bounds[i], bounds[i + 1] / bounds[i]];
    const groups = isMixed(place) ? mixed : free;
    const prev = groups[groups.length - 1];
    // Adjacent digits of the same kind are one wider digit.
    if (prev && prev.place * prev.size === place) groups[groups.length - 1] = { ...prev, size: prev.size * size };
    else groups.push({ place, size, local: groups === mixed ? tile : 0 });
    if (groups === mixed) tile *= size;
  }
  const localPlace = (place: number) => {
    const g = mixed.find((m) => m.place <= place && place < m.place * m.size)!;
    return g.local * (place / g.place);
  };
  return {
    n,
    tile,
    mixed,
    free,
    lowFree: free[0]?.place === 1 ? free[0].size : 1,
    factors: ops.map((op) => ({ radix: op.b, local: localPlace(op.d) })),
  };
}

export interface KsChainSchedule extends Schedule {
  readonly family: 'ks-chain-fused';
  readonly rows: number;
  readonly tiles: number;
  readonly rowsPerThread: number;
  readonly outputsPerThread: number;
  readonly workgroupSize: number;
}

/** Register budget: results a thread holds between a factor's compute and its write-back. */
const MAX_VALUES_PER_THREAD = 32;

/** Outputs per thread of a factor of radix r: the largest divisor of r not above the knob. */
function outputsFor(radix: number, knobValue: number): number {
  let o = Math.min(radix, knobValue);
  while (radix % o !== 0) o--;
  return o;
}

interface ChainTiling {
  readonly rows: number;
  readonly tiles: number;
  readonly rowsPerThread: number;
  readonly threads: number;
  /** Elements staged per workgroup: rows × tile × tiles. */
  readonly elements: number;
  /** Per factor: outputs per thread, work items (one per thread and pass), passes. */
  readonly factors: readonly { readonly outputs: number; readonly items: number; readonly passes: number }[];
}

function chainTiling(shape: ChainShape, s: KsChainSchedule): ChainTiling {
  const { rows, tiles, rowsPerThread, outputsPerThread, workgroupSize: threads } = s;
  const elements = rows * shape.tile * tiles;
  const factors = shape.factors.map(({ radix }) => {
    const outputs = outputsFor(radix, outputsPerThread);
    const items = elements / (rowsPerThread * outputs);
    return { outputs, items, passes: Math.ceil(items / threads) };
  });
  return { rows, tiles, rowsPerThread, threads, elements, factors };
}

function validTiling(shape: ChainShape, t: ChainTiling, limits: TargetLimits): boolean {
  return (
    t.rows % t.rowsPerThread === 0 &&
    shape.lowFree % t.tiles === 0 &&
    t.threads <= limits.maxWorkgroupSize &&
    4 * t.elements <= limits.maxWorkgroupStorageBytes &&
    // Every thread has work in every factor, and its results fit the register budget.
    t.factors.every((f) => f.items >= t.threads && f.passes * t.rowsPerThread * f.outputs <= MAX_VALUES_PER_THREAD)
  );
}

function chainCandidates(ops: readonly Op[], limits: TargetLimits): KsChainSchedule[] {
  const shape = chainShape(ops);
  if (!shape) return [];
  const radices = shape.factors.map((f) => f.radix);
  // outputsPerThread values that change some factor's outputs (2 and 4 are the same for radix 2).
  const outputKnobs = [1, 2, 4].filter((o, i, all) => i === 0 || radices.some((r) => outputsFor(r, o) !== outputsFor(r, all[i - 1])));
  const out: KsChainSchedule[] = [];
  for (const tiles of [1, 2, 4, 8, 16, 32])
    for (const rows of [1, 2, 4, 8, 16, 32, 64])
      for (const rowsPerThread of [1, 2, 4])
        for (const outputsPerThread of outputKnobs)
          for (const workgroupSize of [64, 128, 256, 512, 1024]) {
            const s: KsChainSchedule = { family: 'ks-chain-fused', rows, tiles, rowsPerThread, outputsPerThread, workgroupSize };
            if (validTiling(shape, chainTiling(shape, s), limits)) out.push(s);
          }
  return out;
}

/**
 * The default: interleave up to 8 tiles (32-byte runs in global memory), stage about 2048
 * elements (8 KiB: room for several workgroups per multiprocessor), 256 threads, 2 × 2 register
 * tiles.
 */
function chainDefaultSchedule(ops: readonly Op[], limits: TargetLimits): KsChainSchedule | undefined {
  const shape = chainShape(ops);
  const all = chainCandidates(ops, limits);
  if (!shape || all.length === 0) return undefined;
  const score = (s: KsChainSchedule) => {
    const t = chainTiling(shape, s);
    return (
      (t.tiles === Math.min(8, shape.lowFree) ? 1000 : 0) -
      10 * Math.abs(Math.log2(t.elements / 2048)) +
      (t.threads === Math.min(256, limits.maxWorkgroupSize) ? 5 : 0) +
      (s.rowsPerThread === 2 ? 2 : 0) +
      (s.outputsPerThread === 2 ? 1 : 0)
    );
  };
  return highestScoring('ks-chain-fused', 'the run', all, score);
}

/** `(expr / below) % size`, leaving out what is the identity. */
function digitOf(expr: U32Expr, below: number, size: number, total: number): U32Expr {
  const shifted = div(expr, below);
  return below * size === total ? shifted : mod(shifted, size);
}

function emitChain(opsIn: readonly Op[], schedule: KsChainSchedule, ctx: KernelContext): EmittedKernel {
  const shape = chainShape(opsIn);
  const ops = opsIn.filter(isKs);
  invariant(shape && ops.length === opsIn.length, 'ks-chain-fused: the ops do not form a fusable run');
  const t = chainTiling(shape, schedule);
  const { rows: R, tiles: TT, rowsPerThread: RR, threads: T } = t;
  const { n: N, tile: S } = shape;
  const ep = ctx.entryPoint;
  const names = kernelNames(ep);
  const sh = `${ep}_tile`;
  const SE = S * TT;
  const inSize = rowSize(ctx, ops[0].src);
  const outSize = rowSize(ctx, ops[ops.length - 1].dst);
  const tilesPerRow = N / SE;

  const rowTile = binding('row_tile', div('group', tilesPerRow));
  const tile = binding('tile', mod('group', tilesPerRow));
  // The workgroup's tiles: its un-mixed digits, the lowest free digit counted in steps of TT.
  let below = 1;
  const baseTerms = shape.free.flatMap((g) => {
    const count = g.place === 1 ? g.size / TT : g.size;
    if (count === 1) return [];
    const term = mul(digitOf(tile.ref, below, count, tilesPerRow), g.place === 1 ? TT : g.place);
    below *= count;
    return [term];
  });
  const tileBase = binding('tile_base', sum(...baseTerms));
  /** Global position (within the row) of tile digit vector `l` of interleaved tile `j`. */
  const globalOf = (l: U32Expr, j: U32Expr) => sum(tileBase.ref, j, ...shape.mixed.map((g) => mul(digitOf(l, g.local, g.size, S), g.place)));
  // Element e of the staged tiles: row r, tile digits l, interleaved tile j (TT divides SE).
  const stagedJ = binding('j', mod('e', TT));

  const body: string[] = [
    ...rowTile.decl,
    ...tile.decl,
    `let row0 = ${mul(rowTile.ref, R)};`,
    ...tileBase.decl,
    `for (var e = lid; e < ${u(t.elements)}; e += ${u(T)}) {`,
    `  let r = ${div('e', SE)};`,
    `  let l = ${div(mod('e', SE), TT)};`,
    ...stagedJ.decl.map((l) => `  ${l}`),
    `  ${sh}[e] = ${load(ctx, names.src, sum(mul('min(row0 + r, batch - 1u)', inSize), globalOf('l', stagedJ.ref)))};`,
    `}`,
    `workgroupBarrier();`,
  ];

  ops.forEach((op, k) => {
    const { radix: r, local: dl } = shape.factors[k];
    const { outputs: O, items, passes } = t.factors[k];
    const lastFactor = k === ops.length - 1;
    const w = paramOffset(ctx, op.weight);
    const bias = op.bias ? paramOffset(ctx, op.bias) : undefined;
    const v = (p: number, i: number, b: number) => `v${p}_${i}_${b}`;
    const step = dl * TT;
    // Work item `it`: interleaved tile j, block blk, output group og, row group rg.
    const j = binding('j', mod('it', TT));
    const q = binding('q', div('it', TT));
    const blk = binding('blk', mod(q.ref, S / r));
    const og = binding('og', mod(div(q.ref, S / r), r / O));
    const rg = binding('rg', div(q.ref, (S / r) * (r / O)));
    // The block's first tile position: the factor's digit 0.
    const l0 = binding('l0', sum(mul(div(blk.ref, dl), r * dl), mod(blk.ref, dl)));
    const e0 = binding('e0', sum(mul(rg.ref, RR * SE), mul(l0.ref, TT), j.ref));
    const g0 = binding('g0', globalOf(l0.ref, j.ref));
    // W[α·d + δ, β, γ] with α·d + δ the global position without the factor's digit.
    const wbase = binding('wbase', sum(u(w), mul(sum(mul(div(g0.ref, r * op.d), op.d), mod(g0.ref, op.d)), r * r), mul(og.ref, O * r)));
    const row = (i: number) => sum('row0', mul(rg.ref, RR), u(i));
    // One γ of the block: each row's input, each output's weight, the multiply-adds.
    const macs = (p: number, gamma: U32Expr) => [
      ...Array.from({ length: RR }, (_, i) => `let x${i} = ${sh}[${sum(e0.ref, u(i * SE), mul(gamma, step))}];`),
      ...Array.from({ length: O }, (_, b) => `let w${b} = ${load(ctx, names.params, sum(wbase.ref, u(b * r), gamma))};`),
      ...Array.from({ length: RR }, (_, i) => Array.from({ length: O }, (_, b) => `${v(p, i, b)} = fma(w${b}, x${i}, ${v(p, i, b)});`)).flat(),
    ];
    const sums = (p: number) => Array.from({ length: RR }, (_, i) => Array.from({ length: O }, (_, b) => ({ name: v(p, i, b), zero: '0.0' }))).flat();
    const reduction = (p: number) =>
      r <= 8
        ? Array.from({ length: r }, (_, g) => ['{', ...macs(p, u(g)).map((l) => `  ${l}`), '}']).flat()
        : blockedSum({ name: 'gm', count: r, step: 1, accumulators: sums(p), loop: (from, to) => [`for (var gm = ${from}; gm < ${to}; gm++) {`, ...macs(p, 'gm').map((l) => `  ${l}`), '}'] });
    const epilogue = (p: number) =>
      Array.from({ length: RR }, (_, i) => [
        `if (${row(i)} < batch) {`,
        `  let row_base = ${mul(row(i), outSize)};`,
        ...Array.from({ length: O }, (_, b) => {
          const index = sum(g0.ref, mul(sum(mul(og.ref, O), u(b)), op.d));
          return `  ${storeOutput(ctx, { rowBase: 'row_base', index, value: v(p, i, b), accumulate: op.accumulate, bias: bias === undefined ? undefined : { offset: bias, index } })}`;
        }),
        `}`,
      ]).flat();
    const compute = (p: number) => [
      `{`,
      `  let it = ${sum('lid', u(p * T))};`,
      `  if (it < ${u(items)}) {`,
      ...[
        ...[j, q, blk, og, rg, l0, e0, g0, wbase].flatMap((x) => x.decl),
        ...reduction(p),
        ...(lastFactor ? epilogue(p) : [`at${p} = ${sum(e0.ref, mul(og.ref, O * step))};`]),
      ].map((l) => `    ${l}`),
      `  }`,
      `}`,
    ];
    const writeBack = (p: number) => [
      `if (${sum('lid', u(p * T))} < ${u(items)}) {`,
      ...Array.from({ length: RR }, (_, i) => Array.from({ length: O }, (_, b) => `  ${sh}[${sum(`at${p}`, u(i * SE + b * step))}] = ${v(p, i, b)};`)).flat(),
      `}`,
    ];
    const passList = Array.from({ length: passes }, (_, p) => p);
    body.push(
      `{ // factor ${k}: radix ${r}, tile place ${dl}`,
      ...passList.flatMap((p) => [
        ...Array.from({ length: RR }, (_, i) => Array.from({ length: O }, (_, b) => `  var ${v(p, i, b)} = 0.0;`)).flat(),
        ...(lastFactor ? [] : [`  var at${p} = 0u;`]),
      ]),
      ...passList.flatMap(compute).map((l) => `  ${l}`),
      ...(lastFactor ? [] : ['  workgroupBarrier();', ...passList.flatMap(writeBack).map((l) => `  ${l}`), '  workgroupBarrier();']),
      `}`,
    );
  });

  return tiledKernel({
    entryPoint: ep,
    storage: ctx.storage,
    views: { params: false, src: false, dst: false },
    workgroupVars: [`var<workgroup> ${sh}: array<f32, ${t.elements}>;`],
    threads: T,
    body,
    rowsPerWorkgroup: R,
    workgroupsPerRowTile: tilesPerRow,
    schedule,
    ops: ops.map((_, k) => ctx.opIndex + k),
  });
}

export const ksChainFused: RunFamily<KsChainSchedule> = {
  name: 'ks-chain-fused',
  applies: (ops) => chainShape(ops) !== undefined,
  defaultSchedule: chainDefaultSchedule,
  candidates: chainCandidates,
  decode: (s: Schedule) => ({ family: 'ks-chain-fused', rows: knob(s, 'rows'), tiles: knob(s, 'tiles'), rowsPerThread: knob(s, 'rowsPerThread'), outputsPerThread: knob(s, 'outputsPerThread'), workgroupSize: knob(s, 'workgroupSize') }),
  emit: emitChain,
};
