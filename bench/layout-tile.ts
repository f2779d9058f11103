/**
 * A tiled layout for a Monarch pair's intermediate (session 13, KC's experiment): the buffer t0
 * between the two factors is internal, so any permutation of its entries is free as long as
 * factor 1 writes and factor 2 reads it the same way. Factor 2 = K(a, s, r, d) reads t0[γ·d + δ]
 * (γ < r its reduction, δ < d its block), so a workgroup that owns a few δ reads runs of that many
 * elements, d apart (8 δ: 32 bytes f32, 16 f16). Tiles of kt γ × jt δ stored contiguously,
 *   σ(γ·d + δ) = (γ / kt)·kt·d + (δ / jt)·kt·jt + (γ % kt)·jt + δ % jt,
 * turn kt such runs into one run of kt·jt elements. σ is an ordinary IndexMap (tileMap): factor
 * 1's output map and factor 2's input map, which the float64 op reference already honours.
 *
 * The fast families accept identity maps only, so the probe (layout-tile-probe.ts) takes their
 * emitted WGSL and moves the intermediate's address through `<entry>_<buffer>_lay()` (relayout): the same
 * kernel, only its reads of t0 (factor 2) or writes of t0 (factor 1) permuted.
 */
import type { EmittedKernel } from '../src/codegen/wgsl/kernel.js';
import type { IndexMap } from '../src/ir/ir.js';

/** kt γ × jt δ per tile of the intermediate (factor 2's view γ·d + δ). */
export interface TileLayout {
  readonly kt: number;
  readonly jt: number;
}

/** σ over the r·d entries of the intermediate: [γ/kt, γ%kt, δ/jt, δ%jt] -> [γ/kt, δ/jt, γ%kt, δ%jt]. */
export function tileMap(r: number, d: number, t: TileLayout): IndexMap {
  if (r % t.kt !== 0 || d % t.jt !== 0) throw new Error(`layout-tile: tiles ${t.kt}x${t.jt} do not divide ${r}x${d}`);
  return { size: r * d, steps: [{ shape: [r / t.kt, t.kt, d / t.jt, t.jt], perm: [0, 2, 1, 3] }] };
}

/** σ as a WGSL function of the logical index within a row. */
function layFunction(name: string, d: number, t: TileLayout): string {
  return [
    `fn ${name}(l: u32) -> u32 {`,
    `  let g = l / ${d}u;`,
    `  let j = l % ${d}u;`,
    `  return (g / ${t.kt}u) * ${t.kt * d}u + (j / ${t.jt}u) * ${t.kt * t.jt}u + (g % ${t.kt}u) * ${t.jt}u + j % ${t.jt}u;`,
    '}',
  ].join('\n');
}

/** Index of the bracket closing the one at `open`. */
function closing(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '(' || s[i] === '[') depth++;
    else if (s[i] === ')' || s[i] === ']') if (--depth === 0) return i;
  }
  throw new Error(`layout-tile: unbalanced brackets after ${s.slice(open, open + 60)}`);
}

/** `s` split at the ` + ` that are outside brackets. */
function terms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(' || s[i] === '[') depth++;
    else if (s[i] === ')' || s[i] === ']') depth--;
    else if (depth === 0 && s.startsWith(' + ', i)) {
      out.push(s.slice(start, i));
      start = i + 3;
      i += 2;
    }
  }
  return [...out, s.slice(start)];
}

/**
 * An index of the forms the families write, `ROW * n + LOGICAL` (scalar), `(ROW * n + LOGICAL) / 4u`
 * (vec4) or that `+ dv` (a vec4 within the run), with ROW the row term (`row`, `min(…)`), rewritten
 * as `ROW * n + lay(LOGICAL)` (vec4: `(ROW * n + lay(LOGICAL + 4·dv)) / 4u`: a vec4's 4 logical
 * neighbours stay neighbours under σ, jt ≥ 4 and runs aligned).
 */
function rewriteIndex(index: string, lay: string): string {
  const end = index.startsWith('(') ? closing(index, 0) : -1;
  const tail = end >= 0 ? index.slice(end + 1) : '';
  if (end >= 0 && tail !== ' / 4u' && tail !== ' / 4u + dv') throw new Error(`layout-tile: unexpected index ${index}`);
  const [row, ...logical] = terms(end >= 0 ? index.slice(1, end) : index);
  if (!/^(row|min\(.*\)) \* \d+u$/.test(row) || logical.length === 0) throw new Error(`layout-tile: unexpected index ${index}`);
  const moved = `${row} + ${lay}(${[...logical, ...(tail.endsWith('dv') ? ['dv * 4u'] : [])].join(' + ')})`;
  return end >= 0 ? `(${moved}) / 4u` : moved;
}

/**
 * `k` with every access to its `src` (factor 2) or `dst` (factor 1) buffer moved through σ, d its
 * second digit's range (σ over [·, d]). Throws on an access of a form it does not know (a matrix
 * load or store straight from the buffer), so a probe never times a kernel it did not rewrite whole.
 */
export function relayout(k: EmittedKernel, buffer: 'src' | 'dst', d: number, t: TileLayout): EmittedKernel {
  const name = `${k.entryPoint}_${buffer}`;
  // One σ function per buffer (a kernel may have both moved, each with its own σ).
  const lay = `${k.entryPoint}_${buffer}_lay`;
  if (k.wgsl.includes(`&${name}`)) throw new Error(`layout-tile: ${name} is accessed by pointer`);
  let wgsl = '';
  let rest = k.wgsl;
  let byAt = 0;
  let count = 0;
  for (let at = rest.indexOf(`${name}[`); at >= 0; at = rest.indexOf(`${name}[`)) {
    const open = at + name.length;
    const close = closing(rest, open);
    const index = rest.slice(open + 1, close);
    wgsl += rest.slice(0, open + 1) + (index === 'at' ? index : rewriteIndex(index, lay)) + ']';
    rest = rest.slice(close + 1);
    if (index === 'at') byAt++;
    count++;
  }
  wgsl += rest;
  if (count === 0) throw new Error(`layout-tile: ${name} is never indexed`);
  // The ks-sgmat epilogues index through `let at = …;` (only the destination's accesses use it).
  if (byAt > 0) {
    let lets = 0;
    wgsl = wgsl.replace(/let at = (.*);/g, (_, e: string) => {
      lets++;
      return `let at = ${rewriteIndex(e, lay)};`;
    });
    if (lets === 0) throw new Error(`layout-tile: ${name}[at] without a definition of at`);
  }
  return { ...k, wgsl: `${wgsl}\n${layFunction(lay, d, t)}\n` };
}

/**
 * ks-dtiled's source staging with γ before rows (`let k = (e / V) % tk; let r = e / (V·tk);`
 * instead of rows before γ): under σ a warp then reads whole tiles (8 γ × 8 δ: 256 contiguous
 * bytes f32) where it read 16 rows × 32 bytes. The same values staged, in another order. The
 * lanes of one store then write 8 γ planes, which (`pl`: planes of 512 words) start in one bank:
 * each source plane is padded by one vec4, which takes that 8-way conflict to 2-way and moves
 * no other access (every index stays [plane][line], line below the old length).
 */
export function gammaFirstStaging(k: EmittedKernel, tk: number): EmittedKernel {
  let n = 0;
  const staged = k.wgsl.replace(/let r = \(e \/ (\d+)u\) % (\d+)u;(\s*)let k = e \/ (\d+)u;/g, (_, v: string, rows: string, space: string, vr: string) => {
    if (Number(v) * Number(rows) !== Number(vr)) throw new Error('layout-tile: unexpected staging split');
    n++;
    return `let k = (e / ${v}u) % ${tk}u;${space}let r = e / ${Number(v) * tk}u;`;
  });
  if (n === 0) throw new Error('layout-tile: no rows-first staging to reorder');
  const planes = new RegExp(`(var<workgroup> ${k.entryPoint}_xs: array<array<vec4<f32>, )(\\d+)(>, ${tk}>;)`);
  if (!planes.test(staged)) throw new Error('layout-tile: γ-first staging needs the source tile in planes (pl)');
  return { ...k, wgsl: staged.replace(planes, (_, head: string, line: string, tail: string) => `${head}${Number(line) + 1}${tail}`) };
}
