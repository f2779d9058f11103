/**
 * The tensor-core kernel set of an untuned f16 Monarch (its first factor on ks-sgmat, the rest
 * the module's kernels) runs, through MapRunner, against the
 * float64 reference on SwiftShader: the module's WGSL and the set's own kernels are rewritten by
 * the subgroup-matrix emulation (test/support/sgmat-emulation.ts: f16 -> f32, matrices held
 * whole per invocation) and the set is offered to the runner as the map's only kernel set, with
 * f32 storage. So the set's kernel list (its own `_tc` entry points beside the module's shared
 * ones), the runner's composition of its WGSL (the module's, then the set's kernels) and its use
 * are what runs here; only the tensor-core instructions themselves are the emulation's. A build
 * tuned on a desktop GPU (512-invocation kernels) runs the same way its tensor-core set, which the
 * runner takes after passing over the tuned set for SwiftShader's 256 invocations.
 * Tolerance: relative Frobenius error 3e-3 (SPEC §6, f16): the emulation keeps the kernels'
 * f16 workgroup arrays f16, which rounds every staged value to f16.
 */
import { describe, expect, it } from 'vitest';
import { compileKernels, type TuningLookup } from '../../src/compile-kernels.js';
import { DEFAULT_LIMITS } from '../../src/codegen/wgsl/index.js';
import { paramsOf } from '../../src/dsl/params.js';
import type { Structure } from '../../src/dsl/structure.js';
import type { ManifestKernelSet, ManifestMap } from '../../src/manifest/types.js';
import { deviceCapabilities } from '../../src/runtime/device.js';
import { initParams } from '../../src/runtime/init.js';
import { chooseKernelSet } from '../../src/runtime/kernel-sets.js';
import { MapRunner } from '../../src/runtime/node.js';
import { getTestDevice } from '../support/gpu.js';
import { kernelSetOf, schedulesBeyond } from '../support/kernel-sets.js';
import { randomArray, relativeError, rng } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';
import { emulateSubgroupMatrix } from '../support/sgmat-emulation.js';

const F16_TOL = 3e-3;
const EMULATION = { packWorkgroupF16: true };

/**
 * The map with its tensor-core set as its one set, emulated: f32 storage, no features needed,
 * still extending the module's WGSL (which the caller emulates too), so that the runner composes
 * the set's module as it does on an adapter with tensor cores.
 */
function emulatedTensorCoreMap(map: ManifestMap): ManifestMap {
  const set = kernelSetOf(map, 'tensor-core');
  expect(set.wgsl?.extendsModule).toBe(true);
  return { ...map, kernelSets: [emulatedSet(set)] };
}

/**
 * A set as this adapter runs it under the emulation: f32 storage, none of the features, no
 * subgroup size and no subgroup-matrix configurations the emulation stands in for, the same workgroup limits; its own kernels (`text`:
 * by default the set's) emulated too.
 */
function emulatedSet(set: ManifestKernelSet, text = set.wgsl?.text): ManifestKernelSet {
  const { features: _features, subgroupSize: _size, subgroupMatrixConfigs: _configs, ...limits } = set.requires;
  return { ...set, storage: 'f32', requires: { ...limits, features: [] }, ...(text === undefined ? {} : { wgsl: { extendsModule: true, enables: [], text: emulateSubgroupMatrix(text, EMULATION) } }) };
}

/** The module's WGSL up to its backward kernels: the forward pass needs no more, and SwiftShader compiles the whole module for each pipeline (25 s with the backward and optimizer kernels). */
function forwardModule(wgsl: string, mapName: string): string {
  const end = wgsl.indexOf(`\n\n// map ${mapName} (backward)\n`);
  expect(end).toBeGreaterThan(0);
  return wgsl.slice(0, end);
}

/** Runs `runner` on random inputs (batches 1 and 37) against the float64 reference, to f16 accuracy. */
async function expectMatchesReference(runner: MapRunner, structure: Structure, n: number, seed: number): Promise<void> {
  const params = initParams(paramsOf(structure), seed);
  runner.loadParams(params);
  for (const batch of [1, 37]) {
    const x = randomArray(batch * n, rng(batch));
    const err = relativeError(await runner.forward(x, batch), referenceApply(structure, params, x, batch));
    expect(err, `batch ${batch}`).toBeLessThan(F16_TOL);
  }
}

describe('the tensor-core kernel set of an f16 Monarch, emulated', () => {
  it("is not this adapter's: the device's capabilities (features, limits, the adapter's subgroup sizes) rule it out", async () => {
    const map = compileKernels('module tc\ndtype f16\nmap up : 48 -> 48 = monarch(nblocks: 3)', 'tc.mon').outputs!.manifest.maps[0];
    const caps = deviceCapabilities(await getTestDevice());
    expect(caps.subgroupMinSize, 'Dawn reports the subgroup sizes').toBeGreaterThan(0);
    const choice = chooseKernelSet('up', map.kernelSets!, caps);
    expect(choice.skipped[0].name).toBe('tensor-core');
    expect(choice.skipped[0].unmet).toContain('chromium-experimental-subgroup-matrix');
  });

  for (const [n, m, nblocks] of [
    // δ = 3: the strided factor keeps its portable kernel, so the whole set fits SwiftShader's
    // 256 invocations (on the H200's limits a strided factor with δ a multiple of 4 goes to
    // ks-dtiled's 512-invocation default, which this adapter cannot run).
    [48, 48, 3],
    [48, 96, 3],
  ] as const) {
    it(`monarch(nblocks: ${nblocks}) ${n} -> ${m} + bias() matches the float64 reference (batches 1 and 37)`, async () => {
      const source = `module tc\ndtype f16\nmap up : ${n} -> ${m} = monarch(nblocks: ${nblocks}) + bias()`;
      const result = compileKernels(source, 'tc.mon');
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const { manifest } = result.outputs!;
      const wgsl = forwardModule(result.outputs!.wgsl, 'up');
      const map = manifest.maps[0];
      const set = kernelSetOf(map, 'tensor-core');
      expect(set.kernels!.map((k) => k.entryPoint)).toEqual(['up_op0_tc', 'up_op1']);
      expect(set.kernels![0].schedule.family).toBe('ks-sgmat');

      const device = await getTestDevice();
      const runner = await MapRunner.create(emulatedTensorCoreMap(map), emulateSubgroupMatrix(wgsl, EMULATION), { device, dtype: 'f16' });
      try {
        expect(runner.kernelSet?.name).toBe('tensor-core');
        expect(runner.kernelSet?.kernels.map((k) => k.entryPoint)).toEqual(set.kernels!.map((k) => k.entryPoint));
        await expectMatchesReference(runner, result.module!.maps[0].structure, n, 5);
      } finally {
        runner.destroy();
      }
    });
  }

  it("of a build tuned on a desktop GPU (512 invocations) runs where the tuned set does not fit: the untuned tensor-core kernels after the tuned module's WGSL", async () => {
    const source = 'module tc\ndtype f16\nmap up : 64 -> 128 = monarch(nblocks: 2) + bias()';
    // A fake tuning database: every op that can on a 512-invocation schedule of a desktop GPU without tensor cores.
    const desktop = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 16384, features: ['shader-f16'] };
    const tuning: TuningLookup = (ops) => {
      const [beyond] = ops.length === 1 ? schedulesBeyond(ops[0], desktop, DEFAULT_LIMITS) : [];
      return beyond && { schedule: beyond, limits: desktop };
    };
    const result = compileKernels(source, 'tc.mon', { tuning });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const map = result.outputs!.manifest.maps[0];
    expect(map.kernelSets!.map((s) => s.name)).toEqual(['tuned', 'tensor-core', 'portable', 'f32-storage']);
    const [tuned, set] = map.kernelSets!;
    expect(set.kernels!.map((k) => [k.entryPoint, k.schedule.family])).toEqual([
      ['up_op0_tc', 'ks-sgmat'],
      ['up_op1_tc', 'ks-sgmat-strided'],
    ]);
    // The set's own kernels up to its backward ones (the untuned kernels of tuned backward kernels), for the forward pass.
    const text = set.wgsl!.text;
    const backward = text.search(/^.*\bup_bwd\d+_tc/m);
    expect(backward).toBeGreaterThan(0);
    // This adapter with the emulation: tensor cores, SwiftShader's limits. The tuned set (512 invocations) does not fit it.
    const emulated = { ...map, kernelSets: [emulatedSet(tuned), emulatedSet(set, text.slice(0, backward))] };
    const device = await getTestDevice();
    const caps = deviceCapabilities(device);
    expect(caps.maxComputeInvocationsPerWorkgroup).toBeLessThan(tuned.requires.maxComputeInvocationsPerWorkgroup);
    expect(chooseKernelSet('up', emulated.kernelSets, caps).skipped).toEqual([{ name: 'tuned', unmet: [`${tuned.requires.maxComputeInvocationsPerWorkgroup} invocations`] }]);
    const runner = await MapRunner.create(emulated, emulateSubgroupMatrix(forwardModule(result.outputs!.wgsl, 'up'), EMULATION), { device, dtype: 'f16' });
    try {
      expect(runner.kernelSet?.name).toBe('tensor-core');
      expect(runner.kernelSet?.kernels.map((k) => k.entryPoint)).toEqual(['up_op0_tc', 'up_op1_tc']);
      await expectMatchesReference(runner, result.module!.maps[0].structure, 64, 7);
    } finally {
      runner.destroy();
    }
  });
});
