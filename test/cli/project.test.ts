/**
 * `monc project` end to end, in-process: a W made by `monc init` + `monc dense` projects back
 * (SPEC §6: exact to 1e-5 when W is in the structure), from .npy or from a tensor of a
 * safetensors file, in the module's dtype; every bad input is a one-line user error (exit 1)
 * that writes nothing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSource, paramsOf } from '../../src/dsl/index.js';
import type { CheckedMap } from '../../src/dsl/structure.js';
import { readNpy, writeNpy } from '../../src/runtime/formats/npy.js';
import { readSafetensors, writeSafetensors } from '../../src/runtime/formats/safetensors.js';
import { cli, cliJson, scratchDir } from './helpers.js';
import { referenceDense } from '../support/reference.js';
import { relativeError } from '../support/programs.js';

const SPEC = `module proj
map up    : 48 -> 96 = monarch(nblocks: 4)
map low   : 30 -> 20 = lowrank(rank: 3)
map raw   : 64 -> 64 = transpose(8, 8) @ blockdiag(nblocks: 8) @ transpose(8, 8) @ blockdiag(nblocks: 8)
map pf    : 32 -> 32 = sparse(block: 4, pattern: flat_butterfly(factors: 2)) + lowrank(rank: 2)
`;
const HALF = 'dtype f16\nmap m : 16 -> 16 = monarch(nblocks: 4)\n';
const HALF_DENSE = 'dtype f16\nmap d : 4 -> 3 = dense()\n';

const scratch = scratchDir();
const spec = scratch.path('proj.mon');
const half = scratch.path('half.mon');
const halfDense = scratch.path('half_dense.mon');
const mapOf = (name: string): CheckedMap => checkSource(SPEC, spec).module!.maps.find((m) => m.name === name)!;
const tensorsOf = (file: string) => new Map([...readSafetensors(readFileSync(file)).tensors].map(([name, t]) => [name, t.data]));


/** W of `map` from `monc init` + `monc dense`: a matrix in the structure. */
async function denseOf(file: string, map: string, seed: number): Promise<string> {
  const params = scratch.path(`${map}-${seed}-init.safetensors`);
  const w = scratch.path(`${map}-${seed}-w.npy`);
  await cliJson(['init', file, '--map', map, '--out', params, '--seed', String(seed)]);
  await cliJson(['dense', file, '--map', map, '--params', params, '--out', w]);
  return w;
}

beforeAll(() => {
  writeFileSync(spec, SPEC);
  writeFileSync(half, HALF);
  writeFileSync(halfDense, HALF_DENSE);
});
afterAll(() => scratch.remove());

describe('monc project', () => {
  // Parameter counts: up (4, 12, 12) + (4, 24, 12); low (20, 3) + (3, 30); raw two (8, 8, 8).
  it.each([['up', 1728], ['low', 150], ['raw', 1024]] as const)('projects W = M of %s back to M (relative error <= 1e-5), as F32 with SPEC §4 names', async (name, params) => {
    const map = mapOf(name);
    const w = await denseOf(spec, name, 3);
    const out = scratch.path(`${name}-projected.safetensors`);
    const json = await cliJson(['project', spec, '--map', name, '--dense', w, '--out', out]);
    expect(json).toMatchObject({ map: name, params, dense_params: map.in * map.out, optimal: true, out, dtype: 'F32' });
    expect(Object.keys(json).slice(0, 4)).toEqual(['map', 'relative_error', 'params', 'dense_params']);
    expect(json.relative_error).toBeLessThanOrEqual(1e-5);
    expect(typeof json.method).toBe('string');

    // The file holds exactly the map's tensors, F32, and its M is W.
    const file = readSafetensors(readFileSync(out));
    expect([...file.tensors].map(([n, t]) => [n, t.shape, t.dtype]).sort()).toEqual(paramsOf(map.structure).map((p) => [p.name, p.shape, 'F32']).sort());
    const again = scratch.path(`${name}-again.npy`);
    await cliJson(['dense', spec, '--map', name, '--params', out, '--out', again]);
    expect(relativeError(readNpy(readFileSync(again)).data, readNpy(readFileSync(w)).data)).toBeLessThanOrEqual(1e-5);
  });

  it('prints the map, the method, the relative error, the parameter counts and whether M is optimal', async () => {
    const w = await denseOf(spec, 'up', 4);
    const out = scratch.path('up-text.safetensors');
    const r = await cli(['project', spec, '--map', 'up', '--dense', w, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`projected ${w} (96, 48) onto map 'up'`);
    expect(r.stdout).toMatch(/^ {2}method {10}\S/m);
    const error = Number(/relative_error\s+(\S+)/.exec(r.stdout)![1]);
    expect(error).toBeLessThanOrEqual(1e-5);
    expect(r.stdout).toContain('optimal         yes');
    expect(r.stdout).toContain('params          1,728 instead of 4,608 dense (37.5%)');
    expect(r.stdout).toContain(`wrote ${out}: 2 tensors (F32)`);
  });

  it('reports a heuristic fit as such, and --rounds reaches the iterative fit', async () => {
    // A W that is not in the structure: the sum's alternating projection is a heuristic.
    const w = scratch.path('pf-w.npy');
    writeFileSync(w, writeNpy(Float32Array.from({ length: 32 * 32 }, (_, i) => Math.sin(i * 1.7) + Math.cos(i * 0.13)), [32, 32]));
    const run = (rounds: string[]) => cliJson(['project', spec, '--map', 'pf', '--dense', w, '--out', scratch.path('pf.safetensors'), ...rounds]);
    const one = await run(['--rounds', '1']);
    const many = await run(['--rounds', '50']);
    expect(one.optimal).toBe(false);
    expect(many.relative_error).toBeLessThan(one.relative_error);
    // The reported error is the error of the written parameters (to f32 rounding).
    const m = referenceDense(mapOf('pf').structure, tensorsOf(scratch.path('pf.safetensors')));
    expect(relativeError(m, readNpy(readFileSync(w)).data)).toBeCloseTo(many.relative_error, 6);
    expect((await cli(['project', spec, '--map', 'pf', '--dense', w, '--out', scratch.path('x.safetensors'), '--rounds', '-1'])).code).toBe(2);
  });

  it('reads W from a tensor of a safetensors file (a PyTorch state dict) with --tensor', async () => {
    const w = readNpy(readFileSync(await denseOf(spec, 'up', 5)));
    const model = scratch.path('model.safetensors');
    writeFileSync(model, writeSafetensors(new Map([
      ['layer.weight', { shape: w.shape, data: w.data }],
      ['layer.bias', { shape: [96], data: new Float32Array(96) }],
    ])));
    const out = scratch.path('from-state-dict.safetensors');
    const json = await cliJson(['project', spec, '--map', 'up', '--dense', model, '--tensor', 'layer.weight', '--out', out]);
    expect(json.relative_error).toBeLessThanOrEqual(1e-5);
    expect(referenceDense(mapOf('up').structure, tensorsOf(out)).every((v, i) => Math.abs(v - w.data[i]) < 1e-5)).toBe(true);

    // A file with one tensor needs no --tensor.
    const single = scratch.path('single.safetensors');
    writeFileSync(single, writeSafetensors(new Map([['weight', { shape: w.shape, data: w.data }]])));
    expect((await cliJson(['project', spec, '--map', 'up', '--dense', single, '--out', out])).relative_error).toBeLessThanOrEqual(1e-5);
  });

  it('writes F16 for a dtype f16 module, within the f16 tolerance', async () => {
    const w = await denseOf(half, 'm', 6);
    const out = scratch.path('half-projected.safetensors');
    const json = await cliJson(['project', half, '--map', 'm', '--dense', w, '--out', out]);
    expect(json.dtype).toBe('F16');
    const file = readSafetensors(readFileSync(out));
    expect([...file.tensors.values()].map((t) => t.dtype)).toEqual(['F16', 'F16']);
    const structure = checkSource(HALF, half).module!.maps[0].structure;
    const written = relativeError(referenceDense(structure, tensorsOf(out)), readNpy(readFileSync(w)).data);
    expect(written).toBeLessThan(3e-3);
    // The error reported is that of the F16 parameters written, not of the float64 ones.
    expect(written).toBeGreaterThan(0);
    expect(Math.abs(json.relative_error - written)).toBeLessThan(1e-9);
    expect(json.optimal).toBe(true);
  });

  it('f16 parameters that round to zero: the error of the written file (1), not claimed optimal', async () => {
    const w = scratch.path('tiny.npy');
    writeFileSync(w, writeNpy(new Float32Array(12).fill(1e-9), [3, 4]));
    const out = scratch.path('tiny.safetensors');
    const json = await cliJson(['project', halfDense, '--map', 'd', '--dense', w, '--out', out]);
    expect(json).toMatchObject({ relative_error: 1, optimal: false, dtype: 'F16' });
    expect([...tensorsOf(out).get('d.weight')!]).toEqual(new Array(12).fill(0));
  });
});

describe('monc project rejects bad input with one line, exit 1 and no output file', () => {
  const out = scratch.path('never.safetensors');
  const npy = (name: string, data: ArrayLike<number>, shape: number[]) => {
    const path = scratch.path(name);
    writeFileSync(path, writeNpy(data, shape));
    return path;
  };

  async function fails(args: string[], message: string | RegExp): Promise<void> {
    const r = await cli(['project', spec, ...args, '--out', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toHaveLength(2); // one line and its newline
    if (typeof message === 'string') expect(r.stderr).toBe(`monc: error: ${message}\n`);
    else expect(r.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  }

  it('a W of the wrong shape, naming the expected (out, in) and the shape found', async () => {
    const wrong = npy('wrong.npy', new Float32Array(95 * 48), [95, 48]);
    await fails(['--map', 'up', '--dense', wrong], `${wrong}: dense matrix has shape (95, 48) but 'up' expects (96, 48) = (out, in)`);
    const transposed = npy('transposed.npy', new Float32Array(48 * 96), [48, 96]);
    await fails(['--map', 'up', '--dense', transposed], /expects \(96, 48\) = \(out, in\); transposed\? W is \(out, in\)/);
  });

  it('a 1-D or 3-D array', async () => {
    await fails(['--map', 'up', '--dense', npy('vector.npy', new Float32Array(48), [48])], /has shape \(48,\) but 'up' expects \(96, 48\)/);
    await fails(['--map', 'up', '--dense', npy('cube.npy', new Float32Array(2 * 96 * 48), [2, 96, 48])], /has shape \(2, 96, 48\) but 'up' expects \(96, 48\)/);
  });

  it('NaN or ±Inf in W, located and naming the file (and tensor), as a wrong shape does', async () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const data = new Float32Array(20 * 30).fill(0.5);
      data[2 * 30 + 7] = bad;
      const file = npy(`bad-${bad}.npy`, data, [20, 30]);
      await fails(['--map', 'low', '--dense', file], `${file}: dense matrix has ${bad} at (2, 7): projection needs finite values`);
    }
    const data = new Float32Array(20 * 30).fill(0.5);
    data[1 * 30 + 1] = NaN;
    const file = scratch.path('bad.safetensors');
    writeFileSync(file, writeSafetensors(new Map([['layer.weight', { shape: [20, 30], data }]])));
    await fails(['--map', 'low', '--dense', file, '--tensor', 'layer.weight'], `${file}['layer.weight']: dense matrix has NaN at (1, 1): projection needs finite values`);
  });

  it('a truncated file', async () => {
    const whole = npy('whole.npy', new Float32Array(20 * 30), [20, 30]);
    const cut = scratch.path('cut.npy');
    writeFileSync(cut, readFileSync(whole).subarray(0, 300));
    await fails(['--map', 'low', '--dense', cut], new RegExp(`^monc: error: ${cut}: npy: truncated data`));
    const cutSt = scratch.path('cut.safetensors');
    writeFileSync(cutSt, writeSafetensors(new Map([['w', { shape: [20, 30], data: new Float32Array(600) }]])).subarray(0, 100));
    await fails(['--map', 'low', '--dense', cutSt, '--tensor', 'w'], new RegExp(`^monc: error: ${cutSt}: safetensors: `));
  });

  it('a tensor that is not in the file lists the tensors there are; so does a file of several without --tensor', async () => {
    const model = scratch.path('two.safetensors');
    writeFileSync(model, writeSafetensors(new Map([
      ['layer.weight', { shape: [20, 30], data: new Float32Array(600) }],
      ['layer.bias', { shape: [20], data: new Float32Array(20) }],
    ])));
    await fails(['--map', 'low', '--dense', model, '--tensor', 'layer.weights'], `${model}: has no tensor 'layer.weights' (tensors: layer.bias, layer.weight)`);
    await fails(['--map', 'low', '--dense', model], `${model}: holds several tensors: pick one with --tensor NAME (tensors: layer.bias, layer.weight)`);
    // The wrong shape names the tensor.
    await fails(['--map', 'low', '--dense', model, '--tensor', 'layer.bias'], `${model}['layer.bias']: dense matrix has shape (20,) but 'low' expects (20, 30) = (out, in)`);
    // --tensor on a .npy file.
    await fails(['--map', 'low', '--dense', npy('plain.npy', new Float32Array(600), [20, 30]), '--tensor', 'w'], /is a \.npy file, which holds one array: drop --tensor/);
    // The format is the content's (QA s14 Q30): safetensors files under other names, one tensor needing no --tensor.
    const renamed = scratch.path('bf.st');
    writeFileSync(renamed, writeSafetensors(new Map([['layer.bias', { shape: [20], data: new Float32Array(20) }]])));
    await fails(['--map', 'low', '--dense', renamed], `${renamed}['layer.bias']: dense matrix has shape (20,) but 'low' expects (20, 30) = (out, in)`);
    const several = scratch.path('two.bin');
    writeFileSync(several, readFileSync(model));
    await fails(['--map', 'low', '--dense', several], `${several}: holds several tensors: pick one with --tensor NAME (tensors: layer.bias, layer.weight)`);
  });

  it('an unknown map lists the maps; a missing W file says so; --json gives the error object', async () => {
    const w = npy('ok.npy', new Float32Array(600), [20, 30]);
    await fails(['--map', 'nope', '--dense', w], `${spec}: no map named 'nope' (maps: up, low, raw, pf)`);
    await fails(['--map', 'low', '--dense', scratch.path('missing.npy')], `cannot read array file '${scratch.path('missing.npy')}': no such file or directory`);
    const r = await cli(['project', spec, '--map', 'nope', '--dense', w, '--out', out, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ kind: 'user', message: expect.stringContaining("no map named 'nope'") });
  });

  it('a W whose parameters f16 cannot hold (beyond ±65504), in an f16 module', async () => {
    const w = npy('huge.npy', new Float32Array(12).fill(1e5), [3, 4]);
    const r = await cli(['project', halfDense, '--map', 'd', '--dense', w, '--out', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe("monc: error: the projected parameter tensor 'd.weight' holds 100000 at element (0, 0): beyond the f16 range ±65504 of this f16 module; scale W down\n");
    expect(existsSync(out)).toBe(false);
  });

  it('leaves an existing output untouched', async () => {
    const keep = scratch.path('keep.safetensors');
    writeFileSync(keep, 'previous contents');
    const r = await cli(['project', spec, '--map', 'up', '--dense', npy('short.npy', new Float32Array(4), [2, 2]), '--out', keep]);
    expect(r.code).toBe(1);
    expect(readFileSync(keep, 'utf8')).toBe('previous contents');
  });
});
