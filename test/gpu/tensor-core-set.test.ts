/**
 * The tensor-core kernel set of an untuned f16 Monarch (its first factor on ks-sgmat, the rest
 * the module's kernels) runs, through MapRunner, against the
 * float64 reference on SwiftShader: the module's WGSL and the set's own kernels are rewritten by
 * the subgroup-matrix emulation (test/support/sgmat-emulation.ts: f16 -> f32, matrices held
 * whole per invocation) and the set is offered to the runner as the map's only kernel set, with
 * f32 storage. So the set's kernel list (its own `_tc` entry points beside the module's shared
 * ones), the runner's composition of its WGSL (the module's, then the set's kernels) and its use
 * are what runs here; only the tensor-core instructions themselves are the emulation's.
 * Tolerance: relative Frobenius error 3e-3 (SPEC §6, f16): the emulation keeps the kernels'
 * f16 workgroup arrays f16, which rounds every staged value to f16.
 */
import { describe, expect, it } from 'vitest';
import { compileKernels } from '../../src/compile-kernels.js';
import { paramsOf } from '../../src/dsl/params.js';
import type { ManifestKernelSet, ManifestMap } from '../../src/manifest/types.js';
import { deviceCapabilities } from '../../src/runtime/device.js';
import { initParams } from '../../src/runtime/init.js';
import { chooseKernelSet } from '../../src/runtime/kernel-sets.js';
import { MapRunner } from '../../src/runtime/node.js';
import { getTestDevice } from '../support/gpu.js';
import { kernelSetOf } from '../support/kernel-sets.js';
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
  const emulated: ManifestKernelSet = {
    ...set,
    storage: 'f32',
    requires: { features: [], maxComputeInvocationsPerWorkgroup: set.requires.maxComputeInvocationsPerWorkgroup, maxComputeWorkgroupStorageSize: set.requires.maxComputeWorkgroupStorageSize },
    wgsl: { extendsModule: true, enables: [], text: emulateSubgroupMatrix(set.wgsl!.text, EMULATION) },
  };
  return { ...map, kernelSets: [emulated] };
}

describe('the tensor-core kernel set of an untuned f16 Monarch, emulated', () => {
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
      // The module's WGSL up to its backward kernels: the forward pass needs no more, and
      // SwiftShader compiles the whole module for each pipeline (25 s with the backward and optimizer kernels).
      const full = result.outputs!.wgsl;
      const wgsl = full.slice(0, full.indexOf('\n\n// map up (backward)\n'));
      expect(wgsl.length).toBeGreaterThan(0);
      const map = manifest.maps[0];
      const set = kernelSetOf(map, 'tensor-core');
      expect(set.kernels!.map((k) => k.entryPoint)).toEqual(['up_op0_tc', 'up_op1']);
      expect(set.kernels![0].schedule.family).toBe('ks-sgmat');

      const device = await getTestDevice();
      const runner = await MapRunner.create(emulatedTensorCoreMap(map), emulateSubgroupMatrix(wgsl, EMULATION), { device, dtype: 'f16' });
      try {
        expect(runner.kernelSet?.name).toBe('tensor-core');
        expect(runner.kernelSet?.kernels.map((k) => k.entryPoint)).toEqual(set.kernels!.map((k) => k.entryPoint));
        const structure = result.module!.maps[0].structure;
        const params = initParams(paramsOf(structure), 5);
        runner.loadParams(params);
        for (const batch of [1, 37]) {
          const x = randomArray(batch * n, rng(batch));
          const err = relativeError(await runner.forward(x, batch), referenceApply(structure, params, x, batch));
          expect(err, `batch ${batch}`).toBeLessThan(F16_TOL);
        }
      } finally {
        runner.destroy();
      }
    });
  }
});
