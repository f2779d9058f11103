/**
 * referenceDense: the same M as applying the map to each unit vector (the definition), for every
 * kind of structure, and a copy for dense() (issue 13: `monc dense` of dense() at 8192 took 400 s).
 */
import { describe, expect, it } from 'vitest';
import { bias, blockdiag, butterfly, dense, lowrank, monarch, randomParams, ref } from '../project/structures.js';
import type { Structure, SumNode, ChainNode } from '../../src/dsl/structure.js';
import { referenceApply, referenceDense } from '../support/reference.js';

/** M from the definition: column j is M e_j − M 0. */
function byDefinition(s: Structure, params: ReadonlyMap<string, Float64Array>): Float64Array {
  const eye = new Float64Array(s.in * s.in);
  for (let j = 0; j < s.in; j++) eye[j * s.in + j] = 1;
  const y = referenceApply(s, params, eye, s.in);
  const y0 = referenceApply(s, params, new Float64Array(s.in), 1);
  const m = new Float64Array(s.out * s.in);
  for (let j = 0; j < s.in; j++) for (let i = 0; i < s.out; i++) m[i * s.in + j] = y[j * s.out + i] - y0[i];
  return m;
}

/** The fastest of three runs of `work`, in ms. */
function fastest(work: () => unknown): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    work();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const sum = (terms: Structure[]): SumNode => ({ kind: 'sum', terms, in: terms[0].in, out: terms[0].out, path: 'm' }) as SumNode;
const chain = (factors: Structure[]): ChainNode => ({ kind: 'chain', factors, in: factors[factors.length - 1].in, out: factors[0].out, path: 'm' }) as ChainNode;

describe('referenceDense', () => {
  const cases: [string, Structure][] = [
    ['dense 12 -> 7', dense(7, 12, 'm.a')],
    ['monarch 48 -> 24', monarch(24, 48, 4, 'm.b')],
    ['lowrank 30 -> 20', lowrank(20, 30, 3, 'm.c')],
    ['sum of dense, lowrank and bias', sum([dense(9, 10, 'm.t0'), lowrank(9, 10, 2, 'm.t1'), { ...bias(9, 'm.t2'), in: 10 }])],
    ['chain of butterfly and dense with a biased sum inside', chain([butterfly(16, 2, 'increasing', 'm.f0'), sum([dense(16, 8, 'm.f1'), bias(16, 'm.f2')])])],
  ];
  for (const [name, s] of cases)
    it(`${name}: equals the definition`, () => {
      const params = randomParams(s, 3);
      const got = referenceDense(s, params);
      const want = byDefinition(s, params);
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 12);
    });

  // Timed against a plain copy of the same 4M entries made just before, not against a wall-clock
  // limit: on a loaded machine both slow down alike (a fixed 1 s limit failed at 5.4 s with the
  // machine's load at 17), while the definition's path (2048 unit columns, 2048^3 multiply-adds)
  // stays thousands of times a copy's cost.
  it('dense() is a copy: 2048 x 2048 costs about what copying its weight does', () => {
    const s = dense(2048, 2048, 'm');
    const params = randomParams(s, 1);
    const copyMs = fastest(() => Float64Array.from(params.get('m.weight')!));
    const started = performance.now();
    const m = referenceDense(s, params);
    expect(performance.now() - started).toBeLessThan(50 * copyMs + 20);
    const w = params.get('m.weight')!;
    let same = m.length === w.length;
    for (let i = 0; same && i < w.length; i++) same = m[i] === w[i];
    expect(same).toBe(true);
  });
});

// QA2 s26 Q555: a chain's columns were f(e_j) − f(0), so a bias inside it (a tied map g = dense() + bias() used as
// g @ g) was added and subtracted again: with a bias of 1e20, M = 0 where it is W·W; of 1e6, errors of 7.6e-6. Its
// linear part is applied now: M to float64's rounding whatever the biases.
describe('referenceDense of a chain through biases', () => {
  it.each([1e3, 1e6, 1e20, 1e300])('a bias of %d inside and after each stage costs M no digits', (b) => {
    const s = chain([sum([dense(3, 2, 'm.f0'), bias(3, 'm.f1')]), sum([dense(2, 3, 'm.f2'), bias(2, 'm.f3')])]);
    const small = new Map([...randomParams(s, 4)].map(([name, v]) => [name, name.endsWith('bias') ? v.map(() => 0) : v.map((x) => 1e-3 * x)]));
    const want = byDefinition(s, small);
    const params = new Map([...small].map(([name, v]) => [name, name.endsWith('bias') ? v.map(() => b) : v]));
    const got = referenceDense(s, params);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `entry ${i}`).toBeLessThanOrEqual(1e-15 * Math.abs(want[i]));
  });
});

describe('referenceDense of a tied map', () => {
  it('densifies each map once however often it is used (a + a reads a.weight once), and counts it per use', () => {
    const a = blockdiag(12, 12, 3, 'a');
    const s = sum([ref(a), ref(a), dense(12, 12, 'm.2')]);
    const params = randomParams(s, 5);
    const reads = new Map<string, number>();
    const counting = new (class extends Map<string, Float64Array> {
      override get(name: string): Float64Array | undefined {
        reads.set(name, (reads.get(name) ?? 0) + 1);
        return super.get(name);
      }
    })(params);
    const got = referenceDense(s, counting);
    expect(reads.get('a.weight')).toBe(1);
    const twice = referenceDense(a, params).map((v, i) => 2 * v);
    const other = referenceDense(dense(12, 12, 'm.2'), params);
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(twice[i] + other[i], 12);
  });
});
