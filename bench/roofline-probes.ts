/**
 * The probes of bench/roofline.ts: small hand-written WGSL kernels, each measuring one ceiling of
 * the GPU as Dawn (Vulkan, through Tint) exposes it, with the bytes or FLOPs it moves or computes
 * and a CPU statement of what it must output (checked before it is timed).
 *
 * - copy: y = x through vec4 loads and stores -> achievable HBM bandwidth.
 * - permute: the Monarch permutation y[r, j·b + i] = x[r, i·c + j] through a workgroup tile
 *   (reads and writes in contiguous vec4 runs) -> the permutation as pure data movement.
 * - runs: the strided factor's access pattern as pure data movement: a workgroup owns D
 *   consecutive δ of every γ (runs of D elements at stride d) for RT rows, y[r, γ·d + δ] =
 *   x[r, γ·d + δ] -> what runs of 16 / 32 bytes cost against whole-row copies.
 * - l2: every workgroup reads a window of a small buffer (a few MiB: it stays in L2) in coalesced
 *   vec4 loads and writes one word per invocation -> what the L2 serves (kernels that re-read
 *   their source or weights per workgroup read mostly from there).
 * - mma: subgroup-matrix f16 16x16x16 multiply-accumulate (f32 results) in a loop, left tiles
 *   held in registers, or loaded every step by subgroupMatrixLoad from a storage buffer
 *   (row- or column-major, a given stride) or from workgroup memory; optionally a workgroup
 *   barrier every E steps, or each step's product sent through workgroup memory as f32 and back
 *   as an f16 left tile (ks-pair-sgmat's step-1 -> step-2 hand-over) -> peak tensor-core
 *   throughput and what a matrix load, a barrier and the round trip cost.
 * - mma-acc (session 30, issue 11's untuned gap): the register and workgroup-memory forms with a
 *   stated result type, f32 or f16 result matrices, the right tiles identities -> whether
 *   f32-accumulating MMAs run slower than f16 ones through Dawn as such (at a given number of
 *   accumulators per subgroup and of workgroups), or only inside ks-sgmat's kernels (session 29's
 *   probes: 0.044 ms against 0.007 on 4096 -> 1024's first factor).
 * - fma: an f32 register tile (TR x TC accumulators per invocation) of fma() in a loop -> the
 *   FP32 ceiling through WGSL.
 *
 * Every value a compute probe produces is exact in f32 (inputs are small dyadic numbers, sums
 * far below 2^24 ulps), so checks are exact whatever the order of the hardware's additions.
 */

import { assertNever, invariant } from '../src/util/assert.js';

export type ProbeDtype = 'f32' | 'f16';
export type ProbeGroup = 'copy' | 'permute' | 'runs' | 'l2' | 'mma' | 'mma-acc' | 'fma';
export const F16 = 'shader-f16';
export const SUBGROUP_MATRIX = 'chromium-experimental-subgroup-matrix';

/**
 * How an input buffer is filled (bench/roofline-run.ts `hostInput`): random finite normal numbers
 * (`bits`), entries of {-1, -1/2, 0, 1/2, 1} (`mma`), 16x16 identity tiles (`identity`), or
 * entries of {1/4, 1/2, 3/4, 1} (`fma`).
 */
export type Fill = 'bits' | 'mma' | 'identity' | 'fma';

export interface ProbeInput {
  readonly elements: number;
  readonly fill: Fill;
}

/** Host view of a buffer in its storage type: raw words, and (lazily) their values. */
export interface HostData {
  readonly words: Uint16Array | Uint32Array;
  values(): Float32Array;
}

export interface Probe {
  readonly name: string;
  readonly group: ProbeGroup;
  /** Storage type of the probe's inputs (mma: f16 operands, f32 results; fma: f32). */
  readonly dtype: ProbeDtype;
  readonly features: readonly string[];
  readonly params: Readonly<Record<string, number | string | boolean>>;
  readonly wgsl: string;
  readonly workgroupSize: number;
  /** Workgroups in all (dispatched as a 2-D grid of `GRID_X` columns when there are more). */
  readonly workgroups: number;
  readonly inputs: readonly ProbeInput[];
  /** Output elements and their storage type (movement probes: the input's; compute: f32). */
  readonly output: { readonly elements: number; readonly dtype: ProbeDtype };
  /** Bytes the probe must move to and from memory (movement probes: input read once, output written once). */
  readonly bytes?: number;
  /** Floating-point operations (an FMA is 2; a 16x16x16 MMA 8192). */
  readonly flops?: number;
  /** Undefined when `output` is what the probe must compute from `inputs`, else the first difference. */
  check(inputs: readonly HostData[], output: HostData): string | undefined;
}

/** Columns of the dispatch grid when a probe has more workgroups than one dimension allows. */
export const GRID_X = 32768;

export function dispatchSize(workgroups: number): [number, number] {
  return workgroups <= GRID_X ? [workgroups, 1] : [GRID_X, Math.ceil(workgroups / GRID_X)];
}

/** The linear workgroup index (workgroup-uniform) and the return of the grid's surplus workgroups. */
function workgroupIndex(workgroups: number): string {
  if (workgroups <= GRID_X) return '  let wid = wg.x;';
  return `  let wid = wg.x + wg.y * ${GRID_X}u;\n  if (wid >= ${workgroups}u) { return; }`;
}

const ENTRY = '@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>';

const elementBytes = (d: ProbeDtype) => (d === 'f16' ? 2 : 4);
const enables = (d: ProbeDtype) => (d === 'f16' ? 'enable f16;\n' : '');

/** Movement probes: output[i] must equal input[source(i)] bit for bit, for every i. */
function movementCheck(source: (i: number) => number) {
  return (inputs: readonly HostData[], output: HostData): string | undefined => {
    const x = inputs[0].words;
    const y = output.words;
    for (let i = 0; i < y.length; i++) {
      const s = source(i);
      if (y[i] !== x[s]) return `y[${i}] = 0x${y[i].toString(16)}, expected x[${s}] = 0x${x[s].toString(16)}`;
    }
    return undefined;
  };
}

/**
 * A movement probe's record: `elements` values of `dtype` read once and written once (bytes
 * counted both ways), output[i] checked against input[source(i)].
 */
function movementProbe(m: {
  readonly name: string;
  readonly group: ProbeGroup;
  readonly dtype: ProbeDtype;
  readonly params: Probe['params'];
  readonly wgsl: string;
  readonly workgroupSize: number;
  readonly workgroups: number;
  readonly elements: number;
  readonly source: (i: number) => number;
}): Probe {
  return {
    name: m.name,
    group: m.group,
    dtype: m.dtype,
    features: m.dtype === 'f16' ? [F16] : [],
    params: m.params,
    wgsl: m.wgsl,
    workgroupSize: m.workgroupSize,
    workgroups: m.workgroups,
    inputs: [{ elements: m.elements, fill: 'bits' }],
    output: { elements: m.elements, dtype: m.dtype },
    bytes: 2 * m.elements * elementBytes(m.dtype),
    check: movementCheck(m.source),
  };
}

/** Compute probes: exact equality with a CPU computation of the values. */
function valueCheck(expected: (inputs: readonly Float32Array[]) => Float32Array) {
  return (inputs: readonly HostData[], output: HostData): string | undefined => {
    const want = expected(inputs.map((d) => d.values()));
    const got = output.values();
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) return `out[${i}] = ${got[i]}, expected ${want[i]}`;
    return undefined;
  };
}

// ---------------------------------------------------------------------------------------------
// copy

export interface CopyParams {
  readonly dtype: ProbeDtype;
  /** Elements (a multiple of 4). */
  readonly elements: number;
  readonly workgroupSize: number;
  /** vec4 per invocation (interleaved by the workgroup size: each load instruction coalesced). */
  readonly perInvocation: number;
}

export function copyProbe(p: CopyParams): Probe {
  const vecs = p.elements / 4;
  const perGroup = p.workgroupSize * p.perInvocation;
  const workgroups = Math.ceil(vecs / perGroup);
  const T = p.dtype;
  const body = Array.from({ length: p.perInvocation }, (_, e) => `  { let i = base + ${e * p.workgroupSize}u; if (i < ${vecs}u) { y[i] = x[i]; } }`).join('\n');
  const wgsl = `${enables(T)}@group(0) @binding(0) var<storage, read> x: array<vec4<${T}>>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<${T}>>;
@compute @workgroup_size(${p.workgroupSize})
fn main(${ENTRY}) {
${workgroupIndex(workgroups)}
  let base = wid * ${perGroup}u + lid;
${body}
}
`;
  return movementProbe({
    name: `copy-${T}-wg${p.workgroupSize}-v${p.perInvocation}`,
    group: 'copy',
    dtype: T,
    params: { workgroupSize: p.workgroupSize, perInvocation: p.perInvocation, accessBytes: 4 * elementBytes(T) },
    wgsl,
    workgroupSize: p.workgroupSize,
    workgroups,
    elements: p.elements,
    source: (i) => i,
  });
}

// ---------------------------------------------------------------------------------------------
// permute: y[r, j·b + i] = x[r, i·c + j]

export interface PermuteParams {
  readonly dtype: ProbeDtype;
  readonly batch: number;
  /** The permutation's b x c (n = b·c; Monarch's at n = 4096: 64 x 64). */
  readonly b: number;
  readonly c: number;
  /** Tile of TI i x TJ j per workgroup (TI | b, TJ | c, both multiples of 4). */
  readonly ti: number;
  readonly tj: number;
  /** Elements added to each tile row in workgroup memory. */
  readonly pad: number;
}

export function permuteProbe(p: PermuteParams): Probe {
  const { b, c, ti: TI, tj: TJ, pad } = p;
  const n = b * c;
  const T = p.dtype;
  const tilesI = b / TI;
  const tilesJ = c / TJ;
  const workgroups = p.batch * tilesI * tilesJ;
  const vecs = (TI * TJ) / 4;
  const wgSize = Math.min(256, vecs);
  const P = TJ + pad;
  const rounds = Math.ceil(vecs / wgSize);
  const guard = (q: string) => (vecs % wgSize === 0 ? '' : `if (${q} < ${vecs}u) `);
  const reads: string[] = [];
  const writes: string[] = [];
  for (let k = 0; k < rounds; k++) {
    // Read: vec4 q runs along j (tile row i = q / (TJ/4)); stored at ws[i][j..j+3].
    reads.push(`  { let q = lid + ${k * wgSize}u; ${guard('q')}{
    let i = q / ${TJ / 4}u; let j = (q % ${TJ / 4}u) * 4u;
    let v = x[(rowBase + (i0 + i) * ${c}u + j0 + j) / 4u];
    let s = i * ${P}u + j;
    ws[s] = v.x; ws[s + 1u] = v.y; ws[s + 2u] = v.z; ws[s + 3u] = v.w;
  } }`);
    // Write: vec4 q runs along i (output run for one j = q / (TI/4)).
    writes.push(`  { let q = lid + ${k * wgSize}u; ${guard('q')}{
    let j = q / ${TI / 4}u; let i = (q % ${TI / 4}u) * 4u;
    y[(rowBase + (j0 + j) * ${b}u + i0 + i) / 4u] = vec4<${T}>(ws[i * ${P}u + j], ws[(i + 1u) * ${P}u + j], ws[(i + 2u) * ${P}u + j], ws[(i + 3u) * ${P}u + j]);
  } }`);
  }
  const wgsl = `${enables(T)}@group(0) @binding(0) var<storage, read> x: array<vec4<${T}>>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<${T}>>;
var<workgroup> ws: array<${T}, ${TI * P}>;
@compute @workgroup_size(${wgSize})
fn main(${ENTRY}) {
${workgroupIndex(workgroups)}
  let r = wid / ${tilesI * tilesJ}u;
  let i0 = ((wid / ${tilesJ}u) % ${tilesI}u) * ${TI}u;
  let j0 = (wid % ${tilesJ}u) * ${TJ}u;
  let rowBase = r * ${n}u;
${reads.join('\n')}
  workgroupBarrier();
${writes.join('\n')}
}
`;
  return movementProbe({
    name: `permute-${T}-${TI}x${TJ}-pad${pad}`,
    group: 'permute',
    dtype: T,
    params: { b, c, ti: TI, tj: TJ, pad, workgroupSize: wgSize, workgroupBytes: TI * P * elementBytes(T) },
    wgsl,
    workgroupSize: wgSize,
    workgroups,
    elements: p.batch * n,
    source: (o) => {
      const r = Math.floor(o / n);
      const k = o % n;
      const j = Math.floor(k / b);
      const i = k % b;
      return r * n + i * c + j;
    },
  });
}

// ---------------------------------------------------------------------------------------------
// runs: the strided factor's pattern, y[r, γ·d + δ] = x[r, γ·d + δ] by δ slices

export interface RunsParams {
  readonly dtype: ProbeDtype;
  readonly batch: number;
  /** γ count (c) and stride (d) of the strided factor: n = c·d. */
  readonly c: number;
  readonly d: number;
  /** δ per workgroup: the run length in elements (a multiple of 4 dividing d). */
  readonly run: number;
  /** Rows per workgroup. */
  readonly rows: number;
  readonly workgroupSize: number;
}

export function runsProbe(p: RunsParams): Probe {
  const { c, d, run: D, rows: RT, workgroupSize: WG } = p;
  const n = c * d;
  const T = p.dtype;
  const slices = d / D;
  const workgroups = Math.ceil(p.batch / RT) * slices;
  const perRow = (c * D) / 4;
  const vecs = RT * perRow;
  const rounds = Math.ceil(vecs / WG);
  const moves = Array.from(
    { length: rounds },
    (_, k) => `  { let q = lid + ${k * WG}u;
    let r = r0 + q / ${perRow}u;
    if (q < ${vecs}u && r < ${p.batch}u) {
      let g = (q / ${D / 4}u) % ${c}u;
      let i = (r * ${n}u + g * ${d}u + delta0) / 4u + q % ${D / 4}u;
      y[i] = x[i];
    }
  }`,
  );
  const wgsl = `${enables(T)}@group(0) @binding(0) var<storage, read> x: array<vec4<${T}>>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<${T}>>;
@compute @workgroup_size(${WG})
fn main(${ENTRY}) {
${workgroupIndex(workgroups)}
  // Neighbouring workgroups take neighbouring δ slices of the same rows (as the strided kernels' grids do).
  let delta0 = (wid % ${slices}u) * ${D}u;
  let r0 = (wid / ${slices}u) * ${RT}u;
${moves.join('\n')}
}
`;
  return movementProbe({
    name: `runs-${T}-${D * elementBytes(T)}B-rows${RT}`,
    group: 'runs',
    dtype: T,
    params: { c, d, run: D, runBytes: D * elementBytes(T), rows: RT, workgroupSize: WG },
    wgsl,
    workgroupSize: WG,
    workgroups,
    elements: p.batch * n,
    source: (i) => i,
  });
}

// ---------------------------------------------------------------------------------------------
// l2: reads served by the L2 (the footprint fits it), one word written per invocation

export interface L2Params {
  /** 32-bit words of the buffer read (a multiple of 4; small enough to stay in L2). */
  readonly footprint: number;
  readonly workgroups: number;
  readonly workgroupSize: number;
  /** vec4 loads per invocation (coalesced: invocations of a workgroup read consecutive vec4). */
  readonly perInvocation: number;
}

export function l2Probe(p: L2Params): Probe {
  const { workgroupSize: WG, perInvocation: K } = p;
  const vecs = p.footprint / 4;
  const invocations = p.workgroups * WG;
  // Workgroup w starts where w - 1 ended, wrapping around the buffer: every SM reads all of it over time.
  const wgsl = `@group(0) @binding(0) var<storage, read> x: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(${WG})
fn main(${ENTRY}) {
${workgroupIndex(p.workgroups)}
  var acc = vec4<u32>();
  for (var k = 0u; k < ${K}u; k++) {
    acc += x[(wid * ${WG * K}u + k * ${WG}u + lid) % ${vecs}u];
  }
  out[wid * ${WG}u + lid] = acc.x + acc.y + acc.z + acc.w;
}
`;
  return {
    name: `l2-read-${Math.round((p.footprint * 4) / 1024)}k-wg${WG}-v${K}`,
    group: 'l2',
    dtype: 'f32',
    features: [],
    params: { footprintBytes: 4 * p.footprint, workgroups: p.workgroups, workgroupSize: WG, perInvocation: K },
    wgsl,
    workgroupSize: WG,
    workgroups: p.workgroups,
    inputs: [{ elements: p.footprint, fill: 'bits' }],
    output: { elements: invocations, dtype: 'f32' },
    bytes: invocations * K * 16 + invocations * 4,
    check: (inputs, output) => {
      const x = inputs[0].words;
      const y = output.words;
      for (let g = 0; g < invocations; g++) {
        const w = Math.floor(g / WG);
        const l = g % WG;
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const v = ((w * WG * K + k * WG + l) % vecs) * 4;
          sum = (sum + x[v] + x[v + 1] + x[v + 2] + x[v + 3]) >>> 0;
        }
        if (y[g] !== sum) return `out[${g}] = ${y[g]}, expected ${sum}`;
      }
      return undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// mma: tensor cores through subgroup matrices

const TILE = 16;
const TILE_ELEMS = TILE * TILE;
const SUBGROUP = 32;
export const MMA_FLOPS = 2 * TILE * TILE * TILE;

/** Where the left tiles of each step come from. */
export type LeftSource = 'registers' | 'storage' | 'workgroup' | 'roundtrip';

export interface MmaParams {
  readonly left: LeftSource;
  /** Subgroups of 32 per workgroup. */
  readonly subgroups: number;
  readonly workgroups: number;
  /** Left and right tiles per subgroup: NL·NR accumulators (8 f32 registers per lane each). */
  readonly nl: number;
  readonly nr: number;
  readonly iterations: number;
  /** storage / workgroup: the left tiles cycle through `period` steps' worth of distinct tiles. */
  readonly period?: number;
  readonly layout?: 'row_major' | 'col_major';
  /** Row (row-major) or column (col-major) stride of the left tiles in their array (at least 16; 72 = ks-pair-sgmat's padded ts rows). */
  readonly stride?: number;
  /** registers: a workgroupBarrier after every `barrierEvery` steps (0: none). */
  readonly barrierEvery?: number;
  /**
   * Workgroup memory (bytes) the kernel holds besides its own, never touched in practice: it bounds
   * the workgroups resident per SM as a real kernel's footprint does (ks-pair-sgmat: 48 KiB).
   */
  readonly reserveBytes?: number;
  /**
   * roundtrip: hand over by columns (ks-pair-sgmat's `tcols`): the f16 tile is written in the
   * scratch's own column-major order (contiguous) and loaded column-major with stride 16.
   */
  readonly handoverColumns?: boolean;
  /**
   * Not with the round trip: the result matrices' component type, stated (group `mma-acc`; absent: f32, group `mma`).
   * The right tiles are then identities, so every step adds a left tile: sums of at most 1024 entries of {±1, ±1/2, 0}
   * are multiples of 1/2 below 1024 in magnitude, exact in f16 (11 significant bits), as the check needs.
   */
  readonly result?: 'f32' | 'f16';
}

/** Left tiles side by side in one band of 16 rows (row-major; columns if column-major) of `stride` entries. */
const tilesPerBand = (stride: number) => Math.floor(stride / TILE);

/** Offset of left tile t in an array of tiles laid side by side in bands of `tilesPerBand` tiles. */
function tileOffset(t: number, stride: number): number {
  const perBand = tilesPerBand(stride);
  return Math.floor(t / perBand) * TILE * stride + (t % perBand) * TILE;
}

/** Entry [i, k] of the tile at `offset` (row-major: offset + i·stride + k; col-major: offset + k·stride + i). */
function tileEntry(layout: 'row_major' | 'col_major', offset: number, stride: number, i: number, k: number): number {
  return layout === 'row_major' ? offset + i * stride + k : offset + k * stride + i;
}

/** Row-major 16x16 product m1 · m2 of two tiles given as entry getters, added into `out` `times` times. */
function addProduct(out: Float32Array, at: number, times: number, l: (i: number, k: number) => number, r: (k: number, j: number) => number): void {
  for (let i = 0; i < TILE; i++)
    for (let j = 0; j < TILE; j++) {
      let s = 0;
      for (let k = 0; k < TILE; k++) s += l(i, k) * r(k, j);
      out[at + i * TILE + j] += times * s;
    }
}

export function mmaProbe(p: MmaParams): Probe {
  const { subgroups: S, nl: NL, nr: NR, iterations: IT, left } = p;
  const period = left === 'storage' || left === 'workgroup' ? (p.period ?? 4) : 1;
  const layout = p.layout ?? 'row_major';
  const stride = p.stride ?? TILE;
  const barrierEvery = left === 'registers' ? (p.barrierEvery ?? 0) : 0;
  const leftTiles = period * NL;
  // The left array: tiles in bands of stride/16, whole bands.
  const leftElements = Math.ceil(leftTiles / tilesPerBand(stride)) * TILE * stride;
  const stated = p.result !== undefined;
  invariant(!stated || left !== 'roundtrip', 'mma probe: the round trip has no stated result type (its hand-over is f32)');
  invariant(p.result !== 'f16' || IT <= 1024, `mma probe: f16 results are exact for at most 1024 steps, not ${IT}`);
  const result = p.result ?? 'f32';
  const L = `subgroup_matrix_left<f16, ${TILE}, ${TILE}>`;
  const R = `subgroup_matrix_right<f16, ${TILE}, ${TILE}>`;
  const C = `subgroup_matrix_result<${result}, ${TILE}, ${TILE}>`;
  const acc = (i: number, j: number) => `c${i}_${j}`;
  const lines: string[] = [];
  const decls: string[] = [];
  lines.push(`    let sg = wg.x * ${S}u + lid / ${SUBGROUP}u;`);
  for (let j = 0; j < NR; j++) lines.push(`    let r${j} = subgroupMatrixLoad<${R}, row_major>(&b, ${j * TILE_ELEMS}u, ${TILE}u);`);
  for (let i = 0; i < NL; i++) for (let j = 0; j < NR; j++) lines.push(`    var ${acc(i, j)} = ${C}();`);
  const mmas = (indent: string) => {
    const out: string[] = [];
    for (let i = 0; i < NL; i++) for (let j = 0; j < NR; j++) out.push(`${indent}${acc(i, j)} = subgroupMatrixMultiplyAccumulate(l${i}, r${j}, ${acc(i, j)});`);
    return out;
  };
  switch (left) {
    case 'registers':
      for (let i = 0; i < NL; i++) lines.push(`    let l${i} = subgroupMatrixLoad<${L}, ${layout}>(&a, ${tileOffset(i, stride)}u, ${stride}u);`);
      lines.push(`    for (var k = 0u; k < ${IT}u; k++) {`, ...mmas('      '));
      if (barrierEvery > 0) lines.push(`      if (k % ${barrierEvery}u == ${barrierEvery - 1}u) { workgroupBarrier(); }`);
      lines.push('    }');
      break;
    case 'storage':
    case 'workgroup': {
      const src = left === 'storage' ? 'a' : 'ta';
      if (left === 'workgroup') {
        decls.push(`var<workgroup> ta: array<f16, ${leftElements}>;`);
        lines.push(`    for (var e = lid; e < ${leftElements}u; e += ${S * SUBGROUP}u) { ta[e] = a[e]; }`, '    workgroupBarrier();');
      }
      // Tile t = p·NL + i of step k, p = k % period: its offset is p's band position, computed at run time.
      const perBand = tilesPerBand(stride);
      lines.push(`    for (var k = 0u; k < ${IT}u; k++) {`, `      let p = (k % ${period}u) * ${NL}u;`);
      for (let i = 0; i < NL; i++) {
        const t = `(p + ${i}u)`;
        lines.push(`      let l${i} = subgroupMatrixLoad<${L}, ${layout}>(&${src}, (${t} / ${perBand}u) * ${TILE * stride}u + (${t} % ${perBand}u) * ${TILE}u, ${stride}u);`);
      }
      lines.push(...mmas('      '), '    }');
      break;
    }
    case 'roundtrip': {
      // ks-pair-sgmat's step-1 -> step-2 hand-over: each step's product is stored column-major
      // into the subgroup's f32 scratch tile, each lane converts 8 entries to f16 and writes them
      // column by column into the subgroup's f16 tile of row stride `stride` (ks-pair-sgmat's ts
      // with c1 + pad: consecutive lanes, consecutive rows), which is loaded as the next step's
      // left tile; or (handoverColumns) in the scratch's own order, loaded column-major. With
      // b = I the tile stays the same, so every step adds a·I = a. nl = nr = 1.
      const cols = p.handoverColumns === true;
      const halfStride = cols ? TILE : stride;
      decls.push(`var<workgroup> scratch: array<f32, ${S * TILE_ELEMS}>;`, `var<workgroup> half: array<f16, ${S * TILE * halfStride}>;`);
      lines.push(
        `    let own = (lid / ${SUBGROUP}u) * ${TILE_ELEMS}u;`,
        `    let ownHalf = (lid / ${SUBGROUP}u) * ${TILE * halfStride}u;`,
        `    var l0 = subgroupMatrixLoad<${L}, ${layout}>(&a, 0u, ${stride}u);`,
        `    for (var k = 0u; k < ${IT}u; k++) {`,
        `      let t = subgroupMatrixMultiply<f32>(l0, r0);`,
        `      ${acc(0, 0)} = subgroupMatrixMultiplyAccumulate(l0, r0, ${acc(0, 0)});`,
        `      subgroupMatrixStore<col_major>(&scratch, own, t, ${TILE}u);`,
        '      workgroupBarrier();',
        `      for (var e = lid % ${SUBGROUP}u; e < ${TILE_ELEMS}u; e += ${SUBGROUP}u) { half[ownHalf + ${cols ? 'e' : `(e % ${TILE}u) * ${stride}u + e / ${TILE}u`}] = f16(scratch[own + e]); }`,
        '      workgroupBarrier();',
        `      l0 = subgroupMatrixLoad<${L}, ${cols ? 'col_major' : 'row_major'}>(&half, ownHalf, ${halfStride}u);`,
        '    }',
      );
      break;
    }
    default:
      assertNever(left, 'left source');
  }
  const reserveWords = Math.ceil((p.reserveBytes ?? 0) / 4);
  if (reserveWords > 0) {
    decls.push(`var<workgroup> reserve: array<u32, ${reserveWords}>;`);
    // Never true (a's entries lie in [-1, 1]), but the compiler cannot know: the array stays allocated.
    lines.push(`    if (f32(a[0]) > 2.0) { reserve[lid] = 1u; out[0] = f32(reserve[(lid + 1u) % ${reserveWords}u]); }`);
  }
  for (let i = 0; i < NL; i++)
    for (let j = 0; j < NR; j++) lines.push(`    subgroupMatrixStore<row_major>(&out, (sg * ${NL * NR}u + ${i * NR + j}u) * ${TILE_ELEMS}u, ${acc(i, j)}, ${TILE}u);`);
  // Offsets differ between subgroups (uniform within each): Tint's workgroup-uniformity check of
  // the matrix builtins is switched off, as ks-pair-sgmat does (even for one subgroup: its offsets
  // derive from local_invocation_index).
  const body = `  @diagnostic(off, chromium.subgroup_matrix_uniformity) {\n${lines.join('\n')}\n  }`;
  const wgsl = `enable f16;
enable chromium_experimental_subgroup_matrix;
@group(0) @binding(0) var<storage, read> a: array<f16>;
@group(0) @binding(1) var<storage, read> b: array<f16>;
@group(0) @binding(2) var<storage, read_write> out: array<${result}>;
${decls.join('\n')}
@compute @workgroup_size(${S * SUBGROUP})
fn main(${ENTRY}) {
${body}
}
`;
  const subgroupsAll = p.workgroups * S;
  const nameParts = [`mma-${left}`, `sg${S}`, `${NL}x${NR}`];
  if (left === 'storage' || left === 'workgroup' || left === 'roundtrip') nameParts.push(layout === 'row_major' ? 'row' : 'col', `s${stride}`);
  if (barrierEvery > 0) nameParts.push(`bar${barrierEvery}`);
  if (reserveWords > 0) nameParts.push(`wg${Math.round(p.reserveBytes! / 1024)}k`);
  if (left === 'roundtrip' && p.handoverColumns) nameParts.push('bycols');
  if (stated) nameParts.push(`acc-${result}`, `w${p.workgroups}`);
  const leftLoads = left === 'registers' ? 0 : IT * (left === 'roundtrip' ? 1 : NL);
  return {
    name: nameParts.join('-'),
    group: stated ? 'mma-acc' : 'mma',
    dtype: 'f16',
    features: [F16, SUBGROUP_MATRIX],
    params: { left, subgroups: S, workgroups: p.workgroups, nl: NL, nr: NR, iterations: IT, period, layout, stride, barrierEvery, reserveBytes: 4 * reserveWords, handoverColumns: p.handoverColumns === true, result, leftLoadsPerSubgroup: leftLoads },
    wgsl,
    workgroupSize: S * SUBGROUP,
    workgroups: p.workgroups,
    inputs: [
      { elements: leftElements, fill: 'mma' },
      { elements: NR * TILE_ELEMS, fill: left === 'roundtrip' || stated ? 'identity' : 'mma' },
    ],
    output: { elements: subgroupsAll * NL * NR * TILE_ELEMS, dtype: result },
    // The round trip multiplies twice per step (the product it hands over, and the accumulation).
    flops: subgroupsAll * NL * NR * IT * MMA_FLOPS * (left === 'roundtrip' ? 2 : 1),
    check: valueCheck(([a, b]) => {
      const one = new Float32Array(NL * NR * TILE_ELEMS);
      for (let i = 0; i < NL; i++)
        for (let j = 0; j < NR; j++)
          for (let q = 0; q < period; q++) {
            const times = Math.floor(IT / period) + (q < IT % period ? 1 : 0);
            const off = tileOffset(q * NL + i, stride);
            addProduct(one, (i * NR + j) * TILE_ELEMS, times, (r, k) => a[tileEntry(layout, off, stride, r, k)], (k, c) => b[j * TILE_ELEMS + k * TILE + c]);
          }
      const all = new Float32Array(subgroupsAll * one.length);
      for (let s = 0; s < subgroupsAll; s++) all.set(one, s * one.length);
      return all;
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// fma: the FP32 ceiling

export interface FmaParams {
  readonly workgroupSize: number;
  readonly workgroups: number;
  /** Accumulators per invocation: TR x TC (a register tile, as ks-tiled's). */
  readonly tr: number;
  readonly tc: number;
  readonly iterations: number;
}

/** Entries of the a and b inputs each invocation draws its TR + TC operands from. */
const FMA_OPERANDS = 64;

export function fmaProbe(p: FmaParams): Probe {
  const { tr: TR, tc: TC, iterations: IT, workgroupSize: WG } = p;
  const invocations = p.workgroups * WG;
  const lines: string[] = [];
  for (let i = 0; i < TR; i++) lines.push(`  let a${i} = a[(g + ${i}u) % ${FMA_OPERANDS}u];`);
  for (let j = 0; j < TC; j++) lines.push(`  let b${j} = b[(g + ${3 * j}u) % ${FMA_OPERANDS}u];`);
  for (let i = 0; i < TR; i++) for (let j = 0; j < TC; j++) lines.push(`  var c${i}_${j} = 0.0f;`);
  lines.push(`  for (var k = 0u; k < ${IT}u; k++) {`);
  for (let i = 0; i < TR; i++) for (let j = 0; j < TC; j++) lines.push(`    c${i}_${j} = fma(a${i}, b${j}, c${i}_${j});`);
  lines.push('  }');
  const terms: string[] = [];
  for (let i = 0; i < TR; i++) for (let j = 0; j < TC; j++) terms.push(`c${i}_${j}`);
  lines.push(`  out[g] = ${terms.join(' + ')};`);
  const wgsl = `@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${WG})
fn main(${ENTRY}) {
  let g = wg.x * ${WG}u + lid;
${lines.join('\n')}
}
`;
  return {
    name: `fma-f32-wg${WG}-${TR}x${TC}`,
    group: 'fma',
    dtype: 'f32',
    features: [],
    params: { workgroupSize: WG, workgroups: p.workgroups, tr: TR, tc: TC, iterations: IT },
    wgsl,
    workgroupSize: WG,
    workgroups: p.workgroups,
    inputs: [
      { elements: FMA_OPERANDS, fill: 'fma' },
      { elements: FMA_OPERANDS, fill: 'fma' },
    ],
    output: { elements: invocations, dtype: 'f32' },
    flops: 2 * invocations * TR * TC * IT,
    check: valueCheck(([a, b]) => {
      const out = new Float32Array(invocations);
      for (let g = 0; g < invocations; g++) {
        let sa = 0;
        let sb = 0;
        for (let i = 0; i < TR; i++) sa += a[(g + i) % FMA_OPERANDS];
        for (let j = 0; j < TC; j++) sb += b[(g + 3 * j) % FMA_OPERANDS];
        out[g] = IT * sa * sb;
      }
      return out;
    }),
  };
}
