/**
 * A chain whose stages carry a bias (`down @ up` with `up = monarch(…) + bias()`: two nn.Linear
 * layers without the activation, examples/ffn.mon's `ffn`) projects as the chain of its weighted
 * terms: M, the linear part, does not depend on the biases, which come back zero (the minimum-norm
 * choice, as for a bias term of a sum). So the weights and the error are exactly those of the same
 * chain without biases (W of the class included: it comes back as well as there, which for two
 * Monarchs through a hidden size is the hierarchical heuristic's, not exact), and the reported
 * error is the distance of the float64 reference's M of the returned parameters. A sum of two weighted
 * terms inside a chain is a sum of products (shared-products.test.ts).
 */
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { Structure } from '../../src/dsl/structure.js';
import { bias, chain, denseOf, gaussianMatrix, monarch, project, randomParams, ref, relativeDistance, sum } from './structures.js';

/** `name = monarch(nblocks: k) + bias()` (out × inp), its tensors `name.0.*` and `name.1.bias`, or the monarch alone. */
function layer(name: string, out: number, inp: number, k: number, withBias: boolean): Structure {
  const weighted = monarch(out, inp, k, `${name}.0`);
  return withBias ? sum([weighted, bias(out, `${name}.1`)], name) : weighted;
}

/** `down @ up` through a hidden size h, with or without the layers' biases. */
function ffn(d: number, h: number, k: number, withBias: boolean): Structure {
  return chain([ref(layer('down', d, h, k, withBias)), ref(layer('up', h, d, k, withBias))], 'ffn');
}

describe('a chain of layers with biases projects as the chain of their weights, biases zero', () => {
  fcTest.prop(
    [fc.record({ k: fc.constantFrom(2, 3, 4), dMul: fc.integer({ min: 2, max: 5 }), hMul: fc.integer({ min: 2, max: 6 }), seed: fc.integer({ min: 0, max: 1000 }), inClass: fc.boolean() })],
    { numRuns: 6 },
  )('same weights and error as without the biases; the error is real', ({ k, dMul, hMul, seed, inClass }) => {
    const [d, h] = [k * dMul, k * hMul];
    const withBiases = ffn(d, h, k, true);
    const without = ffn(d, h, k, false);
    // W of the class: the linear part of random layers (biases included, they do not change it).
    const w = inClass ? denseOf(withBiases, randomParams(withBiases, seed)) : gaussianMatrix(d, d, seed);
    const got = project(withBiases, w);
    const plain = project(without, w);
    expect(got.relativeError).toBe(plain.relativeError);
    for (const [name, values] of plain.params) expect(got.params.get(name), name).toEqual(values);
    expect([...got.params.keys()].filter((n) => !plain.params.has(n)).sort()).toEqual(['down.1.bias', 'up.1.bias']);
    for (const name of ['up.1.bias', 'down.1.bias']) expect(got.params.get(name)!.every((v) => v === 0), name).toBe(true);
    expect(got.method).toMatch(/biases inside the chain \(.*\): zero$/);
    expect(Math.abs(relativeDistance(denseOf(withBiases, got.params), w) - got.relativeError)).toBeLessThanOrEqual(1e-9);
  });

  // A stage of biases only (from code: a spec refuses it, E0506 and E0507) gives its input up for a constant: the chain's
  // linear part is 0 whatever the parameters. It was a ProjectionError ('a bias inside a chain is not supported').
  const stageCases: [string, Structure][] = [
    ['monarch @ bias() @ monarch', chain([monarch(8, 8, 2, 'a'), bias(8, 'b'), monarch(8, 8, 2, 'c')], 'f')],
    ['(bias() + bias()) @ monarch', chain([sum([bias(8, 'b0'), bias(8, 'b1')], 'b'), monarch(8, 8, 2, 'c')], 'f')],
  ];
  for (const [name, s] of stageCases) {
    fcTest.prop([fc.integer({ min: 0, max: 1000 })], { numRuns: 3 })(`${name}: M is 0, so zero parameters are the optimum`, (seed) => {
      const w = gaussianMatrix(8, 8, seed);
      const got = project(s, w);
      expect(got.relativeError).toBe(1);
      expect(got.optimal).toBe(true);
      expect(got.heuristic).toBe(false);
      for (const [tensor, values] of got.params) expect(values.every((v) => v === 0), tensor).toBe(true);
      expect(got.method).toMatch(/^no product \(a stage of biases only makes the linear part 0\); bias(es)? inside the chain \(.*\): zero$/);
      // Any parameters give the same M: the reference's M of random ones is 0 too.
      expect(denseOf(s, randomParams(s, seed)).every((v) => v === 0)).toBe(true);
    });
  }
});
