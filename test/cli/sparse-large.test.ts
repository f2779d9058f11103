/**
 * Sparse patterns past the former 4096-block limit as users run them, in-process: `monc build`
 * writes kernels that bind the pattern table (the WGSL does not list the blocks; the manifest
 * lists each map's once), and `monc run`
 * and `monc grad` on WebGPU (SwiftShader here) equal the float64 reference to 1e-5 relative
 * error (f32), for a band of 8552 blocks and a random pattern of 5760 rectangular (2 x 3) blocks.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSource, paramsOf } from '../../src/dsl/index.js';
import { decodeManifest } from '../../src/manifest/manifest-file.js';
import { readNpy, writeNpy } from '../../src/runtime/formats/npy.js';
import { readSafetensors } from '../../src/runtime/formats/safetensors.js';
import { uniform01 } from '../../src/util/random.js';
import { cli, cliJson, scratchDir } from './helpers.js';
import { referenceApply, referenceBackward } from '../support/reference.js';
import { relativeError } from '../support/programs.js';

const SPEC = `module wide
map banded : 256 -> 256 = sparse(block: 2, pattern: band(width: 40))
map rnd    : 240 -> 180 = sparse(block: [2, 3], pattern: random(density: 0.8, seed: 5))
`;
const scratch = scratchDir();
const spec = scratch.path('wide.mon');
const BATCH = 3;

beforeAll(() => writeFileSync(spec, SPEC));
afterAll(() => scratch.remove());

const mapOf = (name: string) => checkSource(SPEC, spec).module!.maps.find((m) => m.name === name)!;
const tensorsOf = (file: string) => new Map([...readSafetensors(readFileSync(file)).tensors].map(([name, t]) => [name, t.data]));


function randomNpy(name: string, shape: number[], seed: number): string {
  const random = uniform01(seed);
  const file = scratch.path(name);
  writeFileSync(file, writeNpy(Float32Array.from({ length: shape[0] * shape[1] }, () => 2 * random() - 1), shape));
  return file;
}

describe('sparse patterns over 4096 blocks through the CLI', () => {
  it('monc build: the blocks are in the manifest, not in the WGSL; each sparse kernel names its table', async () => {
    const out = scratch.path('gen');
    expect((await cli(['build', spec, '--out', out])).code).toBe(0);
    const file = JSON.parse(readFileSync(`${out}/wide.json`, 'utf8'));
    // Each map's block list once: its op, model node and backward ops refer to it.
    expect(file.patterns.map((flat: number[]) => flat.length / 2)).toEqual([8552, expect.any(Number)]);
    const manifest = decodeManifest(file);
    const counts = manifest.maps.map((m) => (m.ops[0].kind === 'bsr' ? m.ops[0].blocks.length : 0));
    expect(counts[0]).toBe(8552);
    expect(counts[1]).toBeGreaterThan(4096);
    for (const m of manifest.maps) expect(m.kernels[0].pattern).toBe('csr');
    const wgsl = readFileSync(`${out}/wide.wgsl`, 'utf8');
    expect(wgsl.length).toBeLessThan(100_000);
    expect(wgsl).toContain('@binding(5) var<storage, read> banded_op0_pattern: array<u32>;');
  });

  it.each(['banded', 'rnd'])('%s: monc run and monc grad on webgpu equal the float64 reference (1e-5)', async (name) => {
    const map = mapOf(name);
    const params = scratch.path(`${name}.safetensors`);
    await cliJson(['init', spec, '--map', name, '--out', params, '--seed', '3']);
    const x = randomNpy(`${name}-x.npy`, [BATCH, map.in], 7);
    const dy = randomNpy(`${name}-dy.npy`, [BATCH, map.out], 8);
    const y = scratch.path(`${name}-y.npy`);
    expect((await cliJson(['run', spec, '--map', name, '--params', params, '--input', x, '--out', y, '--backend', 'webgpu'])).backend).toBe('webgpu');
    const xs = readNpy(readFileSync(x)).data;
    expect(relativeError(readNpy(readFileSync(y)).data, referenceApply(map.structure, tensorsOf(params), xs, BATCH))).toBeLessThan(1e-5);

    const grads = scratch.path(`${name}-grad.safetensors`);
    await cliJson(['grad', spec, '--map', name, '--params', params, '--input', x, '--grad-output', dy, '--out', grads, '--backend', 'webgpu']);
    const want = referenceBackward(map.structure, tensorsOf(params), xs, readNpy(readFileSync(dy)).data, BATCH);
    const got = tensorsOf(grads);
    expect(relativeError(got.get('input')!, want.dx)).toBeLessThan(1e-5);
    for (const p of paramsOf(map.structure)) expect(relativeError(got.get(p.name)!, want.grads.get(p.name)!), p.name).toBeLessThan(1e-5);
  });
});
