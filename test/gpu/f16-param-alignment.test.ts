/**
 * An f16 map's packed parameters put every tensor on a 16-byte boundary (8 elements), which the
 * tensor-core kernels' matrix loads of a weight read in place need: a valid spec whose Monarch
 * weight followed tensors summing to 4 mod 8 elements made `monc build` fail with an internal
 * error (ks-sgmat-strided: "the weight tensor starts at element 5980, not a multiple of 8").
 * Now such a module builds, its tensor-core set keeps the strided factor's ks-sgmat-strided
 * kernel, and it runs (the f32-storage set SwiftShader takes, same layout) against the float64
 * reference.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { compileKernels } from '../../src/compile-kernels.js';
import { paramsOf } from '../../src/dsl/params.js';
import { initParams } from '../../src/runtime/init.js';
import { MapRunner } from '../../src/runtime/node.js';
import { getTestDevice } from '../support/gpu.js';
import { kernelSetOf } from '../support/kernel-sets.js';
import { randomArray, relativeError, rng } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';

const F16_TOL = 3e-3;

/** A Monarch after a dense(in: k) @ lowrank(rank: r) term: its weights start after 192·k + k·r + r·128 elements. */
const spec = (k: number, r: number) => `dtype f16\nmap a : 128 -> 192 = dense(in: ${k}) @ lowrank(rank: ${r}) + monarch(nblocks: 4)\n`;

function build(k: number, r: number) {
  const result = compileKernels(spec(k, r), 'a.mon', { forwardOnly: true });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return result;
}

describe('f16 parameter alignment', () => {
  // QA's case (k 7, r 4: the Monarch at 5980 with 4-element alignment) among odd and even sizes.
  test.prop([fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 6 })], { numRuns: 12, examples: [[7, 4]] })(
    'every tensor starts at a multiple of 8 elements, and the tensor-core set keeps ks-sgmat-strided',
    (k, r) => {
      const map = build(k, r).outputs!.manifest.maps[0]!;
      expect(map.params.map((p) => p.offset % 8)).toEqual(map.params.map(() => 0));
      expect(kernelSetOf(map, 'tensor-core').kernels!.map((kernel) => kernel.schedule.family)).toContain('ks-sgmat-strided');
    },
  );

  it('the module of QA\'s case runs against the float64 reference (batches 1 and 5)', async () => {
    const result = build(7, 4);
    const checked = result.module!.maps[0]!;
    const runner = await MapRunner.create(result.outputs!.manifest.maps[0]!, result.outputs!.wgsl, { device: await getTestDevice(), dtype: 'f16' });
    try {
      const params = initParams(paramsOf(checked.structure), 3);
      runner.loadParams(params);
      for (const batch of [1, 5]) {
        const x = randomArray(batch * checked.in, rng(batch));
        expect(relativeError(await runner.forward(x, batch), referenceApply(checked.structure, params, x, batch)), `batch ${batch}`).toBeLessThan(F16_TOL);
      }
    } finally {
      runner.destroy();
    }
  });
});
