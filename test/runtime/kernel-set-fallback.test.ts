/**
 * A kernel set whose requirements the device meets but whose kernels do not compile on it (QA2
 * s11 B7: a tensor-core set on an adapter whose subgroup matrices have other shapes, which no
 * requirement names) gives way to the next set the device can run, as issue 4's "a missing
 * feature falls back, never fails" asks. Emulated here by a first set whose WGSL enables an
 * extension this device lacks: the runner runs the next set, like the float64 reference, and
 * trains on it. When no set after it compiles (or none remains), the first set's WgslError is
 * the caller's.
 */
import { describe, expect, it } from 'vitest';
import type { ManifestKernelSet, ManifestMap } from '../../src/manifest/types.js';
import '../../src/runtime/training.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { WgslError } from '../../src/runtime/pipeline-cache.js';
import { bias, checkedMap, monarch, randomParams, rng, sum } from '../ir/structures.js';
import { getTestDevice } from '../support/gpu.js';
import { randomArray, relativeError } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';
import { compileModuleForTest } from '../training/compile.js';

const checked = checkedMap('m', sum(monarch(12, 18, 3), bias(18)));
const compiled = compileModuleForTest(checked);
const map = compiled.manifest.maps[0];
const params = new Map([...randomParams(checked.structure, rng(51))].map(([k, v]) => [k, Float32Array.from(v)]));

/** A set the device meets (no feature, no limit) whose WGSL it cannot compile: the module's kernels behind an extension SwiftShader (and most adapters) lack. */
const uncompilable: ManifestKernelSet = {
  name: 'tensor-core',
  storage: 'f32',
  requires: { features: [], maxComputeInvocationsPerWorkgroup: 1, maxComputeWorkgroupStorageSize: 0 },
  wgsl: { extendsModule: true, enables: ['chromium_experimental_subgroup_matrix'], text: '' },
};

function withSets(sets: readonly ManifestKernelSet[]): ManifestMap {
  return { ...map, kernelSets: sets };
}

describe('a kernel set that does not compile on the device', () => {
  it('gives way to the next set the device runs: forward like the float64 reference, backward too', async () => {
    expect(map.kernelSets?.length, 'the build ships its portable set').toBeGreaterThan(0);
    const runner = await MapRunner.create(withSets([uncompilable, ...map.kernelSets!]), compiled.wgsl, { device: await getTestDevice(), training: true });
    try {
      expect(runner.kernelSet!.name).toBe(map.kernelSets![0].name);
      runner.loadParams(params);
      const x = randomArray(3 * 12, rng(52));
      expect(relativeError(await runner.forward(x, 3), referenceApply(checked.structure, params, x, 3))).toBeLessThan(1e-5);
      const { grads } = await runner.backward(x, randomArray(3 * 18, rng(53)), 3);
      expect([...grads.keys()].sort()).toEqual([...params.keys()].sort());
    } finally {
      runner.destroy();
    }
  });

  it("an f16 module's tensor-core set admitted by requirements it does not meet here: the next set the device runs (f32-storage on an adapter without shader-f16) runs it like the float64 reference", async () => {
    const f16 = checkedMap('up', monarch(64, 64, 4));
    const built = compileModuleForTest(f16, 'f16');
    const up = built.manifest.maps[0];
    const sets = up.kernelSets!;
    expect(sets.map((s) => s.name)).toContain('tensor-core');
    // As if the adapter met the tensor-core set (QA2's tampered manifest): its kernels need subgroup matrices this device lacks.
    const tampered = sets.map((s) => (s.name === 'tensor-core' ? { ...s, requires: { features: [], maxComputeInvocationsPerWorkgroup: 1, maxComputeWorkgroupStorageSize: 0 } } : s));
    const runner = await MapRunner.create({ ...up, kernelSets: tampered }, built.wgsl, { device: await getTestDevice(), dtype: 'f16' });
    try {
      expect(runner.kernelSet!.name).not.toBe('tensor-core');
      const p = new Map([...randomParams(f16.structure, rng(54))].map(([k, v]) => [k, Float32Array.from(v)]));
      runner.loadParams(p);
      const x = randomArray(2 * 64, rng(55));
      // The f32-storage set keeps parameters and activations in f32 on the device: f32 against float64.
      expect(relativeError(await runner.forward(x, 2), referenceApply(f16.structure, p, x, 2))).toBeLessThan(1e-5);
    } finally {
      runner.destroy();
    }
  });

  it('alone, or before another that does not compile either: its own WgslError (kind wgsl)', async () => {
    const device = await getTestDevice();
    for (const sets of [[uncompilable], [uncompilable, { ...uncompilable, name: 'portable' as const }]]) {
      const error = await MapRunner.create(withSets(sets), compiled.wgsl, { device }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WgslError);
      expect((error as WgslError).kind).toBe('wgsl');
    }
  });
});
