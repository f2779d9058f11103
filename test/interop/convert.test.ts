/**
 * `convertPeerWeights`: a peer layer's weights, converted, make monc's map (float64 reference)
 * compute what the peer's own forward computes (a port written from the peer's documented math,
 * peer-forwards.ts), including bias and rectangular shapes; and what does not fit is said exactly.
 */
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { checkSource } from '../../src/dsl/index.js';
import type { CheckedMap } from '../../src/dsl/structure.js';
import { convertPeerWeights, type Peer } from '../../src/interop/convert.js';
import { InteropError, type StateDict } from '../../src/interop/peer-layer.js';
import { uniform01 } from '../../src/util/random.js';
import { flyMonarchForward, ksLinearForward, torchButterflyForward } from './peer-forwards.js';
import { referenceApply } from '../support/reference.js';
import { expectMoncErrorNow } from '../support/user-error.js';

function mapOf(source: string, name = 'f'): CheckedMap {
  const { module, diagnostics } = checkSource(source, 'peer.mon');
  if (!module) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return module.maps.find((m) => m.name === name)!;
}

/** Float32-representable random values, so converting to float32 loses nothing. */
function randomTensor(shape: readonly number[], seed: number): { shape: readonly number[]; data: Float32Array } {
  const next = uniform01(seed);
  return { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * next() - 1) };
}

/** monc's Y for a few random inputs against the peer's, relative max error. */
function expectSameForward(map: CheckedMap, peer: Peer, state: StateDict, peerForward: (x: Float64Array) => Float64Array, prefix?: string): void {
  const params = convertPeerWeights(map, peer, state, { prefix });
  for (let seed = 1; seed <= 3; seed++) {
    const x = Float64Array.from(randomTensor([map.in], 100 + seed).data);
    const want = peerForward(x);
    const got = referenceApply(map.structure, params, x, 1);
    expect(got.length).toBe(want.length);
    const scale = Math.max(...want.map(Math.abs));
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-12 * scale + 1e-12);
  }
}

describe('fly MonarchLinear', () => {
  // (n, m, k): square, n < m (q = p) and n > m (q = s), as MonarchLinear sizes its blocks.
  test.each([
    [64, 64, 8],
    [48, 80, 4],
    [96, 40, 4],
    [30, 45, 3],
  ])('%i -> %i, nblocks %i, with bias, any prefix', (n, m, k) => {
    const p = n / k;
    const s = m / k;
    const q = n <= m ? p : s;
    const w1 = randomTensor([k, q, p], 1);
    const w2 = randomTensor([k, s, q], 2);
    const bias = randomTensor([m], 3);
    const state: StateDict = new Map([
      ['encoder.layers.0.fc1.blkdiag1', w1],
      ['encoder.layers.0.fc1.blkdiag2', w2],
      ['encoder.layers.0.fc1.bias', bias],
      ['encoder.layers.0.norm.weight', randomTensor([m], 4)],
    ]);
    const map = mapOf(`map f : ${n} -> ${m} = monarch(nblocks: ${k}) + bias()`);
    expectSameForward(map, 'fly', state, (x) => flyMonarchForward(x, w1.data, w1.shape, w2.data, w2.shape, bias.data));
  });

  fcTest.prop([fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 })], { numRuns: 20 })(
    'random shapes, no bias, into the explicit spelling ks @ blockdiag',
    (k, p, s) => {
      const q = p <= s ? p : s;
      const w1 = randomTensor([k, q, p], k + p);
      const w2 = randomTensor([k, s, q], s);
      const state: StateDict = new Map([['blkdiag1', w1], ['blkdiag2', w2]]);
      const map = mapOf(`map f : ${k * p} -> ${k * s} = ks(a: 1, b: ${s}, c: ${q}, d: ${k}) @ blockdiag(nblocks: ${k})`);
      expectSameForward(map, 'fly', state, (x) => flyMonarchForward(x, w1.data, w1.shape, w2.data, w2.shape));
    },
  );
});

describe('torch_butterfly Butterfly', () => {
  test.each([
    [16, true, 1],
    [16, false, 1],
    [32, true, 2],
    [8, false, 3],
  ])('n %i, increasing_stride %s, nblocks %i, with bias', (n, increasing, nblocks) => {
    const levels = Math.log2(n);
    const twiddle = randomTensor([1, nblocks, levels, n / 2, 2, 2], 5);
    const bias = randomTensor([n], 6);
    const state: StateDict = new Map([['mixer.twiddle', twiddle], ['mixer.bias', bias]]);
    const blocks = [...Array(nblocks).keys()].map((b) => (increasing === (b % 2 === 0) ? 'butterfly(radix: 2)' : 'butterfly(radix: 2, stride: decreasing)'));
    const map = mapOf(`map f : ${n} -> ${n} = ${blocks.reverse().join(' @ ')} + bias()`);
    expectSameForward(map, 'torch_butterfly', state, (x) => torchButterflyForward(x, twiddle.data, twiddle.shape, increasing, bias.data));
  });

  // The peer indexes twiddle[:, block, idx] by the step; a decreasing block's step idx has
  // stride 2^(log n - 1 - idx), and monc's twiddle[t] is the stride-2^t factor: the axis reverses.
  test('a decreasing block is stored with the log n axis reversed', () => {
    const twiddle = randomTensor([1, 1, 4, 8, 2, 2], 7);
    const converted = convertPeerWeights(mapOf('map f : 16 -> 16 = butterfly(radix: 2, stride: decreasing)'), 'torch_butterfly', new Map([['twiddle', twiddle]])).get('f.twiddle')!;
    const slab = 8 * 4;
    for (let t = 0; t < 4; t++) expect(converted.subarray(t * slab, (t + 1) * slab)).toEqual(twiddle.data.subarray((3 - t) * slab, (4 - t) * slab));
  });

  test('nstacks > 1 is refused, saying why', () => {
    const state: StateDict = new Map([['twiddle', randomTensor([2, 1, 3, 4, 2, 2], 1)]]);
    expect(() => convertPeerWeights(mapOf('map f : 8 -> 8 = butterfly(radix: 2)'), 'torch_butterfly', state)).toThrow(
      new InteropError('twiddle has nstacks = 2 (a Butterfly whose out_size exceeds in_size); only nstacks = 1 (a square n -> n layer) converts'),
    );
  });
});

describe('KSMM KSLinear', () => {
  test('three patterns applied first to last, rectangular, with bias, into a chain of ks', () => {
    const patterns = [
      [2, 3, 4, 5],
      [6, 2, 5, 1],
      [1, 7, 6, 2],
    ] as const;
    const factors = patterns.map(([a, b, c, d], i) => randomTensor([a * d, b, c], 10 + i));
    const bias = randomTensor([14], 9);
    const state: StateDict = new Map([...factors.map((f, i) => [`blocks.3.ks.factors.${i}`, f] as const), ['blocks.3.ks.bias', bias]]);
    const map = mapOf('map f : 40 -> 14 = ks(a: 1, b: 7, c: 6, d: 2) @ ks(a: 6, b: 2, c: 5, d: 1) @ ks(a: 2, b: 3, c: 4, d: 5) + bias()');
    expectSameForward(map, 'ksmm', state, (x) => ksLinearForward(x, patterns, factors.map((f) => f.data), bias.data));
  });

  test('a Monarch map takes a two-factor KSLinear (bias stored batch-last, (out, 1))', () => {
    const patterns = [
      [4, 6, 6, 1],
      [1, 6, 6, 4],
    ] as const;
    const factors = patterns.map(([a, b, c, d], i) => randomTensor([a * d, b, c], 20 + i));
    const bias = randomTensor([24, 1], 8);
    const state: StateDict = new Map([['factors.0', factors[0]], ['factors.1', factors[1]], ['bias', bias]]);
    expectSameForward(mapOf('map f : 24 -> 24 = monarch(nblocks: 4) + bias()'), 'ksmm', state, (x) => ksLinearForward(x, patterns, factors.map((f) => f.data), bias.data));
  });

  test('a factor of the wrong shape names the pattern it should have', () => {
    const state: StateDict = new Map([['factors.0', randomTensor([4, 6, 5], 1)], ['factors.1', randomTensor([4, 6, 6], 1)]]);
    expect(() => convertPeerWeights(mapOf('map f : 24 -> 24 = monarch(nblocks: 4)'), 'ksmm', state)).toThrow(
      "factors.0 has shape (4, 6, 5); pattern 0 of the map is (4, 6, 6, 1), whose bmm weights are (4, 6, 6)",
    );
  });
});

describe('what does not fit is said exactly', () => {
  const fly = (k: number, q: number, p: number, s: number, prefix = ''): StateDict =>
    new Map([
      [`${prefix}blkdiag1`, randomTensor([k, q, p], 1)],
      [`${prefix}blkdiag2`, randomTensor([k, s, q], 2)],
    ]);

  test('other block sizes: both factor lists and the map that would fit', () => {
    expect(() => convertPeerWeights(mapOf('map f : 64 -> 64 = monarch(nblocks: 8)'), 'fly', fly(4, 16, 16, 16))).toThrow(
      "the fly MonarchLinear layer is K(4, 16, 16, 1) then K(1, 16, 16, 4); map 'f' (64 -> 64) is K(8, 8, 8, 1) then K(1, 8, 8, 8). A map that fits: map f : 64 -> 64 = monarch(nblocks: 4)",
    );
  });

  test('a peer bias without a bias() term', () => {
    const state = new Map([...fly(4, 16, 16, 16), ['bias', randomTensor([64], 3)]]);
    expect(() => convertPeerWeights(mapOf('map f : 64 -> 64 = monarch(nblocks: 4)'), 'fly', state)).toThrow(
      "the fly MonarchLinear layer has a bias (bias); map 'f' has no bias() term: write it as map f : 64 -> 64 = monarch(nblocks: 4) + bias()",
    );
  });

  test('a bias() term without a peer bias', () => {
    expect(() => convertPeerWeights(mapOf('map f : 64 -> 64 = monarch(nblocks: 4) + bias()'), 'fly', fly(4, 16, 16, 16))).toThrow(
      "map 'f' has a bias() term, but the fly MonarchLinear layer has no bias tensor",
    );
  });

  test('several layers in one state dict: --prefix picks one', () => {
    const state = new Map([...fly(4, 4, 4, 4, 'a.'), ...fly(4, 4, 4, 4, 'b.')]);
    const map = mapOf('map f : 16 -> 16 = monarch(nblocks: 4)');
    expect(() => convertPeerWeights(map, 'fly', state)).toThrow("2 fly MonarchLinear layers ('a.', 'b.'): pick one with --prefix");
    expect(convertPeerWeights(map, 'fly', state, { prefix: 'b' }).get('f.blkdiag1')).toEqual(state.get('b.blkdiag1')!.data);
  });

  test('a non-finite peer weight is refused, naming the peer tensor and element', () => {
    const w1 = randomTensor([4, 4, 4], 1);
    w1.data[1 * 16 + 2 * 4 + 3] = NaN;
    const state: StateDict = new Map([['fc.blkdiag1', w1], ['fc.blkdiag2', randomTensor([4, 4, 4], 2)]]);
    expect(() => convertPeerWeights(mapOf('map f : 16 -> 16 = monarch(nblocks: 4)'), 'fly', state)).toThrow(new InteropError("peer tensor 'fc.blkdiag1' holds NaN at element (1, 2, 3): not finite"));
    const twiddle = randomTensor([1, 2, 3, 4, 2, 2], 3);
    twiddle.data[(1 * 3 + 2) * 16 + 5] = -Infinity; // twiddle[0, 1, 2], element (1, 0, 1)
    const map = mapOf('map f : 8 -> 8 = butterfly(radix: 2, stride: decreasing) @ butterfly(radix: 2)');
    expect(() => convertPeerWeights(map, 'torch_butterfly', new Map([['twiddle', twiddle]]))).toThrow(new InteropError("peer tensor 'twiddle[0, 1, 2]' holds -Infinity at element (1, 0, 1): not finite"));
  });

  test('in an f16 module, a peer weight beyond the f16 range is refused', () => {
    const bias = randomTensor([16], 3);
    bias.data[7] = 70000;
    const state: StateDict = new Map([['factors.0', randomTensor([4, 4, 4], 1)], ['factors.1', randomTensor([4, 4, 4], 2)], ['bias', bias]]);
    const map = mapOf('map f : 16 -> 16 = monarch(nblocks: 4) + bias()');
    expect(() => convertPeerWeights(map, 'ksmm', state)).not.toThrow();
    expect(() => convertPeerWeights(map, 'ksmm', state, { dtype: 'f16' })).toThrow(new InteropError("peer tensor 'bias' holds 70000 at element 7: beyond the f16 range ±65504 of this f16 module"));
  });

  // QA2 s23 Q253: data shorter than its shape was taken, the missing weights left 0; a bare array was a TypeError.
  test('a state dict tensor whose data is not its shape, or that is no { shape, data }: refused, naming it', () => {
    const map = mapOf('map f : 16 -> 16 = monarch(nblocks: 4) + bias()');
    const short = { shape: [4, 4, 4], data: new Float32Array(10) };
    const withFirst = (first: unknown, bias = randomTensor([16], 3)) => new Map([['a.blkdiag1', first], ['a.blkdiag2', randomTensor([4, 4, 4], 2)], ['a.bias', bias]]) as StateDict;
    expect(() => convertPeerWeights(map, 'fly', withFirst(short))).toThrow(new InteropError("peer tensor 'a.blkdiag1' has 10 values; its shape (4, 4, 4) holds 64"));
    expect(() => convertPeerWeights(map, 'fly', withFirst(randomTensor([4, 4, 4], 1), { shape: [16], data: new Float32Array(17) }))).toThrow(
      new InteropError("peer tensor 'a.bias' has 17 values; its shape (16,) holds 16"),
    );
    const notATensor = "the state dict's 'a.blkdiag1' must be a tensor { shape, data } (readSafetensors' tensors are), got ";
    expectMoncErrorNow(() => convertPeerWeights(map, 'fly', withFirst(new Float32Array(64))), 'user', `${notATensor}an array without its shape`);
    expectMoncErrorNow(() => convertPeerWeights(map, 'fly', withFirst({ shape: [4, 4, -4], data: [] })), 'user', `${notATensor}{"shape":[4,4,-4],"data":[]}`);
    const ksmm = new Map<string, unknown>([['factors.0', randomTensor([4, 4, 4], 1)], ['factors.1', { shape: [4, 4, 4], data: 'x'.repeat(64) }]]) as StateDict;
    expectMoncErrorNow(() => convertPeerWeights(map, 'ksmm', ksmm), 'user', "the state dict's 'factors.1' must be a tensor");
    const twiddle = { shape: [1, 2, 3, 4, 2, 2], data: new Float32Array(95) };
    const butterfly = mapOf('map f : 8 -> 8 = butterfly(radix: 2, stride: decreasing) @ butterfly(radix: 2)');
    expect(() => convertPeerWeights(butterfly, 'torch_butterfly', new Map([['twiddle', twiddle]]))).toThrow(new InteropError("peer tensor 'twiddle' has 95 values; its shape (1, 2, 3, 4, 2, 2) holds 96"));
  });

  test('a map with no peer counterpart', () => {
    expect(() => convertPeerWeights(mapOf('map f : 16 -> 16 = sparse(block: 4, pattern: band(width: 1))'), 'fly', fly(4, 4, 4, 4))).toThrow(/map 'f' is not a chain of Kronecker-sparse factors/);
    // QA2 s23 Q260: the spelling with transposes of monarch(nblocks: 4) is the same matrix, and refused (interop.md says so).
    const raw = mapOf('map f : 16 -> 16 = transpose(4, 4) @ blockdiag(nblocks: 4) @ transpose(4, 4) @ blockdiag(nblocks: 4)');
    expect(() => convertPeerWeights(raw, 'fly', fly(4, 4, 4, 4))).toThrow(/map 'f' is not a chain of Kronecker-sparse factors with an optional bias\(\) \(a peer layer is one\); transposes/);
  });

  test('tied weights must agree', () => {
    const map = mapOf('map g : 16 -> 16 = monarch(nblocks: 4)\nmap f : 16 -> 16 = ks(a: 1, b: 4, c: 4, d: 4) @ blockdiag(nblocks: 4) @ g', 'f');
    const state: StateDict = new Map([0, 1, 2, 3].map((i) => [`factors.${i}`, randomTensor([4, 4, 4], i)] as const));
    expect(() => convertPeerWeights(map, 'ksmm', state)).not.toThrow();
    const tied = mapOf('map g : 16 -> 16 = monarch(nblocks: 4)\nmap f : 16 -> 16 = g @ g', 'f');
    expect(() => convertPeerWeights(tied, 'ksmm', state)).toThrow("map 'f' uses g.blkdiag1 twice (tied weights), but factors.0 and factors.2 differ");
  });
});
