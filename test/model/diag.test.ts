/**
 * The worked example of adding a constructor: `diag()` was added in the model (one entry of
 * src/model/constructors.ts), the syntax (signature, shape rule, checker, structure node) and the
 * docs only. Everything else handles it with no edit of its own, and this file proves it end to
 * end, the user's way (the CLI in-process): check, build, the float64 reference, the CPU and
 * WebGPU backends, projection (closed form: the diagonal of W), gradients and ONNX export, on
 * `diag()` alone and on `diag() @ monarch(nblocks: 4)`. Oracles are the definition
 * y_i = d_i · x_i written here, and the float64 reference for the chain.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSource } from '../../src/dsl/index.js';
import { modelOf } from '../../src/model/build.js';
import { readNpy, writeNpy } from '../../src/runtime/formats/npy.js';
import { readSafetensors } from '../../src/runtime/formats/safetensors.js';
import { referenceApply } from '../../src/runtime/reference.js';
import { referenceBackward } from '../../src/runtime/reference-backward.js';
import { uniform01 } from '../../src/util/random.js';
import { cli, cliJson, scratchDir } from '../cli/helpers.js';
import { runOnnx } from '../export/onnx-harness.js';
import { relativeError } from '../support/programs.js';

/** Small sizes (SwiftShader runs the WebGPU parts on the CPU); 24 is not a power of two. */
const N = 24;
const M = 16;
const SPEC = `module diagonal
map scale : ${N} -> ${N} = diag()
map mixed : ${M} -> ${M} = diag() @ monarch(nblocks: 4)
`;
const BATCH = 3;
const TOL = 1e-5;

const scratch = scratchDir();
afterAll(() => scratch.remove());
const spec = scratch.path('diagonal.mon');
writeFileSync(spec, SPEC);
const module = checkSource(SPEC, spec).module!;
const modelOfMap = (name: string) => modelOf(module.maps.find((m) => m.name === name)!);
const tensorsOf = (file: string) => new Map([...readSafetensors(readFileSync(file)).tensors].map(([name, t]) => [name, Float64Array.from(t.data)]));


function randomNpy(name: string, shape: number[], seed: number): { file: string; data: Float32Array } {
  const random = uniform01(seed);
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * random() - 1);
  const file = scratch.path(name);
  writeFileSync(file, writeNpy(data, shape));
  return { file, data };
}

async function initParams(map: string, seed: number): Promise<string> {
  const out = scratch.path(`${map}-${seed}.safetensors`);
  await cliJson(['init', spec, '--map', map, '--out', out, '--seed', String(seed)]);
  return out;
}

/** y[b, i] = d_i · x[b, i]: the definition of diag() (docs/language.md). */
const diagonal = (d: ArrayLike<number>, x: ArrayLike<number>) => Float64Array.from(x, (v, i) => d[i % d.length] * v);

describe('diag()', () => {
  it('checks: one tensor d (n) with fan-in 1; n parameters, 2n FLOPs per row; the mixed map costs the sum of its parts', async () => {
    const checked = await cliJson(['check', spec]);
    const scale = checked.maps.find((m: { name: string }) => m.name === 'scale');
    expect(scale).toMatchObject({ in: N, out: N, params: N, flopsPerRow: 2 * N });
    expect(modelOfMap('scale').params).toEqual([{ name: 'scale.d', shape: [N], fanIn: 1 }]);
    const mixed = checked.maps.find((m: { name: string }) => m.name === 'mixed');
    expect(mixed).toMatchObject({ params: M + 2 * 4 * 4 * 4, flopsPerRow: 2 * (M + 2 * 4 * 4 * 4) });
  });

  it('a non-square diag() is a shape error (exit 1)', async () => {
    const bad = scratch.path('bad.mon');
    writeFileSync(bad, 'map f : 8 -> 16 = diag()\n');
    const r = await cli(['check', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('diag() needs a square shape');
  });

  it('monc build writes a module whose manifest ships the model K(n, 1, 1, 1)', async () => {
    await cliJson(['build', spec, '--out', scratch.path('gen')]);
    const manifest = JSON.parse(readFileSync(scratch.path('gen/diagonal.json'), 'utf8'));
    const scale = manifest.maps.find((m: { name: string }) => m.name === 'scale');
    expect(scale.model.body).toMatchObject({ kind: 'ks', a: N, b: 1, c: 1, d: 1, weight: { tensor: 'scale.d', offset: 0, length: N } });
    expect(scale.paramCount).toBe(N);
    expect(readFileSync(scratch.path('gen/diagonal.wgsl'), 'utf8')).toContain('@compute');
  });

  it('the float64 reference is y = d ⊙ x', async () => {
    const params = tensorsOf(await initParams('scale', 1));
    const x = randomNpy('xs.npy', [BATCH, N], 2).data;
    expect(relativeError(referenceApply(modelOfMap('scale'), params, x, BATCH), diagonal(params.get('scale.d')!, x))).toBeLessThan(1e-12);
  });

  for (const backend of ['cpu', 'webgpu'] as const) {
    it(`monc run --backend ${backend}: diag() is d ⊙ x, diag() @ monarch the reference`, async () => {
      const p = await initParams('scale', 3);
      const x = randomNpy(`x-${backend}.npy`, [BATCH, N], 4);
      const out = scratch.path(`y-${backend}.npy`);
      await cliJson(['run', spec, '--map', 'scale', '--params', p, '--input', x.file, '--out', out, '--backend', backend]);
      expect(relativeError(readNpy(readFileSync(out)).data, diagonal(tensorsOf(p).get('scale.d')!, x.data))).toBeLessThan(TOL);

      const pm = await initParams('mixed', 5);
      const xm = randomNpy(`xm-${backend}.npy`, [BATCH, M], 6);
      const outm = scratch.path(`ym-${backend}.npy`);
      await cliJson(['run', spec, '--map', 'mixed', '--params', pm, '--input', xm.file, '--out', outm, '--backend', backend]);
      expect(relativeError(readNpy(readFileSync(outm)).data, referenceApply(modelOfMap('mixed'), tensorsOf(pm), xm.data, BATCH))).toBeLessThan(TOL);
    });
  }

  it('monc project onto diag() is exact in closed form: d = the diagonal of W', async () => {
    const w = randomNpy('ws.npy', [N, N], 7);
    const out = scratch.path('proj-scale.safetensors');
    const result = await cliJson(['project', spec, '--map', 'scale', '--dense', w.file, '--out', out]);
    const d = tensorsOf(out).get('scale.d')!;
    expect([...d]).toEqual(Array.from({ length: N }, (_, i) => w.data[i * N + i]));
    // ‖W − diag(W)‖_F / ‖W‖_F: the off-diagonal mass.
    let off = 0;
    let all = 0;
    w.data.forEach((v, k) => {
      all += v * v;
      if (Math.floor(k / N) !== k % N) off += v * v;
    });
    expect(result.relative_error).toBeCloseTo(Math.sqrt(off / all), 5);
    expect(result.optimal).toBe(true);
  });

  it('monc project onto diag() @ monarch fits a W of that structure', async () => {
    const truth = tensorsOf(await initParams('mixed', 8));
    const wData = Float32Array.from(referenceApply(modelOfMap('mixed'), truth, identity(M), M));
    // Rows of referenceApply(I) are M's columns: W = (M eᵢ)ᵢ transposed back.
    const w = Float32Array.from({ length: M * M }, (_, k) => wData[(k % M) * M + Math.floor(k / M)]);
    const file = scratch.path('wm.npy');
    writeFileSync(file, writeNpy(w, [M, M]));
    const result = await cliJson(['project', spec, '--map', 'mixed', '--dense', file, '--out', scratch.path('proj-mixed.safetensors')]);
    expect(result.relative_error).toBeLessThan(1e-3);
  });

  it('monc grad (cpu and webgpu): ∂L/∂d_i = Σ_b dy[b,i]·x[b,i], ∂L/∂x = d ⊙ dy; the chain matches the reference VJP', async () => {
    for (const backend of ['cpu', 'webgpu'] as const) {
      const p = await initParams('scale', 9);
      const x = randomNpy(`gx-${backend}.npy`, [BATCH, N], 10);
      const dy = randomNpy(`gdy-${backend}.npy`, [BATCH, N], 11);
      const out = scratch.path(`g-${backend}.safetensors`);
      await cliJson(['grad', spec, '--map', 'scale', '--params', p, '--input', x.file, '--grad-output', dy.file, '--out', out, '--backend', backend]);
      const g = tensorsOf(out);
      const d = tensorsOf(p).get('scale.d')!;
      const dd = Array.from({ length: N }, (_, i) => Array.from({ length: BATCH }, (_, b) => dy.data[b * N + i] * x.data[b * N + i]).reduce((a, v) => a + v, 0));
      expect(relativeError(g.get('scale.d')!, dd)).toBeLessThan(TOL);
      expect(relativeError(g.get('input')!, diagonal(d, dy.data))).toBeLessThan(TOL);

      const pm = await initParams('mixed', 12);
      const xm = randomNpy(`gxm-${backend}.npy`, [BATCH, M], 13);
      const dym = randomNpy(`gdym-${backend}.npy`, [BATCH, M], 14);
      const outm = scratch.path(`gm-${backend}.safetensors`);
      await cliJson(['grad', spec, '--map', 'mixed', '--params', pm, '--input', xm.file, '--grad-output', dym.file, '--out', outm, '--backend', backend]);
      const want = referenceBackward(modelOfMap('mixed'), tensorsOf(pm), xm.data, dym.data, BATCH);
      const gm = tensorsOf(outm);
      expect(relativeError(gm.get('input')!, want.dx)).toBeLessThan(TOL);
      for (const [name, grad] of want.grads) expect(relativeError(gm.get(name)!, grad), name).toBeLessThan(TOL);
    }
  });

  it('monc export: ONNX Runtime computes d ⊙ x and the chain', async () => {
    for (const [map, n] of [['scale', N], ['mixed', M]] as const) {
      const p = await initParams(map, 15);
      const onnx = scratch.path(`${map}.onnx`);
      await cliJson(['export', spec, '--map', map, '--params', p, '--out', onnx]);
      const x = randomNpy(`ox-${map}.npy`, [BATCH, n], 16).data;
      const { y } = await runOnnx(readFileSync(onnx), x, BATCH, n, 'f32');
      expect(relativeError(y, referenceApply(modelOfMap(map), tensorsOf(p), x, BATCH))).toBeLessThan(TOL);
    }
  });
});

function identity(n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
}
