/**
 * canonicalize-blocks: a block matmul whose index maps only renumber its blocks, as another split
 * of its block index would, is rewritten as the block matmul of that split, with the maps gone.
 * Maps that reorder the blocks themselves stay (transpose(8, 8) @ diag() @ transpose(8, 8)): the
 * weight is laid out in block order, and no split changes that order (QA1 s26 Q501).
 *
 * A `ks` K(a,b,c,d) numbers its blocks k = α·d + δ (W[k, β, γ]); the same blocks, the same
 * weights and the same positions can be described with another split k = α'·d' + δ' (a'·d' =
 * a·d) and index maps that reorder the digits. The explicit Monarch `P L Pᵀ R`
 * (`transpose(b, b) @ blockdiag(nblocks: b) @ transpose(b, b) @ blockdiag(nblocks: b)`) folds into
 * K(b, b, b, 1) reading and writing through transpose(b, b); re-split as K(1, b, b, b) its maps
 * are the identity, exactly the second factor of `monarch(nblocks: b)`. So both spellings compile
 * to the same ops (same index maps, same kernels).
 *
 * For every split whose digit boundaries nest with the current one (d' a multiple or a divisor
 * of d, so the change of split is one axis permutation R of the logical indices), the new maps are
 * "R, then the old map", simplified; the split whose maps have the fewest steps wins, the current
 * one on ties. Runs after the maps are simplified (and again simplifies what it builds).
 *
 * Two consecutive chain stages, once canonical, that are an unmarked block-diagonal factor (K(a, b, c, 1), its output
 * written as it is) then the strided Monarch factor (K(1, b, c, d), d > 1, its input read as it is) are the ops of
 * `monarch(...)`'s two factors, however they were written (`P L Pᵀ R`, `ks(a: 1, …, d: k) @ blockdiag(nblocks: k)`,
 * the two levels of `butterfly(radix: r)` on r² inputs, which are Monarch's factors too): both get a PairMark of a
 * new group, as lowering gives `monarch(...)`'s factors, so the pair kernels see every spelling alike (QA1 s29 Q802:
 * only stages this pass re-split were marked, so the `ks` spelling, canonical already, was not).
 *
 * Between two consecutive unmarked block matmuls of a chain, one reorder of the data is one map, which fold-permutations
 * gives to the stage after it (its input) where it could as well be the stage before it (its output, inverted). In
 * `P L Pᵀ R @ P L Pᵀ R` the transpose between the two Monarchs went to the second's input, so the first's strided factor
 * kept a map and was never re-split (QA1 s31 Q1002). So each such junction's map moves to the other side where the two
 * stages, re-split again, then have fewer map steps in all (ties stay), before the pairs are marked.
 */
import { assertNever } from '../../util/assert.js';
import { composeIndexMaps, identityMap, indexMapsEqual, invertIndexMap, isIdentityMap, simplifyIndexMap } from '../index-map.js';
import type { AxisPermutation, IndexMap, IrExpr, IrMap, KsExpr } from '../ir.js';
import { childrenOf, mapChildren, type LeafExpr } from '../traverse.js';

export function canonicalizeBlocks(map: IrMap): IrMap {
  const groups = { next: nextPairGroup(map.body) };
  return { ...map, body: canonicalizeExpr(map.body, groups) };
}

function canonicalizeExpr(e: IrExpr, groups: { next: number }): IrExpr {
  switch (e.kind) {
    case 'chain':
      return { ...e, stages: markPairs(e.stages, (s) => canonicalizeExpr(s, groups), groups) };
    case 'sum':
      return mapChildren(e, (t) => canonicalizeExpr(t, groups));
    case 'ks':
    case 'bsr':
    case 'perm':
    case 'bias':
      return canonicalizeLeaf(e);
    default:
      return assertNever(e, 'IR node');
  }
}

/** The chain's stages canonicalized, each two that are a Monarch pair's factors marked as one pair. */
function markPairs(stages: readonly IrExpr[], canonicalize: (e: IrExpr) => IrExpr, groups: { next: number }): IrExpr[] {
  const out = stages.map(canonicalize);
  for (let i = 1; i < out.length; i++) {
    const [first, second] = [out[i - 1], out[i]];
    if (first.kind === 'ks') [out[i - 1], out[i]] = movedJunction(first, second);
  }
  for (let i = 1; i < out.length; i++) {
    const [first, second] = [out[i - 1], out[i]];
    if (first.kind !== 'ks' || second.kind !== 'ks' || !isMonarchPair(first, second)) continue;
    const group = groups.next++;
    out[i - 1] = { ...first, pair: { group, stage: 0 } };
    out[i] = { ...second, pair: { group, stage: 1 } };
  }
  return out;
}

/**
 * K0 then `next` with the map between them (K0's output, or the input map that every block matmul reading `next`'s input
 * has, the same one, the other side being the identity) on the other side, re-split, where that costs fewer map steps;
 * else as they are. A reorder P between them is K0's output map out·P or a reader's input map in·P⁻¹ (fold-permutations'
 * semantics, which distributes P over a sum's terms), so with the other side the identity either is the other's inverse.
 */
function movedJunction(k0: KsExpr, next: IrExpr): [KsExpr, IrExpr] {
  const readers = inputReaders(next);
  // A marked stage keeps its split (its pair's form); only a pair's first stage reads from outside it.
  if (k0.pair !== undefined || !readers?.length || readers.some((k) => k.pair?.stage === 1)) return [k0, next];
  const inMap = readers[0].input;
  if (!readers.every((k) => indexMapsEqual(k.input, inMap))) return [k0, next];
  const [out, input] = [isIdentityMap(k0.output), isIdentityMap(inMap)];
  if (out === input) return [k0, next];
  const [k0Output, readerInput] = out ? [invertIndexMap(inMap), identityMap(inMap.size)] : [identityMap(k0.output.size), invertIndexMap(k0.output)];
  const moved = canonicalizeKs({ ...k0, output: simplifyIndexMap(k0Output) });
  const reread = (k: KsExpr) => canonicalizeKs({ ...k, input: simplifyIndexMap(readerInput) });
  const steps = (ks: readonly KsExpr[]) => ks.reduce((n, k) => n + cost(k.input) + cost(k.output), 0);
  return steps([moved, ...readers.map(reread)]) < steps([k0, ...readers]) ? [moved, withInputReaders(next, reread)] : [k0, next];
}

/**
 * The block matmuls that read `e`'s input: a ks itself, a chain's first stage's, every term's of a sum (a bias term reads
 * none); undefined where another node reads it (a bsr, a perm, an empty chain).
 */
function inputReaders(e: IrExpr): KsExpr[] | undefined {
  switch (e.kind) {
    case 'ks':
      return [e];
    case 'bias':
      return [];
    case 'chain':
      return e.stages.length === 0 ? undefined : inputReaders(e.stages[0]);
    case 'sum': {
      const terms = e.terms.map(inputReaders);
      return terms.every((t) => t !== undefined) ? terms.flat() : undefined;
    }
    case 'bsr':
    case 'perm':
      return undefined;
    default:
      return assertNever(e, 'IR node');
  }
}

/** `e` with each of its inputReaders replaced by `f`'s. */
function withInputReaders(e: IrExpr, f: (k: KsExpr) => KsExpr): IrExpr {
  switch (e.kind) {
    case 'ks':
      return f(e);
    case 'chain':
      return { ...e, stages: [withInputReaders(e.stages[0], f), ...e.stages.slice(1)] };
    case 'sum':
      return { ...e, terms: e.terms.map((t) => withInputReaders(t, f)) };
    case 'bias':
    case 'bsr':
    case 'perm':
      return e;
    default:
      return assertNever(e, 'IR node');
  }
}

/** Whether K0 then K1 is the form of `monarch(...)`'s two factors, neither already in a pair. */
function isMonarchPair(k0: KsExpr, k1: KsExpr): boolean {
  return k0.pair === undefined && k1.pair === undefined && k0.d === 1 && k1.a === 1 && k1.d > 1 && isIdentityMap(k0.output) && isIdentityMap(k1.input);
}

/** A group number no PairMark of the expression uses. */
function nextPairGroup(e: IrExpr): number {
  const own = e.kind === 'ks' && e.pair ? e.pair.group + 1 : 0;
  return Math.max(own, ...childrenOf(e).map(nextPairGroup));
}

function canonicalizeLeaf(e: LeafExpr): LeafExpr {
  switch (e.kind) {
    case 'ks':
      return canonicalizeKs(e);
    case 'bsr':
    case 'perm':
    case 'bias':
      return e;
    default:
      return assertNever(e, 'IR leaf');
  }
}

/** How many steps a map costs the kernels (0 for any spelling of the identity). */
function cost(map: IndexMap): number {
  return isIdentityMap(map) ? 0 : map.steps.length;
}

function canonicalizeKs(e: KsExpr): KsExpr {
  if (cost(e.input) + cost(e.output) === 0) return e;
  let best = e;
  let bestCost = cost(e.input) + cost(e.output);
  const blocks = e.a * e.d;
  for (let d = 1; d <= blocks; d++) {
    if (blocks % d !== 0 || d === e.d || (d % e.d !== 0 && e.d % d !== 0)) continue;
    const candidate = resplit(e, d);
    const c = cost(candidate.input) + cost(candidate.output);
    if (c < bestCost) {
      best = candidate;
      bestCost = c;
    }
  }
  return best;
}

/** `e` as K(a·d/d2, b, c, d2) with maps that read and write the same positions. */
function resplit(e: KsExpr, d2: number): KsExpr {
  const a2 = (e.a * e.d) / d2;
  return {
    ...e,
    a: a2,
    d: d2,
    input: mapAfterResplit(e.input, e.a, e.c, e.d, a2, d2),
    output: mapAfterResplit(e.output, e.a, e.b, e.d, a2, d2),
  };
}

/**
 * The map from the new logical index (α', x, δ') of a re-split block matmul (x = γ for the input,
 * β for the output) to the physical position: R (new logical -> old logical α·x·d + x·d + δ,
 * with α'·d' + δ' = α·d + δ) then `old`, simplified.
 */
function mapAfterResplit(old: IndexMap, a: number, x: number, d: number, a2: number, d2: number): IndexMap {
  // d2 = d·m: new digits (α', x, μ, δ) with α = α'·m + μ; old order (α', μ, x, δ).
  // d = d2·m: new digits (α, μ, x, δ') with δ = μ·d2 + δ'; old order (α, x, μ, δ').
  const shape = d2 > d ? [a2, x, d2 / d, d] : [a, d / d2, x, d2];
  const step: AxisPermutation = { shape, perm: [0, 2, 1, 3] };
  const map = simplifyIndexMap(composeIndexMaps({ size: old.size, steps: [step] }, old));
  return isIdentityMap(map) ? identityMap(map.size) : map;
}
