/**
 * Structures built by hand for the projection tests (the parser is not needed: these are the
 * checked `Structure` objects of SPEC §3), random parameters, and dense matrices through the
 * float64 reference (an independent path from the projector's own products). Projection and the
 * reference read a map's model: the wrappers below build it from the structure (modelOfStructure,
 * what `monc` does for a checked map) so the tests can speak of structures.
 */
import { modelOfStructure, paramsOf } from '../../src/model/build.js';
import * as projection from '../../src/project/index.js';
import { residualConfirmed as confirmModel } from '../../src/project/verify.js';
import type {
  ButterflyNode, ChainNode, DenseNode, KsNode, LowrankNode, MonarchNode, MonarchOrderNode, RefNode, SparseNode, Structure, SumNode, BlockdiagNode, TransposeNode, BiasNode,
} from '../../src/dsl/structure.js';
import { referenceApply as applyModel, referenceDense } from '../../src/runtime/reference.js';
import { Rng } from '../../src/project/linalg/rng.js';

export const dense = (out: number, inp: number, path = 'm'): DenseNode => ({ kind: 'dense', in: inp, out, path });
export const ks = (a: number, b: number, c: number, d: number, path = 'm'): KsNode => ({ kind: 'ks', a, b, c, d, in: a * c * d, out: a * b * d, path });
export const blockdiag = (out: number, inp: number, nblocks: number, path = 'm'): BlockdiagNode => ({ kind: 'blockdiag', nblocks, in: inp, out, path });
export const transpose = (r: number, c: number, path = 'm'): TransposeNode => ({ kind: 'transpose', r, c, in: r * c, out: r * c, path });
export const bias = (n: number, path = 'm'): BiasNode => ({ kind: 'bias', in: n, out: n, path });
export const lowrank = (out: number, inp: number, rank: number, path = 'm'): LowrankNode => ({ kind: 'lowrank', rank, in: inp, out, path });

/** monarch(nblocks: k) with fly's shapes: p = in/k, s = out/k, q = r = p if in <= out else s. */
export function monarch(out: number, inp: number, k: number, path = 'm'): MonarchNode {
  const p = inp / k;
  const s = out / k;
  const q = inp <= out ? p : s;
  return { kind: 'monarch', nblocks: k, p, q, r: q, s, in: inp, out, path };
}

export const monarchOrder = (radices: number[], path = 'm'): MonarchOrderNode => {
  const n = radices.reduce((a, b) => a * b, 1);
  return { kind: 'monarch_order', radices, in: n, out: n, path };
};

export function butterfly(n: number, radix: number, stride: 'increasing' | 'decreasing' = 'increasing', path = 'm'): ButterflyNode {
  const levels = Math.round(Math.log(n) / Math.log(radix));
  return { kind: 'butterfly', radix, levels, stride, in: n, out: n, path };
}

/** sparse with the blocks where `present(I, J)`, in row-major order of (I, J). */
export function sparse(out: number, inp: number, bh: number, bw: number, present: (i: number, j: number) => boolean, pattern: string, path = 'm'): SparseNode {
  const blocks: [number, number][] = [];
  for (let i = 0; i < out / bh; i++) for (let j = 0; j < inp / bw; j++) if (present(i, j)) blocks.push([i, j]);
  return { kind: 'sparse', bh, bw, blocks, pattern, in: inp, out, path };
}

export const flatButterfly = (factors: number) => (i: number, j: number) => {
  const x = i ^ j;
  return x === 0 || ((x & (x - 1)) === 0 && x < 2 ** factors);
};
export const band = (width: number) => (i: number, j: number) => Math.abs(i - j) < width;
export function randomPattern(density: number, seed: number) {
  const cache = new Map<string, boolean>();
  const rng = new Rng(seed);
  return (i: number, j: number) => {
    const key = `${i},${j}`;
    if (!cache.has(key)) cache.set(key, rng.uniform() < density);
    return cache.get(key)!;
  };
}

/** Re-roots `s` (and its operands) under `path`, numbering operands as SPEC §4 does. */
function withPath<T extends Structure>(s: T, path: string): T {
  if (s.kind === 'sum') return { ...s, path, terms: s.terms.map((t, i) => withPath(t, `${path}.${i}`)) };
  if (s.kind === 'chain') return { ...s, path, factors: s.factors.map((f, i) => withPath(f, `${path}.${i}`)) };
  if (s.kind === 'ref') return s;
  return { ...s, path };
}

export function sum(terms: Structure[], path = 'm'): SumNode {
  return withPath({ kind: 'sum', terms, in: terms[0].in, out: terms[0].out, path }, path);
}

/** A @ B @ … as written: the last factor is applied first. */
export function chain(factors: Structure[], path = 'm'): ChainNode {
  return withPath({ kind: 'chain', factors, in: factors[factors.length - 1].in, out: factors[0].out, path }, path);
}

export const ref = (target: Structure): RefNode => ({ kind: 'ref', map: target.path, target, in: target.in, out: target.out, path: target.path });

export function randomParams(s: Structure, seed: number): Map<string, Float64Array> {
  const rng = new Rng(seed);
  return new Map(paramsOf(s).map((p) => [p.name, rng.gaussianArray(p.shape.reduce((a, b) => a * b, 1))]));
}

export function gaussianMatrix(m: number, n: number, seed: number): Float64Array {
  return new Rng(seed).gaussianArray(m * n);
}

export const denseOf = (s: Structure, params: ReadonlyMap<string, ArrayLike<number>>): Float64Array => referenceDense(modelOfStructure(s), params);

export const referenceApply = (s: Structure, params: ReadonlyMap<string, ArrayLike<number>>, x: ArrayLike<number>, batch: number): Float64Array =>
  applyModel(modelOfStructure(s), params, x, batch);

export const project = (s: Structure, w: ArrayLike<number>, options?: projection.ProjectOptions): projection.ProjectionResult =>
  projection.project(modelOfStructure(s), w, options);

export const denseShape = (s: Structure): [number, number] => projection.denseShape(modelOfStructure(s));

export const checkDenseShape = (s: Structure, shape: readonly number[]): void => projection.checkDenseShape(modelOfStructure(s), shape);

export const residualConfirmed = (s: Structure, params: ReadonlyMap<string, Float64Array>, target: Float64Array, residual2: number, norm2: number): boolean =>
  confirmModel(modelOfStructure(s).body, params, target, residual2, norm2);

export function relativeDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] * b[i];
  }
  return Math.sqrt(num / den);
}
