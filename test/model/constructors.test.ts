/**
 * The model of every constructor means what the float64 structure semantics (structure-reference.ts) say: its dense
 * matrix, built here from the factor definitions (test/model/dense-model.ts), equals the
 * reference's; Monarch is also checked against the paper's M = P L Pᵀ R written densely; and
 * every parameter tensor the model lists is exactly what its factors read.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it, vi } from 'vitest';
import type { Structure } from '../../src/dsl/structure.js';
import { modelOf, modelOfStructure } from '../../src/model/build.js';
import { constructorModel } from '../../src/model/constructors.js';
import type { ModelNode, ParamSpec } from '../../src/model/types.js';
import { structureDense } from './structure-reference.js';
import { assertNever } from '../../src/util/assert.js';
import {
  bias,
  blockdiag,
  butterfly,
  chain,
  checkedMap,
  dense,
  ks,
  lowrank,
  monarch,
  monarchOrder,
  randomParams,
  randomStructure,
  ref,
  relativeError,
  rng,
  SMALL_SIZES,
  sparse,
  sum,
  transpose,
  type Build,
} from '../ir/structures.js';
import { denseOfModel, ksMatrix, matmul, zeros, type Matrix } from './dense-model.js';

// constructorModel counted (a spy over the real one): how many leaves a model is built from.
vi.mock('../../src/model/constructors.js', async (original) => {
  const actual = await original<typeof import('../../src/model/constructors.js')>();
  return { ...actual, constructorModel: vi.fn(actual.constructorModel) };
});

const TOLERANCE = 1e-12;

/** diag() on n (test/ir/structures.ts predates it). */
const diag = (n: number): Build => (path) => ({ kind: 'diag', in: n, out: n, path });

/** Every constructor, rectangular and non-power-of-two sizes where the constructor allows them. */
const constructorCases: [string, Build][] = [
  ['dense 6 -> 10', dense(6, 10)],
  ['diag 7', diag(7)],
  ['diag @ monarch 12 -> 24', chain(diag(24), monarch(12, 24, 3))],
  ['ks(2, 3, 4, 5)', ks(2, 3, 4, 5)],
  ['blockdiag 12 -> 18, 3 blocks', blockdiag(12, 18, 3)],
  ['transpose(3, 4) @ dense', chain(transpose(3, 4), dense(12, 12))],
  ['monarch 12 -> 24, 3 blocks (widening)', monarch(12, 24, 3)],
  ['monarch 24 -> 12, 3 blocks (narrowing)', monarch(24, 12, 3)],
  ['monarch 36 -> 36, 6 blocks', monarch(36, 36, 6)],
  ['monarch(radices: [2, 3, 4])', monarchOrder([2, 3, 4])],
  ['butterfly(radix: 3) increasing', butterfly(3, 2)],
  ['butterfly(radix: 2) decreasing', butterfly(2, 3, 'decreasing')],
  ['lowrank 10 -> 6, rank 3', lowrank(10, 6, 3)],
  ['sparse 12 -> 6, 2x3 blocks', sparse(12, 6, 2, 3, [[0, 1], [0, 3], [2, 0], [1, 2]])],
  ['monarch + bias', sum(monarch(12, 24, 3), bias(24, 12))],
];

function expectModelMatchesReference(s: Structure, seed: number): void {
  const params = randomParams(s, rng(seed));
  const want = structureDense(s, params);
  const got = denseOfModel(modelOfStructure(s).body, params);
  expect([got.rows, got.cols]).toEqual([s.out, s.in]);
  expect(relativeError(got.data, want)).toBeLessThan(TOLERANCE);
}

/** Elements of a parameter tensor. */
const elements = (p: ParamSpec) => p.shape.reduce((a, b) => a * b, 1);

/** Every node of a model, each tied body once. */
function nodes(n: ModelNode, out: ModelNode[] = [], seen = new Set<string>()): ModelNode[] {
  out.push(n);
  switch (n.kind) {
    case 'ks':
    case 'bsr':
    case 'transpose':
    case 'bias':
      return out;
    case 'chain':
      n.stages.forEach((s) => nodes(s, out, seen));
      return out;
    case 'sum':
      n.terms.forEach((t) => nodes(t, out, seen));
      return out;
    case 'tied':
      if (!seen.has(n.map)) {
        seen.add(n.map);
        nodes(n.body, out, seen);
      }
      return out;
    default:
      return assertNever(n, 'model node');
  }
}

/**
 * The parameters are exactly the tensors the factors read, each slice within its tensor, and
 * each fan-in the number of inputs feeding an output entry of the factor that reads it (the
 * block-sparse one averaged over block rows; a bias takes the map's fan-in).
 */
function expectParamsMatchFactors(s: Structure): void {
  const { params, body } = modelOfStructure(s);
  const byName = new Map(params.map((p) => [p.name, p]));
  expect(byName.size).toBe(params.length);
  const read = new Set<string>();
  for (const n of nodes(body)) {
    const slice = n.kind === 'ks' || n.kind === 'bsr' ? n.weight : n.kind === 'bias' ? n.param : undefined;
    if (slice === undefined) continue;
    read.add(slice.tensor);
    const p = byName.get(slice.tensor)!;
    expect(p, slice.tensor).toBeDefined();
    expect(slice.offset + slice.length).toBeLessThanOrEqual(elements(p));
    if (n.kind === 'ks') expect(p.fanIn).toBe(n.c);
    if (n.kind === 'bsr') expect(p.fanIn).toBe(Math.max(1, Math.round((n.blocks.length * n.bw) / (n.out / n.bh))));
    if (n.kind === 'bias') expect(p.fanIn).toBe(n.in);
  }
  expect([...read].sort()).toEqual([...byName.keys()].sort());
}

describe('the model of each constructor', () => {
  it.each(constructorCases)('%s: dense matrix equals the float64 structure semantics', (_, build) => {
    expectModelMatchesReference(build('m'), 1);
  });

  it.each(constructorCases)('%s: parameters are what the factors read', (_, build) => {
    expectParamsMatchFactors(build('m'));
  });

  it('monarch(nblocks: k) on k² is the paper\'s P L Pᵀ R with R = blkdiag1, L = blkdiag2, P the k x k transpose', () => {
    const k = 5;
    const n = k * k;
    const s = monarch(n, n, k)('m');
    const params = randomParams(s, rng(7));
    const blockDiagonal = (w: ArrayLike<number>): Matrix => {
      const m = zeros(n, n);
      for (let b = 0; b < k; b++) for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) m.data[(b * k + i) * n + b * k + j] = w[(b * k + i) * k + j];
      return m;
    };
    const p = zeros(n, n);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) p.data[(j * k + i) * n + i * k + j] = 1; // symmetric: Pᵀ = P
    const want = matmul(matmul(matmul(p, blockDiagonal(params.get('m.blkdiag2')!)), p), blockDiagonal(params.get('m.blkdiag1')!));
    expect(relativeError(denseOfModel(modelOfStructure(s).body, params).data, want.data)).toBeLessThan(TOLERANCE);
  });

  it('ks is the one factor K(a,b,c,d) reading all of w', () => {
    const s = ks(2, 3, 4, 5)('m');
    const params = randomParams(s, rng(3));
    expect(denseOfModel(modelOfStructure(s).body, params).data).toEqual(ksMatrix(2, 3, 4, 5, params.get('m.w')!, 0).data);
  });

  it('multi-factor constructors are chains tagged with the constructor; user chains are not tagged', () => {
    const tag = (b: Build) => {
      const body = modelOfStructure(b('m')).body;
      return body.kind === 'chain' ? body.constructorKind : body.kind;
    };
    expect(tag(monarch(12, 24, 3))).toBe('monarch');
    expect(tag(monarchOrder([2, 3]))).toBe('monarch_order');
    expect(tag(butterfly(2, 3))).toBe('butterfly');
    expect(tag(lowrank(8, 8, 2))).toBe('lowrank');
    expect(tag(chain(dense(8, 8), dense(8, 8)))).toBeUndefined();
    expect(tag(dense(8, 8))).toBe('ks');
  });
});

describe('combinators', () => {
  it('a chain lists its stages in application order and its parameters in source order', () => {
    const m = modelOf(checkedMap('c', chain(dense(6, 4), dense(8, 6))));
    expect(m.params.map((p) => p.name)).toEqual(['c.0.weight', 'c.1.weight']);
    expect(m.body.kind === 'chain' && m.body.stages.map((s) => s.path)).toEqual(['c.1', 'c.0']);
  });

  it('a reference is a tied node whose body is modelled once per map and shared; its tensors are listed once', () => {
    const target = monarch(16, 16, 4)('t');
    const m = modelOf(checkedMap('u', chain(ref('t', target), ref('t', target))));
    expect(m.params.map((p) => p.name)).toEqual(['t.blkdiag1', 't.blkdiag2']);
    const stages = m.body.kind === 'chain' ? m.body.stages : [];
    expect(stages.map((s) => s.kind)).toEqual(['tied', 'tied']);
    const [first, second] = stages;
    expect(first.kind === 'tied' && second.kind === 'tied' && first.body === second.body).toBe(true);
  });

  // Counted, not timed (s26 OPEN-b): the leaf at the chain's end is modelled once, where a model per use walks it twice.
  it('an alias chain of 2000 maps used twice is modelled once, not once per use', () => {
    let s: Structure = dense(4, 4)('a0');
    for (let i = 1; i < 2000; i++) s = { kind: 'ref', in: 4, out: 4, path: `a${i - 1}`, map: `a${i - 1}`, target: s };
    const diamond: Structure = { kind: 'sum', in: 4, out: 4, path: 'top', terms: [s, s] };
    vi.mocked(constructorModel).mockClear();
    expect(modelOfStructure(diamond).params.map((p) => p.name)).toEqual(['a0.weight']);
    expect(constructorModel).toHaveBeenCalledTimes(1);
  });
});

describe('property: random structures', () => {
  const sizes = fc.constantFrom(...SMALL_SIZES);
  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), sizes, sizes, fc.integer({ min: 0, max: 1 })], { numRuns: 50 })(
    'diag() on either side of a random structure matches the float64 reference',
    (seed, n, m, depth) => {
      const inner = randomStructure(rng(seed), n, m, depth);
      const s = chain(diag(m), inner, diag(n))('p');
      expectModelMatchesReference(s, seed + 1);
      expectParamsMatchFactors(s);
    },
  );
  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), sizes, sizes, fc.integer({ min: 0, max: 2 })], { numRuns: 150 })(
    'the model matches the float64 reference and its parameters match its factors',
    (seed, n, m, depth) => {
      const s = randomStructure(rng(seed), n, m, depth)('p');
      expectModelMatchesReference(s, seed + 1);
      expectParamsMatchFactors(s);
    },
  );
});
