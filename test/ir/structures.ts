/**
 * Test helpers: build checked `Structure`s directly (no parser), with the SPEC §4 paths, random
 * parameters, and random structures for property tests.
 */
import { paramsOf } from '../../src/dsl/params.js';
import { modelOfStructure } from '../../src/model/build.js';
import { stepCount } from '../../src/model/cost.js';
import type { CheckedMap, Structure } from '../../src/dsl/structure.js';
import { assertNever } from '../../src/util/assert.js';
import { uniform01 } from '../../src/util/random.js';

/** A structure waiting for its path (`name`, or `${parent}.${i}` as an operand). */
export type Build = (path: string) => Structure;

export const dense = (n: number, m: number): Build => (path) => ({ kind: 'dense', in: n, out: m, path });
export const ks = (a: number, b: number, c: number, d: number): Build => (path) => ({ kind: 'ks', in: a * c * d, out: a * b * d, path, a, b, c, d });
export const blockdiag = (n: number, m: number, k: number): Build => (path) => ({ kind: 'blockdiag', in: n, out: m, path, nblocks: k });
export const transpose = (r: number, c: number): Build => (path) => ({ kind: 'transpose', in: r * c, out: r * c, path, r, c });
export const lowrank = (n: number, m: number, rank: number): Build => (path) => ({ kind: 'lowrank', in: n, out: m, path, rank });
export const bias = (m: number, n = m): Build => (path) => ({ kind: 'bias', in: n, out: m, path });

/** monarch(nblocks: k) on n -> m, with fly's p, q, r, s. */
export const monarch = (n: number, m: number, k: number): Build => (path) => {
  const p = n / k;
  const s = m / k;
  const qr = n <= m ? p : s;
  return { kind: 'monarch', in: n, out: m, path, nblocks: k, p, q: qr, r: qr, s };
};

export const monarchOrder = (radices: readonly number[]): Build => (path) => {
  const n = radices.reduce((p, v) => p * v, 1);
  return { kind: 'monarch_order', in: n, out: n, path, radices: [...radices] };
};

export const butterfly = (radix: number, levels: number, stride: 'increasing' | 'decreasing' = 'increasing'): Build => (path) => {
  const n = radix ** levels;
  return { kind: 'butterfly', in: n, out: n, path, radix, levels, stride };
};

export const sparse = (n: number, m: number, bh: number, bw: number, blocks: readonly (readonly [number, number])[]): Build => (path) => ({
  kind: 'sparse',
  in: n,
  out: m,
  path,
  bh,
  bw,
  blocks: [...blocks].sort((x, y) => x[0] - y[0] || x[1] - y[1]),
  pattern: 'test',
});

export const sum = (...terms: Build[]): Build => (path) => {
  const built = terms.map((t, i) => t(`${path}.${i}`));
  const sized = built.find((t) => t.kind !== 'bias') ?? built[0];
  return { kind: 'sum', in: sized.in, out: sized.out, path, terms: built.map((t) => (t.kind === 'bias' ? { ...t, in: sized.in } : t)) };
};

/** `f0 @ f1 @ …` as written: the last factor is applied first. */
export const chain = (...factors: Build[]): Build => (path) => {
  const built = factors.map((f, i) => f(`${path}.${i}`));
  return { kind: 'chain', in: built[built.length - 1].in, out: built[0].out, path, factors: built };
};

/** A reference to the map `name` whose structure is `target` (built with path `name`). */
export const ref = (name: string, target: Structure): Build => () => ({ kind: 'ref', in: target.in, out: target.out, path: name, map: name, target });

export function checkedMap(name: string, build: Build): CheckedMap {
  const structure = build(name);
  return { name, in: structure.in, out: structure.out, structure };
}

/** max |got − want| / max(1, max |want|): relative to the output's scale. */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / scale;
}

/** A small seeded generator in [0, 1). */
export const rng = uniform01;

export function randomValues(random: () => number, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => random() * 2 - 1);
}

/** Random values for every parameter tensor of a structure. */
export function randomParams(s: Structure, random: () => number): Map<string, Float64Array> {
  return new Map(paramsOf(s).map((p) => [p.name, randomValues(random, p.shape.reduce((a, b) => a * b, 1))]));
}

/** The number of block matmuls a structure denotes (each use of a referenced map counts): its model's steps minus its bias adds. */
export function matmulCount(s: Structure): number {
  return stepCount(modelOfStructure(s).body) - countKind(s, 'bias');
}

export function countKind(s: Structure, kind: Structure['kind']): number {
  const here = s.kind === kind ? 1 : 0;
  switch (s.kind) {
    case 'sum':
      return here + s.terms.reduce((n, t) => n + countKind(t, kind), 0);
    case 'chain':
      return here + s.factors.reduce((n, f) => n + countKind(f, kind), 0);
    case 'ref':
      return here + countKind(s.target, kind);
    default:
      return here;
  }
}

// ---------------------------------------------------------------------------------------------
// Random structures

function divisors(n: number): number[] {
  return [...Array(n).keys()].map((i) => i + 1).filter((d) => n % d === 0);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** A random factorisation of n into at least two factors >= 2, or null when n is prime or 1. */
function factorise(n: number, random: () => number): number[] | null {
  const proper = divisors(n).filter((d) => d > 1 && d < n);
  if (proper.length === 0) return null;
  const first = pick(random, proper);
  return [first, ...(factorise(n / first, random) ?? [n / first])].sort(() => random() - 0.5);
}

function pick<T>(random: () => number, xs: readonly T[]): T {
  return xs[Math.floor(random() * xs.length)];
}

/** Butterfly (radix, levels) with radix^levels = n, if any. */
function butterflyShapes(n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let r = 2; r <= n; r++) {
    let levels = 0;
    let v = 1;
    while (v < n) {
      v *= r;
      levels++;
    }
    if (v === n) out.push([r, levels]);
  }
  return out;
}

export const SMALL_SIZES = [4, 6, 8, 9, 12, 16, 18, 24] as const;

/**
 * A random structure n -> m of every constructor, sums (with bias), chains with transposes, and
 * references to a tied map `tied<n>x<m>d<depth>` (the same target every time, so weights are shared).
 */
export function randomStructure(random: () => number, n: number, m: number, depth: number, tied = new Map<string, Structure>()): Build {
  const options: (() => Build)[] = [
    () => dense(n, m),
    () => {
      const a = pick(random, divisors(gcd(n, m)));
      const d = pick(random, divisors(gcd(n / a, m / a)));
      return ks(a, m / (a * d), n / (a * d), d);
    },
    () => blockdiag(n, m, pick(random, divisors(gcd(n, m)))),
    () => monarch(n, m, pick(random, divisors(gcd(n, m)))),
    () => lowrank(n, m, 1 + Math.floor(random() * 3)),
    () => {
      const bh = pick(random, divisors(m));
      const bw = pick(random, divisors(n));
      const blocks: [number, number][] = [];
      for (let i = 0; i < m / bh; i++) for (let j = 0; j < n / bw; j++) if (random() < 0.5) blocks.push([i, j]);
      return sparse(n, m, bh, bw, blocks);
    },
  ];
  if (n === m) {
    const radices = factorise(n, random);
    if (radices) options.push(() => monarchOrder(radices));
    const shapes = butterflyShapes(n);
    if (shapes.length > 0)
      options.push(() => {
        const [r, levels] = pick(random, shapes);
        return butterfly(r, levels, random() < 0.5 ? 'increasing' : 'decreasing');
      });
  }
  if (depth > 0) {
    options.push(() => {
      const terms = Array.from({ length: 2 + Math.floor(random() * 2) }, () => randomStructure(random, n, m, depth - 1, tied));
      if (random() < 0.5) terms.splice(Math.floor(random() * (terms.length + 1)), 0, bias(m, n));
      return sum(...terms);
    });
    options.push(() => {
      const mid = pick(random, SMALL_SIZES);
      const maybeTranspose = (size: number): Build[] => {
        if (random() < 0.5) return [];
        const r = pick(random, divisors(size));
        return [transpose(r, size / r)];
      };
      // Source order: the outer factor (mid -> m) first.
      return chain(
        ...maybeTranspose(m),
        randomStructure(random, mid, m, depth - 1, tied),
        ...maybeTranspose(mid),
        randomStructure(random, n, mid, depth - 1, tied),
        ...maybeTranspose(n),
      );
    });
    options.push(() => {
      const name = `tied${n}x${m}d${depth}`;
      let target = tied.get(name);
      if (!target) {
        target = randomStructure(random, n, m, depth - 1, tied)(name);
        tied.set(name, target);
      }
      return ref(name, target);
    });
  }
  return pick(random, options)();
}
