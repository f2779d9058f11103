/**
 * A build tuned on a larger adapter runs here: its tuned kernel needs more invocations than this
 * adapter (SwiftShader) offers, so the runner passes over the tuned set and runs the portable set
 * the build shipped after it (its `_portable` kernel beside the module's shared ones, composed
 * after the tuned module's WGSL), forward and backward, against the float64 reference.
 * Tolerance: relative Frobenius error 1e-5 (f32 storage).
 */
import { describe, expect, it } from 'vitest';
import { compileKernels, type TuningLookup } from '../../src/compile-kernels.js';
import { PORTABLE_SUFFIX } from '../../src/codegen/kernel-sets.js';
import { paramsOf } from '../../src/dsl/params.js';
import { deviceCapabilities } from '../../src/runtime/device.js';
import { initParams } from '../../src/runtime/init.js';
import { MapRunner } from '../../src/runtime/node.js';
import { getTestDevice } from '../support/gpu.js';
import { scheduleBeyond, tuneOp } from '../support/kernel-sets.js';
import { randomArray, relativeError, rng } from '../support/programs.js';
import { referenceApply, referenceBackward } from '../support/reference.js';

const F32_TOL = 1e-5;
const SOURCE = 'module tuned\nmap up : 48 -> 80 = monarch(nblocks: 4) + bias()';

describe('a build tuned on a larger adapter, on SwiftShader', () => {
  it('runs its portable set, forward and backward, against the float64 reference (batches 1 and 37)', async () => {
    const device = await getTestDevice();
    const caps = deviceCapabilities(device);
    const here = { maxWorkgroupSize: caps.maxComputeInvocationsPerWorkgroup, maxWorkgroupStorageBytes: caps.maxComputeWorkgroupStorageSize, features: [] };
    const tunedOn = { maxWorkgroupSize: 4 * here.maxWorkgroupSize, maxWorkgroupStorageBytes: here.maxWorkgroupStorageBytes, features: [] };
    // The second factor's tuned kernel: more invocations than this adapter has (a fake tuning database).
    const op = compileKernels(SOURCE, 'tuned.mon').programs![0].ops[1];
    const tuning: TuningLookup = tuneOp(op, scheduleBeyond(op, tunedOn, here), tunedOn);
    const result = compileKernels(SOURCE, 'tuned.mon', { tuning });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const { manifest, wgsl } = result.outputs!;
    const map = manifest.maps[0];
    expect(map.kernelSets!.map((s) => s.name)).toEqual(['tuned', 'portable']);
    expect(map.kernelSets![0].requires.maxComputeInvocationsPerWorkgroup).toBeGreaterThan(caps.maxComputeInvocationsPerWorkgroup);

    const runner = await MapRunner.create(map, wgsl, { device });
    try {
      expect(runner.kernelSet?.name).toBe('portable');
      const entryPoints = runner.kernelSet!.kernels.map((k) => k.entryPoint);
      expect(entryPoints.filter((e) => e.endsWith(PORTABLE_SUFFIX)), 'the portable kernel of the tuned factor').toEqual(['up_op1_portable']);
      expect(entryPoints).toContain('up_op0');
      const structure = result.module!.maps[0].structure;
      const params = initParams(paramsOf(structure), 11);
      runner.loadParams(params);
      for (const batch of [1, 37]) {
        const x = randomArray(batch * 48, rng(batch));
        expect(relativeError(await runner.forward(x, batch), referenceApply(structure, params, x, batch)), `forward, batch ${batch}`).toBeLessThan(F32_TOL);
        const dy = randomArray(batch * 80, rng(batch + 100));
        const got = await runner.backward(x, dy, batch);
        const want = referenceBackward(structure, params, x, dy, batch);
        expect(relativeError(got.dx, want.dx), `dx, batch ${batch}`).toBeLessThan(F32_TOL);
        for (const [name, g] of want.grads) expect(relativeError(got.grads.get(name)!, g), `${name}, batch ${batch}`).toBeLessThan(F32_TOL);
      }
    } finally {
      runner.destroy();
    }
  });
});
