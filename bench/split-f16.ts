/**
 * Bench-only probe (session 31, issue 11's f32 targets): f32 in and out of a contiguous Monarch factor K(a, b, c, 1)
 * on the tensor cores, the way split-precision GEMMs (cuBLAS's 3xTF32 and its kin) get f32 results from half-precision
 * multipliers. Every f32 value v is split when staged into xh (v rounded to f16's 11 significant bits) and
 * xl = f16(v - xh) (likewise W), and
 * x·w ≈ xh·wh + xh·wl + xl·wh is summed by three f16 x f16 -> f32 multiply-adds into the f32 accumulators. The dropped
 * xl·wl and the rounding of xl are about 2^-22 of each product, beside f32's own 2^-24 per product, for values whose xl
 * is a normal f16; f16's range is the catch: xh overflows above 65504 (pack2x16float is then indeterminate) and xl loses
 * bits or underflows for small values. `scale` brings the largest magnitude of each x row and W row of the workgroup
 * over the whole reduction ('row'), or of its whole x and W tiles ('tile'), to [2^14, 2^15) by a power of two taken
 * from a workgroup atomicMax of the values' bits; both scales are constant along γ, so the f32 sums are multiplied back
 * once in the epilogue (ldexp, exact). Where one staged chunk holds the whole reduction (tk = c) the maxima come from
 * the chunk's loads themselves (a barrier between them and the split stores); in chunks (tk < c) from a pre-scan of
 * the workgroup's x rows and W rows (read twice: the loop's reads then come mostly from L2). Not a family: no tuner candidate, no default; the probe asks
 * what the split costs against the f32 default (ks-tiled) and the f16 ks-sgmat, and what the scale costs on top
 * (bench/split-f16-probe.ts times them side by side).
 *
 * The kernel follows ks-sgmat's structure (ks-sgmat.ts): `sg` x `sgc` subgroups of `rows` x `cols` result tiles share a
 * workgroup's staged tiles (rows tk + pad halves apart), the chunk's 16-deep steps written out, the next chunk's global
 * loads in registers while this one is multiplied (not with a one-chunk `scale`), the f32 results through workgroup
 * memory a 16x16 tile at a time and out in vec4 runs. `terms` 1 multiplies xh·wh only: f32 traffic at f16 accuracy, a
 * floor for the split path's time, never f32-accurate (the probe times it without taking it as a result).
 */
import type { KsOp } from '../src/ir/ir.js';
import { invariant } from '../src/util/assert.js';
import type { EmittedKernel, Schedule } from '../src/codegen/wgsl/kernel.js';
import { div, mod, mul, sum, u, type KernelContext } from '../src/codegen/wgsl/scaffold.js';
import { ksTileOrigin } from '../src/codegen/wgsl/fast/ks-tile-origin.js';
import { opOperands } from '../src/codegen/wgsl/fast/operands.js';
import { SUBGROUP_MATRIX_UNIFORMITY_OFF } from '../src/codegen/wgsl/fast/sgmat-results.js';
import { cooperative, LANES, stagedLoop, staging, type StagedCopy, tiledKernel } from '../src/codegen/wgsl/fast/wgsl-text.js';
import type { U32Expr } from '../src/codegen/wgsl/u32.js';

export type SplitScale = 'none' | 'tile' | 'row';

export interface SplitF16Schedule extends Schedule {
  readonly family: 'split-f16-probe';
  /** One subgroup's batch rows and β (multiples of 16). */
  readonly rows: number;
  readonly cols: number;
  /** Subgroups along the rows and along β. */
  readonly sg: number;
  readonly sgc: number;
  /** γ per staged chunk (a multiple of 16 dividing c). */
  readonly tk: number;
  /** Halves between staged rows beyond tk (8: the 16 rows of a matrix load on distinct banks). */
  readonly pad: number;
  /** Products per 16-deep step: 3 (xh·wh + xh·wl + xl·wh) or 1 (xh·wh only: not f32-accurate). */
  readonly terms: number;
  /** The power-of-two scale of the staged values: none, one per x and W tile, or one per x row and W row. */
  readonly scale: SplitScale;
}

const TILE = 16;
const SUBGROUP = 32;
/** The exponent the scale brings the largest magnitude to: below 2^15, so its f16 rounding stays finite. */
const TOP = 14;

/** Workgroup bytes of a schedule: hi and lo f16 tiles of x and W, one f32 16x16 tile per subgroup, the scale words. */
export function splitSharedBytes(s: SplitF16Schedule): number {
  const wr = s.sg * s.rows;
  const wc = s.sgc * s.cols;
  const words = s.scale === 'row' ? wr + wc : s.scale === 'tile' ? 2 : 0;
  return 2 * 2 * (s.tk + s.pad) * (wr + wc) + 4 * s.sg * s.sgc * TILE * TILE + 4 * words;
}

export function splitF16Kernel(op: KsOp, s: SplitF16Schedule, ctx: KernelContext): EmittedKernel {
  const { a, b, c, d } = op;
  invariant(ctx.storage === 'f32', 'split-f16 probe: f32 storage');
  invariant(d === 1 && op.input.steps.length === 0 && op.output.steps.length === 0 && op.bias === undefined && !op.accumulate, 'split-f16 probe: a plain contiguous factor K(a, b, c, 1)');
  invariant(s.rows % TILE === 0 && s.cols % TILE === 0 && s.tk % TILE === 0 && c % s.tk === 0, 'split-f16 probe: whole 16x16 tiles and chunks');
  invariant(s.terms === 1 || s.terms === 3, 'split-f16 probe: terms 1 or 3');
  const { ep, n, inSize, outSize, wOff } = opOperands(op, ctx);
  invariant(inSize % 4 === 0 && outSize % 4 === 0 && wOff % 4 === 0 && c % 4 === 0, 'split-f16 probe: vec4 views');
  const R = s.rows;
  const TB = s.cols;
  const SGR = s.sg;
  const SGC = s.sgc;
  const SG = SGR * SGC;
  const T = SUBGROUP * SG;
  const WR = SGR * R;
  const WC = SGC * TB;
  invariant(b % WC === 0, 'split-f16 probe: b a multiple of the workgroup β');
  const MR = R / TILE;
  const NB = TB / TILE;
  const SK = s.tk;
  const SP = SK + s.pad;
  const nbt = b / WC;
  const perRowTile = a * nbt;
  const scale = s.scale === 'none' ? undefined : s.scale;
  // A scale from the one chunk's own loads (tk = c), else from a pre-scan.
  const inChunk = scale !== undefined && SK === c;
  const arr = (name: string) => `${ep}_${name}`;
  const [xh, xl, wh, wl, cs, xm, wm] = ['xh', 'xl', 'wh', 'wl', 'cs', 'xm', 'wm'].map(arr);
  const shift = arr('shift');

  // v (vec4<f32>, scaled) into the hi / lo arrays at index `at` (4 consecutive): hi is v rounded to 11 significant bits
  // by integer operations on its bits (half an ulp of f16 added to the magnitude, the 13 low bits cleared: exact in f16
  // within its normal range), lo the exact f32 remainder, rounded to f16 when stored. Not f32(f16(v)) nor
  // unpack2x16float(pack2x16float(v)): a driver may fold such a round trip to v (on the H100, call 1 of session 31,
  // every three-product form had the one-product error: lo was zero), and the integer form is the same on every
  // compiler and in the emulated tests.
  const split = (v: string, hi: string, lo: string, at: (q: number) => U32Expr): string[] => [
    `let hv = bitcast<vec4<f32>>((bitcast<vec4<u32>>(${v}) + vec4<u32>(0x1000u)) & vec4<u32>(0xffffe000u));`,
    `let lv = ${v} - hv;`,
    ...LANES.map((l, q) => `${hi}[${at(q)}] = f16(hv.${l});`),
    ...LANES.map((l, q) => `${lo}[${at(q)}] = f16(lv.${l});`),
  ];
  // The scale word of staged row `r` (x) or `bb` (W): per row, or one per tile.
  const word = (m: string, i: U32Expr) => `${m}[${scale === 'row' ? i : '0u'}]`;
  const maxOf = (v: string) => `bitcast<u32>(max(max(abs(${v}.x), abs(${v}.y)), max(abs(${v}.z), abs(${v}.w))))`;
  const scaled = (v: string, m: string, i: U32Expr) => (scale === undefined ? [`let sv = ${v};`] : [`let sv = ${v} * ldexp(1f, ${shift}(atomicLoad(&${word(m, i)})));`]);
  const srcCopy: StagedCopy = {
    count: (WR * SK) / 4,
    register: 'vec4<f32>',
    item: () => [`let kv = ${mod('e', SK / 4)};`, `let r = ${div('e', SK / 4)};`],
    load: (v, k0) => [
      `${v} = ${n.src}[${div(sum(mul('min(row0 + r, batch - 1u)', inSize), mul('alpha', c), k0, 'kv * 4u'), 4)}];`,
      ...(inChunk ? [`atomicMax(&${word(xm, 'r')}, ${maxOf(v)});`] : []),
    ],
    store: (v) => [...scaled(v, xm, 'r'), ...split('sv', xh, xl, (q) => sum(mul('r', SP), 'kv * 4u', u(q)))],
  };
  const wCopy: StagedCopy = {
    count: (WC * SK) / 4,
    register: 'vec4<f32>',
    item: () => [`let kv = ${mod('e', SK / 4)};`, `let bb = ${div('e', SK / 4)};`],
    load: (v, k0) => [
      `${v} = ${n.params}[${div(sum(u(wOff), mul(sum(mul('alpha', b), 'beta0', 'bb'), c), k0, 'kv * 4u'), 4)}];`,
      ...(inChunk ? [`atomicMax(&${word(wm, 'bb')}, ${maxOf(v)});`] : []),
    ],
    store: (v) => [...scaled(v, wm, 'bb'), ...split('sv', wh, wl, (q) => sum(mul('bb', SP), 'kv * 4u', u(q)))],
  };

  // The subgroup's tiles: acc_i_j is its rows i·16.., β j·16.. (offsets uniform within the subgroup).
  const left = `subgroup_matrix_left<f16, ${TILE}, ${TILE}>`;
  const right = `subgroup_matrix_right<f16, ${TILE}, ${TILE}>`;
  const acc = (i: number, j: number) => `acc_${i}_${j}`;
  const rowOff = (i: number) => sum(SGR === 1 ? undefined : mul('sgr', R * SP), u(i * TILE * SP));
  const colOff = (j: number) => sum(SGC === 1 ? undefined : mul('sgb', TB * SP), u(j * TILE * SP));
  const step = (kk: number): string[] => [
    ...Array.from({ length: MR }, (_, i) => [
      `let lh${i} = subgroupMatrixLoad<${left}, row_major>(&${xh}, ${sum(rowOff(i), u(kk))}, ${u(SP)});`,
      ...(s.terms === 3 ? [`let ll${i} = subgroupMatrixLoad<${left}, row_major>(&${xl}, ${sum(rowOff(i), u(kk))}, ${u(SP)});`] : []),
    ]).flat(),
    // W block (k, β) sits at w?[β][k]: column-major with stride SP.
    ...Array.from({ length: NB }, (_, j) => [
      `let rh${j} = subgroupMatrixLoad<${right}, col_major>(&${wh}, ${sum(colOff(j), u(kk))}, ${u(SP)});`,
      ...(s.terms === 3 ? [`let rl${j} = subgroupMatrixLoad<${right}, col_major>(&${wl}, ${sum(colOff(j), u(kk))}, ${u(SP)});`] : []),
    ]).flat(),
    // The small products first, then the large one.
    ...Array.from({ length: MR }, (_, i) => Array.from({ length: NB }, (_, j) => [
      ...(s.terms === 3 ? [`${acc(i, j)} = subgroupMatrixMultiplyAccumulate(ll${i}, rh${j}, ${acc(i, j)});`, `${acc(i, j)} = subgroupMatrixMultiplyAccumulate(lh${i}, rl${j}, ${acc(i, j)});`] : []),
      `${acc(i, j)} = subgroupMatrixMultiplyAccumulate(lh${i}, rh${j}, ${acc(i, j)});`,
    ]).flat()).flat(),
  ];
  const compute = Array.from({ length: SK / TILE }, (_, ks) => ['{', ...step(ks * TILE), '}']).flat();
  const copies = staging('pf', T, [srcCopy, wCopy]);
  // A scale in one chunk: its loads (each folding its values' magnitudes into the scale words), a barrier, the scaled
  // split stores, a barrier, the multiplies. In chunks: the pre-scan of every value of the workgroup's x rows and W
  // rows into the scale words, a barrier, then the pipelined loop, whose split stores read them.
  const scan = (count: number, perRow: number, m: string, line: string, load: string): string[] => [
    `for (var e = lid; e < ${u(count)}; e += ${u(T)}) {`,
    `  let kv = ${mod('e', perRow)};`,
    `  let ${line} = ${div('e', perRow)};`,
    `  let v = ${load};`,
    `  atomicMax(&${word(m, line)}, ${maxOf('v')});`,
    '}',
  ];
  const prescan = [
    ...scan((WR * c) / 4, c / 4, xm, 'r', `${n.src}[${div(sum(mul('min(row0 + r, batch - 1u)', inSize), mul('alpha', c), 'kv * 4u'), 4)}]`),
    ...scan((WC * c) / 4, c / 4, wm, 'bb', `${n.params}[${div(sum(u(wOff), mul(sum(mul('alpha', b), 'beta0', 'bb'), c), 'kv * 4u'), 4)}]`),
    'workgroupBarrier();',
  ];
  const reduction = scale === undefined
    ? stagedLoop(copies, c, SK, true, compute)
    : inChunk
      ? [...copies.registers, ...copies.fetch(u(0)), 'workgroupBarrier();', ...copies.stash(u(0)), 'workgroupBarrier();', ...compute]
      : [...prescan, ...stagedLoop(copies, c, SK, true, compute)];

  // Epilogue, one (i, j) tile position at a time: every subgroup's tile to its 16x16 slice of cs, then the workgroup
  // writes the slices out in vec4 runs along β, multiplied back by the scales.
  const perTile = TILE * TILE;
  const unscale = (lr: U32Expr, lb: U32Expr): string[] => scale === undefined
    ? []
    : [
        `let sx = ${shift}(atomicLoad(&${word(xm, lr)}));`,
        `let sw = vec4<i32>(${[0, 1, 2, 3].map((q) => `${shift}(atomicLoad(&${word(wm, sum(lb, u(q)))}))`).join(', ')});`,
        `v = ldexp(ldexp(v, vec4<i32>(-sx)), -sw);`,
      ];
  const epilogue: string[] = [];
  for (let i = 0; i < MR; i++)
    for (let j = 0; j < NB; j++) {
      epilogue.push(`subgroupMatrixStore<row_major>(&${cs}, ${mul('sgid', perTile)}, ${acc(i, j)}, ${u(TILE)});`, 'workgroupBarrier();');
      const sliceRows = SGR === 1 ? undefined : mul(mod('sgi', SGR), R);
      const sliceCols = SGC === 1 ? undefined : mul(div('sgi', SGR), TB);
      const lr = sum(sliceRows, u(i * TILE), 'r');
      const lb = sum(sliceCols, u(j * TILE), 'bb');
      epilogue.push(...cooperative((SG * perTile) / 4, T, 'f', [
        `let sgi = ${div('f', perTile / 4)};`,
        `let e = ${mod('f', perTile / 4)};`,
        `let bb = ${mul(mod('e', TILE / 4), 4)};`,
        `let r = ${div('e', TILE / 4)};`,
        `if (${sum('row0', lr)} < batch) {`,
        `  let at = ${sum(mul('sgi', perTile), mul('r', TILE), 'bb')};`,
        `  var v = vec4<f32>(${cs}[at], ${cs}[at + 1u], ${cs}[at + 2u], ${cs}[at + 3u]);`,
        ...unscale(lr, lb).map((l) => `  ${l}`),
        `  ${n.dst}[${div(sum(mul(sum('row0', lr), outSize), mul('alpha', b), 'beta0', lb), 4)}] = v;`,
        '}',
      ]), 'workgroupBarrier();');
    }

  const inner = [
    `let sgid = ${div('lid', SUBGROUP)};`,
    `let sgr = ${mod('sgid', SGR)};`,
    `let sgb = ${div('sgid', SGR)};`,
    ...Array.from({ length: MR }, (_, i) => Array.from({ length: NB }, (_, j) => `var ${acc(i, j)} = subgroup_matrix_result<f32, ${TILE}, ${TILE}>();`)).flat(),
    ...reduction,
    ...epilogue,
  ];
  const body = [
    ...ksTileOrigin({ perRowTile, rows: WR, cols: WC, dtile: 1, nbt, ndt: 1, fastest: 'beta' }),
    `${SUBGROUP_MATRIX_UNIFORMITY_OFF} {`,
    ...inner.map((l) => `  ${l}`),
    '}',
  ];
  const scaleWords = scale === undefined
    ? []
    : [`var<workgroup> ${xm}: array<atomic<u32>, ${scale === 'row' ? WR : 1}>;`, `var<workgroup> ${wm}: array<atomic<u32>, ${scale === 'row' ? WC : 1}>;`];
  const decls = scale === undefined
    ? []
    : [
        `// The power of two that brings a largest magnitude (its f32 bits m) to [2^${TOP}, 2^${TOP + 1}): clamped so that`,
        '// ldexp stays defined (all-zero and subnormal rows take 2^126; inf and NaN stay what they are).',
        `fn ${shift}(m: u32) -> i32 { return clamp(${TOP} - (i32(m >> 23u) - 127), -126, 126); }`,
      ];
  return tiledKernel({
    entryPoint: ctx.entryPoint,
    storage: 'f32',
    views: { src: true, params: true, dst: true },
    workgroupVars: [
      ...[xh, xl].map((x) => `var<workgroup> ${x}: array<f16, ${WR * SP}>;`),
      ...[wh, wl].map((w) => `var<workgroup> ${w}: array<f16, ${WC * SP}>;`),
      `var<workgroup> ${cs}: array<f32, ${SG * perTile}>;`,
      ...scaleWords,
    ],
    decls,
    threads: T,
    body,
    rowsPerWorkgroup: WR,
    workgroupsPerRowTile: perRowTile,
    schedule: s,
    ops: [ctx.opIndex],
    extraEnables: ['f16', 'chromium_experimental_subgroup_matrix'],
  });
}
