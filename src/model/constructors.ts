/**
 * What every constructor of the language means, written once: the parameter tensors it owns
 * (names, shapes and fan-ins as SPEC §4 lists them, in that order) and the factors it applies
 * (docs/language.md writes each one as Kronecker-sparse factors K(a,b,c,d), a block-sparse
 * matmul, a fixed transpose or a bias vector). Parameters, costs, lowering, the float64
 * reference, projection and the manifest all read these entries; adding a constructor is adding
 * one entry here (the table is a mapped type over the leaf kinds of `Structure`, so a missing
 * entry does not compile).
 */
import type { Structure } from '../dsl/structure.js';
import type { BsrFactor, ChainNode, KsFactor, ModelNode, ParamSpec } from './types.js';

/** The constructors of the language: every structure node but the combinators (sum, chain, reference). */
export type Leaf = Exclude<Structure, { readonly kind: 'sum' | 'chain' | 'ref' }>;
export type LeafKind = Leaf['kind'];
type LeafOf<K extends LeafKind> = Extract<Leaf, { readonly kind: K }>;

/** Builders bound to one constructor node: its path prefixes tensor names, its span every factor. */
export interface Factors {
  /** The parameter tensor `${path}.${name}`. */
  param(name: string, shape: readonly number[], fanIn: number): ParamSpec;
  /** K(a,b,c,d) reading its a·b·c·d weights from `${path}.${tensor}` starting at `offset`. */
  ks(a: number, b: number, c: number, d: number, tensor: string, offset?: number): KsFactor;
  /** The block-sparse matmul out x in with blocks (bh, bw) at `blocks` (row-major), weights `${path}.${tensor}`. */
  bsr(bh: number, bw: number, blocks: readonly (readonly [number, number])[], tensor: string): BsrFactor;
  /** The factors applied in order (stages[0] first), tagged as this constructor. */
  chain(stages: readonly ModelNode[]): ChainNode;
}

export interface ConstructorModel<S extends Leaf> {
  readonly params: (s: S, f: Factors) => readonly ParamSpec[];
  readonly body: (s: S, f: Factors) => ModelNode;
}

const product = (xs: readonly number[]) => xs.reduce((p, v) => p * v, 1);

export const constructors: { readonly [K in LeafKind]: ConstructorModel<LeafOf<K>> } = {
  dense: {
    params: (s, f) => [f.param('weight', [s.out, s.in], s.in)],
    body: (s, f) => f.ks(1, s.out, s.in, 1, 'weight'),
  },
  diag: {
    params: (s, f) => [f.param('d', [s.in], 1)],
    body: (s, f) => f.ks(s.in, 1, 1, 1, 'd'),
  },
  ks: {
    params: (s, f) => [f.param('w', [s.a * s.d, s.b, s.c], s.c)],
    body: (s, f) => f.ks(s.a, s.b, s.c, s.d, 'w'),
  },
  blockdiag: {
    params: (s, f) => [f.param('weight', [s.nblocks, s.out / s.nblocks, s.in / s.nblocks], s.in / s.nblocks)],
    body: (s, f) => f.ks(s.nblocks, s.out / s.nblocks, s.in / s.nblocks, 1, 'weight'),
  },
  transpose: {
    params: () => [],
    body: (s) => ({ kind: 'transpose', ...node(s), r: s.r, c: s.c }),
  },
  monarch: {
    params: (s, f) => [f.param('blkdiag1', [s.nblocks, s.q, s.p], s.p), f.param('blkdiag2', [s.nblocks, s.s, s.r], s.r)],
    body: (s, f) => f.chain([f.ks(s.nblocks, s.q, s.p, 1, 'blkdiag1'), f.ks(1, s.s, s.r, s.nblocks, 'blkdiag2')]),
  },
  monarch_order: {
    params: (s, f) => s.radices.map((b, i) => f.param(`factor${i}`, [s.in / b, b, b], b)),
    body: (s, f) => f.chain(s.radices.map((b, i) => f.ks(product(s.radices.slice(i + 1)), b, b, product(s.radices.slice(0, i)), `factor${i}`))),
  },
  butterfly: {
    params: (s, f) => [f.param('twiddle', [s.levels, s.in / s.radix, s.radix, s.radix], s.radix)],
    body: (s, f) => {
      const r = s.radix;
      const n = s.in;
      const levels = [...Array(s.levels).keys()];
      if (s.stride === 'decreasing') levels.reverse();
      // twiddle[t] is the (n/r, r, r) slab of the factor with stride r^t.
      return f.chain(levels.map((t) => f.ks(n / (r * r ** t), r, r, r ** t, 'twiddle', t * n * r)));
    },
  },
  lowrank: {
    params: (s, f) => [f.param('U', [s.out, s.rank], s.rank), f.param('V', [s.rank, s.in], s.in)],
    body: (s, f) => f.chain([f.ks(1, s.rank, s.in, 1, 'V'), f.ks(1, s.out, s.rank, 1, 'U')]),
  },
  sparse: {
    // Average number of inputs feeding one output row: the fan-in of a block row.
    params: (s, f) => [f.param('values', [s.blocks.length, s.bh, s.bw], Math.max(1, Math.round((s.blocks.length * s.bw) / (s.out / s.bh))))],
    body: (s, f) => f.bsr(s.bh, s.bw, s.blocks, 'values'),
  },
  bias: {
    params: (s, f) => [f.param('bias', [s.out], s.in)],
    body: (s) => ({ kind: 'bias', ...node(s), param: { tensor: `${s.path}.bias`, offset: 0, length: s.out } }),
  },
};

/** The fields every model node copies from the structure node it comes from (no `span` key when there is none). */
export function node(s: Structure): { in: number; out: number; path: string; span?: Structure['span'] } {
  return s.span === undefined ? { in: s.in, out: s.out, path: s.path } : { in: s.in, out: s.out, path: s.path, span: s.span };
}

function factorsOf(s: Leaf): Factors {
  const base = node(s);
  const tensor = (name: string) => `${s.path}.${name}`;
  return {
    param: (name, shape, fanIn) => ({ name: tensor(name), shape, fanIn }),
    ks: (a, b, c, d, name, offset = 0) => ({
      kind: 'ks',
      ...base,
      in: a * c * d,
      out: a * b * d,
      a,
      b,
      c,
      d,
      weight: { tensor: tensor(name), offset, length: a * b * c * d },
    }),
    bsr: (bh, bw, blocks, name) => ({ kind: 'bsr', ...base, bh, bw, blocks, weight: { tensor: tensor(name), offset: 0, length: blocks.length * bh * bw } }),
    chain: (stages) => ({ kind: 'chain', ...base, constructorKind: s.kind, stages }),
  };
}

export function isLeaf(s: Structure): s is Leaf {
  return s.kind in constructors;
}

/** A constructor's model: its parameter tensors (SPEC §4 order) and its factors. */
export function constructorModel<K extends LeafKind>(s: LeafOf<K>): { params: readonly ParamSpec[]; body: ModelNode } {
  const entry: ConstructorModel<LeafOf<K>> = constructors[s.kind];
  const f = factorsOf(s);
  return { params: entry.params(s, f), body: entry.body(s, f) };
}
