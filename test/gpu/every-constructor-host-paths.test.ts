/**
 * Every constructor as a user runs it: one module built by compileModule, its manifest read back
 * from the JSON text monc writes (decodeManifest, which checks every map), and each map through
 * every way the runtime offers of getting rows in and out on WebGPU, each against the float64
 * reference: `forward(x)`, `forward(x, { out, chunkRows })` with chunk boundaries that leave a
 * short last chunk, a chunk of one row, and chunkRows at and past the batch, a staging run below
 * its capacity (then of 0 rows, then full), and `dense()` against referenceDense. spec-end-to-end
 * covers the constructors' semantics through `forward(x)`; this covers the host paths of each.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';
import type { Manifest } from '../../src/manifest/types.js';
import { initParams } from '../../src/runtime/init.js';
import { decodeManifest, MapRunner } from '../../src/runtime/node.js';
import { getTestDevice } from '../support/gpu.js';
import { randomArray, relativeError, rng } from '../support/programs.js';
import { referenceApply, referenceDense } from '../support/reference.js';

const TOL = 1e-5;

const SOURCE = `module every
map dn : 12 -> 20 = dense()
map dg : 16 -> 16 = diag()
map k : 24 -> 30 = ks(a: 2, b: 5, c: 4, d: 3)
map bd : 24 -> 36 = blockdiag(nblocks: 6)
map tr : 32 -> 32 = blockdiag(nblocks: 4) @ transpose(4, 8)
map up : 16 -> 24 = monarch(nblocks: 4)
map down : 24 -> 16 = monarch(nblocks: 4)
map mo : 64 -> 64 = monarch(order: 3)
map mr : 24 -> 24 = monarch(radices: [2, 3, 4])
map bf : 32 -> 32 = butterfly()
map bf3 : 27 -> 27 = butterfly(radix: 3, stride: decreasing)
map lr : 30 -> 18 = lowrank(rank: 4)
map sb : 24 -> 24 = sparse(block: 4, pattern: band(width: 2))
map sr : 32 -> 48 = sparse(block: [8, 4], pattern: random(density: 0.5, seed: 3))
map sf : 32 -> 32 = sparse(block: 4, pattern: flat_butterfly(factors: 2))
map aff : 16 -> 24 = monarch(nblocks: 4) + bias()
map tied : 16 -> 16 = down @ up
`;

/** 7 rows: chunks of 3 leave a short last chunk (3, 3, 1); 7 and 8 run in one piece. */
const BATCH = 7;
const CHUNK_ROWS = [1, 3, 7, 8];

let manifest: Manifest;
let wgsl: string;

beforeAll(() => {
  const result = compileModule(SOURCE, 'every.mon');
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  // The file a program reads, decoded as the runtime decodes it (every map checked).
  manifest = decodeManifest(JSON.parse(result.outputs!.manifestJson));
  wgsl = result.outputs!.wgsl;
});

describe('every constructor through the host paths (webgpu) against the float64 reference', () => {
  it.each(SOURCE.split('\n').flatMap((line) => /^map (\w+)/.exec(line)?.[1] ?? []))('%s', async (name) => {
    const map = manifest.maps.find((m) => m.name === name)!;
    const model = map.model;
    const params = initParams(model.params, 3);
    const runner = await MapRunner.create(map, wgsl, { device: await getTestDevice() });
    try {
      expect(runner.backend).toBe('webgpu');
      runner.loadParams(params);
      const x = randomArray(BATCH * model.in, rng(model.in + model.out));
      const want = referenceApply(model, params, x, BATCH);
      const close = (y: Float32Array, what: string) => expect(relativeError(y, want), what).toBeLessThan(TOL);
      close(await runner.forward(x), 'forward(x)');
      const out = new Float32Array(BATCH * model.out);
      for (const chunkRows of CHUNK_ROWS) {
        out.fill(Number.NaN);
        expect(await runner.forward(x, { out, chunkRows })).toBe(out);
        close(out, `chunkRows ${chunkRows}`);
      }
      // Below its capacity, empty, then full: each run sees only its own rows.
      const staging = runner.createStaging(BATCH + 2);
      (await staging.input(BATCH)).set(x);
      close(await staging.run(), 'staging of 7 rows');
      expect(await staging.input(0)).toHaveLength(0);
      expect(await staging.run()).toHaveLength(0);
      const full = randomArray((BATCH + 2) * model.in, rng(5));
      (await staging.input()).set(full);
      expect(relativeError(await staging.run(), referenceApply(model, params, full, BATCH + 2)), 'full staging').toBeLessThan(TOL);
      staging.destroy();
      expect(relativeError(await runner.dense(), referenceDense(model, params)), 'dense()').toBeLessThan(TOL);
    } finally {
      runner.destroy();
    }
  });
});
