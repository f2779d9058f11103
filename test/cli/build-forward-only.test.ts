/**
 * `monc build --forward-only`: the files are smaller, the manifest says `forwardOnly`, the WGSL
 * declares no backward, optimizer or training-step entry point, two builds are byte-identical,
 * and the module as written runs forward (and encodeForward) on webgpu (SwiftShader) and on the cpu backend against
 * the float64 reference (relative Frobenius error 1e-5 for f32; an f16 module, through its
 * f32-storage kernels here, within 5e-3: its parameters are rounded to f16), while
 * every training call refuses with a one-line MoncError of kind `user` naming the option.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSource } from '../../src/dsl/index.js';
import { paramsOf } from '../../src/dsl/params.js';
import { decodeManifest } from '../../src/manifest/manifest-file.js';
import type { Manifest, ManifestMap } from '../../src/manifest/types.js';
import { readDeviceBuffer } from '../../src/runtime/host-storage.js';
import { initParams } from '../../src/runtime/init.js';
import { MapRunner, type Backend } from '../../src/runtime/node.js';
import { getTestDevice } from '../support/gpu.js';
import { randomArray, relativeError, rng } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';
import { userErrorOf } from '../support/user-error.js';
import { tunedDb } from '../plugin/fixtures.js';
import { cli, cliJson, scratchDir } from './helpers.js';

/** Two f32 maps with sizes no power of two: a Monarch with a bias, and a banded block-sparse plus low-rank sum. */
const F32_SPEC = `module fwd
map up  : 48 -> 80 = monarch(nblocks: 4) + bias()
map mix : 40 -> 24 = sparse(block: 8, pattern: band(width: 2)) + lowrank(rank: 3)
`;
/** The docs' f16 example: tensor-core, portable and f32-storage kernel sets. */
const F16_SPEC = 'module half\ndtype f16\nmap up : 64 -> 256 = monarch(nblocks: 4)\n';

const EXTENSIONS = ['wgsl', 'ts', 'json'] as const;

/** `runner.encodeForward` on the caller's own encoder and buffers (f32 storage), read back. */
async function encodedForward(runner: MapRunner, x: Float32Array<ArrayBuffer>, batch: number): Promise<Float32Array> {
  const device = await getTestDevice();
  const input = device.createBuffer({ size: x.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  const output = device.createBuffer({ size: batch * runner.out * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  try {
    device.queue.writeBuffer(input, 0, x);
    const encoder = device.createCommandEncoder();
    runner.encodeForward(encoder, input, output, batch);
    device.queue.submit([encoder.finish()]);
    return await readDeviceBuffer(device, output, batch * runner.out, 'f32');
  } finally {
    input.destroy();
    output.destroy();
  }
}

interface Built {
  readonly files: Record<(typeof EXTENSIONS)[number], string>;
  readonly manifest: Manifest;
}

describe('monc build --forward-only', () => {
  const scratch = scratchDir();
  afterAll(() => scratch.remove());
  const spec = (name: string, text: string) => {
    const path = scratch.path(name);
    writeFileSync(path, text);
    return path;
  };
  const read = (dir: string, module: string): Built => {
    const files = Object.fromEntries(EXTENSIONS.map((ext) => [ext, readFileSync(`${dir}/${module}.${ext}`, 'utf8')])) as Built['files'];
    return { files, manifest: decodeManifest(JSON.parse(files.json)) };
  };
  const build = async (file: string, out: string, ...flags: string[]) => {
    const r = await cli(['build', file, '--out', scratch.path(out), ...flags]);
    expect(r.code, r.stderr).toBe(0);
    return r;
  };

  let f32Spec: string;
  let full: Built;
  let forward: Built;
  beforeAll(async () => {
    f32Spec = spec('fwd.mon', F32_SPEC);
    await build(f32Spec, 'full');
    await build(f32Spec, 'forward', '--forward-only');
    full = read(scratch.path('full'), 'fwd');
    forward = read(scratch.path('forward'), 'fwd');
  });

  it('writes smaller files whose manifest says forwardOnly, with no training kernel in the WGSL', () => {
    for (const ext of EXTENSIONS) expect(forward.files[ext].length, ext).toBeLessThan(full.files[ext].length);
    expect(forward.manifest.forwardOnly).toBe(true);
    expect(full.manifest.forwardOnly).toBeUndefined();
    for (const map of forward.manifest.maps) {
      expect(map.forwardOnly).toBe(true);
      expect([map.backward, map.optimizers, map.trainingStep]).toEqual([undefined, undefined, undefined]);
      expect(map.kernelSets!.every((s) => s.backwardKernels === undefined)).toBe(true);
    }
    const training = full.manifest.maps.flatMap((m) => [...m.backward!.kernels, ...m.optimizers!, ...m.trainingStep!.kernels].map((k) => k.entryPoint));
    expect(training.length).toBeGreaterThan(0);
    for (const ep of training) {
      expect(full.files.wgsl, ep).toMatch(new RegExp(`\\bfn ${ep}\\(`));
      expect(forward.files.wgsl + forward.files.ts, ep).not.toMatch(new RegExp(`\\bfn ${ep}\\(`));
    }
    expect(forward.files.wgsl).not.toContain('(backward)');
    expect(forward.files.wgsl).not.toContain('optimizer updates');
    // The forward kernels are the full build's.
    expect(forward.manifest.maps.map((m) => m.kernels)).toEqual(full.manifest.maps.map((m) => m.kernels));
  });

  it('writes the same bytes twice, and says forwardOnly in --json and in its text', async () => {
    const json = await cliJson(['build', f32Spec, '--out', scratch.path('again'), '--forward-only']);
    expect(json).toMatchObject({ forwardOnly: true, modules: [{ module: 'fwd', maps: ['up', 'mix'] }] });
    const again = read(scratch.path('again'), 'fwd');
    for (const ext of EXTENSIONS) expect(again.files[ext] === forward.files[ext], ext).toBe(true);
    const text = await build(f32Spec, 'text', '--forward-only');
    expect(text.stdout).toContain('module fwd (2 maps, forward only) ->');
    expect((await cliJson(['build', f32Spec, '--out', scratch.path('full2')])).forwardOnly).toBeUndefined();
  });

  it('with --tuning: the forward kernels take the database\'s schedules, as in a full build', async () => {
    const { text, schedule } = tunedDb(f32Spec);
    const db = spec('tuning.json', text);
    await build(f32Spec, 'tuned', '--tuning', db);
    await build(f32Spec, 'tuned-forward', '--tuning', db, '--forward-only');
    const [tunedFull, tunedForward] = [read(scratch.path('tuned'), 'fwd'), read(scratch.path('tuned-forward'), 'fwd')];
    expect(tunedForward.manifest.maps[0].kernels[0].schedule).toEqual(schedule);
    expect(tunedForward.manifest.maps.map((m) => m.kernels)).toEqual(tunedFull.manifest.maps.map((m) => m.kernels));
    expect(tunedForward.manifest.maps.map((m) => m.kernelSets!.map((s) => s.name))).toEqual(tunedFull.manifest.maps.map((m) => m.kernelSets!.map((s) => s.name)));
    expect(tunedForward.manifest.forwardOnly).toBe(true);
  });

  it('is offered by monc build --help', async () => {
    const help = await cli(['build', '--help']);
    expect(help.stdout).toMatch(/--forward-only\s+emit the forward kernels only/);
  });

  describe.each<Backend>(['webgpu', 'cpu'])('on %s', (backend) => {
    const create = async (map: ManifestMap, wgsl: string, training?: boolean) =>
      MapRunner.create(map, wgsl, backend === 'webgpu' ? { device: await getTestDevice(), backend, training } : { backend, training });

    it('runs each map forward as the float64 reference does (batch 1 and 7)', async () => {
      const { module } = checkSource(F32_SPEC, 'fwd.mon');
      for (const [i, map] of forward.manifest.maps.entries()) {
        const structure = module!.maps[i].structure;
        const params = initParams(paramsOf(structure), 5 + i);
        const runner = await create(map, forward.files.wgsl);
        try {
          runner.loadParams(params);
          for (const batch of [1, 7]) {
            const x = randomArray(batch * map.in, rng(batch + i));
            const y = await runner.forward(x, batch);
            expect(relativeError(y, referenceApply(structure, params, x, batch)), `${map.name} batch ${batch}`).toBeLessThan(1e-5);
            if (backend === 'webgpu') expect(await encodedForward(runner, x, batch), `${map.name} encodeForward`).toEqual(y);
          }
        } finally {
          runner.destroy();
        }
      }
    });

    it('refuses every training call with a user error naming --forward-only', async () => {
      const map = forward.manifest.maps[0];
      const named = (e: Error) => expect(e.message).toMatch(/^map 'up': \S+.* needs the training kernels, and this module was built forward-only; rebuild it without --forward-only/);
      named(await userErrorOf(() => create(map, forward.files.wgsl, true)));
      const runner = await create(map, forward.files.wgsl);
      try {
        const params = initParams(paramsOf(checkSource(F32_SPEC, 'fwd.mon').module!.maps[0].structure), 1);
        runner.loadParams(params);
        const x = randomArray(2 * map.in, rng(2));
        named(await userErrorOf(() => runner.backward(x, randomArray(2 * map.out, rng(3)), 2)));
        named(await userErrorOf(() => runner.fitMse(x, randomArray(2 * map.out, rng(4)), { steps: 1, optimizer: { kind: 'sgd', lr: 0.1 } })));
        // The synchronous calls throw at once rather than returning something that fails later.
        expect(() => runner.createOptimizer({ kind: 'adam', lr: 0.01 })).toThrow(/createOptimizer needs the training kernels.*--forward-only/);
        if (backend === 'webgpu') {
          const buffer = {} as GPUBuffer;
          expect(() => runner.encodeBackward({} as GPUCommandEncoder, buffer, buffer, buffer, 2)).toThrow(/encodeBackward needs the training kernels.*--forward-only/);
        }
        // Forward passes, reading the parameters back and saving them still work after the refusals.
        expect((await runner.forward(x, 2)).length).toBe(2 * map.out);
        expect(await runner.params()).toEqual(params);
        expect((await runner.saveParams()).length).toBeGreaterThan(4 * map.paramSize);
      } finally {
        runner.destroy();
      }
    });
  });

  it('of an f16 module: 8x smaller, and its forward pass runs on this adapter (f32-storage kernels) as the reference does', async () => {
    const f16Spec = spec('half.mon', F16_SPEC);
    await build(f16Spec, 'half-full');
    await build(f16Spec, 'half-forward', '--forward-only');
    const [fullHalf, forwardHalf] = [read(scratch.path('half-full'), 'half'), read(scratch.path('half-forward'), 'half')];
    const size = (b: Built) => b.files.ts.length;
    expect(size(forwardHalf) * 8).toBeLessThan(size(fullHalf));
    expect(forwardHalf.manifest.maps[0].kernelSets!.map((s) => s.name)).toEqual(['tensor-core', 'portable', 'f32-storage']);

    const structure = checkSource(F16_SPEC, 'half.mon').module!.maps[0].structure;
    const params = initParams(paramsOf(structure), 11);
    const x = randomArray(3 * 64, rng(12));
    // SwiftShader has no shader-f16: the runner takes the f32-storage set, a WGSL module of its own (forward kernels only here).
    const runner = await MapRunner.create(forwardHalf.manifest.maps[0], forwardHalf.files.wgsl, { device: await getTestDevice(), dtype: 'f16' });
    try {
      expect(runner.kernelSet!.name).toBe('f32-storage');
      runner.loadParams(params);
      // Parameters rounded to f16 on loading: the float64 reference on the unrounded ones is within f16's precision.
      expect(relativeError(await runner.forward(x, 3), referenceApply(structure, params, x, 3))).toBeLessThan(5e-3);
    } finally {
      runner.destroy();
    }
  });
});
