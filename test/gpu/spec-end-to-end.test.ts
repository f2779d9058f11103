/**
 * The acceptance test of the compiler as a user drives it: `.mon` text -> compileModule ->
 * MapRunner on the WebGPU adapter (SwiftShader in CI). Every constructor, sums, chains, weight
 * tying and bias; each result must equal both the float64 reference of SPEC §3 and X·Mᵀ (+ b)
 * built from the dense matrix, within SPEC §6 (relative Frobenius error 1e-5).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';
import type { ModelMap } from '../../src/model/types.js';
import { initParams } from '../../src/runtime/init.js';
import { MapRunner } from '../../src/runtime/node.js';
import { getTestDevice } from '../support/gpu.js';
import { randomArray, relativeError, rng } from '../support/programs.js';
import { referenceApply, referenceDense } from '../support/reference.js';

const TOL = 1e-5;

const compiled = new Map<string, NonNullable<ReturnType<typeof compileModule>['outputs']>>();

/** compileModule's outputs for `source` (a pure function: compiled once per source for both batches). */
function compile(source: string) {
  const cached = compiled.get(source);
  if (cached) return cached;
  const result = compileModule(source, 'spec.mon');
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  compiled.set(source, result.outputs!);
  return result.outputs!;
}

/** Runs map `name` of `source` on the WebGPU adapter and checks it against both oracles. */
async function checkMap(source: string, name: string, batch: number, seed = 1): Promise<{ dispatches: number }> {
  const outputs = compile(source);
  const manifestMap = outputs.manifest.maps.find((m) => m.name === name)!;
  const checked = manifestMap.model;
  const params = initParams(checked.params, seed);
  const runner = await MapRunner.create(manifestMap, outputs.wgsl, { device: await getTestDevice() });
  try {
    expect(runner.backend).toBe('webgpu');
    runner.loadParams(params);
    const x = randomArray(batch * checked.in, rng(seed + batch));
    const y = await runner.forward(x, batch);
    expect(relativeError(y, referenceApply(checked, params, x, batch))).toBeLessThan(TOL);
    expect(relativeError(y, viaDense(checked, params, x, batch))).toBeLessThan(TOL);
    return { dispatches: manifestMap.kernels.length };
  } finally {
    runner.destroy();
  }
}

/** X·Mᵀ + b, with M from referenceDense and b the response to a zero input (the bias terms). */
function viaDense(map: ModelMap, params: ReadonlyMap<string, ArrayLike<number>>, x: ArrayLike<number>, batch: number): Float64Array {
  const m = referenceDense(map, params);
  const b = referenceApply(map, params, new Float64Array(map.in), 1);
  const y = new Float64Array(batch * map.out);
  for (let r = 0; r < batch; r++)
    for (let i = 0; i < map.out; i++) {
      let acc = b[i];
      for (let j = 0; j < map.in; j++) acc += m[i * map.in + j] * x[r * map.in + j];
      y[r * map.out + i] = acc;
    }
  return y;
}

const SPEC = `
module e2e
const d = 48
map full    : 12 -> 20 = dense()
map kron    : 24 -> 36 = ks(a: 2, b: 3, c: 2, d: 6)
map blocks  : 96 -> 48 = blockdiag(nblocks: 12)
map rect_up : 48 -> 96 = monarch(nblocks: 4)
map rect_dn : 768 -> 384 = monarch(nblocks: 8)
map square  : 144 -> 144 = monarch()
map deep    : 60 -> 60 = monarch(order: 3, radices: [3, 4, 5])
map fly2    : 32 -> 32 = butterfly(radix: 2)
map fly3    : 27 -> 27 = butterfly(radix: 3, stride: decreasing)
map adapt   : d -> d = lowrank(rank: 5)
map pf      : 64 -> 64 = sparse(block: 8, pattern: flat_butterfly(factors: 2)) + lowrank(rank: 3)
map banded  : 48 -> 36 = sparse(block: [6, 4], pattern: band(width: 2))
map rnd     : 48 -> 48 = sparse(block: 8, pattern: random(density: 0.3, seed: 7))
map affine  : d -> 96 = monarch(nblocks: 4) + bias()
map tied    : d -> d = adapt @ adapt + blocks @ rect_up
map chain   : 96 -> 96 = rect_up @ (adapt @ blocks + dense() @ blocks)
`;

/**
 * The part of SPEC map `name` needs: its `const`s, the maps it names (tied, chain: a module of
 * several maps) and itself, in SPEC's order. A runner compiles its map's pipelines against the
 * whole module's WGSL, and Dawn's work per pipeline grows with that text (the 16-map SPEC module
 * is ~1.8 MB): one map per module ran the same kernels in a fraction of the time.
 */
function sourceOf(source: string, name: string): string {
  const lines = source.split('\n');
  const bodies = new Map(lines.flatMap((l) => [...l.matchAll(/^map (\w+)\s*:.*=(.*)$/g)].map((m) => [m[1], m[2]] as const)));
  const needed = new Set<string>();
  const visit = (n: string) => {
    if (needed.has(n)) return;
    needed.add(n);
    for (const w of bodies.get(n)!.matchAll(/\b\w+\b/g)) if (bodies.has(w[0])) visit(w[0]);
  };
  visit(name);
  return lines.filter((l) => !l.startsWith('map ') || needed.has(/^map (\w+)/.exec(l)![1])).join('\n');
}

describe('every constructor, sum, chain, tie and bias from .mon text on WebGPU', () => {
  const names = [...SPEC.matchAll(/^map (\w+)/gm)].map((m) => m[1]);
  it('each map\'s module holds the maps it uses, and the tied and chained maps share a module with them', () => {
    expect(sourceOf(SPEC, 'full').match(/^map (\w+)/gm)).toEqual(['map full']);
    expect(sourceOf(SPEC, 'tied').match(/^map (\w+)/gm)).toEqual(['map blocks', 'map rect_up', 'map adapt', 'map tied']);
    expect(sourceOf(SPEC, 'chain').match(/^map (\w+)/gm)).toEqual(['map blocks', 'map rect_up', 'map adapt', 'map chain']);
    expect(sourceOf(SPEC, 'adapt')).toContain('const d = 48');
  });
  it.each(names.flatMap((name) => [1, 3].map((batch) => [name, batch] as const)))('%s, batch %i', async (name, batch) => {
    await checkMap(sourceOf(SPEC, name), name, batch);
  });
});

describe('equivalent spellings compile to the same matrix and the same dispatches', () => {
  it("the paper's P L Pᵀ R spelled with transposes is monarch(nblocks: k), with no permutation kernel", async () => {
    const source = `
map raw : 64 -> 64 = transpose(8, 8) @ blockdiag(nblocks: 8) @ transpose(8, 8) @ blockdiag(nblocks: 8)
map mon : 64 -> 64 = monarch(nblocks: 8)
`;
    const outputs = compile(source);
    const [raw, mon] = outputs.manifest.maps;
    expect(raw.kernels.length).toBe(mon.kernels.length);
    expect(raw.kernels.length).toBe(2);
    const runners = await Promise.all([raw, mon].map(async (m) => MapRunner.create(m, outputs.wgsl, { device: await getTestDevice() })));
    try {
      const w1 = randomArray(8 * 8 * 8, rng(3));
      const w2 = randomArray(8 * 8 * 8, rng(4));
      runners[0].loadParams({ 'raw.3.weight': w1, 'raw.1.weight': w2 });
      runners[1].loadParams({ 'mon.blkdiag1': w1, 'mon.blkdiag2': w2 });
      const [a, b] = await Promise.all(runners.map((r) => r.dense()));
      expect(relativeError(a, b)).toBeLessThan(TOL);
    } finally {
      runners.forEach((r) => r.destroy());
    }
  });

  it('monarch(order: 2, radix: b) is monarch(nblocks: b), and butterfly(radix: r) is monarch(order: L, radix: r)', async () => {
    const outputs = compile(`
map o2  : 36 -> 36 = monarch(order: 2, radix: 6)
map nb  : 36 -> 36 = monarch(nblocks: 6)
map fly : 27 -> 27 = butterfly(radix: 3)
map o3  : 27 -> 27 = monarch(order: 3, radix: 3)
`);
    const device = await getTestDevice();
    const byName = new Map(outputs.manifest.maps.map((m) => [m.name, m]));
    const dense = async (name: string, params: Record<string, Float32Array>) => {
      const r = await MapRunner.create(byName.get(name)!, outputs.wgsl, { device });
      try {
        r.loadParams(params);
        return await r.dense();
      } finally {
        r.destroy();
      }
    };
    const f0 = randomArray(6 * 6 * 6, rng(5));
    const f1 = randomArray(6 * 6 * 6, rng(6));
    expect(relativeError(await dense('o2', { 'o2.factor0': f0, 'o2.factor1': f1 }), await dense('nb', { 'nb.blkdiag1': f0, 'nb.blkdiag2': f1 }))).toBeLessThan(TOL);
    const tw = randomArray(3 * 9 * 3 * 3, rng(7));
    const level = (t: number) => tw.slice(t * 81, (t + 1) * 81);
    const o3 = { 'o3.factor0': level(0), 'o3.factor1': level(1), 'o3.factor2': level(2) };
    expect(relativeError(await dense('fly', { 'fly.twiddle': tw }), await dense('o3', o3))).toBeLessThan(TOL);
  });
});

describe('random rectangular specs', () => {
  // Sizes that are not powers of two; nblocks a common divisor of both sides.
  const shape = fc.record({ k: fc.constantFrom(2, 3, 4, 6), p: fc.integer({ min: 1, max: 8 }), s: fc.integer({ min: 1, max: 8 }), rank: fc.integer({ min: 1, max: 4 }) });
  test.prop([shape, fc.constantFrom(1, 3, 5), fc.constantFrom('monarch', 'monarch + lowrank', 'blockdiag @ monarch')], { numRuns: 8 })(
    'monarch-based maps match the reference',
    async ({ k, p, s, rank }, batch, form) => {
      const n = k * p;
      const m = k * s;
      const body = form === 'monarch' ? `monarch(nblocks: ${k})` : form === 'monarch + lowrank' ? `monarch(nblocks: ${k}) + lowrank(rank: ${rank})` : `blockdiag(nblocks: ${k}) @ monarch(nblocks: ${k}, out: ${n})`;
      await checkMap(`map f : ${n} -> ${m} = ${body}\n`, 'f', batch, n * 31 + m);
    },
  );
});
