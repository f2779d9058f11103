/**
 * ks-sgmat's `mc` staging: the operand chunks go from global to workgroup memory as 16x16
 * subgroup matrices (subgroupMatrixLoad from the buffer, subgroupMatrixStore of the same left
 * matrix into the staged tile) instead of scalar f16 stores of vec4 registers.
 *
 * Why: the default staging moves a chunk in 8-byte global loads and, because the matrix builtins
 * read workgroup arrays of scalars, writes it back one f16 at a time (4 stores per vec4, each with
 * its own index and robustness clamp): per 16-deep chunk of a 128x128 workgroup tile that is 32
 * scalar stores per invocation beside 16 MMAs per subgroup. A matrix copy is one load and one
 * store per 16x16 tile (8 f16 per invocation), which the driver may issue as wide accesses.
 *
 * Each subgroup copies its share of the chunk's tiles: tile t = q·sg + sgid for slots q (x's tiles
 * and W's tiles counted separately), so every offset is uniform within the subgroup. Fetch loads
 * a tile into the slot's matrix register (the software pipeline's prefetch), stash stores it.
 * A source tile whose 16 rows reach past the batch would read from offset 0 (Dawn's robustness
 * redirects a matrix load that crosses the buffer's end): such a tile (only in a batch's last
 * workgroup) is copied by the subgroup's lanes instead, its rows clamped to the last one, when
 * stashed. W's tiles always lie inside the parameters.
 *
 * d = 1 only: source tile (i, kk) of chunk k0 is the row-major block of x at row row0 + 16·i,
 * column α·c + k0 + 16·kk (row stride inSize), W's tile (j, kk) the block of W's rows α·b + β0 +
 * 16·j at column k0 + 16·kk (row stride c); both land row-major in the staged rows of `pitch`
 * halves, as the scalar staging lays them out.
 */
import { div, mod, mul, sum, u, type U32Expr } from '../u32.js';
import type { Staging } from './wgsl-text.js';

const EDGE = 16;
const LANES = 32;

export interface MatrixCopyLayout {
  /** Scalar f16 views of the source and the parameters. */
  readonly src: string;
  readonly params: string;
  readonly xs: string;
  readonly ws: string;
  readonly inSize: number;
  readonly b: number;
  readonly c: number;
  readonly wOff: number;
  /** The workgroup's rows and β, the chunk's γ and the staged rows' pitch (halves). */
  readonly rows: number;
  readonly cols: number;
  readonly tk: number;
  readonly pitch: number;
  /** Subgroups per workgroup; with more than one, `sgid` names the subgroup (uniform within it). */
  readonly subgroups: number;
  /** The chunk's half of xs and ws (db), else undefined. */
  readonly xsHalf: U32Expr | undefined;
  readonly wsHalf: U32Expr | undefined;
  /** The registers' name prefix (two stagings in one kernel: `pd`). */
  readonly prefix: string;
}

/** The matrix type every copy goes through (any 16x16 f16 matrix would do: only its data moves). */
const CARRIER = `subgroup_matrix_left<f16, ${EDGE}, ${EDGE}>`;

export function matrixCopyStaging(l: MatrixCopyLayout): Staging {
  const kt = l.tk / EDGE;
  const sg = l.subgroups;
  const xTiles = (l.rows / EDGE) * kt;
  const wTiles = (l.cols / EDGE) * kt;
  const slots = (tiles: number) => Math.ceil(tiles / sg);
  const tileOf = (q: number): U32Expr => (sg === 1 ? u(q) : sum(u(q * sg), 'sgid'));
  const reg = (kind: 'x' | 'w', q: number) => `${l.prefix}${kind}${q}`;
  // One slot's lines in a block of its own (each names t, tr, at), guarded where the tiles do not
  // divide evenly among the subgroups.
  const slot = (tiles: number, q: number, body: (t: U32Expr) => string[]): string[] => {
    const t = tileOf(q);
    const lines = body(t);
    const guarded = (q + 1) * sg > tiles;
    return guarded ? ['{', `  if (${t} < ${u(tiles)}) {`, ...lines.map((s) => `    ${s}`), '  }', '}'] : ['{', ...lines.map((s) => `  ${s}`), '}'];
  };
  const rowOf = (t: U32Expr) => sum('row0', mul(div(t, kt), EDGE));
  const colOf = (t: U32Expr) => mul(mod(t, kt), EDGE);
  const srcAt = (t: U32Expr, k0: U32Expr) => sum(mul('tr', l.inSize), mul('alpha', l.c), k0, colOf(t));
  const wAt = (t: U32Expr, k0: U32Expr) => sum(u(l.wOff), mul(sum(mul('alpha', l.b), 'beta0', mul(div(t, kt), EDGE)), l.c), k0, colOf(t));
  const stagedAt = (half: U32Expr | undefined, t: U32Expr) => sum(half, mul(div(t, kt), EDGE * l.pitch), colOf(t));
  const inside = `tr + ${u(EDGE)} <= batch`;
  const lane = sg === 1 ? 'lid' : `lid % ${u(LANES)}`;
  const fetch = (k0: U32Expr): string[] => [
    ...Array.from({ length: slots(xTiles) }, (_, q) =>
      slot(xTiles, q, (t) => [`let tr = ${rowOf(t)};`, `if (${inside}) {`, `  ${reg('x', q)} = subgroupMatrixLoad<${CARRIER}, row_major>(&${l.src}, ${srcAt(t, k0)}, ${u(l.inSize)});`, '}']),
    ).flat(),
    ...Array.from({ length: slots(wTiles) }, (_, q) =>
      slot(wTiles, q, (t) => [`${reg('w', q)} = subgroupMatrixLoad<${CARRIER}, row_major>(&${l.params}, ${wAt(t, k0)}, ${u(l.c)});`]),
    ).flat(),
  ];
  const stash = (k0: U32Expr): string[] => [
    ...Array.from({ length: slots(xTiles) }, (_, q) =>
      slot(xTiles, q, (t) => [
        `let tr = ${rowOf(t)};`,
        `let at = ${stagedAt(l.xsHalf, t)};`,
        `if (${inside}) {`,
        `  subgroupMatrixStore<row_major>(&${l.xs}, at, ${reg('x', q)}, ${u(l.pitch)});`,
        '} else {',
        `  for (var e = ${lane}; e < ${u(EDGE * EDGE)}; e += ${u(LANES)}) {`,
        `    let r = e / ${u(EDGE)};`,
        `    let k = e % ${u(EDGE)};`,
        `    ${l.xs}[at + r * ${u(l.pitch)} + k] = ${l.src}[${sum(mul('min(tr + r, batch - 1u)', l.inSize), mul('alpha', l.c), k0, colOf(t), 'k')}];`,
        '  }',
        '}',
      ]),
    ).flat(),
    ...Array.from({ length: slots(wTiles) }, (_, q) =>
      slot(wTiles, q, (t) => [`subgroupMatrixStore<row_major>(&${l.ws}, ${stagedAt(l.wsHalf, t)}, ${reg('w', q)}, ${u(l.pitch)});`]),
    ).flat(),
  ];
  return {
    registers: [...Array.from({ length: slots(xTiles) }, (_, q) => `var ${reg('x', q)} = ${CARRIER}();`), ...Array.from({ length: slots(wTiles) }, (_, q) => `var ${reg('w', q)} = ${CARRIER}();`)],
    fetch,
    stash,
  };
}
